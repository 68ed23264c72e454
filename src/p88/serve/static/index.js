// The crossings page (/): one row per runner per point, newest crossing first, beside
// the leaderboard. ?view=reads shows the raw reads instead (every antenna read).
"use strict";

(() => {
  const V = P88.params([
    ["view", "crossings", "crossings (one row per runner per point) or reads (every raw read)"],
    ["session_id", "", "timing session to show (default: the current one)"],
    ["location", "", "leaderboard point (default: the finish)"],
    ["race_id", "", "leaderboard from results scoring for this race instead"],
    ["rows", "50", "most rows per table; fewer when the screen is short"],
    ["bg", "", "background colour, #RRGGBB"],
    ["fg", "", "text colour, #RRGGBB"],
    ["accent", "", "heading colour, #RRGGBB"],
    ["logo", "1", "0 hides the logo (display_logo on the server)"],
    ["token", "", "access token, when the server has a token file (moves into a cookie)"],
  ]);
  const ROWS = P88.number(V.rows, 3, 200, 50);
  const reads = V.view === "reads";
  const items = new Map(); // id -> row data
  let sessionId = V.session_id || null;
  let boardTimer = null;

  const head = reads ? ["Time", "Point", "Bib / tag"] :
    ["Time", "Point", "Bib", "Name", "Elapsed", "Place", "Pace"];
  document.getElementById("feed-title").textContent = reads ? "Latest reads" : "Latest crossings";
  const headRow = document.getElementById("feed-head");
  for (const h of head) headRow.appendChild(P88.el("th", null, h));

  function renderFeed() {
    const body = document.getElementById("reads");
    const sorted = Array.from(items.values()).sort((a, b) =>
      a.key < b.key ? 1 : a.key > b.key ? -1 : String(b.id).localeCompare(String(a.id)));
    body.textContent = "";
    for (const it of sorted.slice(0, ROWS)) {
      const tr = P88.el("tr", (it.fresh ? "new" : "") + (it.vip ? " vip" : ""));
      tr.dataset.id = it.id;
      for (const [i, text] of it.cells.entries()) {
        tr.appendChild(P88.el("td", i === 2 ? "big" : "", text));
      }
      body.appendChild(tr);
    }
    if (!sorted.length) {
      const tr = P88.el("tr", "empty");
      tr.appendChild(P88.el("td", null, reads ? "waiting for reads…" : "waiting for crossings…"));
      tr.firstChild.colSpan = head.length;
      body.appendChild(tr);
    }
    P88.fit(document.getElementById("feed-rows"), body);
    // keep memory bounded: only what could ever be shown
    if (items.size > ROWS * 4) {
      for (const it of sorted.slice(ROWS * 2)) items.delete(it.id);
    }
  }

  function addCrossing(c, fresh) {
    // one row per runner per point: a refresh (places move as later reads rank ahead) or
    // a re-timed crossing (a start mat times it by its last read) replaces the row
    const id = c.point + "|" + c.tag;
    const known = items.get(id);
    if (known) {
      known.cells = crossingCells(c);
      known.key = c.at;
      return;
    }
    items.set(id, {
      id, key: c.at, fresh, vip: c.vip,
      cells: crossingCells(c),
    });
  }

  function crossingCells(c) {
    return [c.time, c.point, c.bib, c.name || "", c.elapsed || "", c.place, c.pace || ""];
  }

  async function refreshCrossings() {
    try {
      const doc = await P88.getJSON("/api/display/crossings", { limit: ROWS, session_id: sessionId });
      for (const c of doc.crossings) addCrossing(c, false);
      renderFeed();
    } catch (e) { /* the next crossing tries again */ }
  }

  function addRead(r, fresh) {
    if (items.has(r.id)) return;
    items.set(r.id, { id: r.id, key: r.read_timestamp, fresh, vip: false,
      cells: [r.read_time, r.location_description || r.location_name, r.tag_code] });
  }

  async function loadBoard() {
    const extra = { limit: ROWS };
    if (V.race_id) extra.race_id = V.race_id;
    else {
      extra.session_id = sessionId;
      extra.location = V.location;
    }
    let doc;
    try { doc = await P88.getJSON("/api/timing/leaderboard", extra); } catch (e) { return; }
    const where = doc.race ? doc.race.event_name + " " + doc.race.name : doc.location;
    document.getElementById("board-title").textContent =
      "Leaderboard" + (where ? " — " + where : "");
    const body = document.getElementById("board");
    body.textContent = "";
    for (const s of doc.standings) {
      const tr = P88.el("tr");
      tr.appendChild(P88.el("td", null, s.place));
      tr.appendChild(P88.el("td", "big", doc.race ? s.bib : s.tag_code));
      tr.appendChild(P88.el("td", null, s.name || ""));
      tr.appendChild(P88.el("td", null, doc.race ?
        (doc.race.place_by === "chip" ? s.chip_time : (s.gun_time || s.chip_time)) :
        (s.elapsed || s.read_time)));
      body.appendChild(tr);
    }
    if (!doc.standings.length) {
      const tr = P88.el("tr", "empty");
      tr.appendChild(P88.el("td", null, "no crossings yet"));
      tr.firstChild.colSpan = 4;
      body.appendChild(tr);
    }
    P88.fit(document.getElementById("board-rows"), body);
  }

  function scheduleBoard() {
    if (boardTimer) return;
    boardTimer = setTimeout(() => {
      boardTimer = null;
      loadBoard();
      if (!reads) refreshCrossings();
    }, 1000);
  }

  async function start() {
    P88.settingsPanel("Live timing", V);
    P88.applyTheme(V);
    try {
      const ctx = await P88.getJSON("/api/display/context", { session_id: V.session_id });
      sessionId = ctx.session_id;
      document.getElementById("session").textContent = ctx.session_name || "";
    } catch (e) {
      P88.setStatus("offline", "no session — retrying");
      setTimeout(start, 3000);
      return;
    }
    if (reads) {
      P88.stream("/api/timing/stream", { session_id: sessionId }, {
        message: (r) => { addRead(r, true); renderFeed(); scheduleBoard(); },
      });
      const doc = await P88.getJSON("/api/timing/recent-reads",
        { limit: ROWS, session_id: sessionId });
      for (const r of doc.reads) addRead(r, false);
    } else {
      P88.stream("/api/display/stream", { kind: "crossing", session_id: sessionId }, {
        crossing: (c) => { addCrossing(c, true); renderFeed(); scheduleBoard(); },
      });
      const doc = await P88.getJSON("/api/display/crossings",
        { limit: ROWS, session_id: sessionId });
      for (const c of doc.crossings) addCrossing(c, false);
    }
    renderFeed();
    loadBoard();
    window.addEventListener("resize", () => { renderFeed(); loadBoard(); });
  }

  start();
})();
