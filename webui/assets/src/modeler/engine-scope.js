/**
 * Offer only what giaoviec's engine runs: a reduced palette, and replace-menu and context-pad
 * entries filtered by the engine's element list (engine-elements.json mirrors engine/bpmn.py).
 * Elements of an opened file that the engine refuses stay untouched; the server's validation
 * marks them (GvBpmnModeler's showProblems).
 */
import * as ReplaceOptions from 'bpmn-js/lib/features/replace/ReplaceOptions';

import ENGINE from './engine-elements.json';

var FILTER_PRIORITY = 100;

var FLOW_NODES = new Set(ENGINE.flowNodes);
var EVENT_DEFINITIONS = new Set(ENGINE.eventDefinitions);
var OTHER_ELEMENTS = new Set(ENGINE.otherElements);

function localName(type) {
  var name = type.replace(/^bpmn:/, '');
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** Whether the engine runs an element of this target ({type, eventDefinitionType}). */
export function isSupportedTarget(target) {
  var type = localName(target.type);
  if (target.eventDefinitionType) {
    return FLOW_NODES.has(type) && EVENT_DEFINITIONS.has(localName(target.eventDefinitionType));
  }
  return FLOW_NODES.has(type) || OTHER_ELEMENTS.has(type);
}

function replaceTargets() {
  var targets = {};
  function collect(options) {
    options.forEach(function(option) {
      if (option.target) {
        targets[option.actionName] = option.target;
      }
    });
  }
  Object.keys(ReplaceOptions).forEach(function(name) {
    var value = ReplaceOptions[name];
    if (Array.isArray(value)) {
      collect(value);
    } else {
      Object.keys(value).forEach(function(key) { collect(value[key]); });
    }
  });
  return targets;
}

var CONTEXT_PAD_TARGETS = {
  'append.receive-task': { type: 'bpmn:ReceiveTask' },
  'append.message-intermediate-event': {
    type: 'bpmn:IntermediateCatchEvent', eventDefinitionType: 'bpmn:MessageEventDefinition'
  },
  'append.condition-intermediate-event': {
    type: 'bpmn:IntermediateCatchEvent', eventDefinitionType: 'bpmn:ConditionalEventDefinition'
  },
  'append.compensation-activity': {
    type: 'bpmn:BoundaryEvent', eventDefinitionType: 'bpmn:CompensateEventDefinition'
  }
};

function withoutUnsupported(entries, targets) {
  var kept = {};
  Object.keys(entries).forEach(function(id) {
    if (!targets[id] || isSupportedTarget(targets[id])) {
      kept[id] = entries[id];
    }
  });
  return kept;
}

function EngineScope(palette, popupMenu, contextPad, create, elementFactory, translate) {
  var targets = replaceTargets();

  palette.registerProvider(FILTER_PRIORITY, {
    getPaletteEntries: function() {
      return function(entries) {
        return reducedPalette(entries, create, elementFactory, translate);
      };
    }
  });

  popupMenu.registerProvider('bpmn-replace', FILTER_PRIORITY, {
    getPopupMenuEntries: function() {
      return function(entries) { return withoutUnsupported(entries, targets); };
    }
  });

  contextPad.registerProvider(FILTER_PRIORITY, {
    getContextPadEntries: function() {
      return function(entries) { return withoutUnsupported(entries, CONTEXT_PAD_TARGETS); };
    }
  });
}

EngineScope.$inject = [ 'palette', 'popupMenu', 'contextPad', 'create', 'elementFactory', 'translate' ];

function reducedPalette(entries, create, elementFactory, translate) {
  function createEntry(group, className, title, attrs) {
    function start(event) {
      create.start(event, elementFactory.createShape(attrs));
    }
    return { group: group, className: className, title: translate(title), action: { dragstart: start, click: start } };
  }
  var timer = 'bpmn:TimerEventDefinition';

  // Built anew: the palette shows entries in this order, grouped.
  return {
    'hand-tool': entries['hand-tool'],
    'lasso-tool': entries['lasso-tool'],
    'space-tool': entries['space-tool'],
    'global-connect-tool': entries['global-connect-tool'],
    'tool-separator': entries['tool-separator'],
    'create.start-event': entries['create.start-event'],
    'create.timer-start-event': createEntry('event', 'bpmn-icon-start-event-timer',
      'Create timer start event', { type: 'bpmn:StartEvent', eventDefinitionType: timer }),
    'create.intermediate-event': entries['create.intermediate-event'],
    'create.timer-intermediate-event': createEntry('event', 'bpmn-icon-intermediate-event-catch-timer',
      'Create timer intermediate/boundary event', { type: 'bpmn:IntermediateCatchEvent', eventDefinitionType: timer }),
    'create.end-event': entries['create.end-event'],
    'create.exclusive-gateway': createEntry('gateway', 'bpmn-icon-gateway-xor',
      'Create exclusive gateway', { type: 'bpmn:ExclusiveGateway' }),
    'create.parallel-gateway': createEntry('gateway', 'bpmn-icon-gateway-parallel',
      'Create parallel gateway', { type: 'bpmn:ParallelGateway' }),
    'create.inclusive-gateway': createEntry('gateway', 'bpmn-icon-gateway-or',
      'Create inclusive gateway', { type: 'bpmn:InclusiveGateway' }),
    'create.event-based-gateway': createEntry('gateway', 'bpmn-icon-gateway-eventbased',
      'Create event-based gateway', { type: 'bpmn:EventBasedGateway' }),
    'create.user-task': createEntry('activity', 'bpmn-icon-user-task',
      'Create user task', { type: 'bpmn:UserTask' }),
    'create.manual-task': createEntry('activity', 'bpmn-icon-manual-task',
      'Create manual task', { type: 'bpmn:ManualTask' }),
    'create.script-task': createEntry('activity', 'bpmn-icon-script-task',
      'Create script task', { type: 'bpmn:ScriptTask' }),
    'create.subprocess-expanded': entries['create.subprocess-expanded'],
    'create.call-activity': createEntry('activity', 'bpmn-icon-call-activity',
      'Create call activity', { type: 'bpmn:CallActivity' }),
    'create.data-object': entries['create.data-object'],
    'create.participant-expanded': entries['create.participant-expanded'],
    'create.text-annotation': createEntry('artifact', 'bpmn-icon-text-annotation',
      'Create text annotation', { type: 'bpmn:TextAnnotation' }),
    'create.group': entries['create.group']
  };
}

export default {
  __init__: [ 'gvEngineScope' ],
  gvEngineScope: [ 'type', EngineScope ]
};
