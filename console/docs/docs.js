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
  // Swagger UI's own dark theme (html.dark-mode) when the system asks for dark
  var dark = window.matchMedia('(prefers-color-scheme: dark)');
  function theme() { document.documentElement.classList.toggle('dark-mode', dark.matches); }
  theme();
  dark.addEventListener('change', theme);
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
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    onComplete: function () {
      // Swagger UI's server chooser has no accessible name (axe select-name)
      var servers = document.getElementById('servers');
      if (servers && !servers.getAttribute('aria-label')) servers.setAttribute('aria-label', 'Server');
      document.body.setAttribute('data-docs-ready', 'true');
    }
  });
})();
