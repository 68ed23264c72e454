// Announcer (/announcer): runners coming up to the finish, in order of projected arrival
// (their pace so far, even to the end), with a star for a runner leading their division.
// Refreshed on every crossing, and every 10 s so due times stay in order.
"use strict";

(() => {
  const V = P88.params([
    ["finish", "", "the point runners are coming up to (default: the finish)"],
    ["session_id", "", "timing session (default: the current one)"],
    ["limit", "10", "how many runners (1-100); fewer when the screen is short"],
    ["bg", "", "background colour, #RRGGBB"],
    ["fg", "", "text colour, #RRGGBB"],
    ["accent", "", "division-leader colour, #RRGGBB"],
    ["logo", "1", "0 hides the logo (display_logo on the server)"],
    ["token", "", "access token, when the server has a token file (moves into a cookie)"],
  ]);
  const LIMIT = Math.round(P88.number(V.limit, 1, 100, 10));
  let sessionId = null;
  let pending = null;
  const log = { loads: 0, runners: [] };
  window.p88Announcer = log;

  async function load() {
    pending = null;
    let doc;
    try {
      doc = await P88.getJSON("/api/display/coming-up",
        { session_id: sessionId, finish: V.finish, limit: LIMIT });
    } catch (e) { return; }
    const body = document.getElementById("coming");
    body.textContent = "";
    for (const r of doc.runners) {
      const tr = P88.el("tr");
      tr.dataset.bib = r.bib;
      tr.appendChild(P88.el("td", null, r.projected_time));
      tr.appendChild(P88.el("td", "big", r.bib));
      tr.appendChild(P88.el("td", "name", r.name || ""));
      tr.appendChild(P88.el("td", "city", r.city || ""));
      const div = P88.el("td", r.division_leader ? "leader" : "", r.division || "");
      if (r.division_leader) {
        div.appendChild(P88.el("span", "star", " ★"));
        div.title = "leads " + r.division;
      }
      tr.appendChild(div);
      tr.appendChild(P88.el("td", null, r.point + " " + (r.elapsed || "")));
      tr.appendChild(P88.el("td", null, r.pace || ""));
      body.appendChild(tr);
    }
    if (!doc.runners.length) {
      const tr = P88.el("tr", "empty");
      tr.appendChild(P88.el("td", null, "nobody on the course yet"));
      tr.firstChild.colSpan = 7;
      body.appendChild(tr);
    }
    document.getElementById("where").textContent = "to " + (doc.finish || "the finish");
    P88.fit(document.getElementById("up-rows"), body);
    log.loads += 1;
    log.runners = doc.runners;
  }

  function soon() {
    if (pending === null) pending = setTimeout(load, 300);
  }

  async function start() {
    P88.settingsPanel("Announcer", V);
    P88.applyTheme(V);
    try {
      const ctx = await P88.getJSON("/api/display/context", { session_id: V.session_id });
      sessionId = ctx.session_id;
    } catch (e) {
      P88.setStatus("offline", "no session — retrying");
      setTimeout(start, 3000);
      return;
    }
    P88.stream("/api/display/stream", { kind: "crossing", session_id: sessionId },
      { crossing: soon });
    await load();
    setInterval(load, 10000);
    window.addEventListener("resize", soon);
  }

  start();
})();
