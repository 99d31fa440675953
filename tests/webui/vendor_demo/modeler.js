// Demo of GvBpmnModeler: open a library process (?src=…, default giao_nhiem_vu) for editing.
// ?lang=en makes the page English, as an English page of the app would be.
// window.demo holds the editor and a promise of the opened diagram, for the browser tests.
(function() {
  var params = new URLSearchParams(location.search);
  if (params.get('lang')) {
    document.documentElement.lang = params.get('lang');
  }
  var src = params.get('src') || '/bpmn/giao_nhiem_vu.bpmn';
  var editor = GvBpmnModeler.create({
    container: document.getElementById('canvas'),
    propertiesPanel: document.getElementById('properties')
  });
  window.demo = {
    editor: editor,
    opened: fetch(src).then(function(response) { return response.text(); }).then(function(xml) { return editor.open(xml); })
  };
})();
