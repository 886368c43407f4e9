// app.js - the dm-gateway web console: hash routes (#/tasks, #/tasks/<name>, #/new, and
// ops.js's #/workers, #/ddl-locks), sign-in by pasted token, live task status over the
// status stream, config edit with check and If-Match, pause / resume / stop with
// confirmation, start from YAML; UI building blocks in ui.js.
// No inline script or handler anywhere (the gateway's CSP forbids them); the DOM is built
// with el(), never from HTML strings, so nothing the gateway returns is interpreted.
import { api, ApiError, can, claims, failedWorkers, openStream, setToken, signOut, token } from './api.js';
import { actionButton, confirmAction, dmMessage, el, errorBox, kv, lineLinks, main, okBox, once, pending, poll, renderIfChanged,
         resultBox, scopeNote, setView, stageBadge, tomlHint } from './ui.js';
import { ddlLocksView, sqlCard, workersView } from './ops.js';

let cleanup = [];   // what the current view must stop when the route changes

// ---------- sign in ----------

function signinView(msg) {
  const input = el('input', { id: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false',
                              placeholder: 'eyJhbGciOi…', 'aria-describedby': 'token-help' });
  const out = el('div', { 'aria-live': 'polite' });
  const submit = el('button', { type: 'submit' }, 'Sign in');
  const form = el('form', { class: 'card signin', onsubmit: ev => {
    ev.preventDefault();
    once(submit, async () => {
      out.replaceChildren();
      // as copied from a curl line or an Authorization header: "Bearer eyJ…" is the token
      const t = input.value.trim().replace(/^(authorization:\s*)?bearer\s+/i, '');
      let c;
      try { c = claims(t); } catch (e) { out.append(errorBox(e, null, 'Not a usable token')); return; }
      // an expired token is said as such, with when, before any request (the gateway's 401
      // said only "invalid or missing bearer token: expired")
      if (c.exp && c.exp * 1000 <= Date.now()) {
        out.append(errorBox(new Error(`This token expired ${ago(c.exp)} (at ${new Date(c.exp * 1000).toLocaleString()}). Paste a new one, e.g. from \`dm-gateway token\`.`),
          null, 'Token expired'));
        return;
      }
      pending(out, 'Checking the token with the gateway');
      setToken(t);
      try {
        await api('GET', '/api/v1/tasks');
      } catch (e) {
        // only the gateway's refusal of the token keeps the page here; any other failure
        // (the master down: 503, the gateway unreachable) is shown by the pages, which
        // keep polling, instead of locking the operator out until DM is back
        if (e.status === 401 || e.status === 403) {
          signOut();
          // a 403 here: the token is valid but cannot even read; say what it has
          out.replaceChildren(errorBox(e, e.status === 403 ? el('p', { 'data-scope-help': '', text:
            `This token's scopes: ${c.scopes.join(' ') || 'none'}. The console needs dm:read to show tasks, dm:write to change them and dm:admin for relays and DDL locks.` }) : null));
          return;
        }
      }
      // the page the URL names (a deep link, or where an expired token left off)
      if (!VIEWS[location.hash] && !/^#\/tasks\/./.test(location.hash)) history.replaceState(null, '', '#/tasks');
      route();
    });
  } },
  el('h1', { text: 'Sign in' }),
  el('label', { for: 'token', text: 'Bearer token' }), input,
  el('p', { id: 'token-help', class: 'muted small',
            text: 'Paste a JWT (for example from `dm-gateway token`). It stays in this browser tab only (sessionStorage) and is sent to this gateway alone.' }),
  el('div', { class: 'row end' }, submit),
  msg ? el('div', { class: 'alert info', text: msg }) : null, out);
  setView('Sign in', form);
  input.focus();
}

// "3 minutes ago" for a past Unix time.
function ago(exp) {
  const s = Math.max(0, Math.round(Date.now() / 1000 - exp));
  const [n, unit] = s < 120 ? [s, 'second'] : s < 7200 ? [Math.round(s / 60), 'minute'] : s < 172800 ? [Math.round(s / 3600), 'hour'] : [Math.round(s / 86400), 'day'];
  return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
}

// ---------- task list ----------

function tasksOf(full) {
  const tasks = new Map();
  for (const w of full.workers || []) {
    for (const st of w.subTaskStatus || []) {
      if (!st.name) continue;
      if (!tasks.has(st.name)) tasks.set(st.name, []);
      tasks.get(st.name).push({ worker: w.worker, stage: st.stage, unit: st.unit });
    }
  }
  return tasks;
}

// The list's filter and page, kept while the tab lives (a task opened from the list and
// "← All tasks" come back to the same filtered page).
const listState = { q: '', stage: '', page: 0 };
const PAGE = 50;          // rows per page: 500 tasks used to be one 500-row table
const ROW_WORKERS = 5;    // a task on more workers shows the stage counts, the workers folded

// What a task row shows for its workers: each one, or (on many) the count per stage and the
// workers in a <details>, so a task of 50 sources is one readable row.
function workerLines(ws) {
  const line = w => el('div', { class: 'row', 'data-worker': w.worker },
    stageBadge(w.stage), el('span', { class: 'mono small', text: w.worker }), el('span', { class: 'muted small', text: w.unit || '' }));
  if (ws.length <= ROW_WORKERS) return ws.map(line);
  const counts = new Map();
  for (const w of ws) counts.set(w.stage || 'unknown', (counts.get(w.stage || 'unknown') || 0) + 1);
  return [el('div', { class: 'row', 'data-stage-counts': '' }, ...[...counts].map(([st, n]) =>
      el('span', { class: `badge ${st}`, text: `${st} × ${n}` }))),
    el('details', {}, el('summary', { class: 'small', text: `${ws.length} workers` }), ...ws.map(line))];
}

// Does task [name, workers] match the filter text (name, worker or stage, any case) and stage?
function listMatch([name, ws], q, stage) {
  if (stage && !ws.some(w => w.stage === stage)) return false;
  if (!q) return true;
  const needle = q.toLowerCase();
  return name.toLowerCase().includes(needle) || ws.some(w => `${w.worker} ${w.stage}`.toLowerCase().includes(needle));
}

function tasksView() {
  const body = el('tbody', {}, el('tr', {}, el('td', { colspan: '2', class: 'muted', text: 'Loading tasks…' })));
  const status = el('div');
  const updated = el('span', { class: 'muted small' });
  const table = el('table', { class: 'tasks' },
    el('thead', {}, el('tr', {}, el('th', { text: 'Task' }), el('th', { text: 'Workers: stage · unit' }))), body);
  const q = el('input', { id: 'task-filter', type: 'search', value: listState.q, autocomplete: 'off', spellcheck: 'false',
                          placeholder: 'name, worker or stage', 'aria-describedby': 'task-filter-help', 'aria-controls': 'task-rows' });
  const stageSel = el('select', { id: 'task-stage', 'aria-controls': 'task-rows' },
    ...[['', 'All stages'], ['Running', 'Running'], ['Paused', 'Paused'], ['Stopped', 'Stopped'], ['New', 'New'], ['Finished', 'Finished']]
      .map(([v, t]) => el('option', { value: v, text: t, selected: v === listState.stage })));
  const count = el('div', { class: 'muted small count', id: 'task-count', role: 'status' });   // not a <p role=status>: that is a pending line
  const prev = el('button', { type: 'button', class: 'ghost', 'data-action': 'page-prev' }, '← Previous');
  const next = el('button', { type: 'button', class: 'ghost', 'data-action': 'page-next' }, 'Next →');
  const pageNo = el('span', { class: 'small', id: 'task-page' });
  const pager = el('nav', { class: 'row pager', 'aria-label': 'Task list pages', hidden: true }, prev, pageNo, next);
  body.id = 'task-rows';
  let all = null;   // [[name, workers]] of the last answer, sorted
  function show() {
    if (!all) return;
    const shown = all.filter(t => listMatch(t, listState.q.trim(), listState.stage));
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    listState.page = Math.min(listState.page, pages - 1);
    const from = listState.page * PAGE, rows = shown.slice(from, from + PAGE);
    const filtered = shown.length !== all.length;
    count.textContent = !all.length ? '' : !shown.length ? `No task matches (of ${all.length}).`
      : `${rows.length === shown.length ? shown.length : `${from + 1}–${from + rows.length} of ${shown.length}`} ${shown.length === 1 ? 'task' : 'tasks'}${filtered ? ` (filtered from ${all.length})` : ''}`;
    pager.hidden = pages < 2;
    pageNo.textContent = `Page ${listState.page + 1} of ${pages}`;
    prev.disabled = listState.page === 0;
    next.disabled = listState.page >= pages - 1;
    renderIfChanged(body, JSON.stringify([rows, all.length]), () => (rows.length ? rows.map(([name, ws]) =>
      el('tr', { 'data-task': name },
        el('td', {}, el('a', { href: `#/tasks/${encodeURIComponent(name)}`, text: name })),
        el('td', {}, ...workerLines(ws))))
      : [el('tr', {}, el('td', { colspan: '2', class: 'muted',
          text: all.length ? 'No task matches the filter.' : 'No tasks. Start one from its YAML.' }))]));
  }
  const turn = d => {
    listState.page += d;
    show();
    // the focus stays on the pager (a disabled button would drop it to the page)
    (d < 0 ? (prev.disabled ? next : prev) : (next.disabled ? prev : next)).focus();
  };
  prev.addEventListener('click', () => turn(-1));
  next.addEventListener('click', () => turn(1));
  q.addEventListener('input', () => { listState.q = q.value; listState.page = 0; show(); });
  stageSel.addEventListener('change', () => { listState.stage = stageSel.value; listState.page = 0; show(); });
  // Enter in the filter opens the first task shown
  q.addEventListener('keydown', ev => {
    if (ev.key !== 'Enter') return;
    ev.preventDefault();
    body.querySelector('tr[data-task] a')?.click();
  });
  async function load() {
    if (document.hidden) return;
    try {
      const r = await api('GET', '/api/v1/tasks?full=true');
      // a worker the master could not ask (a 207: the others answered) has no tasks in the
      // answer: say so, or its tasks would be missing from the list without a word
      const lost = failedWorkers(r.data).filter(w => !/no sub task started/.test(w.msg));   // an idle worker lost nothing
      status.replaceChildren(...(lost.length ? [el('div', { class: 'alert warn', role: 'alert', 'data-workers-missing': String(lost.length) },
        el('p', { class: 'alert-title', text: `The tasks of ${lost.length === 1 ? 'one worker are' : `${lost.length} workers are`} missing: the master could not ask ${lost.length === 1 ? 'it' : 'them'}` }),
        el('ul', { class: 'errors' }, ...lost.map(w => el('li', {}, el('strong', { class: 'mono small', text: w.worker }),
          el('pre', { text: dmMessage(w.msg).text || 'failed (no message)' })))),
        el('div', { class: 'meta', text: [`HTTP ${r.status}`, r.headers.get('X-Request-Id') ? `request id ${r.headers.get('X-Request-Id')}` : null].filter(Boolean).join(' · ') }))] : []));
      all = [...tasksOf(r.data).entries()].sort(([a], [b]) => a.localeCompare(b));
      show();
      updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      status.replaceChildren(errorBox(e));
      // never loaded: not "Loading tasks…" under an error for as long as DM fails
      if (!all) renderIfChanged(body, 'failed', () => [el('tr', {}, el('td', { colspan: '2', class: 'muted', 'data-not-loaded': '',
        text: 'The task list could not be loaded (the error above); the page asks again every 5 s.' }))]);
    }
  }
  setView('Tasks',
    el('h1', {}, 'Tasks', el('span', { class: 'spacer' }),
       actionButton('Start a task', 'dm:write', () => { location.hash = '#/new'; })),
    scopeNote('dm:write', 'Starting a task'), status,
    el('div', { class: 'card' },
      el('div', { class: 'row filters', role: 'search' },
        el('div', { class: 'field grow' }, el('label', { for: 'task-filter', text: 'Filter' }), q),
        el('div', { class: 'field' }, el('label', { for: 'task-stage', text: 'Stage' }), stageSel)),
      el('p', { id: 'task-filter-help', class: 'sr-only', text: 'Shows the tasks whose name, worker or stage contains the text; Enter opens the first one.' }),
      count, table, el('div', { class: 'row end' }, pager, el('span', { class: 'spacer' }), updated)));
  poll(cleanup, load, updated);   // one request per 5 s for the whole list
}

// ---------- one task ----------

// The filled part of a progress bar: its width is set through the CSSOM (the console's CSP
// allows no style attribute).
function bar(pct) {
  const s = el('span');
  s.style.width = `${pct}%`;
  return s;
}

function progress(label, done, total) {
  const d = Number(done), t = Number(total);
  if (!t) return null;
  const pct = Math.min(100, Math.round(d * 100 / t));
  return el('div', {}, el('div', { class: 'small', text: `${label}: ${pct}% (${d} of ${t} bytes)` }),
    el('div', { class: 'progress', role: 'progressbar', 'aria-valuenow': String(pct), 'aria-valuemin': '0',
                'aria-valuemax': '100' }, bar(pct)));
}

function processErrors(result) {
  const errs = (result && result.errors) || [];
  if (!errs.length) return null;
  return el('ul', { class: 'errors' }, ...errs.map(e => {
    const m = dmMessage(e.msg || e.message || e.error?.Message || e.RawCause);
    const code = m.code || e.error?.ErrCode;
    return el('li', {}, el('strong', { class: 'small', text: [e.Type || e.type, code ? `DM code ${code}` : null].filter(Boolean).join(' · ') }),
      el('pre', { class: 'mono small', text: m.text }));
  }));
}

function workerCard(w) {
  const subs = w.subTaskStatus || [];
  const st = subs[0] || {};
  const sync = st.sync || {};
  const relay = w.relayStatus || {};
  return el('section', { class: 'card', id: `worker-${cssId(w.worker)}`, tabindex: '-1', 'data-worker': w.worker, 'data-stage': st.stage || '' },
    el('h2', { class: 'row' }, el('span', { class: 'mono', text: w.worker }), stageBadge(st.stage),
       st.unit ? el('span', { class: 'badge', text: st.unit }) : null),
    w.result === false && w.msg ? el('div', { class: 'alert error', role: 'alert' }, el('pre', { text: w.msg })) : null,
    kv([['source', w.sourceID], ['master binlog', sync.masterBinlog], ['synced to', sync.syncerBinlog],
        ['in sync', sync.synced === undefined ? undefined : (sync.synced ? 'yes' : 'no')],
        ['events', sync.totalEvents], ['TPS (recent / total)', sync.recentTps !== undefined ? `${sync.recentTps} / ${sync.totalTps}` : undefined],
        ['blocking DDLs', (sync.blockingDDLs || []).join('; ')],
        ['unresolved DDL lock', st.unresolvedDDLLockID ? el('a', { href: '#/ddl-locks', text: st.unresolvedDDLLockID }) : undefined],
        ['relay', relay.stage && relay.stage !== 'InvalidStage' ? `${relay.stage} at ${relay.relayBinlog}` : undefined]]),
    st.load ? progress('load', st.load.finishedBytes, st.load.totalBytes) : null,
    st.dump ? el('div', { class: 'small muted', text: 'dump in progress' }) : null,
    processErrors(st.result));
}

// Above the worker cards of a task on many workers (a task of 50 sources is 50 cards): how
// many are in each stage, and links to the first few that are not Running.
function stageSummary(ws, stages) {
  if (ws.length <= ROW_WORKERS) return [];
  const counts = new Map();
  for (const st of stages) counts.set(st || 'unknown', (counts.get(st || 'unknown') || 0) + 1);
  const odd = ws.filter(w => !(w.subTaskStatus || []).some(s => s.stage === 'Running')).slice(0, 10);
  return [el('span', { class: 'small', text: `${ws.length} workers:` }),
    ...[...counts].map(([st, n]) => el('span', { class: `badge ${st}`, text: `${st} × ${n}` })),
    ...(odd.length ? [el('span', { class: 'small', text: 'not running:' })] : []),
    // buttons, not #fragment links: the hash is the console's route
    ...odd.map(w => el('button', { type: 'button', class: 'ghost tag mono', 'data-goto-worker': w.worker, onclick: () => {
      const card = document.getElementById(`worker-${cssId(w.worker)}`);
      card?.scrollIntoView({ block: 'start' });
      card?.focus({ preventScroll: true });
    } }, w.worker))];
}

// A worker name as a fragment id (its card's id): anything but letters, digits, - and _ as _xx.
function cssId(s) { return String(s).replace(/[^A-Za-z0-9_-]/g, ch => `_${ch.charCodeAt(0).toString(16)}`); }

// query-error as a list; a sync error with its binlog position offers to skip or replace
// the statement (`fix` fills the SQL operators form).
function errorsList(data, fix) {
  const items = [];
  const add = (who, msg, extra = {}) => items.push({ who, ...dmMessage(msg), ...extra });
  for (const w of data.workers || []) {
    if (w.result === false && w.msg) add(w.worker, w.msg);
    for (const se of w.subTaskError || []) {
      for (const unit of ['check', 'dump', 'load', 'sync']) {
        for (const e of se[unit]?.errors || []) {
          add(`${w.worker} ${unit}`, e.msg || JSON.stringify(e),
              { pos: e.failedBinlogPosition, sql: e.errorSQL || e.ErrorSQL, worker: w.worker });
        }
        if (se[unit]?.msg) add(`${w.worker} ${unit}`, se[unit].msg);
      }
      if (se.error?.msg) add(w.worker, se.error.msg);
    }
    if (w.RelayError?.msg) add(`${w.worker} relay`, w.RelayError.msg);
  }
  if (!items.length) return el('p', { class: 'muted', 'data-errors': '0', text: 'No errors reported by the workers.' });
  return el('ul', { class: 'errors', 'data-errors': String(items.length) }, ...items.map(it => el('li', { 'data-failed-pos': it.pos || null },
    el('div', { class: 'row' }, el('strong', { class: 'mono small', text: it.who }),
      it.code ? el('span', { class: 'badge error', text: `DM code ${it.code}` }) : null),
    el('pre', { class: 'mono small', text: it.text }),
    it.sql || it.pos ? kv([['statement', it.sql ? el('code', { text: it.sql }) : undefined], ['binlog position', it.pos]]) : null,
    it.pos && fix ? el('div', { class: 'row gap-top-s' },
      actionButton('Skip it…', 'dm:write', () => fix({ op: 'skip', worker: it.worker, binlogPos: it.pos }), 'ghost', 'fix-skip'),
      actionButton('Replace it…', 'dm:write', () => fix({ op: 'replace', worker: it.worker, binlogPos: it.pos, sqls: it.sql || '' }), 'ghost', 'fix-replace')) : null)));
}

function configCard(name) {
  const area = el('textarea', { id: 'config', 'aria-label': 'Task config (YAML)', spellcheck: 'false',
                                readonly: !can('dm:write') });
  const msg = el('div', { 'aria-live': 'polite' });
  const ver = el('span', { class: 'muted small' });
  let etag = null;
  async function load() {
    pending(msg, 'Loading the config');
    try {
      const r = await api('GET', `/api/v1/tasks/${encodeURIComponent(name)}/config`, { accept: 'application/yaml' });
      etag = r.etag;
      area.value = r.text;
      ver.textContent = `version ${etag ? etag.replace(/"/g, '') : '?'}`;
      msg.replaceChildren();
    } catch (e) { msg.replaceChildren(errorBox(e)); }
  }
  async function check() {
    pending(msg, 'Checking the config with DM');
    try {
      await api('POST', '/api/v1/tasks/check', { body: area.value, ctype: 'application/yaml' });
      msg.replaceChildren(okBox('Check passed: DM accepts this config.'));
      return true;
    } catch (e) { msg.replaceChildren(errorBox(e, [lineLinks(area, e.message), tomlHint(area.value)])); return false; }
  }
  async function update() {
    if (!await check()) return;
    pending(msg, 'Updating the config');
    try {
      const r = await api('PUT', `/api/v1/tasks/${encodeURIComponent(name)}`,
                          { body: area.value, ctype: 'application/yaml', headers: etag ? { 'If-Match': etag } : {} });
      if (r.etag) { etag = r.etag; ver.textContent = `version ${etag.replace(/"/g, '')}`; }
      msg.replaceChildren(resultBox(r, 'Config updated.'));
    } catch (e) {
      const extra = e.status === 412 ? el('p', {}, 'Someone changed this task\'s config after you loaded it, so your update was not applied. Your edit is still in the box: ',
        el('button', { type: 'button', class: 'ghost', 'data-action': 'reload-config', onclick: load }, 'Load the current config'), ' and apply your change again.') : null;
      msg.replaceChildren(errorBox(e, extra || [lineLinks(area, e.message), tomlHint(area.value)]));
    }
    msg.scrollIntoView({ block: 'nearest' });
  }
  cleanup.push(() => { etag = null; });
  load();
  return el('section', { class: 'card' },
    el('h2', { class: 'row' }, 'Config', el('span', { class: 'spacer' }), ver),
    el('p', { class: 'muted small', text: 'YAML as DM stores it; the target password is masked (leave the mask to keep it). DM applies updates to a paused task.' }),
    area,
    el('div', { class: 'row end gap-top' },
      el('button', { type: 'button', class: 'ghost', 'data-action': 'reload-config', onclick: load }, 'Reload'),
      actionButton('Check', 'dm:write', check, 'ghost'),
      actionButton('Update', 'dm:write', update)),
    msg);
}

// The task page of a task the master does not know (a mistyped link, or it was stopped
// meanwhile): says so once instead of retrying the stream for ever.
function goneView(name, e, wasLive) {
  for (const f of cleanup.splice(0)) f();
  setView(name,
    el('p', { class: 'small' }, el('a', { href: '#/tasks', text: '← All tasks' })),
    el('h1', {}, el('span', { class: 'mono', text: name }), el('span', { class: 'badge', id: 'live', text: 'no such task' })),
    errorBox(e, el('p', {}, wasLive ? 'The task was stopped while this page was open (from another tab, by dmctl or by another operator): no worker runs it now. '
      : 'No worker runs a task of this name: it was stopped, or the link is wrong. ',
      el('button', { type: 'button', class: 'ghost', 'data-action': 'try-again', onclick: route }, 'Look again'))));
}

function taskView(name) {
  const enc = encodeURIComponent(name);
  const live = el('span', { class: 'badge', id: 'live', text: 'connecting' });
  const announce = el('p', { class: 'sr-only', role: 'status', 'data-announce': '' });
  const workers = el('div', { class: 'grid', id: 'workers' }, el('p', { class: 'muted', text: 'Loading status…' }));
  const summary = el('div', { class: 'row', id: 'stage-summary' });
  const streamMsg = el('div');
  const actionMsg = el('div', { 'aria-live': 'polite' });
  const errs = el('div', { id: 'errors' }, el('p', { class: 'muted', text: 'Loading…' }));

  // what the stage allows: Pause while something runs, Resume while something is paused
  function stageButtons(stages) {
    if (!can('dm:write')) return;
    const known = stages.length > 0;
    for (const [b, need, why] of [[pauseBtn, 'Running', 'Nothing runs: nothing to pause'],
                                  [resumeBtn, 'Paused', 'Nothing is paused: nothing to resume']]) {
      b.disabled = known && !stages.includes(need);
      b.title = b.disabled ? why : '';
    }
  }
  const sql = sqlCard(name);
  let stagesKey = null;
  let goneCheck = null;
  // A status naming no worker of this task (stopped from another tab, dmctl, another
  // operator): asked once more with a plain request, and a 404 ends the page as for an
  // unknown task, instead of a "live" page with DM's raw message and Pause / Stop buttons.
  function maybeGone() {
    goneCheck ??= api('GET', `/api/v1/tasks/${enc}`).then(() => { goneCheck = null; }, e => {
      goneCheck = null;
      if (e.status === 404 && main.contains(live)) goneView(name, e, true);
    });
  }
  function render(data) {
    streamMsg.replaceChildren();
    if (live.textContent === 'not updated') { live.textContent = 'live'; live.className = 'badge live'; }
    const ws = (data.workers || []).filter(w => (w.subTaskStatus || []).some(s => s.name === name) || w.result === false);
    if (!ws.length && data.result === false) maybeGone();
    sql.setWorkers(ws.filter(w => w.worker && w.result !== false).map(w => w.worker));
    const stages = ws.flatMap(w => (w.subTaskStatus || []).filter(s => s.name === name).map(s => s.stage));
    stageButtons(stages);
    if (stagesKey !== null && stagesKey !== stages.join()) {   // a stage changed: errors may have too
      loadErrors();
      // said to a screen reader too (the badges change silently): "shop-sync: Paused on w1"
      announce.textContent = `${name}: ${ws.map(w => `${(w.subTaskStatus || []).find(x => x.name === name)?.stage || 'no status'} on ${w.worker}`).join(', ')}`;
    }
    stagesKey = stages.join();
    workers.replaceChildren(...(ws.length ? ws.map(workerCard)
      : [el('p', { class: 'muted', text: data.msg || 'No worker runs this task.' })]));
    summary.replaceChildren(...stageSummary(ws, stages));
  }
  async function loadErrors() {
    try {
      const r = await api('GET', `/api/v1/tasks/${enc}/errors`);
      errs.replaceChildren(errorsList(r.data, sql.prefill));
    } catch (e) { errs.replaceChildren(errorBox(e)); }
  }
  async function operate(label, method, path, question, after) {
    if (!await confirmAction(question, label)) return;
    pending(actionMsg, `${label}: waiting for DM`);
    try {
      const r = await api(method, path);
      actionMsg.replaceChildren(resultBox(r, `${label}: done. The status below follows live.`));
      after?.();
    } catch (e) { actionMsg.replaceChildren(errorBox(e)); }
  }
  const pauseBtn = actionButton('Pause', 'dm:write', () => operate('Pause', 'POST', `/api/v1/tasks/${enc}/pause`,
    `Pause task "${name}" on all its workers? Replication stops until it is resumed.`), 'ghost');
  const resumeBtn = actionButton('Resume', 'dm:write', () => operate('Resume', 'POST', `/api/v1/tasks/${enc}/resume`,
    `Resume task "${name}" on all its workers?`), 'ghost');
  const close = openStream(name, {
    onStatus: render,
    onGone: e => goneView(name, e),
    onProblem: p => {
      streamMsg.replaceChildren(errorBox(new ApiError(p.status || 0, p.detail || 'status poll failed', null, p.requestId, null)));
      // the stream is up but the master's answer failed: what is shown is the last good
      // status, not a live one (the badge said "live" above a 90 s old status)
      if (live.classList.contains('live')) { live.textContent = 'not updated'; live.className = 'badge Paused'; }
    },
    onState: s => { live.textContent = s === 'live' ? 'live' : 'reconnecting…'; live.className = `badge ${s === 'live' ? 'live' : 'Paused'}`; },
  });
  cleanup.push(close);
  setView(name,
    el('p', { class: 'small' }, el('a', { href: '#/tasks', text: '← All tasks' })),
    el('h1', {}, el('span', { class: 'mono', text: name }), live,
      el('span', { class: 'actions' }, pauseBtn, resumeBtn,
        actionButton('Stop', 'dm:write', () => operate('Stop', 'DELETE', `/api/v1/tasks/${enc}`,
          `Stop task "${name}"? Its workers drop it; starting it again needs its YAML.`,
          () => setTimeout(() => { location.hash = '#/tasks'; }, 800)), 'danger'))),
    scopeNote('dm:write', 'Changing this task (pause, resume, stop, config)'), announce, actionMsg, streamMsg, summary, workers,
    el('section', { class: 'card' },
      el('h2', { class: 'row' }, 'Errors', el('span', { class: 'spacer' }),
        el('button', { type: 'button', class: 'ghost', 'data-action': 'refresh-errors', onclick: loadErrors }, 'Refresh')),
      errs),
    sql.card,
    configCard(name));
  loadErrors();
}

// ---------- start a task ----------

const SAMPLE = `name: "my-task"
task-mode: "incremental"
target-database:
  host: "127.0.0.1"
  port: 3306
  user: "root"
  password: ""
mysql-instances:
  - source-id: "mysql-replica-01"
    black-white-list: "only"
black-white-list:
  only:
    do-dbs: ["shop"]
`;

const UPLOAD_MAX = 1024 * 1024;   // the gateway's default max-body-size

function newTaskView() {
  const area = el('textarea', { id: 'new-task', 'aria-label': 'Task config (YAML)', spellcheck: 'false' });
  area.value = SAMPLE;
  const msg = el('div', { 'aria-live': 'polite' });
  let checked = null;   // the text that passed the check
  const start = actionButton('Start', 'dm:write', async () => {
    pending(msg, 'Starting the task');
    try {
      const r = await api('POST', '/api/v1/tasks', { body: area.value, ctype: 'application/yaml' });
      msg.replaceChildren(resultBox(r, 'Task started.'));
      if (r.status === 207) return;   // some workers failed: stay to show which
      // the task's page from the gateway's Location (/api/v1/tasks/<name>): the name as the
      // gateway read it (a name with a space, quotes or a comment after it was cut short by
      // a regular expression over the YAML, which opened the page of another name)
      const loc = (r.headers.get('Location') || '').match(/^\/api\/v1\/tasks\/([^/?#]+)$/);
      if (loc) location.hash = `#/tasks/${loc[1]}`;
    } catch (e) { msg.replaceChildren(errorBox(e, [lineLinks(area, e.message), tomlHint(area.value)])); }
  });
  start.setAttribute('aria-describedby', 'start-hint');
  const sync = () => {
    start.disabled = !can('dm:write') || checked !== area.value;
    if (can('dm:write')) start.title = start.disabled ? 'Check the config first' : '';
  };
  area.addEventListener('input', sync);
  const check = actionButton('Check', 'dm:write', async () => {
    pending(msg, 'Checking the config with DM');
    try {
      await api('POST', '/api/v1/tasks/check', { body: area.value, ctype: 'application/yaml' });
      checked = area.value;
      msg.replaceChildren(okBox('Check passed: DM accepts this config. You can start it.'));
    } catch (e) { checked = null; msg.replaceChildren(errorBox(e, [lineLinks(area, e.message), tomlHint(area.value)])); }
    sync();
  }, 'ghost');
  sync();
  const file = el('input', { id: 'new-task-file', type: 'file', accept: '.yaml,.yml,application/yaml,text/yaml,text/plain',
                             'aria-describedby': 'new-task-file-help' });
  async function loadFile(f) {
    if (!f) return;
    if (f.size > UPLOAD_MAX) {
      msg.replaceChildren(errorBox(new Error(`${f.name} has ${f.size} bytes; a task config is at most ${UPLOAD_MAX} bytes (the gateway's body limit).`), null, 'File too large'));
      return;
    }
    area.value = await f.text();
    sync();
    msg.replaceChildren(el('div', { class: 'alert info', role: 'status', 'data-loaded': f.name,
      text: `Loaded ${f.name} (${f.size} bytes) into the editor: check it, then start.` }));
  }
  file.addEventListener('change', () => loadFile(file.files[0]).finally(() => { file.value = ''; }));
  area.addEventListener('dragover', ev => ev.preventDefault());
  area.addEventListener('drop', ev => {
    if (!ev.dataTransfer?.files?.length) return;
    ev.preventDefault();
    loadFile(ev.dataTransfer.files[0]);
  });
  setView('Start a task',
    el('h1', { text: 'Start a task' }), scopeNote('dm:write', 'Checking and starting a task'),
    el('section', { class: 'card' },
      el('label', { for: 'new-task', text: 'Task config (YAML, as for dmctl start-task)' }), area,
      el('div', { class: 'field gap-top' }, el('label', { for: 'new-task-file', text: 'Or load it from a file' }), file,
        el('p', { id: 'new-task-file-help', class: 'muted small',
                  text: 'The file is read in this browser into the editor above (or drop it on the editor); nothing is sent until Check or Start.' })),
      el('div', { class: 'row end gap-top' },
        el('span', { id: 'start-hint', class: 'muted small', text: 'Start is enabled once Check passed for exactly this text.' }),
        check, start), msg));
}

// ---------- routing ----------

const VIEWS = { '#/tasks': tasksView, '#/new': newTaskView, '#/workers': workersView, '#/ddl-locks': ddlLocksView };

// The task name in a #/tasks/<name> hash; a hash that is not valid percent-encoding (a
// hand-edited or truncated link) is taken as it is instead of throwing URIError, which
// left the page blank.
function hashName(part) {
  try { return decodeURIComponent(part); } catch { return part; }
}

// The token expired while a page is open: say so above the page, which stays as it is (an
// edit in the config box is not lost) until the operator signs in again.
function expiredNotice(exp) {
  for (const f of cleanup.splice(0)) f();   // stop the page's polls and stream: each would get a 401
  const box = document.getElementById('session');
  box.replaceChildren(el('div', { class: 'alert warn', role: 'alert' },
    el('strong', { text: `Your token expired at ${new Date(exp * 1000).toLocaleTimeString()}. ` }),
    'The gateway refuses it now, so this page is no longer updated. ',
    el('button', { type: 'button', class: 'ghost', 'data-action': 'session-sign-in', onclick: () => { signOut(); route(); } },
       'Sign in again'),
    ' (you come back to this page).'));
  box.hidden = false;
}

// Show expiredNotice() when the token's exp passes (setTimeout holds at most 2^31-1 ms).
function watchExpiry(exp) {
  const left = exp * 1000 - Date.now();
  if (!exp || left > 0x7fffffff) return;
  const t = setTimeout(() => expiredNotice(exp), Math.max(0, left));
  cleanup.push(() => clearTimeout(t));
}

function route() {
  for (const f of cleanup.splice(0)) f();
  document.getElementById('session').hidden = true;
  const signedIn = !!token();
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('who').hidden = !signedIn;
  if (!signedIn) return signinView();
  let c;
  try { c = claims(token()); } catch { signOut(); return signinView(); }
  if (c.exp && c.exp * 1000 < Date.now()) { signOut(); return signinView('Your token has expired: paste a new one.'); }
  document.getElementById('who-name').textContent = `${c.sub} · ${c.scopes.join(' ') || 'no scopes'}`;
  watchExpiry(c.exp);
  const h = location.hash;
  const section = VIEWS[h] ? h : '#/tasks';
  for (const a of document.querySelectorAll('#nav a[href^="#"]')) {
    if (a.getAttribute('href') === section) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const m = h.match(/^#\/tasks\/(.+)$/);
  if (m) return taskView(hashName(m[1]));
  return (VIEWS[h] || tasksView)(cleanup);
}

document.getElementById('signout').addEventListener('click', () => {
  signOut();
  Object.assign(listState, { q: '', stage: '', page: 0 });   // the next person starts with the whole list
  location.hash = '#/tasks';
  route();
});
window.addEventListener('hashchange', route);
route();
