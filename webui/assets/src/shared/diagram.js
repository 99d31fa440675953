/**
 * The methods every giaoviec diagram widget (viewer, modeler) offers over its bpmn-js
 * instance `this.bpmn`, so that pages use one vocabulary.
 */
import { pageLanguage } from './language';
import { clearCounts, clearProblems, clearWarnings, focusElement, mark, showCounts, showProblems, showWarnings, unmark } from './marks';

export var CURRENT_MARKER = 'gv-current';

export function DiagramMethods() {}

DiagramMethods.prototype.init = function(bpmn, options) {
  this.bpmn = bpmn;
  this.language = pageLanguage(options && options.language);
};

/** Import BPMN XML and fit it to the container. Resolves to bpmn-js's import warnings. */
DiagramMethods.prototype.open = function(xml) {
  var bpmn = this.bpmn;
  return bpmn.importXML(xml).then(function(result) {
    bpmn.get('canvas').zoom('fit-viewport', 'auto');
    return result.warnings;
  });
};

DiagramMethods.prototype.fit = function() {
  this.bpmn.get('canvas').zoom('fit-viewport', 'auto');
};

/** Highlight the current steps (replacing earlier highlights); returns ids not on the diagram. */
DiagramMethods.prototype.highlight = function(ids) {
  unmark(this.bpmn, CURRENT_MARKER);
  return mark(this.bpmn, ids || [], CURRENT_MARKER);
};

DiagramMethods.prototype.clearHighlight = function() {
  unmark(this.bpmn, CURRENT_MARKER);
};

/** Badges per element: {element_id: {waiting, late, incidents}}; returns ids not on the diagram. */
DiagramMethods.prototype.showCounts = function(counts) {
  return showCounts(this.bpmn, counts || {}, this.language);
};

DiagramMethods.prototype.clearCounts = function() {
  clearCounts(this.bpmn);
};

/** Mark [{element_id, message}] on their elements; returns the problems not drawn anywhere. */
DiagramMethods.prototype.showProblems = function(problems) {
  return showProblems(this.bpmn, problems || [], this.language);
};

DiagramMethods.prototype.showWarnings = function(warnings) {
  return showWarnings(this.bpmn, warnings || [], this.language);
};

DiagramMethods.prototype.clearWarnings = function() {
  clearWarnings(this.bpmn);
};

DiagramMethods.prototype.clearProblems = function() {
  clearProblems(this.bpmn);
};

/** Scroll to an element and select it; false when the diagram does not draw it. */
DiagramMethods.prototype.focus = function(id) {
  return focusElement(this.bpmn, id);
};

DiagramMethods.prototype.destroy = function() {
  this.bpmn.destroy();
};

/** Give `Widget` the shared methods. */
export function withDiagramMethods(Widget) {
  Object.keys(DiagramMethods.prototype).forEach(function(name) {
    Widget.prototype[name] = DiagramMethods.prototype[name];
  });
  return Widget;
}
