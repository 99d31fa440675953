/**
 * htmx-csrf.js: every htmx request that can change state carries the page's CSRF token,
 * read from <meta name="csrf-token" content="…">, in the X-CSRFToken header Flask-WTF checks.
 * Include it with htmx.min.js; no inline script is needed.
 */
var SAFE_VERBS = { get: true, head: true, options: true };

document.addEventListener('htmx:configRequest', function(event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && !SAFE_VERBS[String(event.detail.verb).toLowerCase()]) {
    event.detail.headers['X-CSRFToken'] = meta.getAttribute('content');
  }
});
