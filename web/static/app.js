// geo-risk page helpers: no inline handlers (the CSP forbids them), no third-party code.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // GOV.UK error summary: focus it, so a screen reader announces what went wrong first
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
    document.querySelectorAll("[data-print]").forEach(function (el) {
      el.addEventListener("click", function (ev) { ev.preventDefault(); window.print(); });
    });
    // a table wider than the window scrolls inside itself: let the keyboard reach and scroll it
    var markScrollable = function () {
      document.querySelectorAll("table").forEach(function (table) {
        if (table.scrollWidth > table.clientWidth + 1) {
          table.setAttribute("tabindex", "0");
        } else if (table.getAttribute("tabindex") === "0") {
          table.removeAttribute("tabindex");
        }
      });
    };
    markScrollable();
    window.addEventListener("resize", markScrollable);
    document.querySelectorAll("input[type=range][data-label]").forEach(function (range) {
      var out = document.getElementById(range.getAttribute("data-label"));
      var labels = JSON.parse(range.getAttribute("data-labels") || "[]");
      var show = function () { if (out) { out.textContent = labels[range.value] || range.value; } };
      range.addEventListener("input", show);
      show();
    });
    // search as you type: a box narrows a list (rows or options marked data-filter-item) without a reload
    document.querySelectorAll("input[data-filter]").forEach(function (box) {
      var target = document.querySelector(box.getAttribute("data-filter"));
      var status = document.getElementById(box.getAttribute("data-filter-status"));
      if (!target) { return; }
      var wrap = box.closest("[data-filter-box]");
      if (wrap) { wrap.hidden = false; }
      var items = target.querySelectorAll("[data-filter-item]");
      box.addEventListener("input", function () {
        var q = box.value.trim().toLowerCase(), shown = 0;
        items.forEach(function (item) {
          var hit = !q || item.textContent.toLowerCase().indexOf(q) >= 0;
          item.hidden = !hit;
          if (hit) { shown += 1; }
        });
        if (status) { status.textContent = shown + " of " + items.length + " shown"; }
        // a drop-down narrowed to one choice takes it; a chosen option that no longer matches is let go
        if (target.tagName === "SELECT" && q) {
          var visible = Array.prototype.filter.call(items, function (item) { return !item.hidden; });
          if (visible.length === 1) {
            target.value = visible[0].value;
          } else if (target.selectedOptions.length && target.selectedOptions[0].hidden) {
            target.value = "";
          }
        }
      });
    });
    document.querySelectorAll("[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { ev.preventDefault(); }
      });
    });
  });
})();
