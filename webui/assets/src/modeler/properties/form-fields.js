/**
 * The "Form fields" list group: the gv:field elements of a step's gv:form (the allowlist of
 * what a person may submit at that step), added, edited and removed with undo.
 */
import {
  CheckboxEntry, SelectEntry, TextFieldEntry,
  isCheckboxEntryEdited, isSelectEntryEdited, isTextFieldEntryEdited
} from '@bpmn-io/properties-panel';
import { useCallback } from '@bpmn-io/properties-panel/preact/hooks';
import { useService } from 'bpmn-js-properties-panel';

import { ensureExtension, getExtension, removeExtension, update } from './extension';

export var FIELD_TYPES = [
  [ 'text', 'Text' ], [ 'choice', 'Choice' ], [ 'boolean', 'Yes/no' ], [ 'integer', 'Integer' ],
  [ 'decimal', 'Decimal' ], [ 'date', 'Date' ], [ 'datetime', 'Date and time' ], [ 'list', 'List' ],
  [ 'object', 'Object' ]
];

var FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
var POSITIVE_INTEGER = /^[1-9][0-9]{0,6}$/;

function fieldsOf(element) {
  var form = getExtension(element, 'gv:Form');
  return form ? form.get('fields') : [];
}

function fieldEntry(name, build, validator) {
  return function FieldEntry(props) {
    var field = props.field;
    var element = props.element;
    var commandStack = useService('commandStack');
    var translate = useService('translate');
    var debounce = useService('debounceInput');
    // Stable across renders: the panel re-validates whenever `validate` changes identity.
    var validate = useCallback(function(value) {
      return validator ? validator(value, translate, element, field) : null;
    }, [ element, field, translate ]);
    return build({
      element: field,
      id: props.id,
      debounce: debounce,
      validate: validate,
      getValue: function() {
        var value = field.get(name);
        return value === undefined || value === null ? '' : value;
      },
      setValue: function(value, error) {
        if (error) {
          return;
        }
        var properties = {};
        properties[name] = value === '' ? undefined : value;
        commandStack.execute('element.updateModdleProperties', { element: element, moddleElement: field, properties: properties });
      }
    }, translate, element, field);
  };
}

var NameEntry = fieldEntry('name', function(common, translate) {
  return TextFieldEntry(Object.assign(common, { label: translate('Field name') }));
}, function(value, translate, element, field) {
  if (!FIELD_NAME.test(value || '')) {
    return translate('Use letters without diacritics, digits and _, not starting with a digit');
  }
  var taken = fieldsOf(element).some(function(other) { return other !== field && other.get('name') === value; });
  return taken ? translate('Another field already has this name') : null;
});

var LabelEntry = fieldEntry('label', function(common, translate) {
  return TextFieldEntry(Object.assign(common, { label: translate('Label') }));
});

var TypeEntry = fieldEntry('type', function(common, translate) {
  return SelectEntry(Object.assign(common, {
    label: translate('Type'),
    getOptions: function() {
      return FIELD_TYPES.map(function(type) { return { value: type[0], label: translate(type[1]) }; });
    }
  }));
});

var RequiredEntry = fieldEntry('required', function(common, translate) {
  var setValue = common.setValue;
  return CheckboxEntry(Object.assign(common, {
    label: translate('Required'),
    getValue: function(field) { return field.get('required') === true; },
    setValue: function(value) { setValue(value ? true : ''); }
  }));
});

var ValuesEntry = fieldEntry('values', function(common, translate) {
  return TextFieldEntry(Object.assign(common, {
    label: translate('Values'),
    description: translate('For a choice or a list: the allowed values, separated by spaces')
  }));
});

var MaxLengthEntry = fieldEntry('maxLength', function(common, translate) {
  var setValue = common.setValue;
  return TextFieldEntry(Object.assign(common, {
    label: translate('Maximum length'),
    getValue: function(field) { var value = field.get('maxLength'); return value === undefined ? '' : String(value); },
    setValue: function(value, error) { setValue(value === '' ? '' : parseInt(value, 10), error); }
  }));
}, function(value, translate) {
  return value && !POSITIVE_INTEGER.test(value) ? translate('Enter a whole number greater than 0') : null;
});

function fieldItem(element, field, index, injector) {
  var id = element.id + '-gvField-' + index;
  function entry(suffix, component, isEdited) {
    return { id: id + '-' + suffix, element: element, field: field, component: component, isEdited: isEdited };
  }
  return {
    id: id,
    label: field.get('label') || field.get('name') || '',
    entries: [
      entry('name', NameEntry, isTextFieldEntryEdited),
      entry('label', LabelEntry, isTextFieldEntryEdited),
      entry('type', TypeEntry, isSelectEntryEdited),
      entry('required', RequiredEntry, isCheckboxEntryEdited),
      entry('values', ValuesEntry, isTextFieldEntryEdited),
      entry('maxLength', MaxLengthEntry, isTextFieldEntryEdited)
    ],
    autoFocusEntry: id + '-name',
    remove: function(event) {
      event.stopPropagation();
      var form = getExtension(element, 'gv:Form');
      var fields = form.get('fields').filter(function(other) { return other !== field; });
      var commands = fields.length ? [ update(element, form, { fields: fields }) ] : removeExtension(element, form);
      injector.get('commandStack').execute('properties-panel.multi-command-executor', commands);
    }
  };
}

function addField(element, injector) {
  return function(event) {
    event.stopPropagation();
    var bpmnFactory = injector.get('bpmnFactory');
    var ensured = ensureExtension(element, 'gv:Form', bpmnFactory);
    var form = ensured.extension;
    var taken = new Set(form.get('fields').map(function(field) { return field.get('name'); }));
    var number = form.get('fields').length + 1;
    while (taken.has('truong_' + number)) {
      number += 1;
    }
    var field = bpmnFactory.create('gv:Field', { name: 'truong_' + number, type: 'text' });
    field.$parent = form;
    var commands = ensured.commands.concat(update(element, form, { fields: form.get('fields').concat(field) }));
    injector.get('commandStack').execute('properties-panel.multi-command-executor', commands);
  };
}

/** The list group's props: its items and its add handler. */
export function formFieldsGroup(element, injector) {
  return {
    items: fieldsOf(element).map(function(field, index) { return fieldItem(element, field, index, injector); }),
    add: addField(element, injector)
  };
}
