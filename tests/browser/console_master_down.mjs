// console_master_down.mjs - the web console while dm-master is down, in a real browser
// against the real stack (its dm-master stopped by the calling script): signing in still
// works (the gateway took the token; only a 401/403 keeps the sign-in form) and the task
// list says the master is unavailable; the task page says why its live status cannot start
// (the stream's 503, which EventSource hides) instead of "Loading status…" alone; pages
// stay usable (navigation works, nothing hangs); once the master is back (the command in
// argv[4] restarts it) the same signed-in page recovers by itself. A bad token still
// cannot sign in. No console error or failed request but the provoked 503s.
//   node console_master_down.mjs <gateway-url> <admin-token> <task> <restart-master-command>
import { execSync } from 'node:child_process';
import { launch, watchedPage, ok, screenshot, finish } from './lib.mjs';

const [base, token, TASK, restartCmd] = process.argv.slice(2);
const T = { timeout: 20000 };
// the master-down answers this test provokes: Chromium reports each failed load
const PROVOKED = [/status of 503\b/, /^HTTP 503: /,
                  /^request failed: \S+\/status\/stream\?ticket=[0-9a-f]{64}\S* net::ERR_ABORTED$/,
                  /status of 401\b/];

const browser = await launch();
const page = await watchedPage(browser);
try {
  // a token the gateway refuses still cannot sign in
  await page.goto(`${base}/console/`);
  await page.waitForSelector('#token', T);
  await page.fill('#token', `${token.slice(0, -4)}AAAA`);
  await page.press('#token', 'Enter');
  await page.waitForSelector('.alert.error[data-status="401"]', T);
  ok(await page.isVisible('#token') && await page.evaluate(() => !sessionStorage.getItem('dmgw.token')),
     'master down, bad signature: 401 shown, still on the sign-in form, no token kept');

  // the real token: in, with the master's unavailability on the task list
  const t0 = Date.now();
  await page.fill('#token', token);
  await page.press('#token', 'Enter');
  await page.waitForSelector('#nav:not([hidden])', T);
  await page.waitForSelector('.alert.error[data-status="503"]', T);
  const listErr = await page.locator('.alert.error[data-status="503"]').first().innerText();
  ok(!(await page.isVisible('#token')) && /unavailable/i.test(listErr) && /request id/.test(listErr),
     `master down: signed in to the task list, which says so (${Date.now() - t0} ms): ${listErr.split('\n')[0]}`);
  await screenshot(page, 'console-master-down-tasks');

  // the task page: why there is no live status
  await page.evaluate(t => { location.hash = `#/tasks/${encodeURIComponent(t)}`; }, TASK);
  await page.waitForSelector('#live', T);
  await page.waitForFunction(() => [...document.querySelectorAll('.alert.error[data-status="503"]')]
    .some(a => !a.closest('#errors') && !a.closest('section')), null, T);
  ok(true, 'task page: the refused status stream is explained (503 above the status), not only "Loading status…"');
  await page.waitForSelector('#errors .alert.error[data-status="503"]', T);
  ok(true, 'task page: the errors card says the master is unavailable');
  await screenshot(page, 'console-master-down-task');
  await page.click('a[href="#/workers"]');
  await page.waitForSelector('.alert.error[data-status="503"]', T);
  ok(true, 'navigation still works (workers page, 503 shown)');

  // the master comes back: the same page recovers without signing in again
  execSync(restartCmd, { stdio: 'inherit', shell: '/bin/bash' });
  await page.click('a[href="#/tasks"]');
  await page.waitForSelector(`tr[data-task="${TASK}"]`, { timeout: 60000 });
  ok(await page.locator('.alert.error[data-status="503"]').count() === 0,
     'master back: the task list shows the task by itself, the error is gone, no new sign-in');
  await page.evaluate(t => { location.hash = `#/tasks/${encodeURIComponent(t)}`; }, TASK);
  await page.waitForSelector('#live.live', { timeout: 60000 });
  await page.waitForSelector('[data-worker][data-stage]', T);
  ok(true, 'master back: the task page is live again');
  await screenshot(page, 'console-master-back');

  const real = page.problems.filter(m => !PROVOKED.some(re => re.test(m)));
  ok(real.length === 0, `no console error or failed request but the provoked ones ${real.join(' | ')}`);
} catch (e) {
  ok(false, `console_master_down: ${e.message}`);
  try { await screenshot(page, 'console-master-down-failure'); } catch { /* closed */ }
  console.log(`# problems: ${page.problems.join(' | ')}`);
} finally {
  await browser.close();
}
finish();
