/**
 * bpmn-viewer bundle: window.GvBpmnViewer — a read-only, navigable diagram (pan, zoom) that
 * highlights the current steps and shows counts per element. See webui/static/vendor/README.md.
 */
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';

import { announce, autoMount, jsonAttribute, showError } from '../shared/auto-mount';
import { withDiagramMethods } from '../shared/diagram';

/** options: {container, language ('vi' | 'en'; default: the page's <html lang>)} */
function GvViewer(options) {
  this.init(new NavigatedViewer({ container: options.container }), options);
}
withDiagramMethods(GvViewer);

function create(options) {
  return new GvViewer(options);
}

/** `<div data-gv-bpmn-viewer data-src="…" data-highlight="id1 id2" data-counts='{…}'>` */
function mount(el) {
  var viewer = create({ container: el, language: el.getAttribute('data-language') });
  el.gvViewer = viewer;
  return fetch(el.getAttribute('data-src'), { credentials: 'same-origin' })
    .then(function(response) {
      if (!response.ok) {
        throw new Error('HTTP ' + response.status);
      }
      return response.text();
    })
    .then(function(xml) { return viewer.open(xml); })
    .then(function() {
      var highlight = (el.getAttribute('data-highlight') || '').split(/\s+/).filter(Boolean);
      viewer.highlight(highlight);
      viewer.showCounts(jsonAttribute(el, 'data-counts', {}));
      announce(el, 'bpmn-ready', { viewer: viewer });
      return viewer;
    })
    .catch(function(error) {
      showError(el, 'Không hiển thị được sơ đồ quy trình.', 'The process diagram could not be shown.', error);
      announce(el, 'bpmn-error', { error: error });
    });
}

var mountAll = autoMount('[data-gv-bpmn-viewer]', mount);

export { create, mount, mountAll, NavigatedViewer };
