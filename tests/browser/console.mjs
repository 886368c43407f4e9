// console.mjs - the web console (/console/) in a real browser against the real stack:
// sign in with a pasted token, the sample task Running, pause and see the stage change
// through the status stream without a reload, edit the config (check, update under
// If-Match), a 412 when the config changed underneath, resume, start a second task from
// YAML (a broken one is refused by the check first), stop it; a read-only token sees the
// actions disabled with the reason; narrow width; no console error, no failed request.
//   node console.mjs <gateway-url> <admin-token> <read-only-token> <task-yaml-file>
import { readFileSync } from 'node:fs';
import { launch, watchedPage, ok, screenshot, finish } from './lib.mjs';

const [base, token, roToken, taskFile] = process.argv.slice(2);
const taskYaml = readFileSync(taskFile, 'utf8');
const TASK = (taskYaml.match(/^name:\s*"?([^"\s]+)/m) || [])[1];
const T = { timeout: 15000 };
// 4xx answers this test provokes on purpose: Chromium reports each as a console error
const PROVOKED = /Failed to load resource: the server responded with a status of (412|422)\b/;
// leaving a task page closes its EventSource, which Chromium reports as an aborted request
const CLOSED_STREAM = /^request failed: \S+\/status\/stream\?ticket=[0-9a-f]{64}\S* net::ERR_ABORTED$/;

async function signIn(page, tok) {
  const resp = await page.goto(`${base}/`);
  await page.waitForSelector('#token', T);
  await page.fill('#token', tok);
  await page.press('#token', 'Enter');   // keyboard: the form submits
  await page.waitForSelector(`tr[data-task="${TASK}"]`, T);
  return resp;
}

async function confirm(page, action) {
  await page.click(`button[data-action="${action}"]`);
  await page.waitForSelector('dialog#confirm[open]', T);
  await page.click('#confirm-ok');
}

async function putConfig(yaml, etag) {
  const r = await fetch(`${base}/api/v1/tasks/${TASK}`, { method: 'PUT', body: yaml,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/yaml', ...(etag ? { 'If-Match': etag } : {}) } });
  return r.status;
}

const browser = await launch();
const pages = [];
try {
  ok(!!TASK, `sample task name read from ${taskFile}: ${TASK}`);
  const page = await watchedPage(browser);
  pages.push(page);
  // sign in (from /, which redirects to /console/)
  const resp = await signIn(page, token);
  ok(resp.status() === 200 && resp.request().redirectedFrom()?.url() === `${base}/`,
     `GET / redirected to the console page, 200 (got ${resp.status()})`);
  ok((resp.headers()['content-security-policy'] || '').includes("script-src 'self'"), 'strict CSP on /console/');
  ok(!!resp.headers()['etag'], 'the console page has an ETag');
  ok(page.url().startsWith(`${base}/console/`), `/ led to the console (${page.url()})`);
  ok(await page.isVisible(`tr[data-task="${TASK}"] .badge.Running`), 'the task list shows the sample task Running');
  await screenshot(page, 'console-tasks');

  // the task page, live
  await page.click(`tr[data-task="${TASK}"] a`);
  await page.waitForSelector('#live.live', T);
  await page.waitForSelector('[data-worker][data-stage="Running"]', T);
  ok(true, 'task page: the stream is live, the worker is Running');
  ok(await page.locator('[data-worker] dd', { hasText: 'mysql-bin.' }).count() > 0, 'binlog positions shown');
  await page.evaluate(() => { window.__noReload = 1; });

  // pause: the stage changes through the stream, no reload
  await confirm(page, 'pause');
  await page.waitForSelector('[data-worker][data-stage="Paused"]', T);
  ok(await page.evaluate(() => window.__noReload === 1), 'pause: the stage became Paused without a reload');
  await screenshot(page, 'console-task-paused');

  // config: edit a filter, check, update under If-Match
  await page.waitForFunction(() => document.querySelector('#config')?.value.includes('black-white-list'), null, T);
  const cfg = await page.inputValue('#config');
  const edited = cfg.replace(/do-dbs: \[([^\]]*)\]/, 'do-dbs: [$1, "shop_archive"]');
  ok(edited !== cfg, 'the filter (black-white-list do-dbs) was edited');
  await page.fill('#config', edited);
  await page.click('button[data-action="update"]');
  await page.waitForSelector('.alert.ok:has-text("Config updated")', T);
  const now = await (await fetch(`${base}/api/v1/tasks/${TASK}/config`, { headers: { Authorization: `Bearer ${token}` } })).text();
  ok(now.includes('shop_archive'), 'the update reached DM (GET config has the new filter)');

  // 412: the config changes underneath between load and save
  await page.click('button[data-action="reload-config"]');
  await page.waitForFunction(() => document.querySelector('#config')?.value.includes('shop_archive'), null, T);
  const underneath = now.replace('"shop_archive"', '"shop_archive", "shop_history"');
  ok(await putConfig(underneath) === 200, 'someone else changed the config (curl-like PUT: 200)');
  await page.fill('#config', (await page.inputValue('#config')).replace('"shop_archive"', '"shop_log"'));
  await page.click('button[data-action="update"]');
  await page.waitForSelector('.alert.error[data-status="412"]', T);
  const text412 = await page.locator('.alert.error[data-status="412"]').innerText();
  ok(/changed since you loaded it/.test(text412) && /request id/.test(text412), `412 shown readably: ${text412.split('\n')[0]}`);
  await screenshot(page, 'console-412');
  await page.click('.alert.error button[data-action="reload-config"]');
  await page.waitForFunction(() => document.querySelector('#config')?.value.includes('shop_history'), null, T);
  ok(true, 'reload shows the config changed underneath');

  // resume
  await confirm(page, 'resume');
  await page.waitForSelector('[data-worker][data-stage="Running"]', T);
  ok(await page.evaluate(() => window.__noReload === 1), 'resume: Running again, live');

  // start a second task from YAML: a broken one is refused by the check first
  await page.click('nav a[href="#/new"]');
  await page.waitForSelector('#new-task', T);
  ok(await page.isDisabled('button[data-action="start"]'), 'start is disabled before a check');
  await page.fill('#new-task', 'name: "broken"\ntask-mode: "all"\n');
  await page.click('button[data-action="check"]');
  await page.waitForSelector('.alert.error', T);
  const checkErr = await page.locator('.alert.error').innerText();
  ok(/DM code \d+/.test(checkErr) && /request id/.test(checkErr), `check error shown with DM code and request id: ${checkErr.replace(/\n/g, ' | ').slice(0, 160)}`);
  ok(await page.isDisabled('button[data-action="start"]'), 'start stays disabled after a failed check');
  await screenshot(page, 'console-check-error');
  const second = taskYaml.replace(/^name:.*$/m, 'name: "shop-copy"').replace(/do-dbs: \[[^\]]*\]/, 'do-dbs: ["shop_copy_none"]')
    .replace(/^meta-schema:.*$/m, 'meta-schema: "dm_meta_copy"');
  await page.fill('#new-task', second);
  await page.click('button[data-action="check"]');
  await page.waitForSelector('.alert.ok', T);
  ok(await page.isEnabled('button[data-action="start"]'), 'start enabled after the check passed');
  await page.click('button[data-action="start"]');
  await page.waitForURL(/#\/tasks\/shop-copy$/, T);
  await page.waitForSelector('[data-worker][data-stage="Running"]', T);
  ok(true, 'the second task started and runs');
  await confirm(page, 'stop');
  await page.waitForURL(/#\/tasks$/, T);
  await page.waitForFunction(() => !document.querySelector('tr[data-task="shop-copy"]'), null, { timeout: 20000 });
  ok(true, 'the second task stopped and left the list');

  // narrow width
  await page.setViewportSize({ width: 380, height: 800 });
  await page.evaluate(t => { location.hash = `#/tasks/${t}`; }, TASK);
  await page.waitForSelector('[data-worker][data-stage="Running"]', T);
  ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no horizontal scrolling at 380px');
  await screenshot(page, 'console-narrow');

  // a read-only token
  const ro = await watchedPage(browser);
  pages.push(ro);
  await signIn(ro, roToken);
  ok(await ro.isDisabled('button[data-action="start-a-task"]'), 'read-only: "Start a task" disabled');
  await ro.click(`tr[data-task="${TASK}"] a`);
  await ro.waitForSelector('#live.live', T);
  for (const a of ['pause', 'resume', 'stop', 'update', 'check']) {
    const b = ro.locator(`button[data-action="${a}"]`);
    ok(await b.isDisabled() && /Needs dm:write/.test(await b.getAttribute('title') || ''), `read-only: ${a} disabled, with the reason`);
  }
  await screenshot(ro, 'console-read-only');

  for (const p of pages) {
    const real = p.problems.filter(m => !PROVOKED.test(m) && !CLOSED_STREAM.test(m));
    ok(real.length === 0, `no console error or failed request ${real.join(' | ')}`);
  }
} catch (e) {
  ok(false, `console: ${e.message}`);
  for (const p of pages) { try { await screenshot(p, 'console-failure'); } catch { /* closed */ } console.log(`# problems: ${p.problems.join(' | ')}`); }
} finally {
  await browser.close();
}
finish();
