// yizhan: the little script there is. Pages work without it; it adds
// live countdowns to deadlines and sends action forms without a full reload.
(function () {
  "use strict";
  var zh = document.documentElement.lang !== "en";

  function span(minutes) {
    var m = Math.abs(minutes), d = Math.floor(m / 1440), h = Math.floor(m / 60) % 24, n = m % 60, out = [];
    if (d) out.push(zh ? d + " 天" : d + " d");
    if (h) out.push(zh ? h + " 小时" : h + " h");
    if (n || !out.length) out.push(zh ? n + " 分" : n + " min");
    return out.join(" ");
  }

  // The server writes working time left; between page loads the script
  // counts down wall-clock time to the same deadline, so nothing looks frozen.
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var minutes = Math.round((due - now) / 60000);
      el.title = minutes >= 0
        ? (zh ? "距截止（自然时间）还有 " : "Calendar time left: ") + span(minutes)
        : (zh ? "已超过截止时间 " : "Past the deadline by ") + span(minutes);
      el.classList.toggle("past", minutes < 0);
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

/* desk queue: select all, the selection's count, the region picker */
(function () {
  "use strict";
  function count(bar) {
    var n = document.querySelectorAll("input[name=ids][form=bulk]:checked").length;
    var label = bar.querySelector(".bulk-count");
    if (label && label.dataset.template && n > 0) label.textContent = label.dataset.template.replace("{n}", n);
  }
  function wireBulk() {
    var bar = document.getElementById("bulk");
    if (!bar || bar.dataset.wired) return;
    bar.dataset.wired = "1";
    // Only the chosen action's own field shows.
    var action = document.getElementById("b-action");
    function fields() {
      bar.querySelectorAll("[data-for-action]").forEach(function (el) {
        el.hidden = !action || el.dataset.forAction !== action.value;
      });
    }
    if (action) { action.addEventListener("change", fields); fields(); }
    var all = document.querySelector("input.pick-all");
    if (all) all.addEventListener("change", function () {
      document.querySelectorAll("input[name=ids][form=bulk]").forEach(function (b) { b.checked = all.checked; });
      count(bar);
    });
    document.querySelectorAll("input[name=ids][form=bulk]").forEach(function (b) {
      b.addEventListener("change", function () { count(bar); });
    });
  }
  function wireRegion() {
    var input = document.querySelector("input[data-region-code]");
    if (!input || input.dataset.wired) return;
    input.dataset.wired = "1";
    var code = document.getElementById(input.dataset.regionCode);
    var list = document.getElementById(input.getAttribute("list"));
    var known = {};
    var timer = null;
    input.addEventListener("input", function () {
      // A name typed anew no longer names the region picked before.
      code.value = known[input.value] || "";
      clearTimeout(timer);
      var word = input.value.trim();
      if (!word || known[input.value]) return;
      timer = setTimeout(function () {
        fetch("/workbench/regions?q=" + encodeURIComponent(word), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (found) {
            list.textContent = "";
            found.forEach(function (r) {
              known[r.label] = r.code;
              var o = document.createElement("option");
              o.value = r.label;
              list.appendChild(o);
            });
            code.value = known[input.value] || "";
          }).catch(function () {});
      }, 200);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { wireBulk(); wireRegion(); });
})();

