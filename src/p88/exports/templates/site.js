// p88 results site: search by name or bib, filter by division, open a runner's splits.
// No network: everything is in the page. Loaded from a file (no inline script), so the
// page runs under a strict Content-Security-Policy when p88 serve publishes it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var q = document.getElementById("q");
  var table = document.getElementById("results");
  if (!q || !table) { return; }
  var division = document.getElementById("div");
  var count = document.getElementById("count");
  var bodies = Array.prototype.slice.call(table.querySelectorAll("tbody.r"));

  function matches(body, text, digits) {
    if (!text) { return true; }
    if (digits) { return body.dataset.bib === text; }
    return body.dataset.k.indexOf(text) !== -1;
  }

  function apply() {
    var text = q.value.trim().toLowerCase();
    var digits = /^[0-9]+$/.test(text);
    var wanted = division.value;
    var shown = 0;
    var only = null;
    bodies.forEach(function (body) {
      var show = matches(body, text, digits) &&
        (!wanted || body.dataset.d.split(" ").indexOf(wanted) !== -1);
      body.hidden = !show;
      if (show) { shown += 1; only = body; }
    });
    count.textContent = shown + (shown === 1 ? " runner" : " runners");
    if (shown === 1 && text) { open(only, true); }
  }

  function open(body, state) {
    var detail = body.querySelector("tr.detail");
    var row = body.querySelector("tr.runner");
    detail.hidden = !state;
    row.setAttribute("aria-expanded", String(state));
  }

  table.addEventListener("click", function (event) {
    var row = event.target.closest("tr.runner");
    if (row) { open(row.parentNode, row.nextElementSibling.hidden); }
  });
  table.addEventListener("keydown", function (event) {
    var row = event.target.closest("tr.runner");
    if (row && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      open(row.parentNode, row.nextElementSibling.hidden);
    }
  });
  q.addEventListener("input", apply);
  division.addEventListener("change", apply);
  var asked = new URLSearchParams(window.location.search).get("q");
  if (asked) { q.value = asked; }
  apply();
});
