// xss.mjs - hostile text in every place the web console shows data from the gateway,
// in a real browser: task names (real tasks whose names are markup), worker names,
// stages, binlog positions, DM error messages, problem+json details, DDL lock fields and
// the URL hash; and (stubbed) every field of the live status stream and its problem
// events, a 207's failed workers, relay GTID sets and sub directories, the task config
// YAML, a DDL lock's unlock form, the worker list of the SQL operators form, an uploaded
// file's name, a failed pre-check's list of checks, the task page a start's Location opens,
// and the signed-in token's `sub` claim. Nothing may become markup: no element the payloads describe appears in
// the DOM, no dialog opens, no CSP violation or page error is reported, and the payload
// is shown as the literal text it is. The CSP would stop an injected handler from
// running, so the test looks at the DOM, not only at side effects.
//   JWT_SECRET_FILE=<gateway secret> node xss.mjs <gateway-url> <admin-token> <task-name-with-markup>...
import { launch, mintToken, watchedPage, ok, screenshot, finish } from './lib.mjs';

const [base, token, ...names] = process.argv.slice(2);
const T = { timeout: 15000 };
const IMG = '<img src=x onerror=alert(1)>';
const SVG = '<svg onload=alert(2)></svg>';
const ATTR = '" onmouseover="alert(3)" x="';
const SCRIPT = '</pre><script>alert(4)</script>';
const ALL = [IMG, SVG, ATTR, SCRIPT].join(' ');
// 4xx answers this test provokes (an unknown task, a stubbed 400): Chromium logs each
const PROVOKED = /Failed to load resource: the server responded with a status of (400|404|422)\b/;
const CLOSED_STREAM = /^request failed: \S+\/status\/stream\?ticket=[0-9a-f]{64}\S* net::ERR_ABORTED$/;

// Elements or attributes a payload would create if it were parsed as HTML.
async function injected(page) {
  return page.evaluate(() => document.querySelectorAll(
    'img[src="x"], svg, main script, [onerror], [onload], [onmouseover], [x]').length);
}

async function mainText(page) {
  return page.evaluate(() => document.getElementById('main').textContent);
}

async function expectInert(page, where, literal) {
  await page.waitForTimeout(300);   // let late renders (polls, streams) land
  ok(await injected(page) === 0, `${where}: no element or handler made from the data`);
  if (literal)
    ok((await mainText(page)).includes(literal), `${where}: the payload shown as text (${literal.slice(0, 30)}…)`);
}

function status(workerName, text) {
  return {
    result: true, msg: '', workers: [{
      result: true, worker: workerName, msg: '', sourceID: text,
      subTaskStatus: [{ name: names[0], stage: 'Paused', unit: 'Sync', unresolvedDDLLockID: text,
        result: { isCanceled: false, errors: [{ Type: text, msg: `[code=36017:class=sync-unit] ${text}` }] },
        load: { finishedBytes: '1', totalBytes: '2' },
        sync: { totalEvents: text, totalTps: text, recentTps: text, masterBinlog: text, syncerBinlog: text,
                blockingDDLs: [text], synced: false } }],
      relayStatus: { stage: 'Running', relayBinlog: text, masterBinlog: text, masterBinlogGtid: text,
                     relayBinlogGtid: text, relaySubDir: text, relayCatchUpMaster: false,
                     result: { errors: [{ Type: text, msg: text }] } },
    }, { result: false, worker: `${workerName}-2`, msg: text }],
  };
}

// One status and one problem event of the status stream, every field hostile (the
// stream ends after them; the page reconnects with a new ticket and gets them again).
function streamBody(text) {
  const st = status(IMG, text);
  st.workers[0].subTaskStatus[0].unit = text;
  st.workers.push({ result: true, worker: SVG, msg: '', sourceID: text,
                    subTaskStatus: [{ name: names[0], stage: text, unit: text }] });   // the stage itself hostile
  const problem = { type: 'about:blank', title: text, status: 503, detail: text, requestId: text };
  return `id: s1\nevent: status\ndata: ${JSON.stringify(st)}\n\nid: p1\nevent: problem\ndata: ${JSON.stringify(problem)}\n\n`;
}

const browser = await launch();
let page;
try {
  page = await watchedPage(browser);
  let dialogs = 0;
  page.on('dialog', d => { dialogs++; d.dismiss(); });
  await page.goto(`${base}/console/`);
  await page.waitForSelector('#token', T);
  await page.fill('#token', token);
  await page.press('#token', 'Enter');

  // 1. the task list: real tasks whose names are markup
  for (const n of names) await page.waitForSelector(`tr[data-task="${n.replace(/["\\]/g, '\\$&')}"]`, T);
  await expectInert(page, 'task list', names[0]);
  for (const n of names.slice(1)) ok((await mainText(page)).includes(n), `task list shows ${n} as text`);
  await screenshot(page, 'xss-tasks');

  // 2. each task's page (status stream, errors, config editor), real answers
  for (const n of names) {
    await page.evaluate(h => { location.hash = h; }, `#/tasks/${encodeURIComponent(n)}`);
    await page.waitForSelector('[data-worker]', T);
    await page.waitForSelector('#errors [data-errors]', T);
    await expectInert(page, `task page of ${n}`, n);
  }

  // 3. a task that does not exist, named with markup: DM's 404 message echoes the name
  await page.evaluate(h => { location.hash = h; }, `#/tasks/${encodeURIComponent(IMG)}`);
  await page.waitForSelector('#errors .alert, #errors [data-errors]', T);
  await expectInert(page, 'unknown task page', IMG);

  // 4. stubbed answers with every payload in every field the pages show
  await page.route('**/api/v1/tasks?full=true', r => r.fulfill({ status: 200, contentType: 'application/json',
    body: JSON.stringify(status(IMG, ALL)) }));
  await page.route('**/api/v1/tasks/*/errors', r => r.fulfill({ status: 200, contentType: 'application/json',
    body: JSON.stringify({ result: true, msg: '', workers: [{ result: true, worker: SVG, msg: '',
      subTaskError: [{ name: names[0], stage: 'Paused', unit: 'Sync', sync: { errors: [
        { msg: `[code=36017:class=sync-unit] ${ALL}`, failedBinlogPosition: ATTR, errorSQL: SCRIPT }] } }],
      RelayError: { msg: ALL } }] }) }));
  await page.route('**/api/v1/ddl-locks', r => r.fulfill({ status: 200, contentType: 'application/json',
    body: JSON.stringify({ result: true, msg: '', locks: [{ ID: IMG, task: SVG, owner: ATTR, DDLs: [SCRIPT],
      synced: [IMG], unsynced: [SVG] }] }) }));
  await page.route('**/api/v1/tasks/*/pause', r => r.fulfill({ status: 400, contentType: 'application/problem+json',
    headers: { 'X-Request-Id': IMG, 'X-DM-Error-Code': ATTR },
    body: JSON.stringify({ type: 'about:blank', title: SVG, status: 400, detail: ALL, result: false, msg: ALL }) }));

  await page.evaluate(() => { location.hash = '#/workers'; });
  await page.waitForSelector('main h1', T);
  await page.waitForFunction(() => document.getElementById('main').textContent.includes('<svg'), null, T);
  await expectInert(page, 'workers page', IMG);
  await screenshot(page, 'xss-workers');

  await page.evaluate(() => { location.hash = '#/ddl-locks'; });
  await page.waitForFunction(() => document.getElementById('main').textContent.includes('</script>'), null, T);
  await expectInert(page, 'DDL locks page', SCRIPT);

  await page.evaluate(h => { location.hash = h; }, `#/tasks/${encodeURIComponent(names[0])}`);
  await page.waitForSelector('#errors [data-errors]', T);
  await expectInert(page, 'task page, hostile errors', SCRIPT);
  const pause = await page.$('button[data-action="pause"]');
  if (pause && !(await pause.isDisabled())) {
    await pause.click();
    await page.waitForSelector('dialog#confirm[open]', T);
    await expectInert(page, 'confirmation dialog (task name in the question)', null);
    await page.click('#confirm-ok');
    await page.waitForSelector('main .alert.error', T);
    await expectInert(page, 'problem+json error box', '<script>alert(4)</script>');
  } else {
    ok(true, 'pause not offered (stage from the stub): error box not reached');
  }
  await screenshot(page, 'xss-task');

  // 4b. the task page from a stubbed stream (status + problem event), a 207 on resume,
  // a config whose YAML is markup, the SQL operators worker list
  await page.route('**/api/v1/tasks/*/status/stream?*', r => r.fulfill({ status: 200,
    contentType: 'text/event-stream', body: streamBody(ALL) }));
  await page.route('**/api/v1/tasks/*/config', r => r.fulfill({ status: 200, contentType: 'application/yaml',
    headers: { ETag: '"1"' }, body: `name: "${IMG}"\n# ${ALL}\ntask-mode: all\n` }));
  await page.route('**/api/v1/tasks/*/resume', r => r.fulfill({ status: 207, contentType: 'application/json',
    headers: { 'X-Request-Id': SVG },
    body: JSON.stringify({ result: false, msg: ALL, workers: [{ result: false, worker: IMG, source: SVG, msg: ALL }] }) }));
  await page.evaluate(() => { location.hash = '#/tasks'; });
  await page.waitForSelector('main h1', T);
  await page.evaluate(h => { location.hash = h; }, `#/tasks/${encodeURIComponent(names[0])}`);
  await page.waitForFunction(() => document.querySelector('#workers')?.textContent.includes('<svg'), null, T);
  await page.waitForFunction(() => document.querySelector('#config')?.value.includes('<script>'), null, T);
  await expectInert(page, 'task page from a hostile status stream and config', '</pre><script>alert(4)</script>');
  ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1),
     'long hostile stages, units and binlog fields stay inside their cards (no horizontal scrolling)');
  ok((await page.$$eval('#sql-operators select[name="worker"] option', os => os.map(o => o.textContent))).includes(IMG),
     'SQL operators: the hostile worker name is an option\'s text');
  await page.waitForFunction(() => [...document.querySelectorAll('main .alert.error')].some(a => a.textContent.includes('onload')), null, T);
  await expectInert(page, 'stream problem event', null);
  const resume = await page.$('button[data-action="resume"]');
  if (resume && !(await resume.isDisabled())) {
    await resume.click();
    await page.waitForSelector('dialog#confirm[open]', T);
    await page.click('#confirm-ok');
    await page.waitForSelector('main .alert.warn[data-status="207"]', T);
    await expectInert(page, '207 box with hostile worker names and messages', IMG);
  } else {
    ok(false, 'resume offered for a Paused stub');
  }
  await screenshot(page, 'xss-stream');

  // 4c. a DDL lock's unlock form: its intro, owner options and worker choices
  await page.evaluate(() => { location.hash = '#/ddl-locks'; });
  await page.waitForSelector('tr[data-lock] button[data-action="unlock"]', T);
  await page.click('tr[data-lock] button[data-action="unlock"]');
  await page.waitForSelector('dialog[data-dialog="unlock"][open]', T);
  await expectInert(page, 'unlock form of a hostile lock', null);
  ok((await page.textContent('dialog[data-dialog="unlock"]')).includes(IMG), 'unlock form: the lock ID shown as text');
  await page.keyboard.press('Escape');

  // 4d. a file whose name is markup, loaded into the start form
  await page.evaluate(() => { location.hash = '#/new'; });
  await page.waitForSelector('#new-task-file', T);
  await page.setInputFiles('#new-task-file', { name: `${IMG}.yaml`, mimeType: 'application/yaml', buffer: Buffer.from(`name: "${SVG}"\n`) });
  await page.waitForSelector('[data-loaded]', T);
  await expectInert(page, 'start form with a hostile file name', `${IMG}.yaml`);

  // 4e. a failed pre-check whose every field is markup (shown as a list of checks), then a
  // start whose Location names a task of markup (the page it opens shows the name as text)
  const checkMsg = `[code=26005:class=dm-master] fail to check ${ALL}\n detail: ${JSON.stringify({
    results: [{ id: 1, name: IMG, desc: SVG, state: 'fail', errorMsg: ALL, instruction: SCRIPT, extra: ATTR },
              { id: 2, name: ATTR, desc: ALL, state: `warn${ATTR}`, errorMsg: SCRIPT, instruction: IMG }],
    summary: { passed: false, total: ALL, failed: IMG, warning: SVG } }, null, '\t')}`;
  await page.route('**/api/v1/tasks/check', r => r.fulfill({ status: 422, contentType: 'application/json',
    body: JSON.stringify({ result: false, msg: checkMsg, workers: [] }) }));
  await page.fill('#new-task', `name: "${SVG}"\n`);
  await page.click('button[data-action="check"]');
  await page.waitForSelector('[data-check-results] li[data-check]', T);
  await expectInert(page, 'a hostile pre-check answer as a list of checks', 'What to do: </pre><script>alert(4)</script>');
  await page.unroute('**/api/v1/tasks/check');
  await page.route('**/api/v1/tasks/check', r => r.fulfill({ status: 200, contentType: 'application/json',
    body: JSON.stringify({ result: true, msg: '', workers: [] }) }));
  await page.route('**/api/v1/tasks', r => (r.request().method() === 'POST' ? r.fulfill({ status: 201, contentType: 'application/json',
    headers: { Location: `/api/v1/tasks/${encodeURIComponent(IMG)}` }, body: JSON.stringify({ result: true, msg: '', workers: [] }) }) : r.continue()));
  await page.click('button[data-action="check"]');
  await page.waitForSelector('.alert.ok', T);
  await page.click('button[data-action="start"]');
  await page.waitForFunction(x => document.querySelector('h1 .mono')?.textContent === x, IMG, T);
  await expectInert(page, 'the page a hostile Location opens', IMG);
  await page.unrouteAll({ behavior: 'ignoreErrors' });

  // 5. a hash that is not valid percent-encoding: no page error, a page still shows
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  await page.evaluate(() => { location.hash = '#/tasks/%E0%A4%A'; });
  await page.waitForTimeout(500);
  ok((await page.textContent('main h1').catch(() => '')) !== '', 'a malformed hash still renders a page');

  // 6. a token whose `sub` claim is markup: shown in the header as text
  if (process.env.JWT_SECRET_FILE) {
    await page.evaluate(() => { sessionStorage.clear(); window.dispatchEvent(new HashChangeEvent('hashchange')); });
    await page.waitForSelector('#token', T);
    await page.fill('#token', mintToken(process.env.JWT_SECRET_FILE, { sub: `${IMG}${ATTR}`, scope: 'dm:read' }));
    await page.press('#token', 'Enter');
    await page.waitForSelector('#who:not([hidden])', T);
    ok(await page.textContent('#who-name') === `${IMG}${ATTR} · dm:read`, 'the token\'s sub claim shown as text');
    ok(await injected(page) === 0, 'header: no element or handler made from the sub claim');
  } else {
    ok(false, 'JWT_SECRET_FILE is set (the sub claim case needs it)');
  }

  ok(dialogs === 0, `no dialog opened (${dialogs})`);
  const problems = page.problems.filter(p => !PROVOKED.test(p) && !CLOSED_STREAM.test(p));
  ok(problems.length === 0, `no console error, CSP violation or failed request${problems.length ? ': ' + problems.join(' | ') : ''}`);
} catch (e) {
  ok(false, `unexpected: ${e.stack || e}`);
  if (page) await screenshot(page, 'xss-failure').catch(() => {});
} finally {
  await browser.close();
}
finish();
