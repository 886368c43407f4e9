// lib.mjs - shared helpers for the real-browser tests: Debian's chromium through
// playwright-core, a page that records every console error and failed request (a test
// fails on any), TAP-like ok/FAIL lines and a closing "N passed, N failed" line.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';

let passes = 0, fails = 0;
export function ok(cond, what) {
  if (cond) { passes++; console.log(`ok   - ${what}`); }
  else { fails++; console.log(`FAIL - ${what}`); }
  return cond;
}

export async function launch() {
  const exe = process.env.CHROMIUM || '/usr/bin/chromium';
  return chromium.launch({ executablePath: exe, headless: true,
                           args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

// A page whose console errors, page errors and failed or >= 500 requests are collected
// in page.problems (4xx answers the test provokes on purpose are the test's business).
export async function watchedPage(browser, opts = {}) {
  const ctx = await browser.newContext({ viewport: opts.viewport || { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.problems = [];
  // a console error names its URL when it has one (a failed load says only its status)
  page.on('console', m => {
    if (m.type() === 'error') page.problems.push(`console: ${m.text()}${m.location()?.url ? ` @ ${m.location().url}` : ''}`);
  });
  page.on('pageerror', e => page.problems.push(`page error: ${e.message}`));
  page.on('requestfailed', r => page.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', r => { if (r.status() >= 500) page.problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  // every Content-Security-Policy (and Trusted Types) violation, reported by the page itself
  // (Chromium also logs most as console errors, but not all: a blocked style attribute of a
  // report-only kind, a violation in a worker); the listener is injected through the
  // DevTools protocol, so it runs under the console's CSP without loosening it
  await page.exposeFunction('__dmgwCspViolation', v => page.problems.push(`CSP violation: ${v}`));
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation', e =>
    window.__dmgwCspViolation(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} in ${e.sourceFile || e.documentURI}:${e.lineNumber}`)));
  return page;
}

export async function screenshot(page, name) {
  const dir = process.env.DMGW_ARTIFACTS || 'test-artifacts';
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: `${dir}/${name}.png`, fullPage: false });
  console.log(`# screenshot ${dir}/${name}.png`);
}

export function finish() {
  console.log(`${passes} passed, ${fails} failed`);
  process.exit(fails ? 1 : 0);
}

// An HS256 JWT signed with the gateway's secret (the file `dm-gateway token` reads): what a
// test needs that the CLI cannot give, e.g. a token that expires in a few seconds.
export function mintToken(secretFile, { sub = 'browser-test', scope = 'dm:read dm:write dm:admin', ttl = 3600 } = {}) {
  const secret = readFileSync(secretFile, 'utf8').replace(/[\r\n]+$/, '');
  const b64 = o => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, scope, iat: now, nbf: now, exp: now + ttl })}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

// Run axe-core (from tests/browser/node_modules) in the page; the violations as readable
// lines ("rule (impact) xN: selectors"). Evaluated through the DevTools protocol: the
// console's CSP forbids inline scripts, and the check must not loosen it.
let axeSource = null;
export async function axeViolations(page, options = {}) {
  axeSource ??= readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
  if (!await page.evaluate(() => !!window.axe)) await page.evaluate(axeSource);
  const v = await page.evaluate(async o => (await window.axe.run(document, o)).violations
    .map(x => `${x.id} (${x.impact}) x${x.nodes.length}: ${x.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' ; ')}`), options);
  return v;
}
