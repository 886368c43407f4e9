// console_pass6.mjs - console pass 6 (docs/gateway.md "Console pass 6"): an operator's whole
// journey on a real replicating task in Debian's chromium against the real stack, with the
// page's claims checked against dmctl's answers and the target database, and the answers of
// writes lost on the way back (the gateway did the work, the page never heard: a dropped
// connection, a laptop asleep, a proxy timeout) then retried by the operator:
//   start from a YAML file (file chooser) - the answer lost, Start again: the gateway replays
//   the first start (Idempotency-Key), not a 409 that hides it worked; live status over SSE
//   while rows replicate (page == dmctl, target == source); JS heap, DOM nodes and listeners
//   bounded over the status updates; pause; update the config - the answer lost, Update
//   again: replayed, not a 412 "someone changed it" (it was the operator); resume;
//   query-error == the errors card; stream reconnects (aborted streams, online events, a real
//   gateway restart, route changes): one EventSource open at the end, one ticket per
//   EventSource, no listener added per reconnect; stop - the answer lost, Stop again: not a
//   404; /docs Try it out with a real token: the token stays out of storage and URLs.
//   node console_pass6.mjs <gateway-url> <admin-token> <task-yaml-file> <task> <gateway-pid-file> <stack-up-command>
//                          <master-pid-file>
//   env: DMCTL (dmctl binary), DM_MASTER_ADDR, SOURCE_PORT, TARGET_PORT
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { launch, ok, screenshot, finish, watchedPage } from './lib.mjs';

const [base, token, taskFile, TASK, gatewayPid, stackUp, masterPid] = process.argv.slice(2);
const E = process.env;
const T = { timeout: 60000 };   // a condition waited for, generous: the CI box is a loaded 2-core one
const ENC = encodeURIComponent(TASK);
// what this test provokes: answers cut on the way back, aborted streams, the gateway restarted
// and the page finding the task gone after the stop (its check and its errors reload: 404)
const PROVOKED = [/net::ERR_CONNECTION_RESET/, /ERR_CONNECTION_REFUSED/, /status of 409 .*\/pause$/,
                  /status of 404 .*\/api\/v1\/tasks\/[^/]+(\/errors)?$/,
                  /^request failed: \S+\/status\/stream\?ticket=[0-9a-f]{64}\S* net::ERR_ABORTED$/];

const sh = cmd => execSync(cmd, { shell: '/bin/bash', encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const sleep = ms => new Promise(r => setTimeout(r, ms));
// a selector waited for without an ElementHandle: page.waitForSelector's handles keep their
// (replaced) views alive until disposed, which the memory checks would count as the page's leak
const waitFor = (page, sel) => page.locator(sel).first().waitFor(T);
const hash = (page, h) => page.evaluate(x => { location.hash = x; }, h);
const sql = (port, q) => sh(`mariadb -h127.0.0.1 -P${port} -uroot -N -B -e "${q}"`).trim();
// dmctl's JSON answer (it exits non-zero when DM says result=false: the JSON is still the answer)
function dmctl(args) {
  let out;
  try { out = sh(`"${E.DMCTL}" -master-addr "${E.DM_MASTER_ADDR}" ${args}`); } catch (e) { out = e.stdout; }
  try { return JSON.parse(out.slice(out.indexOf('{'))); } catch { return { unparsed: out }; }
}
const subOf = st => (st.workers || []).flatMap(w => (w.subTaskStatus || []).filter(s => s.name === TASK).map(s => ({ worker: w.worker, ...s })));

// Counts every EventSource the console makes and which are still open (addInitScript, through
// the DevTools protocol: the console's CSP is not loosened), and the status events received.
function esProbe() {
  const Orig = window.EventSource;
  const probe = window.__es = { made: 0, all: [], events: 0 };
  window.EventSource = class extends Orig {
    // WeakRefs: holding the closed ones would keep their listeners, and through them the
    // views they rendered, alive (the memory check would measure the probe)
    constructor(...a) { super(...a); probe.made++; probe.all.push(new WeakRef(this)); this.addEventListener('status', () => { probe.events++; }); }
  };
}
const openStreams = page => page.evaluate(() => window.__es.all.map(r => r.deref()).filter(e => e && e.readyState !== 2).length);

// The next `method` request matching `re` goes to the real gateway, which does the work, but
// its answer never reaches the page (the connection is reset). Resolves with the gateway's
// status and the request's Idempotency-Key.
async function loseNextAnswer(page, method, re) {
  let done;
  const reached = new Promise(r => { done = r; });
  let used = false;
  const handler = async route => {
    if (used || route.request().method() !== method) return route.fallback();
    used = true;
    const resp = await route.fetch();
    await route.abort('connectionreset');
    done({ status: resp.status(), key: route.request().headers()['idempotency-key'] });
    page.unroute(re, handler).catch(() => {});   // not awaited: unroute settles the handlers in flight
  };
  await page.route(re, handler);
  return reached;
}
// the next answer of a `method` request matching `re`, with its request's Idempotency-Key
const nextAnswer = (page, method, re) => page.waitForResponse(r => r.request().method() === method && re.test(r.url()), T)
  .then(async r => ({ status: r.status(), replayed: (await r.allHeaders())['idempotent-replayed'], key: r.request().headers()['idempotency-key'] }));

async function counters(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await cdp.send('Runtime.getHeapUsage');
  const dom = await cdp.send('Memory.getDOMCounters');
  return { heap: heap.usedSize, nodes: dom.nodes, listeners: dom.jsEventListeners };
}
// how many `type` listeners window and document hold (DOMDebugger through the protocol)
async function listeners(cdp, type) {
  let n = 0;
  for (const expr of ['window', 'document']) {
    const { result } = await cdp.send('Runtime.evaluate', { expression: expr });
    const { listeners: ls } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId });
    n += ls.filter(l => l.type === type).length;
  }
  return n;
}

async function signIn(page) {
  await page.goto(`${base}/console/`);
  await waitFor(page, '#token');
  await page.fill('#token', token);
  await page.press('#token', 'Enter');
  await waitFor(page, '#nav:not([hidden])');
}

// ---- start from a YAML file; the answer of Start lost, Start again ----
async function start(page) {
  await hash(page, '#/new');
  await waitFor(page, '#new-task-file');
  await page.setInputFiles('#new-task-file', taskFile);
  await waitFor(page, '[data-loaded]');
  ok(await page.inputValue('#new-task') === readFileSync(taskFile, 'utf8'), 'the task YAML loaded into the editor through the file chooser');
  await page.click('button[data-action="check"]');
  await waitFor(page, '#main .alert.ok');
  const lost = loseNextAnswer(page, 'POST', /\/api\/v1\/tasks$/);
  await page.click('button[data-action="start"]');
  const first = await lost;
  await waitFor(page, '#main .alert.error[data-status="0"]');
  const said = await page.innerText('#main .alert.error');
  ok(first.status === 201 && !!first.key, `the first Start reached DM (${first.status}) with an Idempotency-Key (${first.key}); its answer was cut`);
  ok(/cannot be reached/.test(said) && /trying again is safe/.test(said), `the page says the answer did not arrive and a retry is safe ("${said.replace(/\s+/g, ' ').slice(0, 160)}…")`);
  const running = subOf(dmctl(`query-status ${TASK}`));
  ok(running.length === 1, `dmctl: the task runs on ${running.length} worker (the first attempt did start it)`);
  const again = nextAnswer(page, 'POST', /\/api\/v1\/tasks$/);
  await page.click('button[data-action="start"]');
  const second = await again;
  ok(second.status === 201 && second.replayed === 'true' && second.key === first.key,
     `Start again: ${second.status}, replayed ${second.replayed}, the same key (before: a new start, refused because the task exists)`);
  await page.waitForFunction(h => location.hash === h, `#/tasks/${ENC}`, T);
  ok(true, 'the page went on to the task');
}

// ---- live status while rows replicate: the page against dmctl and the target ----
async function live(page, cdp) {
  await page.waitForFunction(() => document.querySelector('#live')?.textContent === 'live', null, T);
  await waitFor(page, '#workers [data-stage="Running"]');
  const base0 = await counters(cdp);
  const ev0 = await page.evaluate(() => window.__es.events);
  for (let i = 0; i < 25; i++) {
    sql(E.SOURCE_PORT, `INSERT INTO shop.customers(name, email) VALUES ('p6-${i}', 'p6-${i}@example.com')`);
    await sleep(600);
  }
  const want = sql(E.SOURCE_PORT, 'SELECT COUNT(*) FROM shop.customers');
  let got = '';
  for (let i = 0; i < 120 && got !== want; i++) { got = sql(E.TARGET_PORT, 'SELECT COUNT(*) FROM shop.customers'); if (got !== want) await sleep(1000); }
  ok(got === want, `the rows replicated: target ${got} = source ${want}`);
  // the page's "synced to" and dmctl's syncerBinlog agree once replication is idle
  let pageAt = '', dmAt = '';
  for (let i = 0; i < 60; i++) {
    dmAt = subOf(dmctl(`query-status ${TASK}`))[0]?.sync?.syncerBinlog || '';
    pageAt = await page.evaluate(() => [...document.querySelectorAll('#workers dt')].find(d => d.textContent === 'synced to')?.nextElementSibling?.textContent || '');
    if (dmAt && pageAt === dmAt) break;
    await sleep(1000);
  }
  ok(dmAt && pageAt === dmAt, `the page's "synced to" (${pageAt}) is dmctl's syncerBinlog (${dmAt})`);
  const events = await page.evaluate(() => window.__es.events) - ev0;
  const after = await counters(cdp);
  ok(events >= 5, `${events} status events arrived over the stream while rows replicated`);
  ok(after.listeners - base0.listeners <= 10 && after.nodes - base0.nodes <= 300 && after.heap - base0.heap < 4 << 20,
     `bounded over ${events} updates: listeners ${base0.listeners} -> ${after.listeners}, DOM nodes ${base0.nodes} -> ${after.nodes}, JS heap ${(base0.heap / 1048576).toFixed(1)} -> ${(after.heap / 1048576).toFixed(1)} MiB`);
}

// ---- pause; update the config with its answer lost; resume; errors ----
async function pauseUpdateResume(page) {
  await page.click('button[data-action="pause"]');
  await page.click('#confirm-ok');
  await waitFor(page, '#workers [data-stage="Paused"]');
  ok(subOf(dmctl(`query-status ${TASK}`))[0]?.stage === 'Paused', 'paused: the page and dmctl say Paused');

  await page.waitForFunction(() => document.querySelector('#config')?.value.includes('do-dbs'), null, T);
  const cfg = await page.inputValue('#config');
  await page.fill('#config', cfg.replace(/do-dbs: \[([^\]]*)\]/, 'do-dbs: [$1, "p6_extra"]'));
  const lost = loseNextAnswer(page, 'PUT', new RegExp(`/api/v1/tasks/${ENC}$`));
  await page.click('section.card button[data-action="update"]');
  const first = await lost;
  await waitFor(page, 'section.card .alert.error[data-status="0"]');
  ok(first.status === 200, `the first Update reached DM (${first.status}); its answer was cut`);
  const again = nextAnswer(page, 'PUT', new RegExp(`/api/v1/tasks/${ENC}$`));
  await page.click('section.card button[data-action="update"]');
  const second = await again;
  await waitFor(page, 'section.card .alert.ok');
  const said = await page.innerText('section.card .alert.ok');
  ok(second.status === 200 && second.replayed === 'true' && /did not do it twice/.test(said),
     `Update again: ${second.status}, replayed, "${said}" (before: 412 "someone changed this task's config")`);
  const now = await (await fetch(`${base}/api/v1/tasks/${ENC}/config`, { headers: { Authorization: `Bearer ${token}` } })).text();
  ok(now.includes('p6_extra'), 'DM has the updated filter');

  await page.click('button[data-action="resume"]');
  await page.click('#confirm-ok');
  await waitFor(page, '#workers [data-stage="Running"]');
  ok(subOf(dmctl(`query-status ${TASK}`))[0]?.stage === 'Running', 'resumed: the page and dmctl say Running');

  await page.click('button[data-action="refresh-errors"]');
  await waitFor(page, '#errors [data-errors]');
  const shown = Number(await page.getAttribute('#errors [data-errors]', 'data-errors'));
  const qe = dmctl(`query-error ${TASK}`);
  const dmErrs = (qe.workers || []).flatMap(w => (w.subTaskError || []).flatMap(se => ['check', 'dump', 'load', 'sync'].flatMap(u => se[u]?.errors || [])));
  ok(qe.result === true && shown === dmErrs.length, `the errors card lists ${shown} errors, dmctl query-error ${dmErrs.length}`);
}

// ---- reconnects of the status stream: nothing piles up ----
async function reconnects(page, cdp) {
  await page.waitForFunction(() => document.querySelector('#live')?.textContent === 'live', null, T);
  const online0 = await listeners(cdp, 'online'), vis0 = await listeners(cdp, 'visibilitychange'), hc0 = await listeners(cdp, 'hashchange');
  const mem0 = await counters(cdp);
  let tickets = 0;
  const countTicket = r => { if (r.url().endsWith('/api/v1/stream-tickets') && r.status() === 201) tickets++; };
  page.on('response', countTicket);
  const made0 = await page.evaluate(() => window.__es.made);
  // the stream cut (its requests reset) and the browser back online, 6 times
  const cut = route => route.abort('connectionreset');
  for (let i = 0; i < 6; i++) {
    await page.route(/\/status\/stream\?/, cut);
    await page.evaluate(() => window.__es.all.map(r => r.deref()).forEach(e => e && e.readyState !== 2 && e.dispatchEvent(new Event('error'))));
    await page.waitForFunction(() => document.querySelector('#live')?.textContent === 'reconnecting…', null, T);
    await page.unroute(/\/status\/stream\?/, cut);
    await page.context().setOffline(true);
    await page.context().setOffline(false);
    await page.waitForFunction(() => document.querySelector('#live')?.textContent === 'live', null, T);
  }
  ok(true, 'the stream cut 6 times: live again after each (online reconnects at once)');
  // a real gateway restart
  const gpid = readFileSync(gatewayPid, 'utf8').trim();
  sh(`kill -TERM ${gpid}; for i in $(seq 1 150); do kill -0 ${gpid} 2>/dev/null || break; sleep 0.1; done`);
  await page.waitForFunction(() => document.querySelector('#live')?.textContent !== 'live', null, T);
  sh(stackUp);
  await page.waitForFunction(() => document.querySelector('#live')?.textContent === 'live', null, { timeout: 150000 });
  ok(true, 'the gateway restarted: live again by itself');
  // the list and the task, 8 times
  for (let i = 0; i < 8; i++) {
    await hash(page, '#/tasks');
    await waitFor(page, '#main tr[data-task]');
    await hash(page, `#/tasks/${ENC}`);
    await page.waitForFunction(() => document.querySelector('#live')?.textContent === 'live', null, T);
  }
  page.off('response', countTicket);
  const made = await page.evaluate(() => window.__es.made) - made0;
  const open = await openStreams(page);
  ok(open === 1, `one EventSource open at the end (${open}; ${made} made over the reconnects)`);
  ok(made === tickets, `one fresh ticket per EventSource (${tickets} tickets, ${made} EventSources)`);
  const online1 = await listeners(cdp, 'online'), vis1 = await listeners(cdp, 'visibilitychange'), hc1 = await listeners(cdp, 'hashchange');
  ok(online1 === online0 && vis1 === vis0 && hc1 === hc0,
     `no listener left behind: online ${online0} -> ${online1}, visibilitychange ${vis0} -> ${vis1}, hashchange ${hc0} -> ${hc1}`);
  const mem1 = await counters(cdp);
  ok(mem1.listeners - mem0.listeners <= 10 && mem1.nodes - mem0.nodes <= 300,
     `DOM listeners ${mem0.listeners} -> ${mem1.listeners}, nodes ${mem0.nodes} -> ${mem1.nodes} after ${made} reconnects`);
}

// ---- a retry while the first attempt still runs (the master hung: SIGSTOP) ----
async function underWay(page) {
  await page.waitForFunction(() => document.querySelector('#live')?.textContent === 'live', null, T);
  const mpid = readFileSync(masterPid, 'utf8').trim();
  let first, used = false;
  const handler = async route => {
    if (used || route.request().method() !== 'POST') return route.fallback();
    used = true;
    first = route.fetch({ timeout: 150000 }).then(r => r.status(), e => `failed: ${e.message}`);   // goes on at the gateway
    await route.abort('connectionreset');                           // the page hears nothing
    page.unroute(/\/pause$/, handler).catch(() => {});
  };
  sh(`kill -STOP ${mpid}`);
  try {
    await page.route(/\/pause$/, handler);
    await page.click('button[data-action="pause"]');
    await page.click('#confirm-ok');
    await waitFor(page, '#main .alert.error[data-status="0"]');
    const again = nextAnswer(page, 'POST', /\/pause$/);
    await page.click('button[data-action="pause"]');
    await page.click('#confirm-ok');
    const second = await again;
    await waitFor(page, '#main .alert.error[data-under-way]');
    const said = await page.innerText('#main .alert.error[data-under-way]');
    ok(second.status === 409 && /^Still under way/.test(said) && /not done twice/.test(said),
       `Pause again while the first still waits for the hung master: ${second.status}, "${said.replace(/\s+/g, ' ').slice(0, 120)}…" (before: titled "Conflict")`);
  } finally { sh(`kill -CONT ${mpid}`); }
  ok(await first === 200, `the first Pause completed once the master went on (${await first})`);
  await waitFor(page, '#workers [data-stage="Paused"]');
  ok(subOf(dmctl(`query-status ${TASK}`))[0]?.stage === 'Paused', 'the page and dmctl say Paused');
}

// ---- forced colors (a Windows contrast theme): what was marked by shadows and backgrounds ----
async function forcedColors(page) {
  await page.emulateMedia({ forcedColors: 'active' });
  const st = await page.evaluate(() => {
    const look = n => { const s = getComputedStyle(n); return `${s.textDecorationLine} ${s.fontWeight} ${s.borderBottomStyle} ${s.boxShadow} ${s.outlineStyle}`; };
    const links = [...document.querySelectorAll('#nav a')];
    const cur = links.find(a => a.getAttribute('aria-current') === 'page');
    return { forced: matchMedia('(forced-colors: active)').matches, cur: cur && look(cur),
             others: links.filter(a => a !== cur).map(look), badge: getComputedStyle(document.querySelector('#workers .badge')).borderTopStyle };
  });
  await page.emulateMedia({ forcedColors: 'none' });
  ok(st.forced && st.cur && !st.others.includes(st.cur), `forced colors: the current page's nav link looks unlike the others ("${st.cur}" vs "${st.others[0]}"; before: the same, its mark was a box-shadow)`);
  ok(st.badge === 'solid', `forced colors: a stage badge keeps an outline (border ${st.badge})`);
}

// ---- stop with its answer lost; Stop again ----
async function stop(page) {
  const lost = loseNextAnswer(page, 'DELETE', new RegExp(`/api/v1/tasks/${ENC}$`));
  await page.click('button[data-action="stop"]');
  await page.click('#confirm-ok');
  const first = await lost;
  await waitFor(page, '#main .alert.error[data-status="0"]');
  ok(first.status === 200, `the first Stop reached DM (${first.status}); its answer was cut`);
  ok(subOf(dmctl(`query-status ${TASK}`)).length === 0, 'dmctl: no worker runs the task any more');
  // the page may already know from its stream that the task is gone; if Stop is still there, it is retried
  if (await page.isVisible('button[data-action="stop"]')) {
    const again = nextAnswer(page, 'DELETE', new RegExp(`/api/v1/tasks/${ENC}$`));
    await page.click('button[data-action="stop"]');
    await page.click('#confirm-ok');
    const second = await again;
    ok(second.status === 200 && second.replayed === 'true', `Stop again: ${second.status}, replayed (before: 404, no such task)`);
  } else {
    ok(true, 'the page saw the task gone before a retry (no such task)');
  }
}

// ---- /docs: Try it out with a real token; where the token goes ----
async function docs(browser) {
  const page = await watchedPage(browser);
  const urls = [];
  page.on('request', r => urls.push(r.url()));
  await page.goto(`${base}/docs/`);
  await waitFor(page, 'body[data-docs-ready="true"]');
  await page.click('button.authorize');
  await page.fill('.auth-container input[type="text"], .auth-container input[type="password"]', token);
  await page.click('.auth-btn-wrapper button.authorize');
  await page.click('.auth-btn-wrapper button.btn-done');
  const op = page.locator('.opblock').filter({ has: page.locator('[data-path="/api/v1/tasks"]') }).filter({ hasText: 'GET' }).first();
  await op.locator('.opblock-summary').click();
  await op.locator('button.try-out__btn').click();
  const [resp] = await Promise.all([page.waitForResponse(r => /\/api\/v1\/tasks(\?|$)/.test(r.url()), T), op.locator('button.execute').click()]);
  ok(resp.status() === 200 && resp.request().headers().authorization === `Bearer ${token}`, `/docs Try it out: ${resp.status()} with the bearer header`);
  const where = await page.evaluate(t => ({
    local: JSON.stringify(localStorage).includes(t), session: JSON.stringify(sessionStorage).includes(t),
    cookie: document.cookie.includes(t), url: location.href.includes(t) }), token);
  ok(!where.local && !where.session && !where.cookie && !where.url && !urls.some(u => u.includes(token)),
     `/docs: the token in no storage, cookie or URL (${JSON.stringify(where)})`);
  await page.close();
  return page.problems;
}

const browser = await launch();
const page = await watchedPage(browser);
await page.addInitScript(esProbe);
const cdp = await page.context().newCDPSession(page);
try {
  await signIn(page);
  await start(page);
  await live(page, cdp);
  await pauseUpdateResume(page);
  await reconnects(page, cdp);
  await forcedColors(page);
  await underWay(page);
  await stop(page);
  await screenshot(page, 'console-pass6-stopped');
  const inConsole = await page.evaluate(t => JSON.stringify(localStorage).includes(t) || location.href.includes(t), token);
  ok(!inConsole, 'the console: the token in no localStorage or URL (sessionStorage only)');
  page.problems.push(...(await docs(browser)).map(m => `/docs: ${m}`));
} catch (e) {
  ok(false, `unexpected: ${e.stack || e}`);
  await screenshot(page, 'console-pass6-failure').catch(() => {});
}
const left = page.problems.filter(m => !PROVOKED.some(re => re.test(m)));
ok(left.length === 0, `no console error, failed request or CSP violation but the provoked ones${left.length ? ': ' + left.join(' | ') : ''}`);
await browser.close();
finish();
