/**
 * Keep the diagram information bpmn-js cannot draw. On save, bpmn-js rebuilds each plane from
 * the shapes it drew (BpmnDiOrdering), so a file's shapes for a process no pool refers to, or an
 * edge pointing at nothing, would vanish although the designer never touched them (MIWG B.1.0,
 * B.2.0, C.7.0). This module remembers what was not drawn at import and puts it back on save.
 */
import { getDi } from 'bpmn-js/lib/util/ModelUtil';

var AFTER_DI_ORDERING = 1000;

function KeepHiddenDi(eventBus, canvas, elementRegistry) {
  var hidden = [];

  eventBus.on('import.done', function() {
    var drawn = new Set(elementRegistry.getAll().map(getDi));
    hidden = canvas.getRootElements().map(function(root) {
      var plane = getDi(root);
      var missing = plane ? plane.get('planeElement').filter(function(di) { return !drawn.has(di); }) : [];
      return { plane: plane, elements: missing };
    }).filter(function(entry) { return entry.elements.length; });
  });

  eventBus.on('saveXML.start', AFTER_DI_ORDERING, function() {
    hidden.forEach(function(entry) {
      var elements = entry.plane.get('planeElement');
      entry.elements.forEach(function(di) {
        if (elements.indexOf(di) === -1) {
          elements.push(di);
        }
      });
    });
  });

  /** Ids of the diagram elements kept without being drawn (for the page to mention). */
  this.hiddenIds = function() {
    return hidden.flatMap(function(entry) { return entry.elements.map(function(di) { return di.id; }); });
  };
}

KeepHiddenDi.$inject = [ 'eventBus', 'canvas', 'elementRegistry' ];

export default {
  __init__: [ 'gvKeepHiddenDi' ],
  gvKeepHiddenDi: [ 'type', KeepHiddenDi ]
};
