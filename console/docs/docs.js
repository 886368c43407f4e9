/* docs.js - renders /openapi.json with Swagger UI (served by the gateway itself: no CDN).
 * "Authorize" takes a bearer token; "Try it out" calls this gateway (servers: [/]).
 * The token stays in this page's memory only (persistAuthorization off). */
'use strict';
(function () {
  var root = document.getElementById('swagger-ui');
  function fail(msg) {
    root.textContent = '';
    var p = document.createElement('p');
    p.className = 'dmgw-error';
    p.textContent = 'Cannot render the API document: ' + msg;
    root.appendChild(p);
  }
  function landmark(sel, name) {
    var n = document.querySelector(sel);
    if (n) { n.setAttribute('role', 'region'); n.setAttribute('aria-label', name); }
  }
  // Controls Swagger UI renders later (Try it out) without an accessible name: a parameter's
  // value list is named after the parameter, an examples list "Example"; a code block that
  // scrolls gets into the Tab order so the keyboard can scroll it.
  function nameControls() {
    root.querySelectorAll('select:not([aria-label])').forEach(function (s) {
      if (s.labels && s.labels.length) return;
      var row = s.closest('tr[data-param-name]');
      s.setAttribute('aria-label', row ? row.getAttribute('data-param-name') : 'Example');
    });
    root.querySelectorAll('pre.microlight:not([tabindex]), .curl:not([tabindex])').forEach(function (c) {
      c.setAttribute('tabindex', '0');
    });
  }
  if (typeof window.SwaggerUIBundle !== 'function') {
    fail('the Swagger UI bundle did not load');
    return;
  }
  window.ui = window.SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    displayRequestDuration: true,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    persistAuthorization: false,
    tryItOutEnabled: false,
    validatorUrl: null,
    syntaxHighlight: false,   // its colours fail AA contrast on the dark code blocks
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    onComplete: function () {
      // Swagger UI's server chooser has no accessible name (axe select-name)
      var servers = document.getElementById('servers');
      if (servers && !servers.getAttribute('aria-label')) servers.setAttribute('aria-label', 'Server');
      // the blocks Swagger UI puts beside its <main id="operations">, as named regions (axe region)
      landmark('.information-container', 'About this API');
      landmark('.scheme-container', 'Server and authorization');
      new MutationObserver(nameControls).observe(root, { childList: true, subtree: true });
      nameControls();
      document.body.setAttribute('data-docs-ready', 'true');
    }
  });
})();
