# browser.sh - what the real-browser tests need (sourced): Debian's chromium (installed by
# scripts/setup.sh) and playwright-core + axe-core (the accessibility checks) from npm,
# installed at test time into tests/browser/node_modules (never committed).
browser_prepare() {
  command -v chromium >/dev/null 2>&1 || { echo "FAIL - chromium is not installed (scripts/setup.sh installs it)"; exit 1; }
  command -v node >/dev/null 2>&1 || { echo "FAIL - node is not installed (scripts/setup.sh installs nodejs)"; exit 1; }
  if [ ! -d "$ROOT/tests/browser/node_modules/playwright-core" ] || [ ! -f "$ROOT/tests/browser/node_modules/axe-core/axe.min.js" ]; then
    (cd "$ROOT/tests/browser" && flock /tmp/dmgw-npm.lock npm ci --no-audit --no-fund --ignore-scripts >/dev/null) \
      || { echo "FAIL - npm ci in tests/browser failed"; exit 1; }
  fi
}
