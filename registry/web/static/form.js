// Progressive enhancement only: every page works without this file.
// 1. if/then fields: show a field only while its condition holds (all show without JS).
// 2. The print page's print button.
// 3. Focus on the error summary after a failed check.
(function () {
  "use strict";
  function valuesOf(form, name) {
    var out = [];
    var els = form.querySelectorAll('[name="' + name + '"]');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if ((el.type === "radio" || el.type === "checkbox")) { if (el.checked) out.push(el.value); }
      else if (el.value) out.push(el.value);
    }
    return out;
  }
  function update(form) {
    var deps = form.querySelectorAll("[data-show-if]");
    for (var i = 0; i < deps.length; i++) {
      var d = deps[i];
      var want = d.getAttribute("data-show-values").split("|");
      var have = valuesOf(form, d.getAttribute("data-show-if"));
      var on = have.some(function (v) { return want.indexOf(v) >= 0; });
      d.hidden = !on;
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    // 3. After a failed check, focus moves to the error summary (its links lead to the inputs).
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
    var forms = document.querySelectorAll("form.resident-form");
    for (var i = 0; i < forms.length; i++) {
      (function (f) {
        update(f);
        f.addEventListener("change", function () { update(f); });
      })(forms[i]);
    }
    var p = document.querySelector(".js-print");
    if (p) { p.hidden = false; p.addEventListener("click", function () { window.print(); }); }
  });
})();
