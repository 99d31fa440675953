/**
 * diagram-js `translate` for the modeler: Vietnamese unless the page is English.
 *
 * Templates without a Vietnamese entry are shown in English and remembered in `missing`, so a
 * browser test (and a developer upgrading bpmn-js) can see what is left to translate.
 */
import VI from './vi';

function fill(template, replacements) {
  return template.replace(/{([^}]+)}/g, function(match, key) {
    var value = replacements && replacements[key];
    return value === undefined || value === null ? match : String(value);
  });
}

export function createTranslate(language) {
  var missing = new Set();

  function translate(template, replacements) {
    if (language === 'vi' && typeof template === 'string' && template) {
      if (Object.prototype.hasOwnProperty.call(VI, template)) {
        template = VI[template];
      } else {
        missing.add(template);
      }
    }
    return fill(template, replacements || {});
  }

  translate.missing = missing;
  return translate;
}

/** A diagram-js module providing `translate` for the given language. */
export function translateModule(language) {
  return { translate: [ 'value', createTranslate(language) ] };
}
