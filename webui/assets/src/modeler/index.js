/**
 * bpmn-modeler bundle: window.GvBpmnModeler — the process designer: bpmn-js Modeler, its
 * properties panel with giaoviec's group, the gv moddle extension, Vietnamese strings, a
 * palette reduced to what the engine runs, and problems marked on elements.
 * See webui/static/vendor/README.md.
 */
import Modeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';

import { withDiagramMethods } from '../shared/diagram';
import { pageLanguage } from '../shared/language';
import engineScopeModule, { isSupportedTarget } from './engine-scope';
import gvModdle from './gv-moddle.json';
import keepHiddenDiModule from './keep-hidden-di';
import giaoviecPropertiesModule from './properties';
import { translateModule } from './translate';
import VI from './vi';

/**
 * options: {container, propertiesPanel (element for the panel), language ('vi' | 'en';
 * default: the page's <html lang>)}.
 */
function GvModeler(options) {
  var language = pageLanguage(options.language);
  var modeler = new Modeler({
    container: options.container,
    propertiesPanel: options.propertiesPanel ? { parent: options.propertiesPanel } : undefined,
    additionalModules: [
      BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, giaoviecPropertiesModule,
      engineScopeModule, keepHiddenDiModule, translateModule(language)
    ],
    moddleExtensions: { gv: gvModdle }
  });
  this.init(modeler, { language: language });
}
withDiagramMethods(GvModeler);

/** The diagram as BPMN XML (formatted), ready to validate and deploy. */
GvModeler.prototype.save = function() {
  return this.bpmn.saveXML({ format: true }).then(function(result) { return result.xml; });
};

/** Call `listener()` after every change (edit, undo, redo); returns a function to stop. */
GvModeler.prototype.onChange = function(listener) {
  var eventBus = this.bpmn.get('eventBus');
  eventBus.on('commandStack.changed', listener);
  return function() { eventBus.off('commandStack.changed', listener); };
};

/** Ids of diagram elements (shapes, edges) kept from the file but not drawn by bpmn-js. */
GvModeler.prototype.hiddenDiagramElements = function() {
  return this.bpmn.get('gvKeepHiddenDi').hiddenIds();
};

/** Templates shown in English for want of a Vietnamese entry (for tests and upgrades). */
GvModeler.prototype.missingTranslations = function() {
  return Array.from(this.bpmn.get('translate').missing || []).sort();
};

function create(options) {
  return new GvModeler(options);
}

var moddleExtension = gvModdle;
var translations = VI;

export { create, isSupportedTarget, moddleExtension, translations, Modeler };
