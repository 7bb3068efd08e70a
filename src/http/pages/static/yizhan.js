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

/* desk notices */
// The bell in the header: every 30 s the script asks for the unread count
// and updates the bell (its label too) and a polite live region; on the
// notices page it lists the new ones at the top, without a reload.
(function () {
  "use strict";
  var POLL_MS = 30000;

  function text(el, value) { if (el) el.textContent = value; }

  function prepend(list, item) {
    if (!list || list.querySelector('li[data-id="' + item.id + '"]')) return;
    var li = document.createElement("li");
    li.className = "unread fresh";
    li.setAttribute("data-id", item.id);
    var a = document.createElement("a");
    a.href = "/notifications/" + item.id;
    var head = document.createElement("span");
    head.className = "headline";
    head.textContent = item.headline;
    var about = document.createElement("span");
    about.className = "about";
    about.textContent = item.number + " " + item.title;
    a.appendChild(head);
    a.appendChild(document.createTextNode(" "));
    a.appendChild(about);
    var when = document.createElement("span");
    when.className = "muted when";
    when.textContent = item.at;
    li.appendChild(a);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(when);
    list.insertBefore(li, list.firstChild);
  }

  function show(data, bell) {
    var before = parseInt(bell.getAttribute("data-unread"), 10) || 0;
    bell.setAttribute("data-unread", String(data.unread));
    bell.setAttribute("aria-label", data.label);
    text(document.getElementById("notices-unread"), data.unread_text);
    var count = bell.querySelector(".count");
    if (count) {
      count.textContent = String(data.unread);
      count.hidden = data.unread === 0;
    }
    if (data.unread > before) {
      text(document.getElementById("bell-live"), data.announce);
      var list = document.getElementById("notices");
      if (list) {
        data.items.slice().reverse().forEach(function (item) { prepend(list, item); });
      } else {
        var fresh = document.getElementById("notices-fresh");
        if (fresh) fresh.hidden = false;
      }
    }
  }

  function poll(bell) {
    if (document.hidden || !window.fetch) return;
    fetch("/notifications/unread", {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (res) {
      var type = res.headers.get("content-type") || "";
      // Signed out meanwhile: the answer is the log-in page; leave the bell.
      if (!res.ok || type.indexOf("application/json") !== 0) return null;
      return res.json();
    }).then(function (data) {
      if (data) show(data, bell);
    }).catch(function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    var bell = document.getElementById("bell");
    if (!bell) return;
    var every = parseInt(bell.getAttribute("data-poll-ms"), 10) || POLL_MS;
    setInterval(function () { poll(bell); }, every);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) poll(bell);
    });
  });
})();
/* desk admin: the department picker filters its list as one types; the
   enterprise field suggests enterprises by name or credit code. Without
   the script the list is whole and the server finds what was typed. */
(function () {
  "use strict";
  function filterDepartments(input) {
    var select = document.getElementById(input.dataset.filterFor);
    if (!select) return;
    input.hidden = false;
    input.addEventListener("input", function () {
      var words = input.value.trim();
      select.querySelectorAll("optgroup").forEach(function (group) {
        var shown = 0;
        group.querySelectorAll("option").forEach(function (o) {
          var hit = !words || o.selected || o.textContent.indexOf(words) >= 0 || group.label.indexOf(words) >= 0;
          o.hidden = !hit;
          o.disabled = !hit;
          if (hit) shown++;
        });
        group.hidden = shown === 0;
      });
    });
  }
  function suggestEnterprises(input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) return;
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) return;
      timer = setTimeout(function () {
        fetch("/admin/pickers/enterprises?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (res) { return res.ok ? res.json() : []; })
          .then(function (found) {
            list.replaceChildren();
            found.forEach(function (e) {
              var o = document.createElement("option");
              o.value = e.label;
              list.appendChild(o);
            });
          }).catch(function () {});
      }, 250);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input.picker-filter[data-filter-for]").forEach(filterDepartments);
    document.querySelectorAll("input.enterprise-picker[list]").forEach(suggestEnterprises);
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
  // The filing form's other regions: names separated by 、, the last one
  // typed completed from suggestions that keep what comes before it.
  function wireRegionNames() {
    var input = document.querySelector("input[data-region-names]");
    if (!input || input.dataset.wired) return;
    input.dataset.wired = "1";
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value;
      var cut = Math.max(text.lastIndexOf("、"), text.lastIndexOf("，"), text.lastIndexOf(","));
      var before = cut >= 0 ? text.slice(0, cut + 1) : "";
      var word = text.slice(cut + 1).trim();
      if (!word || word.indexOf("（") >= 0) return;
      timer = setTimeout(function () {
        fetch(input.dataset.regionNames + "?q=" + encodeURIComponent(word), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (found) {
            list.textContent = "";
            found.forEach(function (r) {
              var o = document.createElement("option");
              o.value = before + r.label;
              list.appendChild(o);
            });
          }).catch(function () {});
      }, 200);
    });
  }
  // File fields: a button in the page's words, and the chosen files named.
  function wireFiles() {
    document.documentElement.classList.add("js");
    document.querySelectorAll(".file-field input[type=file]").forEach(function (input) {
      var out = document.getElementById(input.id + "-chosen");
      if (!out) return;
      function say() {
        var names = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
        out.textContent = names.length
          ? input.dataset.chosen.replace("{n}", names.length) + names.join("、")
          : input.dataset.none;
      }
      input.addEventListener("change", say);
      say();
    });
  }
  document.addEventListener("DOMContentLoaded", function () { wireFiles(); wireBulk(); wireRegion(); wireRegionNames(); });
})();

