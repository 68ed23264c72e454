// Chip check (/chipcheck): every read at the check point shows who the tag is assigned to,
// in big type; an unknown tag (no entry carries it) or one carried by several entries
// shows in the warning colour. Earlier checks are listed below, as many as fit.
"use strict";

(() => {
  const V = P88.params([
    ["location", "", "the check point (default: the point whose name contains 'check')"],
    ["session_id", "", "timing session (default: the current one)"],
    ["bg", "", "background colour, #RRGGBB"],
    ["fg", "", "text colour, #RRGGBB"],
    ["accent", "", "bib colour, #RRGGBB"],
    ["logo", "1", "0 hides the logo (display_logo on the server)"],
    ["token", "", "access token, when the server has a token file (moves into a cookie)"],
  ]);
  const WORDS = { unknown: "UNKNOWN TAG", ambiguous: "TAG ON SEVERAL BIBS" };
  const log = { checks: [] };
  window.p88Check = log;

  function show(c) {
    const box = document.getElementById("check");
    box.dataset.status = c.status;
    box.dataset.readId = c.read_id;
    const ok = c.status === "assigned";
    document.getElementById("check-name").textContent = ok ? c.name : WORDS[c.status] || c.status;
    document.getElementById("check-bib").textContent = c.bib ? "#" + c.bib : "tag " + c.tag;
    document.getElementById("check-detail").textContent = ok ?
      [c.race, c.division, c.city].filter(Boolean).join(" · ") :
      (c.status === "ambiguous" ? "several entries carry tag " + c.tag + ": see the results desk" :
        "tag " + c.tag + " is not assigned to anyone: see the results desk");
    const body = document.getElementById("history");
    const tr = P88.el("tr", ok ? "" : "warn");
    tr.appendChild(P88.el("td", null, c.read_time || ""));
    tr.appendChild(P88.el("td", "big", c.bib || c.tag));
    tr.appendChild(P88.el("td", null, ok ? c.name : WORDS[c.status]));
    tr.appendChild(P88.el("td", null, c.division || ""));
    body.insertBefore(tr, body.firstChild);
    P88.fit(document.getElementById("history-rows"), body);
    log.checks.push(c);
  }

  async function start() {
    P88.settingsPanel("Chip check", V);
    P88.applyTheme(V);
    let ctx;
    try {
      ctx = await P88.getJSON("/api/display/context",
        { session_id: V.session_id, location: V.location });
    } catch (e) {
      P88.setStatus("offline", "no session — retrying");
      setTimeout(start, 3000);
      return;
    }
    if (!ctx.check_point) {
      P88.setStatus("offline", "no check point: add ?location=");
      return;
    }
    document.getElementById("where").textContent = ctx.check_point;
    P88.stream("/api/display/stream",
      { kind: "check", session_id: ctx.session_id, location: ctx.check_point },
      { check: show });
  }

  start();
})();
