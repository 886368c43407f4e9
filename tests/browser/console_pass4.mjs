// console_pass4.mjs - the web console under what a person's browser does to it, against the
// real stack (docs/gateway.md "Console pass 4"): CSP violations listened for (and the
// listener proven on a provoked one); a task started from the console whose name has a space
// and non-ASCII letters (the page of that name opens; reload, back and forward keep it; its
// pause and resume read out to a screen reader); a
// 43-character name, the longest (no sideways scroll at 375 px, at 200 % and 400 % zoom); invalid YAML,
// a failed DM pre-check (a list of checks, not tab-indented JSON) and a body over the limit;
// a token pasted as "Bearer …" and a forged one; two tabs, one stopping the task the other
// shows; the network going offline and back (the stream back at once, not after its
// back-off); a slow answer (a loading line, one request in flight, how long it waits);
// assets revalidated with ETag / 304 on reload; axe-core on every form dialog and the new
// states, light and dark. No console error, failed request or CSP violation but the
// provoked ones.
//   node console_pass4.mjs <gateway-url> <admin-token> <task-yaml-file> <long-task-name>
import { readFileSync } from 'node:fs';
import { axeViolations, launch, ok, screenshot, finish, watchedPage } from './lib.mjs';

const [base, token, taskFile, longName] = process.argv.slice(2);
const T = { timeout: 20000 };
const taskYaml = readFileSync(taskFile, 'utf8');
const NAME = 'café sync ü';   // a space and non-ASCII letters; the line ends with a comment
const yamlOf = (name, extra = '') => taskYaml.replace(/^name:.*$/m, `name: "${name}"   # ${name}?`)
  .replace(/do-dbs: \[[^\]]*\]/, 'do-dbs: ["shop_pass4_none"]').replace(/^meta-schema:.*$/m, 'meta-schema: "dm_meta_pass4"') + extra;
// what this test provokes: Chromium logs each 4xx load, each aborted stream, each load
// while offline, and the one CSP violation the listener is proven on
const PROVOKED = [/status of (401|404|413|422)\b/, /^request failed: \S+\/status\/stream\?ticket=[0-9a-f]{64}\S* net::ERR_ABORTED$/,
                  /ERR_INTERNET_DISCONNECTED/, /^CSP violation: style-src-attr blocked inline .*probe/];

const hash = (page, h) => page.evaluate(x => { location.hash = x; }, h);
const noSideways = page => page.evaluate(() => document.documentElement.scrollWidth <= innerWidth);

async function axeClean(page, where) {
  const v = await axeViolations(page);
  ok(v.length === 0, `axe: no violation on ${where}${v.length ? ': ' + v.join(' || ') : ''}`);
}

async function signIn(page, t = token, at = '') {
  await page.goto(`${base}/console/${at}`);
  await page.waitForSelector('#token', T);
  await page.fill('#token', t);
  await page.press('#token', 'Enter');
}

// ---- the listener is real: a style attribute set on purpose is reported ----
async function cspListener(browser) {
  const p = await watchedPage(browser);
  await p.goto(`${base}/console/`);
  await p.waitForSelector('#token', T);
  await p.evaluate(() => document.body.setAttribute('data-probe', 'probe') || document.getElementById('main').setAttribute('style', 'color: red'));
  await p.waitForTimeout(300);
  ok(p.problems.some(m => /^CSP violation: style-src-attr/.test(m)), `the CSP listener reports a provoked violation (${p.problems.join(' | ')})`);
  await p.close();
}

// ---- sign-in: "Bearer <token>" as copied from curl is the token; a forged one is refused ----
async function tokens(page) {
  const forged = `${token.slice(0, token.lastIndexOf('.'))}.${'A'.repeat(43)}`;
  await signIn(page, forged);
  await page.waitForSelector('.signin .alert.error[data-status="401"]', T);
  ok(await page.isVisible('#token'), 'a token with a forged signature: 401 on the sign-in form');
  await axeClean(page, 'the sign-in form with its 401');
  await page.fill('#token', `Bearer ${token}`);
  await page.press('#token', 'Enter');
  await page.waitForSelector('tr[data-task]', T);
  ok(true, '"Bearer <token>" pasted as copied from a curl line signs in');
}

// ---- start from the console: invalid YAML, a failed pre-check, too large, then a name
// with a space and non-ASCII letters: its own page opens ----
async function startPage(page) {
  await hash(page, '#/new');
  await page.waitForSelector('#new-task', T);
  const check = async text => {
    await page.fill('#new-task', text);
    await page.click('button[data-action="check"]');
    await page.waitForSelector('#main .alert', T);
    return page.locator('#main .alert').first();
  };
  let box = await check('name: "unterminated\ntask-mode: [\n');
  ok(/line \d+/.test(await box.innerText()) && await box.getAttribute('data-status') === '422',
     `invalid YAML: 422 naming the line (${(await box.innerText()).split('\n')[2]})`);
  box = await check(yamlOf('pass4-bad').replace(/^(\s+port:).*$/m, '$1 1'));
  await page.waitForSelector('[data-check-results] li[data-check]', T);
  const items = await page.locator('[data-check-results] li[data-check]').allInnerTexts();
  ok(items.some(t => /fail/.test(t) && /target/i.test(t) && /What to do:/.test(t)),
     `a failed pre-check is a list of checks with what to do (${items.map(t => t.split('\n')[0]).join('; ')})`);
  ok(!(await page.locator('#main .alert pre').first().isVisible()) || !/"results"/.test(await page.locator('#main .alert pre').first().innerText()),
     'the raw JSON of the check is folded away');
  await axeClean(page, 'a failed pre-check');
  await page.emulateMedia({ colorScheme: 'dark' });
  await axeClean(page, 'a failed pre-check, dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 375, height: 800 });
  ok(await noSideways(page), 'a failed pre-check at 375 px: no sideways scroll');
  await screenshot(page, 'console-pass4-check-375');
  await page.setViewportSize({ width: 1280, height: 900 });
  box = await check(yamlOf('pass4-huge', `# ${'x'.repeat(1024 * 1024)}\n`));
  ok(await box.getAttribute('data-status') === '413' && /Too large/.test(await box.innerText()),
     `a pasted config over the body limit: 413 said as "Too large" (${(await box.innerText()).split('\n')[0]})`);
  await check(yamlOf(NAME));
  await page.waitForSelector('.alert.ok', T);
  await page.click('button[data-action="start"]');
  await page.waitForURL(/#\/tasks\/caf/, T);
  await page.waitForSelector('#live.live', T);
  ok(await page.innerText('h1 .mono') === NAME, `Start opened the page of "${NAME}" (${decodeURIComponent(page.url().split('#')[1])})`);
}

// ---- reload, back and forward keep the page and the session ----
async function history(page) {
  const url = page.url();
  await page.reload();
  await page.waitForSelector('#live.live', T);
  ok(page.url() === url && await page.innerText('h1 .mono') === NAME, 'reload: still signed in, the same task page, live');
  await page.click('a[href="#/tasks"]');
  await page.waitForSelector('tr[data-task]', T);
  await page.goBack();
  await page.waitForSelector('#live.live', T);
  ok(await page.innerText('h1 .mono') === NAME, 'back: the task page');
  await page.goForward();
  await page.waitForSelector('tr[data-task]', T);
  ok(await page.locator(`tr[data-task="${NAME}"] a`).count() === 1, 'forward: the task list, the new task listed by its name');
}

// ---- pause and resume from the task page: each stage change said to a screen reader ----
async function announced(page) {
  await hash(page, `#/tasks/${encodeURIComponent(NAME)}`);
  await page.waitForSelector('[data-worker][data-stage="Running"]', T);
  for (const [action, stage] of [['pause', 'Paused'], ['resume', 'Running']]) {
    await page.click(`button[data-action="${action}"]`);
    await page.click('#confirm-ok');
    await page.waitForSelector(`[data-announce]:has-text("${stage} on")`, { ...T, state: 'attached' });
    ok(await page.getAttribute('[data-announce]', 'role') === 'status',
       `${action}: a status line says "${await page.textContent('[data-announce]')}" (not shown, read out)`);
  }
}

// ---- the longest (43-character) name and its long errors: no sideways scroll, at 375 px and zoomed ----
async function longNames(browser) {
  for (const [w, h, dpr, what] of [[375, 800, 1, '375 px'], [640, 450, 2, '200 % zoom'], [320, 256, 4, '400 % zoom']]) {
    const ctx = await browser.newContext({ viewport: { width: w, height: h }, deviceScaleFactor: dpr });
    const p = await ctx.newPage();
    await signIn(p, token, `#/tasks/${encodeURIComponent(longName)}`);
    await p.waitForSelector('[data-worker]', T);
    const sideways = [];
    for (const [h2, sel] of [[`#/tasks/${encodeURIComponent(longName)}`, '[data-worker]'], ['#/tasks', 'tr[data-task]'],
                             ['#/workers', '#worker-list [data-worker]'], ['#/ddl-locks', '[data-empty], tr[data-lock]'], ['#/new', '#new-task']]) {
      await hash(p, h2);
      await p.waitForSelector(sel, T);
      await p.waitForTimeout(200);
      if (!await noSideways(p)) sideways.push(h2);
    }
    await hash(p, `#/tasks/${encodeURIComponent(longName)}`);
    await p.waitForSelector('[data-worker]', T);
    await p.click('button[data-action="stop"]');
    await p.waitForSelector('dialog#confirm[open]', T);
    if (!await noSideways(p)) sideways.push('the stop confirmation');
    const dlg = await p.$eval('dialog#confirm', d => d.scrollWidth <= d.clientWidth);
    if (what === '375 px') await screenshot(p, 'console-pass4-longname-375');
    ok(sideways.length === 0 && dlg, `a ${longName.length}-character task name at ${what}: no sideways scroll (${sideways.join(', ') || 'none'})`);
    await p.keyboard.press('Escape');
    await ctx.close();
  }
}

// ---- two tabs: B stops the task A shows; A says so instead of staying "live" ----
async function twoTabs(browser, pages) {
  const a = await watchedPage(browser), b = await watchedPage(browser);
  pages.push(a, b);
  for (const p of [a, b]) {
    await signIn(p, token, `#/tasks/${encodeURIComponent(NAME)}`);
    await p.waitForSelector('#live.live', T);
  }
  await b.click('button[data-action="stop"]');
  await b.click('#confirm-ok');
  await b.waitForURL(/#\/tasks$/, T);
  await a.waitForSelector('#live:has-text("no such task")', T);
  ok(/stopped while this page was open/.test(await a.innerText('main')) && await a.locator('button[data-action="pause"]').count() === 0,
     'the other tab: "stopped while this page was open", no Pause / Stop left');
  await axeClean(a, 'a task page whose task was stopped elsewhere');
}

// ---- offline and back: said, then live again at once (not after the stream's back-off) ----
// (the task page is opened while offline: Chromium's offline emulation leaves an open
// stream alone, as a real network blip often does until its next heartbeat)
async function offline(page, task) {
  const ctx = page.context();
  await hash(page, '#/new');
  await page.waitForSelector('#new-task', T);
  await ctx.setOffline(true);
  await hash(page, `#/tasks/${encodeURIComponent(task)}`);
  await page.waitForSelector('#live:has-text("reconnecting")', T);
  await page.waitForSelector('.alert.error[data-status="0"]', T);
  ok(/cannot be reached/.test(await page.innerText('.alert.error[data-status="0"]')), 'offline: "the gateway cannot be reached", the stream reconnecting');
  await page.waitForTimeout(7000);   // a few failed tries: the back-off grows to 8 s
  const t0 = Date.now();
  await ctx.setOffline(false);
  await page.waitForSelector('#live.live', T);
  const s = (Date.now() - t0) / 1000;
  ok(s < 4, `back online: live again after ${s.toFixed(1)} s (the back-off would wait up to 8 s)`);
  await hash(page, '#/tasks');
  await page.waitForSelector('tr[data-task]', T);
  await ctx.setOffline(true);
  await page.waitForSelector('main .alert.error[data-status="0"]', T);
  await ctx.setOffline(false);
  await page.waitForFunction(() => !document.querySelector('main .alert.error'), null, { timeout: 4000 });
  ok(true, 'the task list: offline said, back online cleared at once');
}

// ---- a slow answer: a loading line, one request at a time, how long it waits ----
async function slow(page) {
  let inFlight = 0, most = 0, release;
  const gate = new Promise(r => { release = r; });
  await page.route('**/api/v1/tasks?full=true', async r => {
    inFlight++; most = Math.max(most, inFlight);
    await gate;
    inFlight--;
    await r.continue().catch(() => {});
  });
  await hash(page, '#/new');   // a page without that request: the count is the list's alone
  await page.waitForSelector('#new-task', T);
  await hash(page, '#/tasks');
  ok(/Loading tasks/.test(await page.innerText('table.tasks')), 'a slow list: "Loading tasks…" meanwhile, not an empty table');
  await page.waitForSelector('[data-poll-wait]:has-text("waiting for DM")', { timeout: 15000 });
  ok(most === 1, `a slow list: one request in flight while it waits (${most}), the page says "${(await page.innerText('[data-poll-wait]')).trim()}"`);
  release();
  await page.waitForSelector('tr[data-task]', T);
  await page.waitForFunction(() => !document.querySelector('[data-poll-wait]').textContent, null, T);
  ok(true, 'the answer came: the list, the waiting note gone');
  await page.unroute('**/api/v1/tasks?full=true');
}

// ---- every form dialog, light and dark ----
async function dialogs(page) {
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await hash(page, '#/workers');
    await page.waitForSelector('#worker-list [data-worker]', T);
    for (const a of ['purge-relay', 'migrate-relay', 'relay-config']) {
      await page.click(`#worker-list button[data-action="${a}"]`);
      await page.waitForSelector(`dialog[data-dialog="${a}"][open]`, T);
      await page.click('dialog[open] button[data-action="dialog-ok"]');   // empty: the form says what is missing
      if (a !== 'migrate-relay') await page.waitForSelector('dialog[open] .alert.error:not([hidden])', T);
      await axeClean(page, `the ${a} dialog (${scheme}${a !== 'migrate-relay' ? ', with its message' : ''})`);
      await page.keyboard.press('Escape');
    }
    await hash(page, '#/ddl-locks');
    await page.click('button[data-action="break-any"]');
    await page.waitForSelector('dialog[data-dialog="break"][open]', T);
    await axeClean(page, `the break-lock dialog (${scheme})`);
    if (scheme === 'dark') await screenshot(page, 'console-pass4-break-dark');
    await page.keyboard.press('Escape');
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

// ---- reload: the console's files come back as 304 (ETag), the page works ----
async function revalidate(page) {
  const codes = {};
  const on = r => { const u = new URL(r.url()); if (u.pathname.startsWith('/console/')) codes[u.pathname] = r.status(); };
  page.on('response', on);
  await page.reload();
  await page.waitForSelector('main h1', T);
  page.off('response', on);
  const files = ['/console/app.js', '/console/app.css', '/console/api.js', '/console/ui.js', '/console/ops.js'];
  ok(files.every(f => codes[f] === 304), `reload: the console's files revalidated with 304 (${files.map(f => `${f.slice(9)} ${codes[f]}`).join(', ')})`);
}

const browser = await launch();
const pages = [];
try {
  await cspListener(browser);
  const page = await watchedPage(browser);
  pages.push(page);
  await tokens(page);
  await startPage(page);
  await history(page);
  await announced(page);
  await revalidate(page);
  await slow(page);
  await dialogs(page);
  await longNames(browser);
  await offline(page, NAME);
  await twoTabs(browser, pages);
  for (const p of pages) {
    const real = p.problems.filter(m => !PROVOKED.some(re => re.test(m)));
    ok(real.length === 0, `no console error, CSP violation or failed request ${real.join(' | ')}`);
  }
} catch (e) {
  ok(false, `console pass 4: ${e.stack || e}`);
  for (const p of pages) { try { await screenshot(p, 'console-pass4-failure'); } catch { /* closed */ } console.log(`# problems: ${p.problems.join(' | ')}`); }
} finally {
  await browser.close();
}
finish();
