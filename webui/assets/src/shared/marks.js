/**
 * What giaoviec paints on a bpmn-js diagram: markers (CSS classes on elements) and overlays
 * (counts, problems). Overlay content is built with DOM calls, never HTML strings, so pages
 * under a strict Content-Security-Policy show it.
 */
import { pick } from './language';

// Badges never shrink below their CSS size when a large diagram is zoomed out to fit.
var READABLE = { min: 1 };

var COUNT_KINDS = [
  { key: 'waiting', vi: 'Đang chờ', en: 'Waiting' },
  { key: 'late', vi: 'Quá hạn', en: 'Late' },
  { key: 'incidents', vi: 'Sự cố', en: 'Incidents' }
];

function node(tag, className, text) {
  var el = document.createElement(tag);
  if (className) {
    el.className = className;
  }
  if (text !== undefined) {
    el.textContent = text;
  }
  return el;
}

/** The drawn element (shape or connection) of an id; not the root (process, collaboration). */
function drawn(diagram, id) {
  var element = id && diagram.get('elementRegistry').get(id);
  return element && (element.waypoints || element.width !== undefined) ? element : null;
}

/** Add `marker` to each element id found; returns the ids the diagram does not have. */
export function mark(diagram, ids, marker) {
  var canvas = diagram.get('canvas');
  return ids.filter(function(id) {
    if (!drawn(diagram, id)) {
      return true;
    }
    canvas.addMarker(id, marker);
    return false;
  });
}

/** Remove `marker` from every element that has it. */
export function unmark(diagram, marker) {
  var canvas = diagram.get('canvas');
  diagram.get('elementRegistry').forEach(function(element) {
    canvas.removeMarker(element, marker);
  });
}

/**
 * Overlay per-element counts, e.g. {thuc_hien: {waiting: 12, late: 3, incidents: 1}}; zeros
 * are not drawn. Returns the ids the diagram does not have.
 */
export function showCounts(diagram, counts, language) {
  var overlays = diagram.get('overlays');
  overlays.remove({ type: 'gv-counts' });
  return Object.keys(counts).filter(function(id) {
    if (!drawn(diagram, id)) {
      return true;
    }
    var box = node('div', 'gv-counts');
    box.setAttribute('role', 'group');
    COUNT_KINDS.forEach(function(kind) {
      var value = Number(counts[id][kind.key] || 0);
      if (value > 0) {
        var badge = node('span', 'gv-count gv-count--' + kind.key, String(value));
        var label = pick(kind, language) + ': ' + value;
        badge.title = label;
        badge.setAttribute('aria-label', label);
        box.appendChild(badge);
      }
    });
    if (box.childNodes.length) {
      overlays.add(id, 'gv-counts', { position: { top: -3, left: 0 }, scale: READABLE, html: box });
    }
    return false;
  });
}

export function clearCounts(diagram) {
  diagram.get('overlays').remove({ type: 'gv-counts' });
}

/**
 * Mark elements with problems, e.g. [{element_id: 'Task_1', message: 'Phần tử … chưa được hỗ
 * trợ.'}]: a red outline and a focusable badge whose text shows on hover and focus. Returns
 * the problems whose element is not on the diagram (no id, or not drawn), for the page to list.
 */
export function showProblems(diagram, problems, language) {
  return showNotes(diagram, problems, language, 'gv-problem', { vi: 'Lỗi', en: 'Problem' });
}

export function clearProblems(diagram) {
  clearNotes(diagram, 'gv-problem');
}

/**
 * Mark elements with warnings (what deploys but does not do what the model suggests): an amber
 * outline and badge, like showProblems; they never stop a deploy.
 */
export function showWarnings(diagram, warnings, language) {
  return showNotes(diagram, warnings, language, 'gv-warning', { vi: 'Cảnh báo', en: 'Warning' });
}

export function clearWarnings(diagram) {
  clearNotes(diagram, 'gv-warning');
}

function showNotes(diagram, notes, language, kind, titles) {
  var overlays = diagram.get('overlays');
  clearNotes(diagram, kind);
  var byElement = {};
  var unplaced = [];
  notes.forEach(function(note) {
    var id = note.element_id;
    if (drawn(diagram, id)) {
      (byElement[id] = byElement[id] || []).push(note.message);
    } else {
      unplaced.push(note);
    }
  });
  var title = pick(titles, language);
  Object.keys(byElement).forEach(function(id) {
    diagram.get('canvas').addMarker(id, kind);
    var badge = node('div', 'gv-problem-badge ' + kind + '-badge');
    badge.tabIndex = 0;
    badge.setAttribute('role', 'note');
    badge.setAttribute('aria-label', title + ': ' + byElement[id].join(' '));
    badge.appendChild(node('span', 'gv-problem-icon', '!')).setAttribute('aria-hidden', 'true');
    var list = node('ul', 'gv-problem-text');
    byElement[id].forEach(function(message) { list.appendChild(node('li', null, message)); });
    badge.appendChild(list);
    overlays.add(id, kind, { position: { top: 0, left: 0 }, scale: READABLE, html: badge });
  });
  return unplaced;
}

function clearNotes(diagram, kind) {
  diagram.get('overlays').remove({ type: kind });
  unmark(diagram, kind);
}

/** Scroll an element into view and select it (a page's list of problems links here). */
export function focusElement(diagram, id) {
  var element = drawn(diagram, id);
  if (!element) {
    return false;
  }
  diagram.get('canvas').scrollToElement(element);
  var selection = diagram.get('selection', false);
  if (selection) {
    selection.select(element);
  }
  return true;
}
