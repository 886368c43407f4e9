// console_ux.mjs - the web console used the way an operator uses it, in a real browser
// against the real stack: security headers; page weight and time to interactive (numbers
// printed, not asserted); a deep link kept through sign-in (keyboard only); the back
// button; a hung master (SIGSTOP: a pending line that counts and explains, the button busy,
// one request, done after SIGCONT) and double clicks sending one request (update, start); a network failure mid-action shown and recovered
// from; a task config loaded from a file (and a too large one refused); a task the master
// does not know (said once, the stream not retried for ever); a token that expires on an
// open page (a notice, the edit kept, back to the same page after signing in again); dark
// mode; axe-core on every page, dialog, dark and narrow; no console error or failed request
// but the ones provoked.
//   node console_ux.mjs <gateway-url> <admin-token> <jwt-secret-file> <task-yaml-file> <dm-master-pid>
import { readFileSync } from 'node:fs';
import { axeViolations, launch, mintToken, ok, screenshot, finish, watchedPage } from './lib.mjs';

const [base, token, secretFile, taskFile, masterPidArg] = process.argv.slice(2);
const masterPid = Number(masterPidArg);
let masterStopped = false;
const taskYaml = readFileSync(taskFile, 'utf8');
const TASK = (taskYaml.match(/^name:\s*"?([^"\s]+)/m) || [])[1];
const T = { timeout: 20000 };
const UPLOADED = 'shop-upload';
// what this test provokes on purpose: Chromium logs each failed load
const PROVOKED = [/status of (401|404)\b/, /^request failed: \S+\/resume net::ERR_CONNECTION_RESET$/,
                  /Failed to load resource: net::ERR_CONNECTION_RESET/,
                  /^request failed: \S+\/status\/stream\?ticket=[0-9a-f]{64}\S* net::ERR_ABORTED$/];

const nowMs = () => Number(process.hrtime.bigint() / 1000000n);
const hash = (page, h) => page.evaluate(x => { location.hash = x; }, h);

// Requests the page sends, by "METHOD path" (query dropped), for counting double submits.
function countRequests(page) {
  const seen = [];
  page.on('request', r => seen.push(`${r.method()} ${new URL(r.url()).pathname}`));
  return what => seen.filter(x => x === what).length;
}

async function axeClean(page, where) {
  const v = await axeViolations(page);
  ok(v.length === 0, `axe: no violation on ${where}${v.length ? ': ' + v.join(' || ') : ''}`);
}

async function confirmDialog(page, action) {
  await page.click(`button[data-action="${action}"]`);
  await page.waitForSelector('dialog#confirm[open]', T);
  await page.click('#confirm-ok');
}

// Click a button the way a second, impatient click does: even while it says it is busy
// (Playwright waits for an aria-disabled button to become enabled; a person does not).
const clickNow = (page, sel) => page.$eval(sel, b => b.click());

async function headers() {
  for (const [path, strict] of [['/console/', true], ['/console/app.js', true], ['/docs', false], ['/docs/docs.js', false]]) {
    const h = (await fetch(`${base}${path}`)).headers;
    const csp = h.get('content-security-policy') || '';
    ok(/script-src 'self'/.test(csp) && /frame-ancestors 'none'/.test(csp) && h.get('x-content-type-options') === 'nosniff'
       && h.get('cross-origin-opener-policy') === 'same-origin' && h.get('cross-origin-resource-policy') === 'same-origin'
       && /camera=\(\)/.test(h.get('permissions-policy') || '') && h.get('referrer-policy') === 'no-referrer'
       && h.get('x-frame-options') === 'DENY', `${path}: CSP, nosniff, COOP, CORP, Permissions-Policy, Referrer-Policy, X-Frame-Options`);
    if (strict)
      ok(!/unsafe-inline/.test(csp) && /require-trusted-types-for 'script'/.test(csp),
         `${path}: the console's CSP allows no inline style and requires Trusted Types`);
  }
}

// Open the console at a deep link, signed out; print weight and time to interactive.
async function openCold(page) {
  const t0 = nowMs();
  await page.goto(`${base}/console/#/tasks/${TASK}`);
  await page.waitForSelector('#token:focus', T);
  const tti = nowMs() - t0;
  const [n, bytes] = await page.evaluate(() => {
    const all = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    return [all.length, all.reduce((s, e) => s + e.transferSize, 0)];
  });
  console.log(`# console: interactive (sign-in field focused) after ${tti} ms, ${n} requests, ${bytes} bytes transferred`);
}

const browser = await launch();
const pages = [];
try {
  ok(!!TASK, `sample task name read from ${taskFile}: ${TASK}`);
  await headers();

  // ---- a deep link, signed out; signing in with the keyboard only lands on it ----
  const page = await watchedPage(browser);
  pages.push(page);
  const count = countRequests(page);
  await openCold(page);
  await axeClean(page, 'the sign-in form');
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#live.live', T);
  ok(page.url().endsWith(`#/tasks/${TASK}`), `the deep link survived sign-in (${page.url()})`);
  await page.waitForSelector('[data-worker][data-stage="Running"]', T);
  await page.waitForSelector('#errors [data-errors]', T);
  await axeClean(page, 'the task page');

  // ---- the back button ----
  await page.click('nav a[href="#/workers"]');
  await page.waitForSelector('#worker-list [data-worker]', T);
  await axeClean(page, 'the workers page');
  await page.goBack();
  await page.waitForSelector('#live.live', T);
  ok(page.url().endsWith(`#/tasks/${TASK}`), 'back: the task page again, live');

  // ---- a slow master (dm-master stopped with SIGSTOP, a real hang): a pending line that
  // counts and explains, the button busy, a second click sends nothing; SIGCONT: done ----
  process.kill(masterPid, 'SIGSTOP');
  masterStopped = true;
  await confirmDialog(page, 'pause');
  await page.waitForSelector('.pending[role="status"]', T);
  ok(await page.getAttribute('button[data-action="pause"]', 'aria-busy') === 'true', 'hung master: Pause is busy');
  await clickNow(page, 'button[data-action="pause"]');
  ok(!(await page.isVisible('dialog#confirm[open]')), 'a click on the busy Pause opens nothing');
  await page.waitForSelector('.pending .slow-hint', T);
  ok(true, `hung master: "${(await page.innerText('.pending')).trim().slice(0, 120)}…"`);
  process.kill(masterPid, 'SIGCONT');
  masterStopped = false;
  await page.waitForSelector('.alert.ok:has-text("Pause: done")', { timeout: 60000 });
  await page.waitForSelector('[data-worker][data-stage="Paused"]', T);
  ok(count(`POST /api/v1/tasks/${TASK}/pause`) === 1, `master back: paused, one pause request (${count(`POST /api/v1/tasks/${TASK}/pause`)})`);
  ok(await page.getAttribute('button[data-action="pause"]', 'aria-busy') === null, 'Pause is no longer busy');

  // ---- a double click on Update: one check, one PUT ----
  await page.waitForFunction(() => document.querySelector('#config')?.value.includes('name:'), null, T);
  await page.dblclick('button[data-action="update"]');
  await page.waitForSelector('#config ~ div .alert:not(:has-text("Check passed"))', T);
  ok(count('PUT /api/v1/tasks/' + TASK) === 1 && count('POST /api/v1/tasks/check') === 1,
     `double click on Update: ${count('POST /api/v1/tasks/check')} check, ${count('PUT /api/v1/tasks/' + TASK)} PUT`);

  // ---- the network fails mid-action: said so, and the next try works ----
  await page.route(`**/api/v1/tasks/${TASK}/resume`, r => r.abort('connectionreset'));
  await confirmDialog(page, 'resume');
  await page.waitForSelector('.alert.error[data-status="0"]', T);
  ok(/cannot be reached/.test(await page.innerText('.alert.error[data-status="0"]')), 'network failure: "the gateway cannot be reached"');
  await page.unroute(`**/api/v1/tasks/${TASK}/resume`);
  await confirmDialog(page, 'resume');
  await page.waitForSelector('[data-worker][data-stage="Running"]', T);
  ok(true, 'resume again after the failure: Running');

  // ---- start a task from a file: too large refused, then loaded, checked, one start ----
  await page.click('nav a[href="#/new"]');
  await page.waitForSelector('#new-task-file', T);
  await axeClean(page, 'the start-a-task page');
  const before = await page.inputValue('#new-task');
  await page.setInputFiles('#new-task-file', { name: 'huge.yaml', mimeType: 'application/yaml', buffer: Buffer.alloc(1024 * 1024 + 1, 0x23) });
  await page.waitForSelector('.alert.error:has-text("too large")', T);
  ok(await page.inputValue('#new-task') === before, 'a file over the body limit is refused, the editor unchanged');
  const upload = taskYaml.replace(/^name:.*$/m, `name: "${UPLOADED}"`).replace(/do-dbs: \[[^\]]*\]/, 'do-dbs: ["shop_upload_none"]')
    .replace(/^meta-schema:.*$/m, 'meta-schema: "dm_meta_upload"');
  await page.setInputFiles('#new-task-file', { name: 'task.yaml', mimeType: 'application/yaml', buffer: Buffer.from(upload) });
  await page.waitForSelector('[data-loaded="task.yaml"]', T);
  ok(await page.inputValue('#new-task') === upload, 'the file is in the editor');
  ok(await page.isDisabled('button[data-action="start"]'), 'Start waits for a check of the loaded text');
  await page.click('button[data-action="check"]');
  await page.waitForSelector('.alert.ok', T);
  await page.dblclick('button[data-action="start"]');
  await page.waitForURL(new RegExp(`#/tasks/${UPLOADED}$`), T);
  await page.waitForSelector('[data-worker][data-stage="Running"]', T);
  ok(count('POST /api/v1/tasks') === 1, `double click on Start: one start request (${count('POST /api/v1/tasks')})`);
  await confirmDialog(page, 'stop');
  await page.waitForURL(/#\/tasks$/, T);
  await page.waitForFunction(t => !document.querySelector(`tr[data-task="${t}"]`), UPLOADED, T);
  ok(true, 'the uploaded task stopped');
  await axeClean(page, 'the task list');

  // ---- a task the master does not know ----
  const ticketsBefore = count('POST /api/v1/stream-tickets');
  await hash(page, '#/tasks/no-such-task');
  await page.waitForSelector('#live:has-text("no such task")', T);
  const afterGone = count('POST /api/v1/stream-tickets');
  await page.waitForTimeout(2500);   // the first retry would come after 1 s
  ok(count('POST /api/v1/stream-tickets') === afterGone && afterGone - ticketsBefore === 1,
     `unknown task: said once (${afterGone - ticketsBefore} stream ticket), not retried`);
  ok(/No worker runs a task of this name/.test(await page.innerText('main')), 'unknown task: the page says what it means');
  await axeClean(page, 'the unknown task page');

  // ---- dialogs, dark mode, narrow ----
  await hash(page, '#/workers');
  await page.click('button[data-action="purge-relay"]');
  await page.waitForSelector('dialog[data-dialog="purge-relay"][open]', T);
  await axeClean(page, 'the purge form dialog');
  await page.keyboard.press('Escape');
  await page.emulateMedia({ colorScheme: 'dark' });
  const bg = await page.evaluate(() => getComputedStyle(document.querySelector('.card')).backgroundColor);
  ok(bg !== 'rgb(255, 255, 255)', `dark mode: the cards are dark (${bg})`);
  await axeClean(page, 'the workers page, dark');
  await hash(page, `#/tasks/${TASK}`);
  await page.waitForSelector('[data-worker][data-stage="Running"]', T);
  await page.click('button[data-action="pause"]');
  await page.waitForSelector('dialog#confirm[open]', T);
  await axeClean(page, 'the confirmation dialog, dark');
  await screenshot(page, 'console-ux-dark');
  await page.keyboard.press('Escape');
  await page.setViewportSize({ width: 375, height: 800 });
  await axeClean(page, 'the task page, dark, 375 px');
  await page.emulateMedia({ colorScheme: 'light' });
  await axeClean(page, 'the task page, light, 375 px');
  await page.setViewportSize({ width: 1280, height: 900 });

  // ---- a token that expires while its page is open ----
  const ex = await watchedPage(browser);
  pages.push(ex);
  await ex.goto(`${base}/console/#/tasks/${TASK}`);
  await ex.waitForSelector('#token', T);
  await ex.fill('#token', mintToken(secretFile, { sub: 'short-lived', ttl: 8 }));
  await ex.press('#token', 'Enter');
  await ex.waitForSelector('#live.live', T);
  await ex.waitForFunction(() => document.querySelector('#config')?.value.includes('name:'), null, T);
  const edit = `${await ex.inputValue('#config')}# my unsaved edit\n`;
  await ex.fill('#config', edit);
  let apiCalls = 0;
  ex.on('request', r => { if (new URL(r.url()).pathname.startsWith('/api/')) apiCalls++; });
  await ex.waitForSelector('#session [role="alert"]', { timeout: 40000 });
  ok(/expired/.test(await ex.innerText('#session')) && await ex.inputValue('#config') === edit,
     'token expired on an open page: a notice, the unsaved edit still there');
  const callsAtNotice = apiCalls;
  await ex.waitForTimeout(3000);   // a stream reconnect would come within 1-2 s
  ok(apiCalls === callsAtNotice, `after the notice the page sends nothing with the dead token (${apiCalls - callsAtNotice} requests)`);
  await ex.click('button[data-action="session-sign-in"]');
  await ex.waitForSelector('#token', T);
  await ex.fill('#token', token);
  await ex.press('#token', 'Enter');
  await ex.waitForSelector('#live.live', T);
  ok(ex.url().endsWith(`#/tasks/${TASK}`) && await ex.isHidden('#session'), 'signed in again: back on the same task page');

  for (const p of pages) {
    const real = p.problems.filter(m => !PROVOKED.some(re => re.test(m)));
    ok(real.length === 0, `no console error, CSP violation or failed request ${real.join(' | ')}`);
  }
} catch (e) {
  ok(false, `console ux: ${e.stack || e}`);
  for (const p of pages) { try { await screenshot(p, 'console-ux-failure'); } catch { /* closed */ } console.log(`# problems: ${p.problems.join(' | ')}`); }
} finally {
  if (masterStopped) process.kill(masterPid, 'SIGCONT');
  await browser.close();
}
finish();
