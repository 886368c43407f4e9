// docs.mjs - /docs in a real browser: Swagger UI renders every operation of the served
// OpenAPI document, "Authorize" takes a bearer token and "Try it out" on listTasks gets a
// 200 from this gateway; axe-core finds nothing but two rules Swagger UI's own markup breaks
// (below), before and after Try it out; no console error, no failed request, nothing from
// another origin. The page, Swagger UI's files and /openapi.json come gzip-compressed
// (the browser sends Accept-Encoding: gzip; the gateway serves its build-time variants) with
// Vary: Accept-Encoding, and still render; the transferred weight is printed (no timed or
// size assertion).
// "Try it out" on the status stream of a running task shows its first event and a note
// (Swagger UI waited for the end of a stream that has none); a wrong token shows the 401;
// a reload revalidates every file with its ETag (304).
//   node docs.mjs <gateway-url> <token> <running-task-name>
import { axeViolations, launch, watchedPage, ok, screenshot, finish } from './lib.mjs';

// Swagger UI's markup, not ours: each operation's summary is a <button> holding the copy
// and deep-link controls (nested-interactive), and its tags are <h3> under an <h2> title
// with an <h4> server label between (heading-order). Everything else axe checks must pass,
// colour contrast included (console/docs/docs.css darkens Swagger UI's method colours).
const SWAGGER_MARKUP = { rules: { 'nested-interactive': { enabled: false }, 'heading-order': { enabled: false } } };

const [base, token, task] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await watchedPage(browser);
  const foreign = [];
  page.on('request', r => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url()); });
  const encoding = {};   // path -> [Content-Encoding, Vary] of each answer
  page.on('response', r => {
    const u = new URL(r.url());
    if (u.origin === new URL(base).origin) encoding[u.pathname] = [r.headers()['content-encoding'] || 'identity', r.headers()['vary'] || ''];
  });
  const resp = await page.goto(`${base}/docs`);
  ok(resp.status() === 200, `GET /docs 200 (got ${resp.status()})`);
  ok((resp.headers()['content-security-policy'] || '').includes("script-src 'self'"),
     'strict Content-Security-Policy on /docs');
  await page.waitForSelector('body[data-docs-ready="true"]', { timeout: 30000 });
  await screenshot(page, 'docs-overview');
  for (const path of ['/docs', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css', '/docs/docs.js', '/openapi.json']) {
    const [ce, vary] = encoding[path] || ['(not loaded)', ''];
    ok(ce === 'gzip' && /accept-encoding/i.test(vary), `${path} served gzip to chromium with Vary: Accept-Encoding (got ${ce}, Vary: ${vary})`);
  }
  const doc = await (await page.request.get(`${base}/openapi.json`)).json();
  let nops = 0;
  for (const p of Object.values(doc.paths)) for (const m of Object.keys(p)) if (m !== 'parameters') nops++;
  const shown = await page.locator('.opblock').count();
  ok(shown === nops, `every operation rendered (${shown} of ${nops})`);
  ok(await page.locator('.opblock-summary-path', { hasText: '/api/v1/tasks/{name}/config' }).count() > 0,
     'a $ref-heavy operation is listed');
  ok(await page.locator('text=Cannot render').count() === 0, 'no render error shown');
  const timing = await page.evaluate(() => {
    const all = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    return `${all.length} requests, ${all.reduce((s, e) => s + e.transferSize, 0)} bytes transferred, ` +
           `${all.reduce((s, e) => s + e.decodedBodySize, 0)} bytes decoded`;
  });
  console.log(`# /docs: ${timing}`);
  const light = await axeViolations(page, SWAGGER_MARKUP);
  ok(light.length === 0, `axe: no violation on /docs${light.length ? ': ' + light.join(' || ') : ''}`);

  // Authorize with the bearer token
  await page.click('button.authorize');
  await page.fill('.auth-container input[type="text"], .auth-container input[type="password"]', token);
  await page.click('.auth-btn-wrapper button.authorize');
  await page.click('.auth-btn-wrapper button.btn-done');

  // Try it out: GET /api/v1/tasks (listTasks)
  const op = page.locator('#operations-tasks-listTasks');
  await op.locator('.opblock-summary').click();
  await op.locator('button.try-out__btn').click();
  const [apiResp] = await Promise.all([
    page.waitForResponse(r => r.url().startsWith(`${base}/api/v1/tasks`) && r.request().method() === 'GET'),
    op.locator('button.execute').click(),
  ]);
  ok(apiResp.status() === 200, `try it out: GET /api/v1/tasks answered 200 (got ${apiResp.status()})`);
  ok((apiResp.request().headers()['authorization'] || '') === `Bearer ${token}`,
     'try it out sent the bearer token');
  await op.locator('.live-responses-table tbody .response-col_status').first().waitFor({ timeout: 10000 });
  const liveStatus = (await op.locator('.live-responses-table tbody .response-col_status').first().innerText()).trim();
  ok(liveStatus.startsWith('200'), `the page shows the 200 answer (${liveStatus})`);
  await screenshot(page, 'docs');

  // Try it out on a status stream: the first event and a closing note, not a spinner for ever
  const st = page.locator('#operations-tasks-streamTaskStatus');
  await st.locator('.opblock-summary').click();
  await st.locator('button.try-out__btn').click();
  await st.locator('tr[data-param-name="name"] input').fill(task);
  const t0 = Date.now();
  await st.locator('button.execute').click();
  await st.locator('.live-responses-table tbody .response-col_status').first().waitFor({ timeout: 20000 });
  const streamed = await st.locator('.live-responses-table').innerText();
  ok(/event: status/.test(streamed) && /the stream goes on/.test(streamed) && /\b200\b/.test(streamed),
     `try it out on the status stream: 200, its first event and a note after ${Date.now() - t0} ms (it used to spin for ever)`);
  ok(await st.locator('button.execute').isEnabled(), 'Execute works again after the stream try');
  await screenshot(page, 'docs-stream');

  const tried = await axeViolations(page, SWAGGER_MARKUP);
  ok(tried.length === 0, `axe: no violation on /docs after Try it out${tried.length ? ': ' + tried.join(' || ') : ''}`);

  // a wrong token through Authorize: the page shows the gateway's 401, nothing hangs
  await page.click('button.authorize');
  await page.click('.auth-btn-wrapper button:has-text("Logout")');
  await page.fill('.auth-container input[type="text"], .auth-container input[type="password"]', `${token}x`);
  await page.click('.auth-btn-wrapper button.authorize');
  await page.click('.auth-btn-wrapper button.btn-done');
  const [bad] = await Promise.all([
    page.waitForResponse(r => r.url() === `${base}/api/v1/tasks` && r.request().method() === 'GET'),
    op.locator('button.execute').click(),
  ]);
  await page.waitForFunction(() => /401/.test(document.querySelector('#operations-tasks-listTasks .live-responses-table tbody .response-col_status')?.textContent || ''), null, { timeout: 10000 });
  ok(bad.status() === 401, `try it out with a wrong token: the page shows the 401 (got ${bad.status()})`);

  // reload: every file revalidated with its ETag (304, the body not sent again), the page
  // rendered again. Resource Timing, not the response status: Chromium reports a document or
  // fetch() revalidated by a 304 with the cached 200 (the wire had the 304). A revalidated
  // entry has a transferSize of 300 (Resource Timing's fixed value for one: headers only);
  // a full answer carries its body and headers, over 1 KB for every file here.
  await page.reload();
  await page.waitForSelector('body[data-docs-ready="true"]', { timeout: 30000 });
  const sent = await page.evaluate(() => [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
    .filter(e => new URL(e.name).origin === location.origin)
    .map(e => [new URL(e.name).pathname, e.transferSize, e.encodedBodySize]));
  const files = ['/docs', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css', '/docs/docs.js', '/docs/docs.css', '/openapi.json'];
  const again = files.filter(f => !sent.some(([p, t]) => p === f && t > 0 && t <= 300));
  ok(again.length === 0, `reload: every file revalidated, no body sent again (${sent.filter(([p]) => files.includes(p)).map(([p, t, b]) => `${p} ${t} of ${b} B`).join(', ')})`);

  ok(foreign.length === 0, `nothing loaded from another origin ${foreign.join(' ')}`);
  // provoked: the 401 above, and the stream the page closes after its first event
  const real = page.problems.filter(m => !/status of 401\b/.test(m) && !/\/status\/stream\?\S* net::ERR_ABORTED$/.test(m));
  ok(real.length === 0, `no console error, CSP violation or failed request ${real.join(' | ')}`);
} catch (e) {
  ok(false, `docs page: ${e.message}`);
} finally {
  await browser.close();
}
finish();
