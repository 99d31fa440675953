/**
 * Reading and writing giaoviec's extension elements (gv:*) under bpmn:extensionElements.
 * Every write is a list of `element.updateModdleProperties` commands run as one
 * `properties-panel.multi-command-executor` command, so one undo reverts it whole.
 */
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

export function update(element, moddleElement, properties) {
  return { cmd: 'element.updateModdleProperties', context: { element: element, moddleElement: moddleElement, properties: properties } };
}

/** The first extension element of `type` (e.g. 'gv:Deadline') on the element, if any. */
export function getExtension(element, type) {
  var extensionElements = getBusinessObject(element).get('extensionElements');
  var values = extensionElements ? extensionElements.get('values') : [];
  return values.filter(function(value) { return is(value, type); })[0];
}

/** Commands creating bpmn:extensionElements and a `type` child when missing, and that child. */
export function ensureExtension(element, type, bpmnFactory) {
  var businessObject = getBusinessObject(element);
  var commands = [];
  var extensionElements = businessObject.get('extensionElements');
  if (!extensionElements) {
    extensionElements = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    extensionElements.$parent = businessObject;
    commands.push(update(element, businessObject, { extensionElements: extensionElements }));
  }
  var extension = getExtension(element, type);
  if (!extension) {
    extension = bpmnFactory.create(type, {});
    extension.$parent = extensionElements;
    commands.push(update(element, extensionElements, { values: extensionElements.get('values').concat(extension) }));
  }
  return { commands: commands, extension: extension };
}

/** Commands removing an extension element (and bpmn:extensionElements once it is empty). */
export function removeExtension(element, extension) {
  var businessObject = getBusinessObject(element);
  var extensionElements = businessObject.get('extensionElements');
  var values = extensionElements.get('values').filter(function(value) { return value !== extension; });
  if (!values.length) {
    return [ update(element, businessObject, { extensionElements: undefined }) ];
  }
  return [ update(element, extensionElements, { values: values }) ];
}

function isEmpty(value) {
  return value === undefined || value === null || value === '';
}

/**
 * Set one attribute of a singleton gv element (gv:lane, gv:deadline, gv:escalation), creating
 * it when needed and removing it when its last attribute is cleared.
 */
export function setExtensionAttribute(injector, element, type, attributes, name, value) {
  var commandStack = injector.get('commandStack');
  var existing = getExtension(element, type);
  var cleared = isEmpty(value) ? undefined : value;
  var othersEmpty = attributes.every(function(other) {
    return other === name || !existing || isEmpty(existing.get(other));
  });
  var commands;
  if (cleared === undefined && othersEmpty) {
    if (!existing) {
      return;
    }
    commands = removeExtension(element, existing);
  } else {
    var ensured = ensureExtension(element, type, injector.get('bpmnFactory'));
    commands = ensured.commands.concat(update(element, ensured.extension, { [name]: cleared }));
  }
  commandStack.execute('properties-panel.multi-command-executor', commands);
}

export function getExtensionAttribute(element, type, name) {
  var extension = getExtension(element, type);
  var value = extension ? extension.get(name) : undefined;
  return value === undefined || value === null ? '' : value;
}
