/*! giaoviec htmx-csrf, built from webui/assets/src/htmx/csrf.js */
(()=>{var r={get:!0,head:!0,options:!0};document.addEventListener("htmx:configRequest",function(e){var t=document.querySelector('meta[name="csrf-token"]');t&&!r[String(e.detail.verb).toLowerCase()]&&(e.detail.headers["X-CSRFToken"]=t.getAttribute("content"))});})();
