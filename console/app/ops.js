// ops.js - the operator views beyond tasks: workers with their relay units (pause /
// resume / switch master / purge / migrate / replace config), sharding DDL locks (unlock,
// break a worker's lock) and the SQL operators of a task (sql-skip / sql-replace /
// sql-inject). Every action asks first (a confirmation or a form dialog), needs the scope
// the gateway needs (the button says why when the token lacks it) and shows DM's answer
// readably: ok, which workers failed (207), or the error with its DM code and request id.
import { api } from './api.js';
import { actionButton, choice, confirmAction, deniedReason, el, errorBox, field, formDialog, kv,
         once, poll, renderIfChanged, resultBox, scopeNote, setView, show } from './ui.js';

const JSON_BODY = 'application/json';

// POST/PUT a JSON body and put DM's answer into `msg`; true when DM did it everywhere.
async function submit(msg, label, method, path, payload, opts = {}) {
  msg.replaceChildren(el('p', { class: 'muted small', role: 'status', text: `${label}…` }));
  try {
    const r = await api(method, path, { body: opts.raw ?? JSON.stringify(payload), ctype: opts.ctype || JSON_BODY });
    show(msg, resultBox(r, `${label}: done.`));
    return true;
  } catch (e) {
    show(msg, errorBox(e));
    return false;
  }
}

let uid = 0;
const fid = base => `${base}-${++uid}`;

function input(name, attrs = {}) { return el('input', { id: fid(name), name, autocomplete: 'off', spellcheck: 'false', ...attrs }); }

// ---------- workers and relay ----------

function relayKv(w) {
  const r = w.relayStatus || {};
  const tasks = (w.subTaskStatus || []).filter(s => s.name)
    .map(s => el('a', { href: `#/tasks/${encodeURIComponent(s.name)}`, class: 'tag', text: `${s.name} · ${s.stage}` }));
  return el('div', {},
    w.result === false && w.msg && !/no sub task started/.test(w.msg)
      ? el('div', { class: 'alert error', role: 'alert' }, el('pre', { text: w.msg })) : null,
    kv([['source', w.sourceID],
        ['relay', r.stage && r.stage !== 'InvalidStage' ? r.stage : 'not running (no relay unit)'],
        ['master binlog', r.masterBinlog], ['master GTID set', r.masterBinlogGtid],
        ['relay binlog', r.relayBinlog], ['relay GTID set', r.relayBinlogGtid], ['relay sub dir', r.relaySubDir],
        ['caught up', r.stage && r.stage !== 'InvalidStage' ? (r.relayCatchUpMaster ? 'yes' : 'no') : undefined],
        ['tasks', tasks.length ? el('span', { class: 'row' }, ...tasks) : 'none']]),
    r.result && r.result.errors?.length ? el('ul', { class: 'errors' }, ...r.result.errors.map(e =>
      el('li', { class: 'mono small', text: [e.Type || e.type, e.msg || e.message || e.RawCause].filter(Boolean).join(': ') }))) : null);
}

function purgeDialog(worker) {
  const file = input('filename', { placeholder: 'mysql-bin.000042' });
  const sub = input('subDir', { placeholder: 'f0a1…-uuid.000001' });
  const time = input('time', { type: 'datetime-local', step: '1' });
  return formDialog({
    title: `Purge relay logs of ${worker}`, ok: 'Purge', danger: true, action: 'purge-relay',
    intro: 'Deletes relay log files the worker no longer needs (dmctl purge-relay). Files still needed by a task are kept by the worker.',
    fields: [el('fieldset', {}, el('legend', { text: 'Which files' }),
      choice('radio', 'mode', 'filename', 'Files before a binlog file', true),
      choice('radio', 'mode', 'inactive', 'All inactive files'),
      choice('radio', 'mode', 'time', 'Files older than a time')),
      field('Binlog file name (for "before a file")', file), field('Relay sub directory (optional)', sub,
        'The UUID-suffixed directory of that file; empty: the current one.'),
      field('Time (for "older than", your local time)', time)],
    validate: fd => {
      if (fd.get('mode') === 'filename' && !String(fd.get('filename')).trim()) return 'Enter the binlog file name to purge before.';
      if (fd.get('mode') === 'time' && !fd.get('time')) return 'Choose the time to purge before.';
      return null;
    } });
}

function purgePayload(worker, fd) {
  const p = { workers: [worker] };
  const mode = fd.get('mode');
  if (mode === 'filename') p.filename = String(fd.get('filename')).trim();
  if (mode === 'inactive') p.inactive = true;
  if (mode === 'time') p.time = Math.floor(new Date(String(fd.get('time'))).getTime() / 1000);
  const sub = String(fd.get('subDir') || '').trim();
  if (sub) p.subDir = sub;
  return p;
}

function migrateDialog(worker) {
  return formDialog({
    title: `Migrate the relay of ${worker}`, ok: 'Migrate', danger: true, action: 'migrate-relay',
    intro: 'Restarts the relay log from another binlog position (dmctl migrate-relay), e.g. after the upstream master changed. Pause the relay first.',
    fields: [field('Binlog file name', input('binlogName', { placeholder: 'mysql-bin.000002', required: true })),
      field('Binlog position', input('binlogPos', { type: 'number', min: '0', max: '4294967295', value: '4', required: true }))],
    validate: fd => (!String(fd.get('binlogName')).trim() ? 'Enter the binlog file name.'
      : !/^\d+$/.test(String(fd.get('binlogPos'))) ? 'The position is a whole number (bytes).' : null) });
}

function configDialog(worker) {
  const area = el('textarea', { id: fid('worker-config'), name: 'config', spellcheck: 'false', class: 'short',
                                placeholder: 'worker-addr = ":8262"\nsource-id = "mysql-replica-01"\n…' });
  return formDialog({
    title: `Replace the config of ${worker}`, ok: 'Replace config', danger: true, action: 'relay-config',
    intro: 'The whole dm-worker config (TOML, as in dm-worker.toml); DM applies it to the relay unit (dmctl update-relay). The worker keeps its old config when DM refuses the new one.',
    fields: [field('dm-worker config (TOML)', area)],
    validate: fd => (String(fd.get('config')).trim() ? null : 'Paste the worker config.') });
}

function workerCard(worker, reload) {
  const enc = encodeURIComponent(worker);
  const badge = el('span', { class: 'badge' });
  const status = el('div');
  const msg = el('div', { 'aria-live': 'polite' });
  const body = { workers: [worker] };
  const done = ok => { if (ok) reload(); };
  async function simple(label, path, question) {
    if (await confirmAction(question, label)) done(await submit(msg, label, 'POST', path, body));
  }
  const pauseBtn = actionButton('Pause relay', 'dm:admin', () => simple('Pause relay', '/api/v1/relay/pause',
      `Pause the relay unit of ${worker}? Tasks that read its relay log get no new binlog events until it is resumed.`), 'ghost');
  const resumeBtn = actionButton('Resume relay', 'dm:admin', () => simple('Resume relay', '/api/v1/relay/resume',
      `Resume the relay unit of ${worker}?`), 'ghost');
  const buttons = [pauseBtn, resumeBtn,
    actionButton('Switch master', 'dm:admin', () => simple('Switch master', '/api/v1/relay/switch-master',
      `Switch the relay of ${worker} to the upstream master it is configured with now (dmctl switch-relay-master)? Pause the relay first.`), 'ghost'),
    actionButton('Purge…', 'dm:admin', async () => {
      const fd = await purgeDialog(worker);
      if (fd) done(await submit(msg, 'Purge relay logs', 'POST', '/api/v1/relay/purge', purgePayload(worker, fd)));
    }, 'ghost', 'purge-relay'),
    actionButton('Migrate…', 'dm:admin', async () => {
      const fd = await migrateDialog(worker);
      if (fd) done(await submit(msg, 'Migrate relay', 'POST', `/api/v1/workers/${enc}/relay/migrate`,
        { binlogName: String(fd.get('binlogName')).trim(), binlogPos: Number(fd.get('binlogPos')) }));
    }, 'ghost', 'migrate-relay'),
    actionButton('Replace config…', 'dm:admin', async () => {
      const fd = await configDialog(worker);
      if (fd) done(await submit(msg, 'Replace worker config', 'PUT', `/api/v1/workers/${enc}/relay-config`, null,
        { raw: String(fd.get('config')), ctype: 'application/toml' }));
    }, 'ghost', 'relay-config'),
  ];
  const card = el('section', { class: 'card', 'data-worker': worker },
    el('h2', { class: 'row' }, el('span', { class: 'mono', text: worker }), badge),
    status, el('div', { class: 'row actions-row', role: 'group', 'aria-label': `Relay actions of ${worker}` }, ...buttons), msg);
  function update(w) {
    const stage = w.relayStatus?.stage || 'InvalidStage';
    badge.className = `badge ${stage === 'InvalidStage' ? '' : stage}`;
    badge.textContent = stage === 'InvalidStage' ? 'no relay' : `relay ${stage}`;
    card.dataset.relayStage = stage;
    if (!deniedReason('dm:admin')) {   // what the stage allows (an unknown stage allows both)
      for (const [b, bad, why] of [[pauseBtn, 'Paused', 'The relay is paused already'], [resumeBtn, 'Running', 'The relay runs already']]) {
        b.disabled = stage === bad;
        b.title = b.disabled ? why : '';
      }
    }
    const shown = [w.result, w.msg, w.sourceID, w.relayStatus, (w.subTaskStatus || []).map(s => [s.name, s.stage])];
    renderIfChanged(status, JSON.stringify(shown), () => [relayKv(w)]);
  }
  return { card, update };
}

export function workersView(cleanup) {
  const list = el('div', { class: 'grid wide', id: 'worker-list' }, el('p', { class: 'muted', text: 'Loading workers…' }));
  const status = el('div');
  const msg = el('div', { 'aria-live': 'polite' });
  const updated = el('span', { class: 'muted small' });
  const cards = new Map();
  let order = '';
  // a filter over worker, source and task names (60 workers are 60 cards of 6 buttons each)
  const q = el('input', { id: 'worker-filter', type: 'search', autocomplete: 'off', spellcheck: 'false',
                          placeholder: 'worker, source or task', 'aria-controls': 'worker-list' });
  const count = el('div', { class: 'muted small count', id: 'worker-count', role: 'status' });   // not a <p role=status>: that is a pending line
  const words = new Map();   // worker -> the text the filter searches
  function filter() {
    const needle = q.value.trim().toLowerCase();
    let shown = 0;
    for (const [w, c] of cards) {
      c.card.hidden = !!needle && !(words.get(w) || '').includes(needle);
      if (!c.card.hidden) shown++;
    }
    count.textContent = !cards.size ? '' : shown === cards.size ? `${cards.size} ${cards.size === 1 ? 'worker' : 'workers'}`
      : shown ? `${shown} of ${cards.size} workers` : `No worker matches (of ${cards.size}).`;
  }
  q.addEventListener('input', filter);
  async function load() {
    if (document.hidden) return;
    try {
      const r = await api('GET', '/api/v1/tasks?full=true');
      status.replaceChildren();
      const ws = (r.data.workers || []).filter(w => w.worker);
      for (const w of ws) {
        if (!cards.has(w.worker)) cards.set(w.worker, workerCard(w.worker, load));
        cards.get(w.worker).update(w);
        words.set(w.worker, [w.worker, w.sourceID, ...(w.subTaskStatus || []).map(s => s.name)].filter(Boolean).join('\n').toLowerCase());
      }
      for (const w of [...cards.keys()]) if (!ws.some(x => x.worker === w)) cards.delete(w);
      const now = ws.map(w => w.worker).join('\n');
      if (now !== order || !ws.length) {   // move nodes only when the set changed (keeps the focus)
        order = now;
        list.replaceChildren(...(ws.length ? ws.map(w => cards.get(w.worker).card)
          : [el('p', { class: 'muted', text: r.data.msg || 'No worker answered the master.' })]));
      }
      filter();
      updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      status.replaceChildren(errorBox(e));
      if (!cards.size && !order) list.replaceChildren(el('p', { class: 'muted', 'data-not-loaded': '',
        text: 'The workers could not be loaded (the error above); the page asks again every 5 s.' }));
    }
  }
  const refresh = actionButton('Refresh worker tasks', 'dm:admin', async () => {
    if (await confirmAction('Ask every worker which tasks it runs and rebuild the master\'s task-to-worker map (dmctl refresh-worker-tasks)?', 'Refresh'))
      if (await submit(msg, 'Refresh worker tasks', 'POST', '/api/v1/workers/refresh', {})) load();
  }, 'ghost');
  setView('Workers',
    el('h1', {}, 'Workers', el('span', { class: 'actions' }, refresh)),
    el('p', { class: 'muted small', text: 'Each dm-worker with its relay unit (the local copy of its source\'s binlog). Relay actions need dm:admin.' }),
    scopeNote('dm:admin', 'Every relay action'), status, msg,
    el('div', { class: 'row filters', role: 'search' },
      el('div', { class: 'field grow' }, el('label', { for: 'worker-filter', text: 'Filter' }), q)),
    count, list, el('div', { class: 'row end' }, updated));
  poll(cleanup, load, updated);
}

// ---------- DDL locks ----------

function names(list) {
  return (list || []).length ? el('ul', { class: 'plain' }, ...list.map(x => el('li', { class: 'mono small', text: x })))
    : el('span', { class: 'muted small', text: 'none' });
}

function unlockDialog(lock) {
  const workers = [...new Set([...(lock.synced || []), ...(lock.unsynced || [])])];
  const owner = el('select', { id: fid('owner'), name: 'owner' }, el('option', { value: '', text: `keep ${lock.owner || 'the owner'}` }),
    ...workers.filter(w => w !== lock.owner).map(w => el('option', { value: w, text: w })));
  return formDialog({
    title: 'Unlock DDL lock', ok: 'Unlock', danger: true, action: 'unlock',
    intro: `Lock ${lock.ID}: the owner executes the DDL, the other workers skip it (dmctl unlock-ddl-lock). Use it when a sharding group waits for a source that will never send the DDL.`,
    fields: [field('Owner that executes the DDL', owner),
      workers.length ? el('fieldset', {}, el('legend', { text: 'Workers (none checked: all of the lock\'s workers)' }),
        ...workers.map(w => choice('checkbox', 'workers', w, w))) : null,
      choice('checkbox', 'forceRemove', '1', 'Force remove: drop the lock even if some workers fail to execute or skip')] });
}

function breakFields(lock, tasks, workers) {
  const task = lock ? el('input', { type: 'hidden', name: 'task', value: lock.task })
    : field('Task', el('select', { id: fid('task'), name: 'task', required: true },
      ...tasks.map(t => el('option', { value: t, text: t }))));
  const ws = lock ? [...new Set([...(lock.unsynced || []), ...(lock.synced || [])])] : workers;
  const worker = field('Worker', el('select', { id: fid('worker'), name: 'worker', required: true },
    ...ws.map(w => el('option', { value: w, text: w }))));
  const id = field('Lock ID to remove (empty: remove none)', input('removeLockID', { value: lock ? lock.ID : '' }),
    'The worker\'s lock ID, as in its unresolvedDDLLockID.');
  return [task, worker, el('fieldset', {}, el('legend', { text: 'The blocked DDL' }),
    choice('radio', 'ddl', 'exec', 'Execute it on this worker', !lock),
    choice('radio', 'ddl', 'skip', 'Skip it on this worker'),
    choice('radio', 'ddl', 'none', 'Neither (only remove the lock)', !!lock)), id];
}

function breakDialog(lock, tasks, workers) {
  return formDialog({
    title: 'Break a worker\'s DDL lock', ok: 'Break lock', danger: true, action: 'break',
    intro: 'Forcibly releases the sharding DDL lock one worker holds (dmctl break-ddl-lock), e.g. after the master lost it. The other workers are not told.',
    fields: breakFields(lock, tasks, workers),
    validate: fd => (!fd.get('task') ? 'There is no task to choose.' : !fd.get('worker') ? 'There is no worker to choose.'
      : fd.get('ddl') === 'none' && !String(fd.get('removeLockID')).trim() ? 'Execute, skip or remove a lock ID: at least one.' : null) });
}

function breakPayload(fd) {
  const p = { workers: [String(fd.get('worker'))] };
  if (fd.get('ddl') === 'exec') p.exec = true;
  if (fd.get('ddl') === 'skip') p.skip = true;
  const id = String(fd.get('removeLockID') || '').trim();
  if (id) p.removeLockID = id;
  return p;
}

export function ddlLocksView(cleanup) {
  const body = el('tbody', {}, el('tr', {}, el('td', { colspan: '7', class: 'muted', text: 'Loading DDL locks…' })));
  const status = el('div');
  const msg = el('div', { 'aria-live': 'polite' });
  const updated = el('span', { class: 'muted small' });
  let known = { tasks: [], workers: [] };   // for the break form, from the status
  let loaded = false;
  const table = el('table', { class: 'cards', id: 'ddl-locks' }, el('thead', {}, el('tr', {},
    ...['Lock ID', 'Task', 'Owner', 'DDLs', 'Synced', 'Unsynced', 'Actions'].map(t => el('th', { text: t })))), body);
  const breakAny = actionButton('Break a worker\'s lock…', 'dm:admin', async () => {
    const fd = await breakDialog(null, known.tasks, known.workers);
    if (fd) if (await submit(msg, 'Break DDL lock', 'POST', `/api/v1/tasks/${encodeURIComponent(fd.get('task'))}/ddl-locks/break`, breakPayload(fd))) load();
  }, 'ghost', 'break-any');
  function row(lock) {
    const unlock = actionButton('Unlock…', 'dm:admin', async () => {
      const fd = await unlockDialog(lock);
      if (!fd) return;
      const p = {};
      if (fd.get('owner')) p.owner = String(fd.get('owner'));
      if (fd.getAll('workers').length) p.workers = fd.getAll('workers').map(String);
      if (fd.get('forceRemove')) p.forceRemove = true;
      if (await submit(msg, 'Unlock', 'POST', `/api/v1/ddl-locks/${encodeURIComponent(lock.ID)}/unlock`, p)) load();
    }, 'danger', 'unlock');
    const brk = actionButton('Break…', 'dm:admin', async () => {
      const fd = await breakDialog(lock, known.tasks, known.workers);
      if (fd) if (await submit(msg, 'Break DDL lock', 'POST', `/api/v1/tasks/${encodeURIComponent(lock.task)}/ddl-locks/break`, breakPayload(fd))) load();
    }, 'ghost', 'break');
    return el('tr', { 'data-lock': lock.ID },
      el('td', { 'data-label': 'Lock ID', class: 'mono small', text: lock.ID }),
      el('td', { 'data-label': 'Task' }, el('a', { href: `#/tasks/${encodeURIComponent(lock.task)}`, text: lock.task })),
      el('td', { 'data-label': 'Owner', class: 'mono small', text: lock.owner || '—' }),
      el('td', { 'data-label': 'DDLs' }, names(lock.DDLs)),
      el('td', { 'data-label': 'Synced' }, names(lock.synced)),
      el('td', { 'data-label': 'Unsynced' }, names(lock.unsynced)),
      el('td', { 'data-label': 'Actions' }, el('div', { class: 'row' }, unlock, brk)));
  }
  async function load() {
    if (document.hidden) return;
    try {
      const [locks, st] = await Promise.all([api('GET', '/api/v1/ddl-locks'), api('GET', '/api/v1/tasks?full=true')]);
      status.replaceChildren();
      const ws = (st.data.workers || []).filter(w => w.worker);
      known = { workers: ws.map(w => w.worker),
                tasks: [...new Set(ws.flatMap(w => (w.subTaskStatus || []).map(s => s.name).filter(Boolean)))].sort() };
      const list = locks.data.locks || [];
      renderIfChanged(body, JSON.stringify(list), () => (list.length ? list.map(row) : [el('tr', { class: 'empty' }, el('td', { colspan: '7' },
        el('p', { 'data-empty': 'ddl-locks', text: 'No DDL lock exists.' }),
        el('p', { class: 'muted small', text: 'A sharding DDL lock appears while the workers of a shard-mode task wait for the same DDL from every source; it goes away once all have it.' })))]));
      updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
      loaded = true;
    } catch (e) {
      status.replaceChildren(errorBox(e));
      if (!loaded) renderIfChanged(body, 'failed', () => [el('tr', {}, el('td', { colspan: '7', class: 'muted', 'data-not-loaded': '',
        text: 'The DDL locks could not be loaded (the error above); the page asks again every 5 s.' }))]);
    }
  }
  setView('DDL locks',
    el('h1', {}, 'DDL locks', el('span', { class: 'actions' }, breakAny)),
    el('p', { class: 'muted small', text: 'Sharding DDL locks the master holds (dmctl show-ddl-locks). Unlock and break need dm:admin.' }),
    scopeNote('dm:admin', 'Unlocking or breaking a lock'), status, msg, el('div', { class: 'card' }, table, el('div', { class: 'row end' }, updated)));
  poll(cleanup, load, updated);
}

// ---------- SQL operators (task page) ----------

const SQL_HELP = {
  skip: 'Skip the binlog event at a position, or the statements matching a pattern (dmctl sql-skip).',
  replace: 'Run other statements instead of the event at a position or matching a pattern (dmctl sql-replace).',
  inject: 'Inject DDL statements into the worker\'s stream at the next event (dmctl sql-inject).',
};

// The HandleSQLs body from the SQL operators form (the gateway checks dmctl's rules) and
// the question that confirms it.
function sqlRequest(name, form) {
  const f = form.elements;
  const o = f.op.value, shard = f.sharding.checked && o !== 'inject';
  const body = { op: o };
  if (shard) body.sharding = true; else body.worker = f.worker.value;
  if (o !== 'inject' && f.by.value === 'pos') body.binlogPos = f.binlogPos.value.trim();
  if (o !== 'inject' && f.by.value !== 'pos') body.sqlPattern = f.sqlPattern.value.trim();
  if (o !== 'skip') body.sqls = [f.sqls.value];
  const what = o === 'inject' ? `inject ${f.sqls.value.trim() || '(no statements)'}`
    : `${o} the event ${'binlogPos' in body ? `at ${body.binlogPos || '(no position)'}` : `matching ${body.sqlPattern || '(no pattern)'}`}`;
  return { body, question: `Task "${name}"${body.worker ? ` on ${body.worker}` : ' (sharding group)'}: ${what}? The worker applies it when it reaches that event.` };
}

// The SQL operators card of task `name`: {card, setWorkers(list), prefill(failed statement)}.
export function sqlCard(name) {
  const msg = el('div', { 'aria-live': 'polite' });
  const why = deniedReason('dm:write');
  const help = el('p', { class: 'muted small', id: fid('sql-help'), text: SQL_HELP.skip });
  const op = el('select', { id: fid('sql-op'), name: 'op', 'aria-describedby': help.id },
    el('option', { value: 'skip', text: 'sql-skip' }), el('option', { value: 'replace', text: 'sql-replace' }),
    el('option', { value: 'inject', text: 'sql-inject' }));
  const worker = el('select', { id: fid('sql-worker'), name: 'worker' });
  const sharding = choice('checkbox', 'sharding', '1', 'Whole sharding group (the master picks the worker; pattern only)');
  const by = el('fieldset', { class: 'match' }, el('legend', { text: 'Which event' }),
    choice('radio', 'by', 'pos', 'At a binlog position', true), choice('radio', 'by', 'pattern', 'Matching a SQL pattern'));
  const pos = input('binlogPos', { placeholder: 'mysql-bin.000003:1234' });
  const pat = input('sqlPattern', { placeholder: '~(?i)ALTER\\s+TABLE\\s+`shop`.`orders`' });
  const sqls = el('textarea', { id: fid('sqls'), name: 'sqls', class: 'short', spellcheck: 'false',
                                placeholder: 'ALTER TABLE `shop`.`orders` ADD COLUMN note TEXT;' });
  const parts = { pos: field('Binlog position (file:pos)', pos), pattern: field('SQL pattern', pat,
    'Exact statement, or a Go regexp after ~ (e.g. ~(?i)DROP\\s+TABLE).'), sqls: field('Statements (separated by ;)', sqls),
    worker: field('Worker', worker) };
  const fs = el('fieldset', { class: 'plain', disabled: !!why },
    el('div', { class: 'sql-grid' }, el('div', {}, field('Operation', op), help), el('div', {}, parts.worker, sharding)),
    el('div', { class: 'sql-grid' }, by, el('div', {}, parts.pos, parts.pattern)), parts.sqls);
  const form = el('form', { class: 'sql-ops', novalidate: true }, fs);
  const sync = () => {
    const o = op.value, shard = form.elements.sharding.checked && o !== 'inject';
    const b = form.elements.by.value;
    help.textContent = SQL_HELP[o];
    sharding.hidden = o === 'inject';
    by.hidden = o === 'inject';
    parts.worker.hidden = shard;
    parts.pos.hidden = o === 'inject' || b !== 'pos';
    parts.pattern.hidden = o === 'inject' || b !== 'pattern';
    parts.sqls.hidden = o === 'skip';
    form.elements.by[0].disabled = shard;
    if (shard && b === 'pos') { form.elements.by[1].checked = true; sync(); }
  };
  form.addEventListener('change', sync);
  const send = el('button', { type: 'submit', disabled: !!why, title: why, 'data-action': 'sql-submit' }, 'Register operator');
  fs.append(el('div', { class: 'row end' }, send), msg);
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    once(send, async () => {   // Enter in a field and the button alike: one at a time
      const { body, question } = sqlRequest(name, form);
      if (await confirmAction(question, 'Register'))
        await submit(msg, `sql-${body.op}`, 'POST', `/api/v1/tasks/${encodeURIComponent(name)}/sql`, body);
    });
  });
  sync();
  const filled = el('p', { class: 'alert info small', hidden: true, 'data-prefilled': '' });
  form.prepend(filled);
  // Fill the form for a failed statement (from query-error) and bring it into view.
  function prefill({ op: o, worker: w, binlogPos, sqls: text }) {
    op.value = o;
    if ([...worker.options].some(x => x.value === w)) worker.value = w;
    form.elements.sharding.checked = false;
    form.elements.by[0].checked = true;
    pos.value = binlogPos;
    if (text !== undefined) sqls.value = text;
    sync();
    filled.hidden = false;
    filled.textContent = `Filled in for the statement at ${binlogPos} on ${w}: check it, register the operator, then resume the task.`;
    msg.replaceChildren();
    card.scrollIntoView({ block: 'start' });
    (o === 'replace' ? sqls : send).focus();
  }
  function setWorkers(list) {
    const cur = worker.value;
    const key = list.join('\n');
    if (worker.dataset.key === key) return;
    worker.dataset.key = key;
    worker.replaceChildren(...list.map(w => el('option', { value: w, text: w, selected: w === cur })));
  }
  const card = el('section', { class: 'card', id: 'sql-operators' },
    el('h2', { text: 'SQL operators' }),
    el('p', { class: 'muted small', text: 'For a binlog event the target refuses (query-error shows its position): skip it, replace it, or inject a DDL. The operator waits in the worker until that event comes.' }),
    scopeNote('dm:write', 'Registering an SQL operator'),
    form);
  return { card, setWorkers, prefill };
}
