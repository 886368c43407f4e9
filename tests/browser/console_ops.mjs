// console_ops.mjs - the console's operator pages in a real browser against the real stack:
// DDL locks (the empty state; a break whose answer is shown; unlock of a listed lock, the
// list stubbed in the page because one source cannot make a sharding lock, the unlock
// itself sent to the real gateway), relay actions per worker (pause, purge with its form
// checked before sending, migrate: DM's answer shown readably, success or "not supported"
// with status, DM code and request id), the SQL operators form (a 400 problem+json, a DM
// error with its code, a registered sql-skip), keyboard only (tab order reaches the
// actions, focus visible, Enter opens / Escape cancels a dialog and the focus returns),
// a statement the worker cannot apply pauses the task, its error offers "Skip it…", which
// fills the SQL form; register + resume and replication goes on past it (real MariaDB);
// a read-only token sees every such action disabled with the reason, 375 px wide without
// horizontal scrolling; no console error or failed request but the ones provoked here.
//   node console_ops.mjs <gateway-url> <admin-token> <read-only-token> <task-name> <source-port> <target-port>
import { execFileSync } from 'node:child_process';
import { launch, watchedPage, ok, screenshot, finish } from './lib.mjs';

const [base, token, roToken, TASK, srcPort, tgtPort] = process.argv.slice(2);
const sqlAt = (port, q) => execFileSync('mariadb', ['-h127.0.0.1', `-P${port}`, '-uroot', '-N', '-B', '-e', q], { encoding: 'utf8' }).trim();
const T = { timeout: 15000 };
// the API calls this test makes fail on purpose (each answer is asserted to be shown)
const PROVOKED_URL = /\/api\/v1\/(relay\/(pause|resume|purge|switch-master)|workers\/[^/]+\/(relay\/migrate|relay-config)|tasks\/[^/]+\/(sql|ddl-locks\/break)|ddl-locks\/[^/]+\/unlock)$/;
const PROVOKED = m => {
  const u = (m.match(/ @ (\S+)$/) || m.match(/^HTTP \d+: (\S+)$/) || [])[1];
  return !!u && PROVOKED_URL.test(new URL(u).pathname) &&
         (/^HTTP 5\d\d: /.test(m) || /Failed to load resource: the server responded with a status of (400|404|409|5\d\d)\b/.test(m));
};
// leaving a task page closes its EventSource, which Chromium reports as an aborted request
const CLOSED_STREAM = /^request failed: \S+\/status\/stream\?ticket=[0-9a-f]{64}\S* net::ERR_ABORTED$/;

async function signIn(page, tok) {
  await page.goto(`${base}/`);
  await page.waitForSelector('#token', T);
  await page.fill('#token', tok);
  await page.press('#token', 'Enter');
  await page.waitForSelector(`tr[data-task="${TASK}"]`, T);
}

async function go(page, hash, selector) {
  await page.evaluate(h => { location.hash = h; }, hash);
  await page.waitForSelector(selector, T);
}

// The answer shown in `scope` after an action: an ok box, or an error/warning that says
// what happened, DM's message and the request id. Returns its text.
async function readableAnswer(page, scope, what) {
  const box = page.locator(`${scope} .alert.ok, ${scope} .alert.error, ${scope} .alert.warn`).first();
  await box.waitFor(T);
  const text = await box.innerText();
  const cls = await box.getAttribute('class');
  if (/\bok\b/.test(cls)) ok(/done/.test(text), `${what}: success shown (${text.replace(/\n/g, ' | ')})`);
  else ok(/request id [0-9a-f]{8,}/.test(text) && /HTTP \d{3}/.test(text) && text.split('\n').filter(Boolean).length >= 3,
          `${what}: DM's answer shown readably (${text.replace(/\n/g, ' | ').slice(0, 220)})`);
  const id = (text.match(/request id ([0-9a-f]+)/) || [])[1];
  if (id) console.log(`# shown request id ${id}`);   // the shell finds each in the gateway's log
  return text;
}

async function confirmOk(page) {
  await page.waitForSelector('dialog#confirm[open]', T);
  await page.click('#confirm-ok');
}

const browser = await launch();
const pages = [];
try {
  ok(!!TASK, `task ${TASK}`);
  const page = await watchedPage(browser);
  pages.push(page);
  await signIn(page, token);

  // ---- DDL locks: the empty state, then break a worker's lock through the form ----
  await page.click('nav a[href="#/ddl-locks"]');
  await page.waitForSelector('[data-empty="ddl-locks"]', T);
  ok(await page.locator('nav a[aria-current="page"]').innerText() === 'DDL locks', 'DDL locks: the nav marks the page');
  ok(/No DDL lock exists/.test(await page.locator('#ddl-locks').innerText()), 'DDL locks: empty state says no lock exists');
  await screenshot(page, 'console-ops-ddl-locks-empty');
  // keyboard: focus the button, Enter opens the form with the focus in it, Escape cancels
  await page.focus('button[data-action="break-any"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('dialog[data-dialog="break"][open]', T);
  ok(await page.evaluate(() => document.activeElement?.closest('dialog[open]') !== null && document.activeElement.tagName === 'SELECT'),
     'break form: Enter opened it, the focus is on its first field');
  await page.keyboard.press('Escape');
  await page.waitForSelector('dialog[data-dialog="break"]', { state: 'detached', ...T });
  ok(await page.evaluate(() => document.activeElement?.dataset.action === 'break-any'), 'break form: Escape closed it, the focus is back on its button');
  await page.click('button[data-action="break-any"]');
  await page.waitForSelector('dialog[data-dialog="break"][open]', T);
  ok(await page.inputValue('dialog[data-dialog="break"] select[name="task"]') === TASK, 'break form: the running task is offered');
  await page.check('dialog[data-dialog="break"] input[name="ddl"][value="skip"]');
  await page.keyboard.press('Enter');   // Enter in the form submits it
  await readableAnswer(page, 'main', 'break a worker\'s DDL lock (skip)');

  // unlock: a listed lock (stubbed list) -> the real gateway answers the unlock
  const LOCK = `${TASK}-\`shop\`.\`orders\``;
  await page.route('**/api/v1/ddl-locks', r => r.fulfill({ status: 200, contentType: 'application/json',
    body: JSON.stringify({ result: true, msg: '', locks: [{ ID: LOCK, task: TASK, owner: '127.0.0.1:1',
      DDLs: ['ALTER TABLE `shop`.`orders` ADD COLUMN `note` TEXT'], synced: ['127.0.0.1:1'], unsynced: ['127.0.0.1:2'] }] }) }));
  await go(page, '#/workers', '[data-worker]');
  await go(page, '#/ddl-locks', 'tr[data-lock]');
  const row = await page.locator('tr[data-lock]').innerText();
  ok(row.includes(LOCK) && row.includes('ADD COLUMN') && row.includes('127.0.0.1:2'), 'DDL locks: a lock row shows ID, DDLs, synced and unsynced workers');
  await page.click('tr[data-lock] button[data-action="unlock"]');
  await page.waitForSelector('dialog[data-dialog="unlock"][open]', T);
  await page.selectOption('dialog[data-dialog="unlock"] select[name="owner"]', '127.0.0.1:2');
  await page.check('dialog[data-dialog="unlock"] input[name="forceRemove"]');
  const unlockReq = page.waitForRequest(r => r.url().includes('/unlock') && r.method() === 'POST', T);
  await page.click('dialog[data-dialog="unlock"] button[data-action="dialog-ok"]');
  const sent = JSON.parse((await unlockReq).postData());
  ok(sent.owner === '127.0.0.1:2' && sent.forceRemove === true, `unlock sends the new owner and force remove (${JSON.stringify(sent)})`);
  const unlockText = await readableAnswer(page, 'main', 'unlock a lock the master does not have');
  ok(/not found/.test(unlockText) && /DM code 38019/.test(unlockText), 'unlock: DM\'s "lock not found" with its DM code');
  await screenshot(page, 'console-ops-ddl-unlock-error');
  await page.unroute('**/api/v1/ddl-locks');

  // ---- workers and relay ----
  await page.click('nav a[href="#/workers"]');
  await page.waitForSelector('section[data-worker]', T);
  const worker = await page.getAttribute('section[data-worker]', 'data-worker');
  const card = `section[data-worker="${worker}"]`;
  ok(/source\s*mysql-replica-01/.test(await page.locator(card).innerText()), `worker ${worker}: its source and relay status shown`);
  ok(!!await page.getAttribute(card, 'data-relay-stage'), `worker ${worker}: relay stage ${await page.getAttribute(card, 'data-relay-stage')}`);
  // a poll that brings nothing new leaves the page alone: the focus stays on a link in it
  await page.focus(`${card} a.tag`);
  const before = await page.locator('#main .row.end .muted').innerText();
  await page.waitForFunction(b => document.querySelector('#main .row.end .muted')?.textContent !== b, before, T);
  ok(await page.evaluate(() => document.activeElement?.classList.contains('tag')), 'the 5 s poll kept the keyboard focus on the task link');
  // keyboard only: Tab from the page content reaches the relay actions, every stop shows its focus
  await page.evaluate(() => document.getElementById('main').focus());   // where a route change leaves it
  const stops = [];
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    const s = await page.evaluate(() => {
      const a = document.activeElement;
      const cs = getComputedStyle(a);
      return { what: a.dataset.action || a.getAttribute('href') || a.tagName, visible: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0 };
    });
    stops.push(s);
    if (s.what === 'pause-relay') break;
  }
  ok(stops.at(-1).what === 'pause-relay', `Tab reaches "Pause relay" (${stops.map(s => s.what).join(' > ')})`);
  ok(stops.every(s => s.visible), `every Tab stop has a visible focus ring (${stops.filter(s => !s.visible).map(s => s.what).join(', ') || 'all'})`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('dialog#confirm[open]', T);
  ok(await page.evaluate(() => document.activeElement?.id === 'confirm-cancel'), 'confirm: the focus starts on Cancel');
  let posted = 0;
  const countPosts = r => { if (r.method() === 'POST' && r.url().includes('/relay/')) posted++; };
  page.on('request', countPosts);
  await page.keyboard.press('Escape');
  await page.waitForSelector('dialog#confirm', { state: 'hidden', ...T });
  ok(posted === 0 && await page.evaluate(() => document.activeElement?.dataset.action === 'pause-relay'),
     'confirm: Escape cancels (nothing sent), the focus is back on "Pause relay"');
  page.off('request', countPosts);
  await page.click(`${card} button[data-action="pause-relay"]`);
  await confirmOk(page);
  await readableAnswer(page, card, 'pause relay');
  await screenshot(page, 'console-ops-relay');

  // purge: the form refuses a missing file name before anything is sent
  await page.click(`${card} button[data-action="purge-relay"]`);
  await page.waitForSelector('dialog[data-dialog="purge-relay"][open]', T);
  await page.click('dialog[data-dialog="purge-relay"] button[data-action="dialog-ok"]');
  await page.waitForSelector('dialog[data-dialog="purge-relay"] .alert.error:not([hidden])', T);
  ok(/file name/.test(await page.locator('dialog[data-dialog="purge-relay"] .alert.error').innerText()), 'purge: an empty file name is refused in the form');
  await page.check('dialog[data-dialog="purge-relay"] input[value="inactive"]');
  const purgeReq = page.waitForRequest(r => r.url().endsWith('/api/v1/relay/purge'), T);
  await page.click('dialog[data-dialog="purge-relay"] button[data-action="dialog-ok"]');
  const purgeBody = JSON.parse((await purgeReq).postData());
  ok(purgeBody.inactive === true && purgeBody.workers[0] === worker, `purge sends {workers, inactive} (${JSON.stringify(purgeBody)})`);
  await page.waitForFunction(c => !document.querySelector(`${c} p[role=status]`), card, T);
  await readableAnswer(page, card, 'purge inactive relay logs');

  // migrate
  await page.click(`${card} button[data-action="migrate-relay"]`);
  await page.waitForSelector('dialog[data-dialog="migrate-relay"][open]', T);
  await page.fill('dialog[data-dialog="migrate-relay"] input[name="binlogName"]', 'mysql-bin.000001');
  const migReq = page.waitForRequest(r => r.url().endsWith('/relay/migrate'), T);
  await page.click('dialog[data-dialog="migrate-relay"] button[data-action="dialog-ok"]');
  ok(JSON.parse((await migReq).postData()).binlogPos === 4, 'migrate sends {binlogName, binlogPos: 4}');
  await page.waitForFunction(c => !document.querySelector(`${c} p[role=status]`), card, T);
  await readableAnswer(page, card, 'migrate relay');

  // switch master, replace the worker config (TOML), refresh worker tasks
  const answered = async (urlEnd, what, where, act) => {
    const req = page.waitForRequest(r => r.url().endsWith(urlEnd), T);
    await act();
    const body = (await req).postData();
    await page.waitForFunction(c => !document.querySelector(`${c} p[role=status]`), where, T);
    await readableAnswer(page, where, what);
    return body;
  };
  const sw = await answered('/relay/switch-master', 'switch relay master', card, async () => {
    await page.click(`${card} button[data-action="switch-master"]`);
    await confirmOk(page);
  });
  ok(JSON.parse(sw).workers[0] === worker, 'switch master sends {workers: [worker]}');
  const toml = await answered('/relay-config', 'replace the worker config', card, async () => {
    await page.click(`${card} button[data-action="relay-config"]`);
    await page.waitForSelector('dialog[data-dialog="relay-config"][open]', T);
    await page.fill('dialog[data-dialog="relay-config"] textarea',
                    `source-id = "mysql-replica-01"\n[from]\nhost = "127.0.0.1"\nport = ${srcPort}\nuser = "root"\npassword = ""\n`);
    await page.click('dialog[data-dialog="relay-config"] button[data-action="dialog-ok"]');
  });
  ok(/source-id = "mysql-replica-01"/.test(toml), 'replace config sends the TOML as is');
  // the relay was paused above and the task reads it (binlog-type local): resume it
  const resumed = await answered('/relay/resume', 'resume relay', card, async () => {
    await page.click(`${card} button[data-action="resume-relay"]`);
    await confirmOk(page);
  });
  ok(JSON.parse(resumed).workers[0] === worker, 'resume relay sends {workers: [worker]}');
  await page.waitForSelector(`${card}[data-relay-stage="Running"]`, T);
  ok(true, 'resume relay: the worker card shows relay stage Running again');
  await answered('/workers/refresh', 'refresh worker tasks', 'main', async () => {
    await page.click('button[data-action="refresh-worker-tasks"]');
    await confirmOk(page);
  });

  // ---- SQL operators on the task page ----
  await page.click('nav a[href="#/tasks"]');
  await page.click(`tr[data-task="${TASK}"] a`);
  await page.waitForSelector('#live.live', T);
  const sql = '#sql-operators';
  await page.waitForFunction(() => document.querySelector('#sql-operators select[name="worker"]')?.options.length > 0, null, T);
  // skip without a position: the gateway's 400 problem+json detail
  await page.click(`${sql} button[data-action="sql-submit"]`);
  await confirmOk(page);
  let text = await readableAnswer(page, sql, 'sql-skip without a position');
  ok(/Bad request/.test(text) && /must specify one of --binlog-pos and --sql-pattern/.test(text), 'sql-skip: the 400 detail is shown');
  // inject a DDL DM refuses: the DM error with its code
  await page.selectOption(`${sql} select[name="op"]`, 'inject');
  ok(await page.isHidden(`${sql} input[name="binlogPos"]`) && await page.isVisible(`${sql} textarea[name="sqls"]`), 'sql-inject: the form asks for statements, not a position');
  await page.fill(`${sql} textarea[name="sqls"]`, 'ALTER TABLE orders ADD COLUMN note TEXT;');
  await page.click(`${sql} button[data-action="sql-submit"]`);
  await confirmOk(page);
  await page.waitForSelector(`${sql} .alert.error:not(:has-text("Bad request"))`, T);
  text = await readableAnswer(page, sql, 'sql-inject of a DDL without schema');
  ok(/DM code \d+/.test(text), 'sql-inject: DM\'s code shown');
  await screenshot(page, 'console-ops-sql-error');
  // a skip at a position: registered
  await page.selectOption(`${sql} select[name="op"]`, 'skip');
  await page.fill(`${sql} input[name="binlogPos"]`, 'mysql-bin.999999:4');
  const sqlReq = page.waitForRequest(r => r.url().endsWith(`/tasks/${TASK}/sql`), T);
  await page.click(`${sql} button[data-action="sql-submit"]`);
  await confirmOk(page);
  const sqlBody = JSON.parse((await sqlReq).postData());
  ok(sqlBody.op === 'skip' && sqlBody.binlogPos === 'mysql-bin.999999:4' && sqlBody.worker === worker && !sqlBody.sqls,
     `sql-skip sends {op, worker, binlogPos} (${JSON.stringify(sqlBody)})`);
  await page.waitForSelector(`${sql} .alert.ok`, T);
  ok(/sql-skip: done/.test(await page.locator(`${sql} .alert.ok`).innerText()), 'sql-skip at a position: registered, shown');

  // a 207 (DM did it on some workers only) is not shown as success (answer stubbed: one
  // worker cannot fail alone here)
  await page.route(`**/api/v1/tasks/${TASK}/pause`, r => r.fulfill({ status: 207, contentType: 'application/json',
    headers: { 'X-Request-Id': 'feedface00000000feedface00000000' },
    body: JSON.stringify({ op: 'Pause', result: true, msg: '', workers: [{ result: true, worker: worker, msg: '' },
      { result: false, worker: '127.0.0.1:9', msg: 'sub task shop-sync not found' }] }) }));
  await page.click('button[data-action="pause"]');
  await confirmOk(page);
  await page.waitForSelector('.alert.warn[data-status="207"]', T);
  const warn = await page.locator('.alert.warn').innerText();
  ok(/some workers only/.test(warn) && warn.includes('127.0.0.1:9') && warn.includes('sub task shop-sync not found') && /HTTP 207/.test(warn),
     `207: the failed worker and its message are shown (${warn.replace(/\n/g, ' | ')})`);
  await page.unroute(`**/api/v1/tasks/${TASK}/pause`);

  // ---- a real failure, fixed from the console: the worker cannot apply CREATE SEQUENCE ----
  const SEQ = `console_sq_${Date.now()}`;   // unique: the test can run again on one stack
  sqlAt(srcPort, `CREATE SEQUENCE shop.${SEQ}`);
  await page.waitForSelector('[data-worker][data-stage="Paused"]', T);
  ok(true, 'CREATE SEQUENCE on the source: the task page shows Paused (through the stream)');
  await page.waitForSelector('#errors li[data-failed-pos] button[data-action="fix-skip"]', T);   // errors reload on a stage change
  const failed = await page.getAttribute('#errors li[data-failed-pos]', 'data-failed-pos');
  const errText = await page.locator('#errors li[data-failed-pos]').innerText();
  ok(/DM code 36017/.test(errText) && errText.includes(`CREATE SEQUENCE shop.${SEQ}`) && !errText.includes('[code='),
     `the error is readable: code, statement, position ${failed} (${errText.replace(/\n/g, ' | ').slice(0, 160)})`);
  ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'a long DM error wraps (no horizontal scrolling)');
  await screenshot(page, 'console-ops-task-error');
  await page.click('#errors button[data-action="fix-skip"]');
  ok(await page.inputValue(`${sql} select[name="op"]`) === 'skip' && await page.inputValue(`${sql} input[name="binlogPos"]`) === failed &&
     await page.inputValue(`${sql} select[name="worker"]`) === worker, '"Skip it…" fills the SQL form: skip, that worker, that position');
  ok(await page.evaluate(() => document.activeElement?.dataset.action === 'sql-submit'), '"Skip it…" puts the focus on "Register operator"');
  await page.keyboard.press('Enter');
  await page.waitForSelector('dialog#confirm[open]', T);
  await page.keyboard.press('Tab');      // Cancel -> Register
  await page.keyboard.press('Enter');
  await page.waitForSelector(`${sql} .alert.ok`, T);
  ok(true, 'sql-skip registered from the keyboard');
  await page.click('button[data-action="resume"]');
  await confirmOk(page);
  await page.waitForSelector('[data-worker][data-stage="Running"]', T);
  await page.waitForSelector('#errors [data-errors="0"]', T);
  ok(true, 'resumed: Running again, the errors list is empty');
  sqlAt(srcPort, `INSERT INTO shop.customers(name,email) VALUES ('after-${SEQ}','c@example.com')`);
  let got = '0';
  for (let i = 0; i < 50 && got !== '1'; i++) {
    got = sqlAt(tgtPort, `SELECT COUNT(*) FROM shop.customers WHERE name='after-${SEQ}'`);
    if (got !== '1') await page.waitForTimeout(200);
  }
  ok(got === '1', 'a row written after the skipped statement reached the target');
  ok(sqlAt(tgtPort, `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='shop' AND TABLE_NAME='${SEQ}'`) === '0',
     'the skipped statement was not applied on the target');

  // ---- a read-only token ----
  const ro = await watchedPage(browser);
  pages.push(ro);
  await signIn(ro, roToken);
  await go(ro, '#/workers', 'section[data-worker] button[data-action="pause-relay"]');
  for (const a of ['refresh-worker-tasks', 'pause-relay', 'resume-relay', 'switch-master', 'purge-relay', 'migrate-relay', 'relay-config']) {
    const b = ro.locator(`button[data-action="${a}"]`).first();
    ok(await b.isDisabled() && /Needs dm:admin/.test(await b.getAttribute('title') || ''), `read-only: ${a} disabled, with the reason`);
  }
  ok(/Read only: Every relay action needs dm:admin/.test(await ro.locator('[data-scope-note="dm:admin"]').innerText()),
     'read-only: the workers page says so in words (a disabled button\'s title is out of keyboard reach)');
  await go(ro, '#/ddl-locks', '[data-empty="ddl-locks"]');
  ok(await ro.isVisible('[data-scope-note="dm:admin"]'), 'read-only: the DDL locks page says so in words');
  ok(await ro.isDisabled('button[data-action="break-any"]') && /Needs dm:admin/.test(await ro.getAttribute('button[data-action="break-any"]', 'title')),
     'read-only: break a worker\'s lock disabled, with the reason');
  await go(ro, `#/tasks/${TASK}`, '#sql-operators');
  ok(await ro.isDisabled('#sql-operators button[data-action="sql-submit"]') && /Needs dm:write/.test(await ro.getAttribute('#sql-operators button[data-action="sql-submit"]', 'title')),
     'read-only: SQL operators disabled, with the reason');
  ok(await ro.isDisabled('#sql-operators select[name="op"]') && /Read only/.test(await ro.locator('#sql-operators').innerText()), 'read-only: the SQL form says why it is read only');
  await screenshot(ro, 'console-ops-read-only');

  // ---- 375 px wide: no horizontal scrolling anywhere ----
  const narrow = await watchedPage(browser, { viewport: { width: 375, height: 812 } });
  pages.push(narrow);
  await signIn(narrow, token);
  for (const [hash, sel, shot] of [['#/tasks', `tr[data-task="${TASK}"]`, 'tasks'], [`#/tasks/${TASK}`, '[data-worker][data-stage]', 'task'],
                                   ['#/workers', 'section[data-worker]', 'workers'], ['#/ddl-locks', '[data-empty="ddl-locks"]', 'ddl-locks'],
                                   ['#/new', '#new-task', 'new']]) {
    await go(narrow, hash, sel);
    const w = await narrow.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    ok(w[0] <= w[1], `375 px: ${shot} has no horizontal scrolling (${w[0]} <= ${w[1]})`);
    ok(!/^(null|undefined|\[object \w+\])$/m.test(await narrow.locator('main').innerText()), `${shot}: no stray "null" / "undefined" text`);
    await screenshot(narrow, `console-ops-375-${shot}`);
  }
  await go(narrow, '#/workers', 'section[data-worker]');
  await narrow.click('section[data-worker] button[data-action="purge-relay"]');
  await narrow.waitForSelector('dialog[data-dialog="purge-relay"][open]', T);
  const d = await narrow.evaluate(() => { const r = document.querySelector('dialog[open]').getBoundingClientRect(); return [r.left, r.right]; });
  ok(d[0] >= 0 && d[1] <= 375, `375 px: the purge form fits (${d.map(Math.round).join('..')})`);
  await screenshot(narrow, 'console-ops-375-purge');
  await narrow.keyboard.press('Escape');

  for (const p of pages) {
    const real = p.problems.filter(m => !PROVOKED(m) && !CLOSED_STREAM.test(m));
    ok(real.length === 0, `no console error or failed request but the provoked ones ${real.join(' | ')}`);
  }
} catch (e) {
  ok(false, `console ops: ${e.message}`);
  for (const p of pages) { try { await screenshot(p, 'console-ops-failure'); } catch { /* closed */ } console.log(`# problems: ${p.problems.join(' | ')}`); }
} finally {
  await browser.close();
}
finish();
