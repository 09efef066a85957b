// The form editor's progressive enhancement (the editor works without this file):
// a change to an input saves the draft in the background and refreshes the resident preview,
// so the preview follows the edits without pressing 下書きを保存.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("editor");
    var box = document.querySelector(".preview-box");
    var status = document.getElementById("autosave");
    if (!form || !box || !window.fetch || !window.DOMParser) { return; }
    var timer = null;
    function save() {
      var data = new FormData(form);
      data.set("action", "save");
      if (status) { status.textContent = "保存しています…"; }
      // getAttribute: the buttons named "action" shadow form.action.
      fetch(form.getAttribute("action"), {method: "POST", body: new URLSearchParams(data), credentials: "same-origin"})
        .then(function (r) { return r.text().then(function (t) { return {ok: r.ok, text: t}; }); })
        .then(function (res) {
          var doc = new DOMParser().parseFromString(res.text, "text/html");
          var fresh = doc.querySelector(".preview-box");
          if (res.ok && fresh) { box.innerHTML = fresh.innerHTML; }
          if (status) { status.textContent = res.ok ? "下書きを保存しました" : "保存できませんでした。「下書きを保存」を押してください"; }
        })
        .catch(function () { if (status) { status.textContent = "保存できませんでした。「下書きを保存」を押してください"; } });
    }
    form.addEventListener("change", function (e) {
      var t = e.target;
      if (!t || !t.name || t.name === "new_title" || t.name === "new_kind" || t.name.indexOf("cond_") === 0 ||
          /new_choice$/.test(t.name)) { return; }
      clearTimeout(timer);
      timer = setTimeout(save, 300);
    });
  });
})();
