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
    // each open operation's responses table is a region: named after its operation (two
    // unnamed regions failed axe landmark-unique once a second operation was opened)
    root.querySelectorAll('table.responses-table[role="region"]:not([aria-label])').forEach(function (t) {
      var op = t.closest('.opblock');
      var m = op && op.querySelector('.opblock-summary-method'), p = op && op.querySelector('.opblock-summary-path');
      t.setAttribute('aria-label', 'Responses of ' + (m ? m.textContent + ' ' : '') + (p ? p.getAttribute('data-path') || p.textContent : t.id));
    });
    // Try it out's request body editor had no name (axe label, critical)
    root.querySelectorAll('textarea.body-param__text:not([aria-label])').forEach(function (t) {
      var op = t.closest('.opblock');
      var m = op && op.querySelector('.opblock-summary-method'), p = op && op.querySelector('.opblock-summary-path');
      t.setAttribute('aria-label', 'Request body' + (m && p ? ' of ' + m.textContent + ' ' + (p.getAttribute('data-path') || p.textContent) : ''));
    });
    root.querySelectorAll('pre.microlight:not([tabindex]), .curl:not([tabindex])').forEach(function (c) {
      c.setAttribute('tabindex', '0');
    });
  }
  // "Try it out" on a status stream (text/event-stream): Swagger UI reads an answer to its
  // end, and a stream has none, so Execute spun for ever (and stayed disabled). Such a
  // request is read until its first event (or 10 s), then closed; the page shows that
  // text and a line saying the stream goes on (curl -N or an EventSource follow it).
  var STREAM_READ_MS = 10000;
  function firstEvents(url, init) {
    var ctl = new AbortController();
    if (init.signal) init.signal.addEventListener('abort', function () { ctl.abort(); });
    var opts = Object.assign({}, init, { signal: ctl.signal });
    return fetch(url, opts).then(function (r) {
      if (!r.ok || !r.body || !/event-stream/.test(r.headers.get('Content-Type') || '')) return r;
      var reader = r.body.getReader(), dec = new TextDecoder(), text = '';
      var timer = setTimeout(function () { reader.cancel().catch(function () {}); }, STREAM_READ_MS);
      function step() {
        return reader.read().then(function (x) {
          if (!x.done) text += dec.decode(x.value, { stream: true });
          if (x.done || /(^|\n)event:[^\n]*\n(?:[^\n]+\n)*\n/.test(text)) return done(!x.done);
          return step();
        }, function () { return done(false); });
      }
      function done(cut) {
        clearTimeout(timer);
        if (cut) reader.cancel().catch(function () {});
        ctl.abort();
        text += ': [dm-gateway docs] the stream goes on; this page shows what came in the first ' +
                'event (or ' + STREAM_READ_MS / 1000 + ' s). Follow it with curl -N or an EventSource.\n';
        return new Response(text, { status: r.status, statusText: r.statusText, headers: r.headers });
      }
      return step();
    });
  }
  function intercept(req) {
    try {
      if (/\/status\/stream$/.test(new URL(req.url, location.href).pathname)) req.userFetch = firstEvents;
    } catch (e) { /* not a URL: leave it to Swagger UI */ }
    return req;
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
    requestInterceptor: intercept,
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
