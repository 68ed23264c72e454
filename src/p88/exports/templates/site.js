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

  // The runner's splits: [point, metres, time, pace/km, pace/mi, place] texts from p88.
  function detailRow(body) {
    var detail = body.querySelector("tr.detail");
    if (detail) { return detail; }
    detail = document.createElement("tr");
    detail.className = "detail";
    var cell = detail.insertCell();
    cell.colSpan = body.querySelector("tr.runner").cells.length;
    var splits = JSON.parse(body.dataset.s || "[]");
    if (!splits.length) {
      cell.textContent = "No splits.";
    } else {
      var inner = document.createElement("table");
      inner.className = "splits";
      var head = inner.createTHead().insertRow();
      ["Point", "m", "Time", "Pace /km", "Pace /mi", "Place"].forEach(function (name) {
        var th = document.createElement("th");
        th.textContent = name;
        head.appendChild(th);
      });
      var rows = inner.createTBody();
      splits.forEach(function (split) {
        var tr = rows.insertRow();
        split.forEach(function (value, i) {
          var td = tr.insertCell();
          td.textContent = value;
          if (i > 0) { td.className = i === 1 || i === 5 ? "n" : "t"; }
        });
      });
      cell.appendChild(inner);
    }
    body.appendChild(detail);
    return detail;
  }

  function open(body, state) {
    var detail = detailRow(body);
    detail.hidden = !state;
    body.querySelector("tr.runner").setAttribute("aria-expanded", String(state));
  }

  function toggle(row) {
    var detail = row.parentNode.querySelector("tr.detail");
    open(row.parentNode, !detail || detail.hidden);
  }

  table.addEventListener("click", function (event) {
    var row = event.target.closest("tr.runner");
    if (row) { toggle(row); }
  });
  table.addEventListener("keydown", function (event) {
    var row = event.target.closest("tr.runner");
    if (row && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      toggle(row);
    }
  });
  q.addEventListener("input", apply);
  division.addEventListener("change", apply);
  var asked = new URLSearchParams(window.location.search).get("q");
  if (asked) { q.value = asked; }
  apply();
});
