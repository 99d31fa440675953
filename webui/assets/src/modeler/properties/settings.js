/**
 * Entries of the "Giaoviec" group: a lane's role and party (gv:lane), a step's deadline rule
 * (gv:deadline) and its escalation settings (gv:escalation). The value sets are the ones
 * issue 14 names; the server's validation stays the judge of what a deploy accepts.
 */
import { SelectEntry, TextFieldEntry, isSelectEntryEdited, isTextFieldEntryEdited } from '@bpmn-io/properties-panel';
import { useCallback } from '@bpmn-io/properties-panel/preact/hooks';
import { useService } from 'bpmn-js-properties-panel';

import { getExtensionAttribute, setExtensionAttribute } from './extension';

export var ROLES = [
  [ 'officer', 'Officer' ], [ 'leader', 'Leader' ], [ 'clerk', 'Clerk' ],
  [ 'admin', 'Administrator' ], [ 'inspector', 'Inspector' ]
];
export var PARTIES = [
  [ 'own', 'Own unit (the instance\'s unit)' ], [ 'assigning', 'Assigning unit' ],
  [ 'parent', 'Parent unit' ], [ 'lead', 'Lead unit' ]
];

var LANE_ATTRIBUTES = [ 'role', 'party' ];
var DEADLINE_ATTRIBUTES = [ 'timeframe', 'workingDays' ];
var ESCALATION_ATTRIBUTES = [ 'remindBefore', 'escalateAfter' ];

var POSITIVE_INTEGER = /^[1-9][0-9]{0,3}$/;
var NON_NEGATIVE_INTEGER = /^(0|[1-9][0-9]{0,3})$/;
var DAY_LIST = /^[0-9]{1,3}(,[0-9]{1,3})*$/;

function attributeEntry(type, attributes, name, options) {
  return function AttributeEntry(props) {
    var element = props.element;
    var injector = useService('injector');
    var translate = useService('translate');
    var debounce = useService('debounceInput');
    // Stable across renders: the panel re-validates whenever `validate` changes identity.
    var validate = useCallback(function(value) {
      return options.validate ? options.validate(value, element, translate) : null;
    }, [ element, translate ]);

    var common = {
      element: element,
      id: props.id,
      label: translate(options.label),
      description: options.description && translate(options.description),
      getValue: function() {
        var value = getExtensionAttribute(element, type, name);
        return options.integer && value !== '' ? String(value) : value;
      },
      setValue: function(value, error) {
        if (error) {
          return;
        }
        var stored = options.integer && value !== '' ? parseInt(value, 10) : value;
        setExtensionAttribute(injector, element, type, attributes, name, stored);
      }
    };
    if (options.choices) {
      return SelectEntry(Object.assign(common, {
        getOptions: function() {
          return [ { value: '', label: translate('<none>') } ].concat(options.choices.map(function(choice) {
            return { value: choice[0], label: translate(choice[1]) };
          }));
        }
      }));
    }
    return TextFieldEntry(Object.assign(common, { debounce: debounce, validate: validate }));
  };
}

function matches(pattern, message) {
  return function(value, element, translate) {
    return value && !pattern.test(value.trim()) ? translate(message) : null;
  };
}

function deadlineRule(pattern, other) {
  var check = matches(pattern, 'Enter a whole number of days greater than 0');
  return function(value, element, translate) {
    if (value && getExtensionAttribute(element, 'gv:Deadline', other) !== '') {
      return translate('Choose either a timeframe or working days, not both');
    }
    return pattern ? check(value, element, translate) : null;
  };
}

var ENTRIES = {
  role: [ 'gv:Lane', LANE_ATTRIBUTES, 'role', { label: 'Role', choices: ROLES } ],
  party: [ 'gv:Lane', LANE_ATTRIBUTES, 'party', { label: 'Party (whose unit)', choices: PARTIES } ],
  timeframe: [ 'gv:Deadline', DEADLINE_ATTRIBUTES, 'timeframe', {
    label: 'Deadline: timeframe',
    description: 'As plans write it, e.g. "Quý I", "trước ngày 15 hằng tháng"',
    validate: deadlineRule(null, 'workingDays')
  } ],
  workingDays: [ 'gv:Deadline', DEADLINE_ATTRIBUTES, 'workingDays', {
    label: 'Deadline: working days', integer: true,
    description: 'Number of working days from the step\'s start',
    validate: deadlineRule(POSITIVE_INTEGER, 'timeframe')
  } ],
  remindBefore: [ 'gv:Escalation', ESCALATION_ATTRIBUTES, 'remindBefore', {
    label: 'Remind before (days)',
    description: 'Days before the deadline, comma-separated, e.g. 3,1',
    validate: matches(DAY_LIST, 'Enter days separated by commas, e.g. 3,1')
  } ],
  escalateAfter: [ 'gv:Escalation', ESCALATION_ATTRIBUTES, 'escalateAfter', {
    label: 'Escalate after (days late)', integer: true,
    validate: matches(NON_NEGATIVE_INTEGER, 'Enter a whole number of days (0 or more)')
  } ]
};

var COMPONENTS = {};
Object.keys(ENTRIES).forEach(function(key) {
  COMPONENTS[key] = attributeEntry.apply(null, ENTRIES[key]);
});

function entry(element, key) {
  var isEdited = ENTRIES[key][3].choices ? isSelectEntryEdited : isTextFieldEntryEdited;
  return { id: 'gv-' + key, element: element, component: COMPONENTS[key], isEdited: isEdited };
}

export function laneEntries(element) {
  return [ entry(element, 'role'), entry(element, 'party') ];
}

export function stepEntries(element) {
  return [ entry(element, 'timeframe'), entry(element, 'workingDays'),
    entry(element, 'remindBefore'), entry(element, 'escalateAfter') ];
}
