/**
 * designer.js — the page script of /designer, /designer/<key>/<version> and
 * /processes/<key>/diff (no inline script under the CSP: everything is read from data attributes).
 *
 * Designer (`[data-gv-designer]`): opens data-src in GvBpmnModeler, validates it on the server at
 * once (so elements the engine does not run are marked with the reason before any deploy), and
 * on "Kiểm tra" again; "Triển khai" posts the saved XML to data-deploy-url. Both POSTs carry the
 * page's CSRF token (<meta name="csrf-token">) in X-CSRFToken. Problems are marked on their
 * elements (showProblems) and listed in `[data-gv-problems]`, each with a button that focuses
 * its element; warnings (what deploys but is not applied, e.g. a step's gv:escalation) are marked
 * in amber (showWarnings) and listed after them, and never stop a deploy.
 *
 * Diff (`[data-gv-diff]`): GvBpmnDiffer on data-from-src and data-to-src.
 */
(function() {
  'use strict';

  var EN = document.documentElement.lang.indexOf('en') === 0;
  var TEXT = {
    loading: [ 'Đang mở sơ đồ…', 'Opening the diagram…' ],
    checking: [ 'Đang kiểm tra…', 'Checking…' ],
    valid: [ 'Quy trình hợp lệ: có thể triển khai.', 'The process is valid: it can be deployed.' ],
    problems: [ 'Có %d lỗi cần sửa trước khi triển khai.', '%d problems to fix before deploying.' ],
    deploying: [ 'Đang triển khai…', 'Deploying…' ],
    failed: [ 'Không gửi được yêu cầu (mã %d). Vui lòng thử lại.', 'The request failed (status %d). Please try again.' ],
    unreadable: [ 'Không mở được sơ đồ.', 'The diagram could not be opened.' ],
    process: [ 'Quy trình', 'Process' ],
    unsaved: [ 'Có thay đổi chưa triển khai.', 'There are changes not yet deployed.' ],
    show: [ 'Xem phần tử', 'Show the element' ],
    warnings: [ ' Có %d cảnh báo (không chặn triển khai).', ' %d warnings (they do not stop a deploy).' ],
    warning: [ 'Cảnh báo:', 'Warning:' ]
  };

  function t(key, n) {
    var text = TEXT[key][EN ? 1 : 0];
    return n === undefined ? text : text.replace('%d', String(n));
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }

  function postXml(url, xml) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/xml; charset=utf-8', 'X-CSRFToken': csrfToken(), 'Accept': 'application/json' },
      body: xml
    }).then(function(response) {
      return response.json().catch(function() { return {}; }).then(function(body) {
        return { status: response.status, body: body };
      });
    });
  }

  function say(status, text, kind) {
    status.textContent = text;
    status.className = 'designer-status' + (kind ? ' designer-status-' + kind : '');
  }

  function listProblems(list, problems, warnings, editor) {
    list.textContent = '';
    problems.concat(warnings).forEach(function(problem, index) {
      var item = document.createElement('li');
      if (index >= problems.length) {
        item.className = 'designer-warning';
        var label = document.createElement('strong');
        label.textContent = t('warning') + ' ';
        item.appendChild(label);
      }
      var where = document.createElement('code');
      where.textContent = problem.element_id || t('process');
      item.appendChild(where);
      item.appendChild(document.createTextNode(' ' + problem.message + ' '));
      if (problem.element_id) {
        var button = document.createElement('button');
        button.type = 'button';
        button.className = 'link-button';
        button.textContent = t('show');
        button.addEventListener('click', function() { editor.focus(problem.element_id); });
        item.appendChild(button);
      }
      list.appendChild(item);
    });
    list.hidden = problems.length + warnings.length === 0;
  }

  function mountDesigner(root) {
    var status = root.querySelector('[data-gv-status]');
    var list = root.querySelector('[data-gv-problems]');
    var checkButton = root.querySelector('[data-gv-check]');
    var deployButton = root.querySelector('[data-gv-deploy]');
    var editor = GvBpmnModeler.create({
      container: root.querySelector('[data-gv-canvas]'),
      propertiesPanel: root.querySelector('[data-gv-properties]')
    });
    root.gvEditor = editor;

    var warningCount = 0;

    function show(result) {
      var problems = (result.body && result.body.problems) || [];
      var warnings = (result.body && result.body.warnings) || [];
      warningCount = warnings.length;
      editor.clearProblems();
      editor.clearWarnings();
      editor.showWarnings(warnings);
      editor.showProblems(problems);
      listProblems(list, problems, warnings, editor);
      return problems;
    }

    function warned() {
      return warningCount ? t('warnings', warningCount) : '';
    }

    function check() {
      say(status, t('checking'));
      return editor.save().then(function(xml) { return postXml(root.dataset.validateUrl, xml); }).then(function(result) {
        if (result.status !== 200) {
          say(status, (result.body && result.body.message) || t('failed', result.status), 'error');
          return null;
        }
        var problems = show(result);
        say(status, (problems.length ? t('problems', problems.length) : t('valid')) + warned(), problems.length ? 'error' : 'ok');
        root.dataset.checked = String(Date.now());
        return problems;
      });
    }

    function deploy() {
      deployButton.disabled = true;
      say(status, t('deploying'));
      return editor.save().then(function(xml) { return postXml(root.dataset.deployUrl, xml); }).then(function(result) {
        deployButton.disabled = false;
        if (result.status === 200 && result.body.redirect) {
          window.location.assign(result.body.redirect);
          return;
        }
        if (result.status === 422) {
          var problems = show(result);
          say(status, t('problems', problems.length), 'error');
          return;
        }
        say(status, (result.body && result.body.message) || t('failed', result.status), 'error');
      });
    }

    checkButton.addEventListener('click', check);
    deployButton.addEventListener('click', deploy);
    editor.onChange(function() { say(status, t('unsaved')); });
    say(status, t('loading'));
    root.gvReady = fetch(root.dataset.src, { credentials: 'same-origin' })
      .then(function(response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function(xml) { return editor.open(xml); })
      .then(check)
      .catch(function() { say(status, t('unreadable'), 'error'); });
  }

  function text(url) {
    return fetch(url, { credentials: 'same-origin' }).then(function(response) { return response.text(); });
  }

  function mountDiff(root) {
    var differ = GvBpmnDiffer.create({
      left: root.querySelector('[data-gv-left]'),
      right: root.querySelector('[data-gv-right]'),
      legend: root.querySelector('[data-gv-legend]')
    });
    root.gvDiffer = differ;
    root.gvReady = Promise.all([ text(root.dataset.fromSrc), text(root.dataset.toSrc) ])
      .then(function(xmls) { return differ.compare(xmls[0], xmls[1]); })
      .then(function(changes) { root.dataset.compared = 'true'; return changes; });
  }

  function start() {
    document.querySelectorAll('[data-gv-designer]').forEach(mountDesigner);
    document.querySelectorAll('[data-gv-diff]').forEach(mountDiff);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
