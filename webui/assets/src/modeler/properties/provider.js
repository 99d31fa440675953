/**
 * Adds giaoviec's groups to the properties panel, after "General": "Giaoviec" (a lane's role
 * and party; a step's deadline rule and escalation) and "Form fields" (gv:form). Also hands
 * the modeler's `translate` to every group so that the panel's own buttons speak Vietnamese.
 */
import { Group, ListGroup } from '@bpmn-io/properties-panel';
import { is } from 'bpmn-js/lib/util/ModelUtil';

import { formFieldsGroup } from './form-fields';
import { laneEntries, stepEntries } from './settings';

var LOW_PRIORITY = 400;

var STEPS = [ 'bpmn:UserTask', 'bpmn:ManualTask' ];
var FORM_HOLDERS = [ 'bpmn:UserTask', 'bpmn:ManualTask', 'bpmn:StartEvent' ];

function isAny(element, types) {
  return types.some(function(type) { return is(element, type); });
}

export default function GiaoviecPropertiesProvider(propertiesPanel, injector, translate) {
  this.getGroups = function(element) {
    return function(groups) {
      var ours = [];
      if (is(element, 'bpmn:Lane')) {
        ours.push({ id: 'giaoviec', label: translate('Giaoviec'), component: Group, entries: laneEntries(element) });
      }
      if (isAny(element, STEPS)) {
        ours.push({ id: 'giaoviec', label: translate('Giaoviec'), component: Group, entries: stepEntries(element) });
      }
      if (isAny(element, FORM_HOLDERS)) {
        ours.push(Object.assign({ id: 'giaoviec-form', label: translate('Form fields'), component: ListGroup },
          formFieldsGroup(element, injector)));
      }
      var general = groups.findIndex(function(group) { return group.id === 'general'; });
      groups.splice(general + 1, 0, ...ours);
      groups.forEach(function(group) { group.translate = translate; });
      return groups;
    };
  };
  propertiesPanel.registerProvider(LOW_PRIORITY, this);
}

GiaoviecPropertiesProvider.$inject = [ 'propertiesPanel', 'injector', 'translate' ];
