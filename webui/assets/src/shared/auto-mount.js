/**
 * Declarative widgets: a page marks elements with a data attribute and includes the bundle;
 * no inline script is needed (the app's Content-Security-Policy forbids it). Elements are
 * mounted when the document is ready and whenever htmx swaps new content in.
 */
export function autoMount(selector, mount) {
  function mountAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var found = Array.prototype.slice.call(scope.querySelectorAll(selector));
    if (scope.matches && scope.matches(selector)) {
      found.unshift(scope);
    }
    return Promise.all(found.filter(function(el) { return !el.hasAttribute('data-gv-mounted'); }).map(function(el) {
      el.setAttribute('data-gv-mounted', '');
      return mount(el);
    }));
  }
  if (typeof document !== 'undefined') {
    if (document.readyState === 'loading') {
      document.addEventListener('DOMContentLoaded', function() { mountAll(document); });
    } else {
      mountAll(document);
    }
    document.addEventListener('htmx:load', function(event) { mountAll(event.target); });
  }
  return mountAll;
}

/** Fire `gv:<name>` on the element (bubbling), for page scripts that want to continue. */
export function announce(el, name, detail) {
  el.dispatchEvent(new CustomEvent('gv:' + name, { bubbles: true, detail: detail }));
}

/** JSON from a data attribute, or `fallback` when absent. */
export function jsonAttribute(el, name, fallback) {
  var text = el.getAttribute(name);
  return text ? JSON.parse(text) : fallback;
}

/** A short, visible error in the widget's place (Vietnamese first). */
export function showError(el, vi, en, error) {
  var box = document.createElement('p');
  box.className = 'gv-widget-error';
  box.setAttribute('role', 'alert');
  box.textContent = (/^en\b/i.test(document.documentElement.lang) ? en : vi) + (error && error.message ? ' (' + error.message + ')' : '');
  el.appendChild(box);
}
