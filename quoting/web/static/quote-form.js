/* The new-quote form, enhanced: rows of the headcount grid added and removed in place,
   only the census section chosen shown, and the premium shown as the form changes. Without this file the same buttons post the
   form and the server adds or removes the rows. No inline script (the pages' CSP). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function renumber(tbody) {
    Array.prototype.forEach.call(tbody.rows, function (row, r) {
      row.id = "grid-" + r;
      row.querySelectorAll("[id^='grid-']").forEach(function (el) {
        el.id = el.id.replace(/^grid-\d+/, "grid-" + r);
      });
      row.querySelectorAll("label[for^='grid-']").forEach(function (el) {
        el.htmlFor = el.htmlFor.replace(/^grid-\d+/, "grid-" + r);
        el.textContent = el.textContent.replace(/\d+\s*$/, String(r + 1));
      });
      row.querySelectorAll("[aria-describedby^='grid-']").forEach(function (el) {
        el.setAttribute("aria-describedby", el.getAttribute("aria-describedby").replace(/^grid-\d+/, "grid-" + r));
      });
      var remove = row.querySelector("button.remove-row");
      if (remove) {
        remove.value = "remove-row-" + r;
        remove.textContent = remove.textContent.replace(/\d+\s*$/, String(r + 1));
      }
    });
  }

  function blank(row) {
    var copy = row.cloneNode(true);
    copy.querySelectorAll("input").forEach(function (el) {
      el.value = "";
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
    copy.querySelectorAll("select").forEach(function (el) {
      el.selectedIndex = 0;
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
    copy.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
    return copy;
  }

  function setUpGrid() {
    var table = document.getElementById("grid");
    var add = document.getElementById("add-rows");
    if (!table || !add) { return; }
    var tbody = table.tBodies[0];
    add.addEventListener("click", function (event) {
      event.preventDefault();
      var last = tbody.rows[tbody.rows.length - 1];
      var row = blank(last);
      tbody.appendChild(row);
      renumber(tbody);
      row.querySelector("input").focus();
    });
    tbody.addEventListener("click", function (event) {
      var button = event.target.closest("button.remove-row");
      if (!button) { return; }
      event.preventDefault();
      var row = button.closest("tr");
      if (tbody.rows.length > 1) {
        var next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        renumber(tbody);
        next.querySelector("input").focus();
      } else {
        tbody.replaceChild(blank(row), row);
        renumber(tbody);
      }
    });
  }

  function setUpCensusMode() {
    var census = document.getElementById("census");
    if (!census) { return; }
    function show() {
      var chosen = census.querySelector("input[name='census_mode']:checked");
      var mode = chosen ? chosen.value : "grid";
      census.classList.toggle("census-mode-grid", mode === "grid");
      census.classList.toggle("census-mode-upload", mode === "upload");
    }
    census.querySelectorAll("input[name='census_mode']").forEach(function (el) {
      el.addEventListener("change", show);
    });
    show();
  }

  /* The premium of the form as it stands, shown below it: priced by the server (not
     stored) a moment after the agent stops typing; older answers are ignored. */
  function setUpLivePremium() {
    var form = document.querySelector("form.quote-form");
    var output = document.getElementById("live-premium");
    if (!form || !output || !window.fetch || !window.FormData) { return; }
    var timer = null;
    var asked = 0;
    function ask() {
      var data = new FormData(form);
      data.set("action", "price");
      var mine = ++asked;
      window.fetch("/quotes/preview", {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRF-Token": String(data.get("_csrf") || "") }
      }).then(function (response) {
        return response.ok ? response.json() : { ok: false };
      }).then(function (answer) {
        if (mine !== asked) { return; }
        if (answer.ok) {
          output.textContent = answer.text;
          output.hidden = false;
        } else {
          output.hidden = true;
        }
      }).catch(function () { output.hidden = true; });
    }
    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 600);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    form.addEventListener("click", function (event) {
      if (event.target.closest("#add-rows, button.remove-row")) { later(); }
    });
    ask();
  }

  function focusErrors() {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpGrid();
    setUpCensusMode();
    setUpLivePremium();
    focusErrors();
  });
}());
