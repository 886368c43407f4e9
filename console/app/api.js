// api.js - the gateway client of the console: the signed-in token (sessionStorage), its
// scopes (read from the JWT payload: the gateway still decides), fetch with readable
// errors, and status streams opened with single-use stream tickets.

const KEY = 'dmgw.token';
const RANK = { 'dm:read': 1, 'dm:write': 2, 'dm:admin': 3 };

export function token() { return sessionStorage.getItem(KEY); }
export function setToken(t) { sessionStorage.setItem(KEY, t); }
export function signOut() { sessionStorage.removeItem(KEY); }

function b64urlJson(part) {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - b64.length % 4) % 4));
  const bytes = Uint8Array.from(bin, ch => ch.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

// {sub, scopes: [], exp} from a JWT, or throws with a readable message.
export function claims(t) {
  const parts = (t || '').trim().split('.');
  if (parts.length !== 3) throw new Error('this is not a JWT (expected three dot-separated parts)');
  let p;
  try { p = b64urlJson(parts[1]); } catch { throw new Error('the token payload is not base64url JSON'); }
  let scopes = [];
  if (typeof p.scope === 'string') scopes = p.scope.split(/\s+/).filter(Boolean);
  else if (Array.isArray(p.scp)) scopes = p.scp;
  else if (Array.isArray(p.roles)) scopes = p.roles;
  return { sub: p.sub || '(no sub)', scopes, exp: p.exp };
}

// Does the signed-in token hold `need` (admin implies write implies read)?
export function can(need) {
  try {
    const have = Math.max(0, ...claims(token()).scopes.map(s => RANK[s] || 0));
    return have >= RANK[need];
  } catch { return false; }
}

// An answer that is not 2xx: everything a person needs to understand it.
export class ApiError extends Error {
  constructor(status, detail, dmCode, requestId, body) {
    super(detail);
    this.status = status;
    this.dmCode = dmCode;
    this.requestId = requestId;
    this.body = body;
    this.workers = [];   // the workers DM named as failed, {worker, msg} (a dmctl answer)
  }
}

// The workers of a dmctl answer that failed, as {worker, msg}: a worker's result is at its top
// (start, update, query-status) or in its `meta` (pause / resume / stop: OperateSubTaskResponse).
// The `meta` ones were missed: a pause refused by a worker showed DM's raw JSON, and a 207 of
// a pause that failed on one worker said "Pause: done.".
export function failedWorkers(data) {
  const out = [];
  for (const x of (data && Array.isArray(data.workers) ? data.workers : [])) {
    const w = x && typeof x.meta === 'object' && x.meta ? x.meta : x;
    if (w && w.result === false) out.push({ worker: w.worker || w.source || x.worker || 'worker', msg: w.msg || '' });
  }
  return out;
}

function jsonOf(text, ctype) {
  if (!ctype.includes('json')) return null;
  try { return JSON.parse(text); } catch { return null; }
}

function detailOf(status, text, j) {
  if (j && typeof j === 'object') {
    const parts = [j.detail || j.msg].filter(Boolean);
    for (const w of failedWorkers(j)) if (w.msg) parts.push(`${w.worker}: ${w.msg}`);
    if (parts.length) return parts.join('\n');
  }
  return text.trim() || `HTTP ${status}`;
}

// Idempotency-Key of every write (console pass 6). An answer can be lost after the gateway
// did the work (the connection dropped, the laptop slept, a proxy timed out); the operator
// then clicks again. Without a key that second click was a second operation: a start
// answered 409 "already exists", an update 412 "someone changed the config" (it was the
// operator), a stop 404, hiding that the first one worked. Now a write carries a key, and
// the same write (method, path, If-Match, body) sent again after an answer that does not
// say what happened (none at all; 409 in progress; 429; 502, 503, 504 or a gateway-made
// 5xx: the gateway stores none of those) reuses it, so the gateway replays the first
// answer (`Idempotent-Replayed: true`) instead of doing it twice. Any other answer ends the
// key: doing the same thing again later on purpose is a new operation.
const NO_KEY = /^\/api\/v1\/(stream-tickets|tasks\/check)$/;   // not writes: nothing to repeat
const openKeys = new Map();   // `${method} ${path} ${If-Match}\n${body}` -> key of an unsettled write

function writeKey(method, path, headers, body) {
  if (method === 'GET' || method === 'HEAD' || NO_KEY.test(path)) return null;
  const id = `${method} ${path} ${headers['If-Match'] || ''}\n${typeof body === 'string' ? body : ''}`;
  // getRandomValues, not randomUUID: that needs a secure context, and a gateway may serve
  // the console over plain HTTP on a private address
  if (openKeys.size >= 32 && !openKeys.has(id)) openKeys.delete(openKeys.keys().next().value);   // bounded: oldest first
  if (!openKeys.has(id)) openKeys.set(id, Array.from(crypto.getRandomValues(new Uint8Array(16)), b => b.toString(16).padStart(2, '0')).join(''));
  return { id, key: openKeys.get(id) };
}

// Does this answer leave it open whether the write happened (keep the key for a retry)?
function unsettled(r) {
  if (!r) return true;   // no answer at all
  const problem = (r.headers.get('Content-Type') || '').includes('problem+json');
  return r.status === 429 || r.status === 502 || r.status === 503 || r.status === 504 ||
         (r.status === 409 && r.headers.has('Retry-After')) || (r.status >= 500 && problem);
}

// fetch with the bearer token; resolves {status, data, text, etag, headers, replayed} for
// 2xx, rejects with ApiError otherwise (or on a network failure, status 0).
export async function api(method, path, { body, ctype, headers = {}, accept } = {}) {
  const h = { ...headers, Authorization: `Bearer ${token()}` };
  if (ctype) h['Content-Type'] = ctype;
  if (accept) h.Accept = accept;
  const idem = writeKey(method, path, headers, body);
  if (idem) h['Idempotency-Key'] = idem.key;
  let r;
  try {
    r = await fetch(path, { method, headers: h, body, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, `the gateway cannot be reached (${e.message})` +
      (idem ? '. The answer did not arrive, so this may have been done or not: trying again is safe (the same request goes with the same Idempotency-Key; the gateway does it at most once).' : ''),
      null, null, null);
  }
  if (idem && !unsettled(r)) openKeys.delete(idem.id);
  const text = await r.text();
  const type = r.headers.get('Content-Type') || '';
  if (!r.ok) {
    // DM's "[code=N:class=…:scope=…:level=…] " prefix: the code goes to the meta line
    // (unless the header named the deciding one), the message keeps only the words
    let firstCode = null;
    const j = jsonOf(text, type);
    const detail = detailOf(r.status, text, j).replace(/\[code=(\d+):[^\]]*\]\s*/g, (_, n) => {
      firstCode ??= n;
      return '';
    });
    const e = new ApiError(r.status, detail, r.headers.get('X-DM-Error-Code') || firstCode, r.headers.get('X-Request-Id'), text);
    e.workers = failedWorkers(j);
    throw e;
  }
  let data = null;
  if (type.includes('json') && text) data = JSON.parse(text);
  return { status: r.status, data, text, etag: r.headers.get('ETag'), headers: r.headers,
           replayed: r.headers.get('Idempotent-Replayed') === 'true' };
}

// A live status stream of task `name`: onStatus(json) for every status, onProblem(problem)
// for a failed poll, onState('live'|'reconnecting'), onGone(ApiError) once when the master
// has no such task (404: the stream is not retried; it would fail every time). EventSource cannot send Authorization,
// so each connection uses a fresh single-use ticket (POST /api/v1/stream-tickets); when the
// connection drops it is reopened with a new ticket and ?lastEventId= (the gateway does not
// resend a status the page already has). Returns a close function.
export function openStream(name, { onStatus, onProblem, onState, onGone }) {
  let es = null, closed = false, lastId = '', timer = null, delay = 1000, connecting = false;
  async function connect() {
    if (closed || es || connecting) return;   // one connection at a time (online + a retry timer)
    connecting = true;
    try {
      const t = await api('POST', '/api/v1/stream-tickets').finally(() => { connecting = false; });
      if (closed) return;
      let url = `/api/v1/tasks/${encodeURIComponent(name)}/status/stream?ticket=${t.data.ticket}`;
      if (lastId) url += `&lastEventId=${encodeURIComponent(lastId)}`;
      es = new EventSource(url);
      let opened = false;
      es.addEventListener('open', () => { opened = true; delay = 1000; onState?.('live'); });
      es.addEventListener('status', ev => { lastId = ev.lastEventId; onStatus(JSON.parse(ev.data)); });
      es.addEventListener('problem', ev => { lastId = ev.lastEventId; onProblem?.(JSON.parse(ev.data)); });
      es.addEventListener('error', async () => {
        // never let EventSource retry by itself: its URL carries a used ticket
        es.close();
        es = null;
        if (!opened && await explainRefusal()) return;
        retry();
      });
    } catch (e) {
      onProblem?.({ detail: e.message, status: e.status, requestId: e.requestId });
      retry();
    }
  }
  // The gateway refused the stream itself (the master down: 503, no such task: 404):
  // EventSource hides the answer, so the same status is read once to say why. True when
  // there is nothing to retry (closed, or the task is gone and onGone took it).
  async function explainRefusal() {
    try {
      await api('GET', `/api/v1/tasks/${encodeURIComponent(name)}`);
    } catch (e) {
      if (closed) return true;
      if (e.status === 404 && onGone) {
        closed = true;
        onGone(e);
        return true;
      }
      onProblem?.({ detail: e.message, status: e.status, requestId: e.requestId });
    }
    return closed;
  }
  function retry() {
    if (closed) return;
    onState?.('reconnecting');
    clearTimeout(timer);
    timer = setTimeout(connect, delay);
    delay = Math.min(delay * 2, 30000);
  }
  // back online (the laptop woke up, the Wi-Fi came back): reconnect now, not after the
  // back-off (up to 30 s) of the failures while offline
  const onOnline = () => {
    if (closed || es || connecting) return;
    clearTimeout(timer);
    delay = 1000;
    connect();
  };
  window.addEventListener('online', onOnline);
  connect();
  return () => { closed = true; clearTimeout(timer); es?.close(); window.removeEventListener('online', onOnline); };
}
