// yizhan: the little script there is. Pages work without it; it adds
// live countdowns to deadlines and sends action forms without a full reload.
(function () {
  "use strict";

  // The server writes the time left in its policy's unit and the deadline
  // (text and tooltip agree); between page loads the script only marks a
  // deadline that has passed.
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      el.classList.toggle("past", due < now);
    });
  }

  // An action form sent in the background; the answer replaces the page's
  // main part (errors included), the address follows a redirect.
  function enhance(form) {
    form.addEventListener("submit", function (ev) {
      if (!window.fetch || !window.DOMParser) return;
      ev.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        credentials: "same-origin",
        headers: { "Accept": "text/html" }
      }).then(function (res) {
        return res.text().then(function (html) { return { res: res, html: html }; });
      }).then(function (r) {
        var doc = new DOMParser().parseFromString(r.html, "text/html");
        var main = doc.querySelector("main");
        if (!main) { window.location.reload(); return; }
        document.querySelector("main").replaceWith(main);
        document.title = doc.title;
        if (r.res.redirected) history.replaceState(null, "", r.res.url);
        wire();
        var focus = main.querySelector("[role=alert], [role=status], h1");
        if (focus) { focus.setAttribute("tabindex", "-1"); focus.focus(); }
      }).catch(function () {
        if (button) button.disabled = false;
        form.submit();
      });
    });
  }

  function wire() {
    document.querySelectorAll("form[data-enhance]").forEach(function (f) {
      if (!f.dataset.wired) { f.dataset.wired = "1"; enhance(f); }
    });
    tick();
  }

  document.addEventListener("DOMContentLoaded", function () {
    wire();
    setInterval(tick, 30000);
  });
})();

/* desk ticket */
// A canned reply chosen beside a text field goes in at the cursor; the
// 办理单's print button prints. Both by delegation, so forms that come
// back in the background work too.
(function () {
  "use strict";
  document.addEventListener("change", function (ev) {
    var pick = ev.target;
    if (!pick.matches || !pick.matches("select[data-canned-for]") || !pick.value) return;
    var field = document.getElementById(pick.getAttribute("data-canned-for"));
    if (field) {
      var at = typeof field.selectionStart === "number" ? field.selectionStart : field.value.length;
      var end = typeof field.selectionEnd === "number" ? field.selectionEnd : at;
      field.value = field.value.slice(0, at) + pick.value + field.value.slice(end);
      field.focus();
      var caret = at + pick.value.length;
      if (field.setSelectionRange) field.setSelectionRange(caret, caret);
    }
    pick.value = "";
  });
  document.addEventListener("click", function (ev) {
    if (ev.target.matches && ev.target.matches("[data-print]")) window.print();
  });
})();
