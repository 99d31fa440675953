// Demo of GvBpmnDiffer: the library's giao_nhiem_vu against giao_nhiem_vu_v2.bpmn, a copy edited
// once in this modeler (ky_duyet renamed, hoan_thanh moved, da_ghi_nhan_qua_han deleted, luu_ho_so
// appended).
// window.demo.compared resolves to the differ's result, for the browser tests.
(function() {
  function text(url) {
    return fetch(url).then(function(response) { return response.text(); });
  }
  var differ = GvBpmnDiffer.create({
    left: document.getElementById('left'),
    right: document.getElementById('right'),
    legend: document.getElementById('legend')
  });
  window.demo = {
    differ: differ,
    compared: Promise.all([ text('/bpmn/giao_nhiem_vu.bpmn'), text('/tests/webui/vendor_demo/giao_nhiem_vu_v2.bpmn') ])
      .then(function(xmls) { return differ.compare(xmls[0], xmls[1]); })
  };
})();
