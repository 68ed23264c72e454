// Runner cards (/display): each crossing at the chosen point becomes a card — name, bib,
// city, division, elapsed time and the runner's message — shown long enough to read.
// Cards queue, so none is skipped at a busy finish: with w cards waiting the screen shows
// n = ceil(w * min_hold / hold) cards at once (at most max_cards) for
// max(min_hold, hold * n / w) seconds; VIP cards go ahead of every non-VIP card waiting.
"use strict";

(() => {
  const V = P88.params([
    ["template", "card", "card (big cards), list (newest first) or ticker (a band at the bottom)"],
    ["location", "", "timing point whose crossings show (default: the finish)"],
    ["session_id", "", "timing session (default: the current one)"],
    ["hold", "6", "seconds a card stays when nobody waits behind it"],
    ["min_hold", "2", "shortest time a card stays, however long the queue (readable)"],
    ["max_cards", "4", "most cards on the screen at once when the queue is long (1-8)"],
    ["title", "", "heading (default: the point's name)"],
    ["bg", "", "background colour, #RRGGBB (default: server's display_colors)"],
    ["fg", "", "text colour, #RRGGBB"],
    ["accent", "", "accent colour (bib, message), #RRGGBB"],
    ["logo", "1", "0 hides the logo (display_logo on the server)"],
    ["token", "", "access token, when the server has a token file (moves into a cookie)"],
  ]);
  const TEMPLATE = ["card", "list", "ticker"].includes(V.template) ? V.template : "card";
  const HOLD = P88.number(V.hold, 0.1, 600, 6);
  const MIN_HOLD = Math.min(HOLD, P88.number(V.min_hold, 0.05, 600, 2));
  const MAX_CARDS = Math.round(P88.number(V.max_cards, 1, 8, 4));
  const queue = []; // card elements waiting, VIPs first
  const seen = new Set();
  let timer = null;
  let seq = 0;
  // What happened, in order: for the tests and the benchmark (read ids and sequence).
  const log = { arrived: [], shown: [], renderedAt: {}, screens: 0 };
  window.p88Display = log;

  document.body.className = "t-" + TEMPLATE;

  function card(c) {
    const e = P88.el("div", "card" + (c.vip ? " vip" : ""));
    e.dataset.readId = c.read_id;
    e.dataset.bib = c.bib;
    if (c.vip) e.appendChild(P88.el("div", "badge", "VIP"));
    e.appendChild(P88.el("div", "name", c.name || "Bib " + c.bib));
    const line = P88.el("div", "line");
    line.appendChild(P88.el("span", "bib", "#" + c.bib));
    if (c.city) line.appendChild(P88.el("span", "city", c.city));
    if (c.division) line.appendChild(P88.el("span", "division", c.division));
    line.appendChild(P88.el("span", "elapsed", c.elapsed || c.time));
    e.appendChild(line);
    e.appendChild(P88.el("div", "message", c.message || ""));
    return e;
  }

  function arrive(c) {
    // One card per runner per point: at a point timed by a crossing's last read (a start
    // mat) a later read of the same crossing re-times it, and is not a second card.
    const key = c.point + "|" + c.tag;
    if (seen.has(key)) return;
    seen.add(key);
    const e = card(c);
    e.dataset.vip = c.vip ? "1" : "";
    if (c.vip) {
      const firstPlain = queue.findIndex((q) => !q.dataset.vip);
      queue.splice(firstPlain < 0 ? queue.length : firstPlain, 0, e);
    } else {
      queue.push(e);
    }
    document.getElementById("queue").appendChild(e);
    log.renderedAt[c.read_id] = Date.now();
    log.arrived.push({ id: c.read_id, bib: c.bib, vip: c.vip, seq: ++seq });
    showWaiting();
    if (timer === null) next();
  }

  function showWaiting() {
    document.getElementById("waiting").textContent = queue.length ? queue.length + " waiting" : "";
  }

  function next() {
    timer = null;
    const w = queue.length;
    if (!w) return; // the last screen stays up until someone crosses
    const n = Math.max(1, Math.min(MAX_CARDS, Math.ceil((w * MIN_HOLD) / HOLD), w));
    const seconds = Math.max(MIN_HOLD, Math.min(HOLD, (HOLD * n) / w));
    const shown = queue.splice(0, n);
    const screen = document.getElementById("screen");
    log.screens += 1;
    if (TEMPLATE === "list") {
      for (const old of screen.querySelectorAll(".fresh, .idle")) {
        old.classList.remove("fresh");
        if (old.classList.contains("idle")) old.remove();
      }
      for (const e of shown.slice().reverse()) {
        e.classList.add("fresh");
        screen.insertBefore(e, screen.firstChild);
      }
      while (screen.children.length > 1 && screen.scrollHeight > screen.clientHeight + 1) {
        screen.lastChild.remove();
      }
    } else {
      screen.textContent = "";
      for (const e of shown) screen.appendChild(e);
      screen.dataset.n = String(shown.length);
    }
    for (const e of shown) {
      log.shown.push({ id: Number(e.dataset.readId), bib: e.dataset.bib, vip: !!e.dataset.vip,
        name: e.querySelector(".name").textContent,
        message: e.querySelector(".message").textContent, seq: ++seq, screen: log.screens,
        at: Date.now() });
    }
    showWaiting();
    timer = setTimeout(next, seconds * 1000);
  }

  async function start() {
    P88.settingsPanel("Runner cards", V);
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
    document.getElementById("title").textContent = V.title || ctx.point || "";
    document.getElementById("where").textContent = ctx.session_name || "";
    P88.stream("/api/display/stream",
      { kind: "crossing", session_id: ctx.session_id, location: ctx.point },
      { crossing: arrive });
  }

  start();
})();
