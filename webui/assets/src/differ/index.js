/**
 * bpmn-differ bundle: window.GvBpmnDiffer — two synchronised viewers (old version left, new
 * right) coloured by bpmn-js-differ: added, removed, changed, moved; with a legend.
 * See webui/static/vendor/README.md.
 */
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { diff } from 'bpmn-js-differ';

import { pageLanguage, pick } from '../shared/language';
import { mark, unmark } from '../shared/marks';

export var KINDS = [
  { key: 'added', marker: 'gv-diff-added', vi: 'Thêm mới', en: 'Added' },
  { key: 'removed', marker: 'gv-diff-removed', vi: 'Đã xóa', en: 'Removed' },
  { key: 'changed', marker: 'gv-diff-changed', vi: 'Thay đổi', en: 'Changed' },
  { key: 'moved', marker: 'gv-diff-moved', vi: 'Di chuyển, đổi bố cục', en: 'Moved or re-laid out' }
];

function syncViewboxes(a, b) {
  var syncing = false;
  function follow(from, to) {
    from.get('eventBus').on('canvas.viewbox.changed', function(event) {
      if (syncing) {
        return;
      }
      syncing = true;
      var box = event.viewbox;
      to.get('canvas').viewbox({ x: box.x, y: box.y, width: box.width, height: box.height });
      syncing = false;
    });
  }
  follow(a, b);
  follow(b, a);
}

// Pools, lanes and expanded sub-processes are outlined only: filling them would hide what
// they contain (a pool grows whenever a step is added, so it is often "moved").
var CONTAINER_MARKER = 'gv-diff-container';

function isContainer(element) {
  var type = element.type;
  return type === 'bpmn:Participant' || type === 'bpmn:Lane' ||
    (type === 'bpmn:SubProcess' && element.businessObject.di && element.businessObject.di.isExpanded);
}

function markContainers(viewer) {
  var canvas = viewer.get('canvas');
  viewer.get('elementRegistry').forEach(function(element) {
    var changed = KINDS.some(function(kind) { return canvas.hasMarker(element, kind.marker); });
    if (changed && isContainer(element)) {
      canvas.addMarker(element, CONTAINER_MARKER);
    }
  });
}

function summary(model) {
  return { id: model.id, type: model.$type, name: model.name || '' };
}

function text(value) {
  if (value === undefined || value === null) {
    return null;
  }
  return typeof value === 'object' ? (value.id || value.$type || null) : value;
}

function businessObject(viewer, id) {
  var element = viewer.get('elementRegistry').get(id);
  return element ? element.businessObject : null;
}

/**
 * What changed on an element: [{attribute, oldValue, newValue}]. bpmn-js-differ 3.2 reports a
 * modified value's old and new sides the wrong way round, so plain attributes are read here from
 * the two diagrams; nested ones ("loopCharacteristics.…") are named with their values null.
 */
function attributeChanges(change, left, right) {
  var before = businessObject(left, change.model.id);
  var after = businessObject(right, change.model.id);
  return Object.keys(change.attrs).sort().map(function(attribute) {
    var plain = /^[A-Za-z$][\w$]*$/.test(attribute);
    return {
      attribute: attribute,
      oldValue: plain && before ? text(before.get(attribute)) : null,
      newValue: plain && after ? text(after.get(attribute)) : null
    };
  });
}

/** options: {left, right (containers), legend (optional element), language} */
function GvDiffer(options) {
  this.language = pageLanguage(options.language);
  this.left = new NavigatedViewer({ container: options.left });
  this.right = new NavigatedViewer({ container: options.right });
  this.legend = options.legend || null;
  syncViewboxes(this.left, this.right);
}

/**
 * Show `oldXml` left and `newXml` right, coloured. Resolves to {added, removed, changed, moved},
 * lists of {id, type, name}; changed items also carry `attrs`: [{attribute, oldValue, newValue}].
 */
GvDiffer.prototype.compare = function(oldXml, newXml) {
  var self = this;
  return self.left.importXML(oldXml)
    .then(function() { return self.right.importXML(newXml); })
    .then(function() {
      var changes = diff(self.left.getDefinitions(), self.right.getDefinitions());
      var result = {
        added: Object.values(changes._added).map(summary),
        removed: Object.values(changes._removed).map(summary),
        changed: Object.values(changes._changed).map(function(change) {
          return Object.assign(summary(change.model), { attrs: attributeChanges(change, self.left, self.right) });
        }),
        moved: Object.values(changes._layoutChanged).filter(function(model) {
          return !changes._changed[model.id];
        }).map(summary)
      };
      self._paint(result);
      self.right.get('canvas').zoom('fit-viewport', 'auto');
      return result;
    });
};

GvDiffer.prototype._paint = function(result) {
  var self = this;
  [ self.left, self.right ].forEach(function(viewer) {
    KINDS.forEach(function(kind) { unmark(viewer, kind.marker); });
    unmark(viewer, CONTAINER_MARKER);
  });
  function ids(list) { return list.map(function(item) { return item.id; }); }
  mark(self.left, ids(result.removed), 'gv-diff-removed');
  mark(self.right, ids(result.added), 'gv-diff-added');
  [ self.left, self.right ].forEach(function(viewer) {
    mark(viewer, ids(result.changed), 'gv-diff-changed');
    mark(viewer, ids(result.moved), 'gv-diff-moved');
  });
  [ self.left, self.right ].forEach(markContainers);
  if (self.legend) {
    renderLegend(self.legend, result, self.language);
  }
};

GvDiffer.prototype.destroy = function() {
  this.left.destroy();
  this.right.destroy();
};

/** A legend: one swatch, label and count per kind of change. */
export function renderLegend(container, result, language) {
  var list = document.createElement('ul');
  list.className = 'gv-diff-legend';
  KINDS.forEach(function(kind) {
    var item = document.createElement('li');
    var swatch = document.createElement('span');
    swatch.className = 'gv-diff-swatch ' + kind.marker;
    swatch.setAttribute('aria-hidden', 'true');
    item.appendChild(swatch);
    item.appendChild(document.createTextNode(pick(kind, language) + ': ' + result[kind.key].length));
    list.appendChild(item);
  });
  container.replaceChildren(list);
}

function create(options) {
  return new GvDiffer(options);
}

export { create, diff };
