// docs.mjs - /docs in a real browser: Swagger UI renders every operation of the served
// OpenAPI document, "Authorize" takes a bearer token and "Try it out" on listTasks gets a
// 200 from this gateway; no console error, no failed request, nothing from another origin.
//   node docs.mjs <gateway-url> <token>
import { launch, watchedPage, ok, screenshot, finish } from './lib.mjs';

const [base, token] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await watchedPage(browser);
  const foreign = [];
  page.on('request', r => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url()); });
  const resp = await page.goto(`${base}/docs`);
  ok(resp.status() === 200, `GET /docs 200 (got ${resp.status()})`);
  ok((resp.headers()['content-security-policy'] || '').includes("script-src 'self'"),
     'strict Content-Security-Policy on /docs');
  await page.waitForSelector('body[data-docs-ready="true"]', { timeout: 30000 });
  await screenshot(page, 'docs-overview');
  const doc = await (await page.request.get(`${base}/openapi.json`)).json();
  let nops = 0;
  for (const p of Object.values(doc.paths)) for (const m of Object.keys(p)) if (m !== 'parameters') nops++;
  const shown = await page.locator('.opblock').count();
  ok(shown === nops, `every operation rendered (${shown} of ${nops})`);
  ok(await page.locator('.opblock-summary-path', { hasText: '/api/v1/tasks/{name}/config' }).count() > 0,
     'a $ref-heavy operation is listed');
  ok(await page.locator('text=Cannot render').count() === 0, 'no render error shown');

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

  ok(foreign.length === 0, `nothing loaded from another origin ${foreign.join(' ')}`);
  ok(page.problems.length === 0, `no console error or failed request ${page.problems.join(' | ')}`);
} catch (e) {
  ok(false, `docs page: ${e.message}`);
} finally {
  await browser.close();
}
finish();
