// p88 pages: what every page shares. Parameters, the settings panel, the live stream,
// colours, and fitting rows to the screen. No inline code anywhere: the server's CSP
// allows only scripts and styles it serves itself.
"use strict";

const P88 = (() => {
  const query = new URLSearchParams(location.search);
  const COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

  // A page declares its parameters once: [name, default, help]. read() gives their values
  // (query parameter, else default) and the settings panel explains them.
  function params(spec) {
    const values = {};
    for (const [name, fallback] of spec) {
      const given = query.get(name);
      values[name] = given === null || given === "" ? fallback : given;
    }
    values._spec = spec;
    return values;
  }

  function number(value, low, high, fallback) {
    const n = parseFloat(value);
    if (!Number.isFinite(n)) return fallback;
    return Math.max(low, Math.min(high, n));
  }

  function api(path, extra) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(extra || {})) {
      if (v !== null && v !== undefined && v !== "") q.set(k, v);
    }
    const s = q.toString();
    return path + (s ? "?" + s : "");
  }

  async function getJSON(path, extra) {
    const res = await fetch(api(path, extra), { credentials: "same-origin" });
    if (!res.ok) {
      let why = "HTTP " + res.status;
      try { why = (await res.json()).error || why; } catch (e) { /* not JSON */ }
      throw new Error(why);
    }
    return res.json();
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function setStatus(state, text) {
    const s = document.getElementById("status");
    if (!s) return;
    s.dataset.state = state;
    s.textContent = text;
  }

  // Colours: the server's defaults (p88 config display_colors), then bg= fg= accent=.
  async function applyTheme(values) {
    let server = { colors: {}, logo: false };
    try { server = await getJSON("/api/display/settings"); } catch (e) { /* defaults */ }
    const root = document.documentElement.style;
    for (const name of ["bg", "fg", "accent"]) {
      const chosen = COLOR.test(values[name] || "") ? values[name] : server.colors[name];
      if (chosen) root.setProperty("--" + name, chosen);
    }
    const logo = document.getElementById("logo");
    if (logo && server.logo && values.logo !== "0") {
      logo.src = "/display/logo";
      logo.hidden = false;
    }
  }

  // The settings panel: every parameter, its value now, what it does. Key S toggles it.
  function settingsPanel(title, values) {
    const panel = el("aside", "settings");
    panel.id = "settings";
    panel.hidden = true;
    panel.appendChild(el("h3", null, title + " — settings (press S to hide)"));
    panel.appendChild(el("p", null, "Add them to the address: " + location.pathname +
      "?name=value&name=value"));
    const table = el("table");
    for (const [name, fallback, help] of values._spec) {
      const tr = el("tr");
      tr.appendChild(el("th", null, name));
      tr.appendChild(el("td", "value", values[name] === "" ? "—" : values[name]));
      tr.appendChild(el("td", null, help + (fallback !== "" ? " (default " + fallback + ")" : "")));
      table.appendChild(tr);
    }
    panel.appendChild(table);
    document.body.appendChild(panel);
    const hint = el("div", "hint", "S: settings");
    hint.id = "hint";
    document.body.appendChild(hint);
    setTimeout(() => hint.classList.add("gone"), 8000);
    document.addEventListener("keydown", (ev) => {
      if (ev.key === "s" || ev.key === "S") panel.hidden = !panel.hidden;
      if (ev.key === "Escape") panel.hidden = true;
    });
    return panel;
  }

  // A live stream with reconnects (EventSource resumes with Last-Event-ID by itself).
  function stream(path, extra, handlers) {
    const es = new EventSource(api(path, extra));
    es.onopen = () => setStatus("live", "● live");
    es.onerror = () => setStatus("connecting", "reconnecting…");
    for (const [kind, fn] of Object.entries(handlers)) {
      es.addEventListener(kind, (ev) => fn(JSON.parse(ev.data), ev));
    }
    return es;
  }

  // Rows adapt to the height: drop rows from the end until the box no longer overflows.
  function fit(box, body) {
    while (body.rows.length > 1 && box.scrollHeight > box.clientHeight + 1) {
      body.deleteRow(body.rows.length - 1);
    }
  }

  return { params, number, api, getJSON, el, setStatus, applyTheme, settingsPanel, stream, fit };
})();
