// xss.mjs - hostile text in every place the web console shows data from the gateway,
// in a real browser: task names (real tasks whose names are markup), worker names,
// stages, binlog positions, DM error messages, problem+json details, DDL lock fields and
// the URL hash. Nothing may become markup: no element the payloads describe appears in
// the DOM, no dialog opens, no CSP violation or page error is reported, and the payload
// is shown as the literal text it is. The CSP would stop an injected handler from
// running, so the test looks at the DOM, not only at side effects.
//   node xss.mjs <gateway-url> <admin-token> <task-name-with-markup>...
import { launch, watchedPage, ok, screenshot, finish } from './lib.mjs';

const [base, token, ...names] = process.argv.slice(2);
const T = { timeout: 15000 };
const IMG = '<img src=x onerror=alert(1)>';
const SVG = '<svg onload=alert(2)></svg>';
const ATTR = '" onmouseover="alert(3)" x="';
const SCRIPT = '</pre><script>alert(4)</script>';
const ALL = [IMG, SVG, ATTR, SCRIPT].join(' ');
// 4xx answers this test provokes (an unknown task, a stubbed 400): Chromium logs each
const PROVOKED = /Failed to load resource: the server responded with a status of (400|404)\b/;
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
        sync: { totalEvents: '1', totalTps: '0', recentTps: '0', masterBinlog: text, syncerBinlog: text,
                blockingDDLs: [text], synced: false } }],
      relayStatus: { stage: 'Running', relayBinlog: text },
    }, { result: false, worker: `${workerName}-2`, msg: text }],
  };
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

  // 5. a hash that is not valid percent-encoding: no page error, a page still shows
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  await page.evaluate(() => { location.hash = '#/tasks/%E0%A4%A'; });
  await page.waitForTimeout(500);
  ok((await page.textContent('main h1').catch(() => '')) !== '', 'a malformed hash still renders a page');

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
