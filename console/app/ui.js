// ui.js - the console's building blocks, shared by every view: el() (the DOM from data,
// never from HTML strings), buttons that need a scope (disabled with the reason), readable
// error and result boxes (status, DM's message, DM code, request id, each failed worker),
// and modal dialogs (a confirmation, a form) that work with the keyboard: the first field
// gets the focus, Enter submits, Escape cancels, the focus returns to the opener.
import { ApiError, can, claims, failedWorkers, signOut, token } from './api.js';

export function el(tag, attrs = {}, ...kids) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
    else if (k === 'text') n.textContent = v;
    else if (k === 'style') n.style.cssText = v;   // CSSOM: the CSP allows no style attribute
    else n.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false) n.append(k);
  return n;
}

export function scopeText() {
  try { return claims(token()).scopes.join(' ') || 'no scopes'; } catch { return 'no token'; }
}

// Why the signed-in token may not do what needs `scope`, or null when it may.
export function deniedReason(scope) {
  return can(scope) ? null : `Needs ${scope}; your token has: ${scopeText()}`;
}

// A visible note when the token lacks `scope` for `what` (a disabled button's title
// cannot be read from the keyboard or on a touch screen), else null.
export function scopeNote(scope, what) {
  return deniedReason(scope) ? el('p', { class: 'alert info small', 'data-scope-note': scope,
    text: `Read only: ${what} needs ${scope}; your token has: ${scopeText()}.` }) : null;
}

// Run `work()` (async) for `btn` once at a time: a click (or Enter) while it runs is ignored,
// so a double click never sends twice. The button says it is busy (aria-busy, aria-disabled)
// but is not disabled: a disabled button would drop the keyboard focus to the page.
export async function once(btn, work) {
  if (btn.getAttribute('aria-busy') === 'true') return undefined;
  btn.setAttribute('aria-busy', 'true');
  btn.setAttribute('aria-disabled', 'true');
  try {
    return await work();
  } finally {
    btn.removeAttribute('aria-busy');
    btn.removeAttribute('aria-disabled');
  }
}

// A button that needs `scope`: disabled, with the reason, when the token lacks it; its
// action (confirmation, request, result) runs once at a time (once()).
export function actionButton(label, scope, onclick, cls, action) {
  const why = deniedReason(scope);
  const b = el('button', { type: 'button', class: cls, disabled: !!why, title: why,
                           'data-action': action || label.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-$/, '') }, label);
  b.addEventListener('click', ev => once(b, () => onclick(ev)));
  return b;
}

// "Pause: waiting for DM…" in `where` while a request is under way, with the seconds it
// has taken (not announced: a screen reader hears the line once, and the hint once). A hung
// master keeps a change waiting up to the gateway's write deadline (90 s by default).
const SLOW_S = 5;
export function pending(where, text) {
  const secs = el('span', { class: 'elapsed', 'aria-hidden': 'true' });
  const p = el('p', { class: 'muted small pending', role: 'status' }, `${text}… `, secs);
  where.replaceChildren(p);
  const t0 = Date.now();
  let hinted = false;
  const timer = setInterval(() => {
    if (!p.isConnected) { clearInterval(timer); return; }
    const s = Math.round((Date.now() - t0) / 1000);
    secs.textContent = `(${s} s)`;
    if (s < SLOW_S || hinted) return;
    hinted = true;
    p.append(el('span', { class: 'slow-hint', text: ' DM is slow to answer. The gateway waits up to its deadline (90 s for a change, by default) and then says so; the status on this page shows what happens meanwhile.' }));
  }, 1000);
}

const REASONS = {
  0: 'Gateway unreachable', 400: 'Bad request', 401: 'Not signed in (token refused)',
  403: 'Not allowed for this token', 404: 'Not found', 409: 'Conflict',
  412: 'The config changed since you loaded it', 413: 'Too large', 415: 'Unsupported type',
  422: 'Rejected by DM', 429: 'Busy, try again', 500: 'DM error', 501: 'Not supported by DM',
  502: 'Bad answer from DM', 503: 'DM master unavailable', 504: 'DM master timed out',
};

// Back to the sign-in form; the URL stays, so the new token returns to the same page.
function signInAgain() {
  signOut();
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

// A readable error box: what happened, DM's detail, the DM code and the request id.
// An error that is no gateway answer (a check in the page) gets `title` or a plain heading.
export function errorBox(e, extra, title) {
  if (!(e instanceof ApiError)) {
    title = title || 'Cannot do that';
    e = new ApiError(0, String(e.message || e), null, null, null);
  }
  const meta = [e.status ? `HTTP ${e.status}` : null, e.dmCode ? `DM code ${e.dmCode}` : null,
                e.requestId ? `request id ${e.requestId}` : null].filter(Boolean).join(' · ');
  const worker = workerDown(e);
  // the retry of a write whose answer was lost while the first attempt still runs (api.js
  // sends it with the same Idempotency-Key): not a conflict with someone else
  const underWay = e.status === 409 && /Idempotency-Key is still in progress/.test(e.message);
  return el('div', { class: 'alert error', role: 'alert', 'data-status': String(e.status), 'data-worker-down': worker ? '' : null,
                     'data-under-way': underWay ? '' : null },
    el('p', { class: 'alert-title', text: title || worker?.title || (underWay ? 'Still under way' : REASONS[e.status]) || (e.status >= 500 ? 'Server error' : 'Request failed') }),
    checkResults(e.message) || el('pre', { text: e.message }),
    worker ? el('p', { class: 'small', text: worker.todo }) : null,
    underWay ? el('p', { class: 'small', text: 'Your earlier attempt (whose answer did not arrive) is still running at DM. Try again in a moment: you get its result, and it is not done twice. The status on this page shows what happens meanwhile.' }) : null,
    !worker && e.status === 504 ? el('p', { class: 'small', 'data-timeout-hint': '', text: 'DM may still carry it out after the deadline: check the status before trying again.' }) : null,
    extra || null,
    e.status === 401 && token() ? el('p', {}, el('button', { type: 'button', class: 'ghost', 'data-action': 'sign-in-again',
      onclick: signInAgain }, 'Sign in again')) : null,
    meta ? el('div', { class: 'meta', text: meta }) : null);
}

// A 503 / 504 whose dmctl answer names failed workers: the master answered, a worker behind
// it did not (DM 38008 around a gRPC Unavailable / DeadlineExceeded). It was titled "DM
// master unavailable", which sent the operator to a master that was fine.
function workerDown(e) {
  if ((e.status !== 503 && e.status !== 504) || !e.workers?.length) return null;
  // the workers the master could not reach (others may have refused for their own reasons)
  const down = e.workers.filter(w => /rpc error: code = (Unavailable|DeadlineExceeded)/.test(w.msg));
  const names = (down.length ? down : e.workers).map(w => w.worker).join(', ');
  return e.status === 503
    ? { title: `DM worker unavailable: ${names}`,
        todo: `The master is up but cannot reach ${names}. Check that dm-worker runs and listens there; nothing was changed on it. Try again once it is back.` }
    : { title: `DM worker timed out: ${names}`,
        todo: `The master is up but ${names} did not answer in time (busy or hung). The operation may still complete there: check the status before trying again.` };
}

// DM's pre-check answer ("... check was failed, please see detail\n detail: {results: [...],
// summary: {...}}"): each failed or warned check as a line (what, why, what to do), and DM's
// whole text folded below; null for any other message. The JSON, tab-indented, was shown as
// it came: some 40 lines per check, 8 columns of indent, wider than a phone.
function checkResults(text) {
  const m = /^[^\n]*\n\s*detail:\s*(\{[\s\S]*\})\s*$/.exec(text);
  let d;
  try { d = m && JSON.parse(m[1]); } catch { return null; }
  const items = (d && Array.isArray(d.results) ? d.results : []).filter(x => x && x.state && x.state !== 'success');
  if (!items.length) return null;
  const sum = d.summary || {};
  return el('div', { class: 'check-results', 'data-check-results': String(items.length) },
    el('p', { text: `DM's pre-check did not pass: ${[sum.failed ? `${sum.failed} failed` : null, sum.warning ? `${sum.warning} warned` : null,
      sum.total ? `of ${sum.total} checks` : null].filter(Boolean).join(' ') || `${items.length} checks did not pass`}.` }),
    el('ul', { class: 'errors' }, ...items.map(x => el('li', { 'data-check': String(x.name || '') },
      el('span', { class: `badge ${x.state === 'fail' ? 'error' : 'Paused'}`, text: x.state }), ' ',
      el('strong', { text: x.name || x.desc || `check ${x.id ?? ''}` }),
      x.errorMsg ? el('pre', { text: x.errorMsg }) : null,
      x.instruction ? el('p', { class: 'small', text: `What to do: ${x.instruction}` }) : null))),
    el('details', {}, el('summary', { text: 'DM\'s whole answer' }), el('pre', { text })));
}

export function okBox(text) { return el('div', { class: 'alert ok', role: 'status', text }); }

// The box for a 2xx DM answer: ok, or (207) which workers failed and why.
export function resultBox(r, doneText) {
  const failed = failedWorkers(r.data);
  // a retry whose first attempt had reached DM (its answer was lost): the gateway answered
  // it from that attempt (Idempotency-Key) instead of doing it again
  if (r.replayed) doneText += ' (Your earlier attempt had done it; its answer had not arrived. The gateway did not do it twice.)';
  if (!failed.length) return okBox(doneText);
  return el('div', { class: 'alert warn', role: 'alert', 'data-status': String(r.status) },
    el('p', { class: 'alert-title', text: 'Done on some workers only; these failed:' }),
    el('ul', { class: 'errors' }, ...failed.map(w => el('li', {},
      el('strong', { class: 'mono small', text: w.worker }),
      el('pre', { text: w.msg || 'failed (no message)' })))),
    el('div', { class: 'meta', text: [`HTTP ${r.status}`, r.headers.get('X-Request-Id') ? `request id ${r.headers.get('X-Request-Id')}` : null].filter(Boolean).join(' · ') }));
}

// Show `box` in `where` and bring it into view (a result far below a button is easy to miss).
export function show(where, box) {
  where.replaceChildren(box);
  where.scrollIntoView({ block: 'nearest' });
}

export function confirmAction(text, label) {
  const d = document.getElementById('confirm');
  const opener = document.activeElement;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = label;
  d.returnValue = '';
  d.showModal();
  document.getElementById('confirm-cancel').focus();
  return new Promise(res => d.addEventListener('close', () => {
    opener?.focus?.();
    res(d.returnValue === 'ok');
  }, { once: true }));
}

let dialogSeq = 0;
// A modal form: resolves with its FormData when submitted (and `validate(fd)` returned no
// message), null when cancelled (Cancel or Escape). `fields` are elements built with el().
export function formDialog({ title, intro, fields, ok, danger, validate, action }) {
  const id = `dlg-${++dialogSeq}`;
  const err = el('div', { class: 'alert error', role: 'alert', hidden: true });
  const cancel = el('button', { type: 'button', class: 'ghost', 'data-action': 'dialog-cancel' }, 'Cancel');
  const okBtn = el('button', { type: 'submit', class: danger ? 'danger' : null, 'data-action': 'dialog-ok' }, ok);
  const form = el('form', { novalidate: true }, el('h2', { id, text: title }),
    intro ? el('p', { class: 'muted small', text: intro }) : null,
    ...fields, err, el('div', { class: 'row end' }, cancel, okBtn));
  const d = el('dialog', { class: 'form-dialog', 'aria-labelledby': id, 'data-dialog': action || null }, form);
  const opener = document.activeElement;
  let result = null;
  cancel.addEventListener('click', () => d.close());
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    const fd = new FormData(form);
    const msg = validate?.(fd, form);
    if (msg) {
      err.hidden = false;
      err.textContent = msg;
      return;
    }
    result = fd;
    d.close();
  });
  document.body.append(d);
  d.showModal();
  (form.querySelector('input:not([type=hidden]):not(:disabled), select, textarea') || okBtn).focus();
  return new Promise(res => d.addEventListener('close', () => {
    d.remove();
    opener?.focus?.();
    res(result);
  }, { once: true }));
}

// A labelled form field: `control` is an input/select/textarea with an id.
export function field(label, control, help) {
  const hid = help ? `${control.id}-help` : null;
  if (hid) control.setAttribute('aria-describedby', hid);
  return el('div', { class: 'field' }, el('label', { for: control.id, text: label }), control,
    help ? el('p', { id: hid, class: 'muted small', text: help }) : null);
}

// A checkbox or radio with its label to the right.
export function choice(type, name, value, label, checked, id) {
  const input = el('input', { type, name, value, id, checked: !!checked });
  return el('label', { class: 'choice' }, input, el('span', { text: label }));
}

// DM's "[code=N:class=…:scope=…:level=…] text" as {code, text} (code null without one).
export function dmMessage(msg) {
  const m = String(msg ?? '').match(/^\s*\[code=(\d+):[^\]]*\]\s*([\s\S]*)$/);
  return m ? { code: m[1], text: m[2] } : { code: null, text: String(msg ?? '') };
}

// Replace `parent`'s children with build() only when `key` differs from the last one: a
// poll that brings nothing new leaves the DOM (and the keyboard focus in it) alone.
const shownKeys = new WeakMap();
export function renderIfChanged(parent, key, build) {
  if (shownKeys.get(parent) === key) return;
  shownKeys.set(parent, key);
  parent.replaceChildren(...build());
}

export function stageBadge(stage) { return el('span', { class: `badge ${stage || ''}`, text: stage || 'unknown' }); }

export function kv(pairs) {
  return el('dl', { class: 'kv' }, ...pairs.filter(([, v]) => v !== undefined && v !== null && v !== '')
    .flatMap(([k, v]) => [el('dt', { text: k }), el('dd', {}, v)]));
}

// Call `load` now and every 5 s while the tab is visible (at once when it becomes visible
// again, or the browser is back online); `cleanup` gets what stops it. One load at a time:
// while one still waits (a hung master holds it up to the gateway's deadline) a tick sends
// nothing and says, after `updated` (the view's "updated <time>" line), how long it waits;
// every tick used to send another request, some 18 of them piled up on a hung master.
export function poll(cleanup, load, updated) {
  const slow = el('span', { class: 'small poll-wait', 'data-poll-wait': '' });
  updated?.after(slow);
  let busy = null, since = 0;
  const run = () => {
    if (busy) {
      slow.textContent = ` · waiting for DM (${Math.round((Date.now() - since) / 1000)} s)`;
      return;
    }
    since = Date.now();
    busy = Promise.resolve(load()).finally(() => { busy = null; slow.textContent = ''; });
  };
  const timer = setInterval(run, 5000);
  const onVis = () => { if (!document.hidden) run(); };
  document.addEventListener('visibilitychange', onVis);
  window.addEventListener('online', run);
  cleanup.push(() => { clearInterval(timer); document.removeEventListener('visibilitychange', onVis); window.removeEventListener('online', run); });
  run();
}

export const main = document.getElementById('main');
export function setView(title, ...kids) {
  document.title = `${title} · dm-gateway`;
  main.replaceChildren(...kids.filter(k => k !== null && k !== undefined && k !== false));
  main.focus({ preventScroll: true });
}

// The lines of `area` that DM's or the gateway's message names ("line 7: field task-mod not
// found in type config.TaskConfig", "invalid task YAML: line 2 column 11: …") as buttons that
// put the caret on that line (and column) of the editor and select it; null when the message
// names none. The editor is marked invalid until its text changes. A message used to name
// the line only in words below a 20-line editor without line numbers.
export function lineLinks(area, message) {
  const found = new Map();
  for (const m of String(message || '').matchAll(/\bline (\d+)(?: column (\d+))?/g)) {
    const n = Number(m[1]);
    if (n >= 1 && !found.has(n) && found.size < 10) found.set(n, Number(m[2] || 0));
  }
  if (!found.size) return null;
  area.setAttribute('aria-invalid', 'true');
  area.addEventListener('input', () => area.removeAttribute('aria-invalid'), { once: true });
  return el('p', { class: 'row line-links' }, el('span', { class: 'small', text: 'In the editor:' }),
    ...[...found].map(([n, col]) => el('button', { type: 'button', class: 'ghost small', 'data-goto-line': String(n),
      onclick: () => gotoLine(area, n, col) }, col ? `line ${n}, column ${col}` : `line ${n}`)));
}

// Select line `n` of textarea `area` (or put the caret at column `col`) and scroll it into view.
export function gotoLine(area, n, col) {
  const lines = area.value.split('\n');
  const i = Math.min(n, lines.length) - 1;
  const start = lines.slice(0, i).reduce((s, l) => s + l.length + 1, 0);
  const end = start + lines[i].length;
  area.focus();
  if (col) area.setSelectionRange(Math.min(start + col - 1, end), Math.min(start + col - 1, end));
  else area.setSelectionRange(start, end);
  const lh = parseFloat(getComputedStyle(area).lineHeight) || 18;
  area.scrollTop = Math.max(0, i * lh - area.clientHeight / 3);
}

// A config DM refused that looks like TOML (`key = value`, `[section]`): DM's answer ("the task
// config must be a mapping with a non-empty `name`") does not say that a task config is YAML;
// null for anything else.
export function tomlHint(text) {
  const lines = String(text || '').split('\n').filter(l => l.trim() && !/^\s*#/.test(l));
  const toml = lines.filter(l => /^\s*\[{1,2}[\w.-]+\]{1,2}\s*$/.test(l) || /^\s*[\w.-]+\s*=\s*\S/.test(l)).length;
  if (!lines.length || toml * 2 < lines.length) return null;
  return el('p', { class: 'small', 'data-toml-hint': '', text: 'This looks like TOML (key = value, [section]). A DM task config is YAML (key: value, nested by indentation), as for dmctl start-task; TOML is the format of the dm-worker and dm-master configs.' });
}
