// otaflow dashboard: polls /api/v1/dashboard once a second and draws it. No libraries, no
// network beyond this server. Values from the server are only ever set as text (textContent),
// never parsed as HTML: reasons and names come from cards and SMSCs.
"use strict";
(function () {
  const STATES = ["queued", "packaging", "submitting", "accepted", "delivered", "retry_wait", "done", "failed", "skipped"];
  const SVG = "http://www.w3.org/2000/svg";
  const fmt = new Intl.NumberFormat("en-US");
  const $ = (id) => document.getElementById(id);
  const cssVar = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
  const colour = (state) => cssVar("--" + state);

  function el(tag, attrs, text) {
    const e = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function num(v) { return fmt.format(Math.round(v || 0)); }
  function duration(s) {
    if (s === null || s === undefined || !isFinite(s)) return "—";
    s = Math.max(0, Math.round(s));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  }
  function percent(n, total) {
    if (!total) return "";
    const p = (100 * n) / total;
    return p > 0 && p < 0.1 ? "< 0.1 %" : p.toFixed(1) + " %";
  }
  function clock(ms) { return new Date(ms).toISOString().substring(11, 19); }
  // The top of an axis with 4 gridlines at round steps (1, 2, 2.5 or 5 times a power of 10).
  function niceMax(v) {
    if (v <= 0) return 4;
    const raw = v / 4, p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return 4 * m * p;
    return 40 * p;
  }
  function axisLabel(v) { return Number.isInteger(v) ? fmt.format(v) : v.toFixed(v < 1 ? 2 : 1); }
  function fillRows(tbody, rows, empty) {
    tbody.replaceChildren();
    if (!rows.length) {
      const tr = el("tr"); const td = el("td", { colspan: 9, class: "empty" }, empty); tr.append(td); tbody.append(tr);
      return;
    }
    for (const cells of rows) {
      const tr = el("tr");
      for (const c of cells) tr.append(c instanceof Node ? c : el("td", {}, String(c)));
      tbody.append(tr);
    }
  }
  function tdNum(v) { return el("td", { class: "num" }, num(v)); }

  // A chart frame: returns the svg, the plot area and scales.
  function frame(container, xLabels, yMax, yFmt) {
    const w = container.clientWidth || 500, h = container.clientHeight || 200;
    const m = { l: 52, r: 10, t: 8, b: 22 };
    const svg = el("svg:svg", { viewBox: `0 0 ${w} ${h}`, role: "img" });
    const pw = w - m.l - m.r, ph = h - m.t - m.b;
    const y = (v) => m.t + ph - (v / yMax) * ph;
    for (let i = 0; i <= 4; i++) {
      const v = (yMax * i) / 4, yy = y(v);
      svg.append(el("svg:line", { x1: m.l, x2: m.l + pw, y1: yy, y2: yy, class: i ? "grid" : "axis" }));
      svg.append(el("svg:text", { x: m.l - 6, y: yy + 4, "text-anchor": "end" }, yFmt(v)));
    }
    for (const [x, label] of xLabels) {
      const anchor = x <= 0 ? "start" : x >= 1 ? "end" : "middle";
      svg.append(el("svg:text", { x: m.l + x * pw, y: h - 6, "text-anchor": anchor }, label));
    }
    container.replaceChildren(svg);
    return { svg, m, pw, ph, y };
  }

  function drawStates(series) {
    const box = $("states-chart");
    const n = series.t_ms.length;
    const shown = STATES.filter((s) => (series.states[s] || []).some((v) => v > 0));
    let top = 0;
    for (let i = 0; i < n; i++) top = Math.max(top, shown.reduce((a, s) => a + (series.states[s][i] || 0), 0));
    const labels = n > 1 ? [[0, clock(series.t_ms[0])], [0.5, clock(series.t_ms[Math.floor(n / 2)])], [1, clock(series.t_ms[n - 1])]] : [];
    const f = frame(box, labels, niceMax(top), axisLabel);
    const x = (i) => f.m.l + (n > 1 ? (i / (n - 1)) * f.pw : 0);
    const base = new Array(n).fill(0);
    // Stacked areas, terminal states at the bottom so progress reads upwards.
    const order = ["done", "failed", "skipped", "retry_wait", "delivered", "accepted", "submitting", "packaging", "queued"].filter((s) => shown.includes(s));
    for (const s of order) {
      const vals = series.states[s];
      const upper = base.map((b, i) => b + (vals[i] || 0));
      let d = "";
      for (let i = 0; i < n; i++) d += (i ? "L" : "M") + x(i).toFixed(1) + "," + f.y(upper[i]).toFixed(1);
      for (let i = n - 1; i >= 0; i--) d += "L" + x(i).toFixed(1) + "," + f.y(base[i]).toFixed(1);
      if (n) f.svg.append(el("svg:path", { d: d + "Z", fill: colour(s), "fill-opacity": 0.85, stroke: "none" }));
      for (let i = 0; i < n; i++) base[i] = upper[i];
    }
    const legend = $("states-legend");
    legend.replaceChildren();
    for (const s of order) {
      const item = el("span"); const sw = el("i"); sw.style.background = colour(s);
      item.append(sw, document.createTextNode(s.replace("_", " ")));
      legend.append(item);
    }
  }

  function drawRate(series) {
    const box = $("rate-chart");
    const vals = series.finished_per_s, n = vals.length;
    const labels = n > 1 ? [[0, clock(series.t_ms[0])], [0.5, clock(series.t_ms[Math.floor(n / 2)])], [1, clock(series.t_ms[n - 1])]] : [];
    const f = frame(box, labels, niceMax(Math.max(0, ...vals)), axisLabel);
    if (n < 2) return;
    const x = (i) => f.m.l + (i / (n - 1)) * f.pw;
    let d = "";
    vals.forEach((v, i) => { d += (i ? "L" : "M") + x(i).toFixed(1) + "," + f.y(v).toFixed(1); });
    f.svg.append(el("svg:path", { d: d + `L${x(n - 1)},${f.y(0)}L${x(0)},${f.y(0)}Z`, fill: cssVar("--accent"), "fill-opacity": 0.12 }));
    f.svg.append(el("svg:path", { d, fill: "none", stroke: cssVar("--accent"), "stroke-width": 1.8 }));
  }

  function drawLatency(lat) {
    const box = $("latency-chart");
    const counts = lat.counts || [], le = lat.le || [];
    const labels = counts.map((_, i) => (i < le.length ? "≤" + secs(le[i]) : ">" + secs(le[le.length - 1])).replace(" ", ""));
    const f = frame(box, [], niceMax(Math.max(0, ...counts)), axisLabel);
    const n = counts.length; if (!n) return;
    const bw = f.pw / n;
    counts.forEach((c, i) => {
      const x0 = f.m.l + i * bw + 2;
      f.svg.append(el("svg:rect", { x: x0, y: f.y(c), width: Math.max(1, bw - 4), height: f.y(0) - f.y(c), fill: cssVar("--accent"), rx: 2 }));
      if (n <= 8 || i % 2 === 0) f.svg.append(el("svg:text", { x: x0 + bw / 2 - 2, y: f.m.t + f.ph + 14, "text-anchor": "middle" }, labels[i]));
    });
  }

  function progressBar(states, total) {
    const bar = el("div", { class: "bar", title: "" });
    for (const s of ["done", "failed", "skipped"]) {
      const v = states[s] || 0; if (!v || !total) continue;
      const seg = el("span"); seg.style.width = (100 * v / total).toFixed(2) + "%"; seg.style.background = colour(s);
      bar.append(seg);
    }
    return bar;
  }

  function render(d) {
    $("instance").textContent = `${d.mode} · instance ${d.instance} · up ${duration((d.now_ms - d.started_ms) / 1000)} · ${new Date(d.now_ms).toISOString().replace("T", " ").substring(0, 19)} UTC`;
    const t = d.totals.states, all = d.totals.cards;
    const notStarted = Math.max(0, all - STATES.reduce((a, st) => a + (t[st] || 0), 0));
    const inflight = ["packaging", "submitting", "accepted", "delivered"].reduce((a, s) => a + (t[s] || 0), 0);
    const fin = d.series.finished_per_s; const rate = fin.length ? fin.slice(-10).reduce((a, b) => a + b, 0) / Math.min(10, fin.length) : 0;
    const tiles = [
      ["Cards", num(all), `${d.campaigns.length} campaign${d.campaigns.length === 1 ? "" : "s"}`],
      ["Done", num(t.done), all ? ((100 * (t.done || 0)) / all).toFixed(1) + " %" : ""],
      ["Failed", num(t.failed), all ? ((100 * (t.failed || 0)) / all).toFixed(2) + " %" : ""],
      ["In flight", num(inflight), `${notStarted ? num(notStarted) + " not started · " : ""}${num(t.queued)} queued · ${num(t.retry_wait)} retrying`],
      ["Throughput", num(rate), "cards/s, last 10 s"],
      ["Latency p50 · p99", `${lat(d.latency, 0.5)} · ${lat(d.latency, 0.99)}`, "trigger to PoR, bucket bounds"],
    ];
    const tilesBox = $("tiles"); tilesBox.replaceChildren();
    for (const [label, value, hint] of tiles) {
      const tile = el("div", { class: "tile" });
      tile.append(el("div", { class: "label" }, label), el("div", { class: "value" }, value), el("div", { class: "hint" }, hint));
      tilesBox.append(tile);
    }
    drawStates(d.series); drawRate(d.series); drawLatency(d.latency);
    fillRows($("campaigns").tBodies[0], d.campaigns.map((c) => {
      const st = c.states; const fl = ["packaging", "submitting", "accepted", "delivered"].reduce((a, s) => a + (st[s] || 0), 0);
      const bar = el("td"); bar.append(progressBar(st, c.cards));
      const status = el("td"); status.append(el("span", { class: "status " + c.status }, c.status));
      return [el("td", {}, c.id), status, tdNum(c.cards), bar, tdNum(st.done), tdNum(st.failed), tdNum(fl), tdNum(c.rate_per_s), el("td", { class: "num" }, c.eta_s === null ? "—" : duration(c.eta_s))];
    }), "No campaign yet");
    const porTotal = Object.values(d.por).reduce((a, b) => a + b, 0);
    fillRows($("por").tBodies[0], Object.entries(d.por).sort((a, b) => b[1] - a[1]).map(([code, n]) =>
      [el("td", {}, code + " " + (POR[code] || "")), tdNum(n), el("td", { class: "num" }, percent(n, porTotal))]), "No PoR yet");
    fillRows($("failures").tBodies[0], d.failures.map((f) => [el("td", {}, f.reason), tdNum(f.count)]), "No failure");
    fillRows($("binds").tBodies[0], d.binds.map((b) => {
      const s = el("td"); s.append(el("span", { class: "status " + (b.up ? "up" : "down") }, b.up ? "bound" : "down"));
      return [el("td", {}, b.name), s, tdNum(b.submits), tdNum(b.receipts), tdNum(b.throttled), tdNum(b.reconnects)];
    }), "No bind");
    fillRows($("alerts").tBodies[0], d.alerts.map((a) => [el("td", {}, clock(a.at_ms)), el("td", { class: "sev-" + a.severity }, a.severity), el("td", {}, a.campaign), el("td", {}, a.message)]), "No alert");
  }
  // PoR status codes, TS 102 225 §5.2.2 table.
  const POR = { "00": "PoR OK", "01": "RC/CC/DS failed", "02": "CNTR low", "03": "CNTR high", "04": "CNTR blocked",
    "05": "ciphering error", "06": "unidentified security error", "07": "insufficient memory", "08": "more time",
    "09": "TAR unknown", "0a": "insufficient security level", "0b": "reserved", "0c": "reserved" };
  function secs(s) { return s < 1 ? Math.round(s * 1000) + " ms" : s + " s"; }
  function lat(h, q) {
    const c = h.counts || [], le = h.le || [], total = c.reduce((a, b) => a + b, 0);
    if (!total) return "—";
    let acc = 0;
    for (let i = 0; i < c.length; i++) { acc += c[i]; if (acc >= q * total) return i < le.length ? "≤" + secs(le[i]) : ">" + secs(le[le.length - 1]); }
    return "—";
  }

  let failures = 0;
  async function tick() {
    try {
      const r = await fetch("/api/v1/dashboard", { cache: "no-store" });
      if (!r.ok) throw new Error("HTTP " + r.status);
      render(await r.json());
      failures = 0; $("conn").textContent = "live"; $("conn").className = "pill ok";
    } catch (e) {
      failures++; $("conn").textContent = "no data (" + e.message + ")"; $("conn").className = "pill bad";
    } finally {
      setTimeout(tick, failures ? 3000 : 1000);
    }
  }
  tick();
})();
