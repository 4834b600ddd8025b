extension PageScript {
    /// The lens table, the patching heatmaps, the evaluation curves, and the start-up code.
    static let tables = #"""
// Logit lens: layers × positions, each cell the top token coloured by its probability (Blues,
// 0…1 as in the PNG); hover for the top-k tokens and the target's rank and probability.
function lensView() {
  const blues = { map: "Blues", lower: 0, upper: 1 };
  const t = el("table", { class: "lens", id: "lens" });
  const header = el("tr", {}, [el("th", {})]);
  D.positions.forEach(function (p) { header.append(el("th", { text: D.tokens[p] })); });
  t.append(header);
  const cells = [];
  // The last row (the model's own prediction) on top, as in the PNG.
  for (let r = D.rows.length - 1; r >= 0; r--) {
    const row = D.rows[r], tr = el("tr", {}, [el("th", { text: row.label })]);
    cells[r] = [];
    row.cells.forEach(function (c, k) {
      const top = c.top[0] || ["", 0];
      const td = el("td", { text: top[0] });
      const rgb = rgbOf(blues, top[1]);
      td.style.background = colour(blues, top[1]); td.style.color = inkOn(rgb);
      if (c.targetRank === 1) td.classList.add("marked");
      td.addEventListener("mousemove", function (e) {
        const lines = c.top.map(function (x) { return JSON.stringify(x[0]) + "  " + fmt(x[1]); });
        lines.unshift(row.label + " · position " + D.positions[k] + " " + JSON.stringify(D.tokens[D.positions[k]]));
        if (c.targetRank !== null) lines.push("target rank " + c.targetRank + ", p " + fmt(c.targetProb));
        showTip(lines.join("\n"), e.clientX, e.clientY);
        TEST.state.hovered = { row: r, column: k, top: c.top, background: td.style.background, ink: td.style.color };
      });
      td.addEventListener("mouseleave", hideTip);
      tr.append(td);
      cells[r].push(td);
    });
    t.append(tr);
  }
  TEST.hooks.cell = function (a) { return [cells[a[0]][a[1]], 3, 3]; };
  TEST.state.cells = D.rows.length * D.positions.length;
  return el("section", {}, [el("p", { class: "summary", text: D.summary || "" }), el("div", { class: "scroll" }, [t]),
    colourBar(blues, "probability of the top token")]);
}

// Patching: one heatmap per site on its own zero-centred scale (as in the PNG), values on hover.
function patchingView() {
  const root = el("section", {}, [el("p", { class: "summary", text: D.summary || "" })]);
  const maps = [], box = el("div", { class: "panels" });
  root.append(box);
  D.panels.forEach(function (p, i) {
    const scale = diverging(p.limit);
    const map = heatmap({ rows: p.rows, columns: p.columns, values: p.values, scale: scale, rowLabels: p.rowLabels,
      columnLabels: p.columnLabels, valueLabel: p.valueLabel });
    maps.push(map);
    box.append(el("div", { class: "panel" }, [el("h2", { text: p.title }), el("div", { class: "scroll" }, [map.element]),
      colourBar(scale, p.valueLabel)]));
  });
  TEST.hooks.cell = function (a) { const m = maps[a[0]], p = m.point(a[1], a[2]); return [m.element, p[0], p[1]]; };
  TEST.state.panels = D.panels.length;
  return root;
}

// Evaluation: a panel per method that has a colour (EvaluationFigure.panels: the PNG's panels and
// colours), its mean MoRF (solid) and LeRF (dashed) curves over the random ranking's (grey), on one
// y range; the metrics table of every method below. Hover a panel for the values at a step.
function evaluationView() {
  const root = el("section", {}, [el("p", { class: "summary", text: D.summary || "" })]);
  const grid = el("div", { class: "curves" }), W = 260, Hh = 180, pad = 30;
  const all = [];
  D.methods.forEach(function (m) { all.push.apply(all, m.morf.concat(m.lerf).filter(function (v) { return v !== null; })); });
  const low = Math.min(0, Math.min.apply(null, all)), high = Math.max(Math.max.apply(null, all), low + 1e-6);
  const random = D.methods.find(function (m) { return m.method === "random"; });
  const xs = D.steps;
  const panels = [];
  function px(s) { return pad + (W - pad - 8) * xs[s] / Math.max(xs[xs.length - 1], 1e-9); }
  function py(v) { return 8 + (Hh - pad - 8) * (1 - (v - low) / (high - low)); }
  const shown = D.methods.filter(function (m) { return m.colour; });
  shown.forEach(function (m) {
    const c = el("canvas", { width: W, height: Hh }), ctx = c.getContext("2d");
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, Hh);
    ctx.strokeStyle = "#999"; ctx.strokeRect(pad, 8, W - pad - 8, Hh - pad - 8);
    function curve(values, colourText, dash) {
      ctx.strokeStyle = colourText; ctx.setLineDash(dash); ctx.lineWidth = 2; ctx.beginPath();
      values.forEach(function (v, s) { if (v === null) return; if (s === 0) ctx.moveTo(px(s), py(v)); else ctx.lineTo(px(s), py(v)); });
      ctx.stroke(); ctx.setLineDash([]);
    }
    if (random && m !== random) { curve(random.morf, D.randomColour, []); curve(random.lerf, D.randomColour, [5, 4]); }
    curve(m.morf, m.colour, []); curve(m.lerf, m.colour, [5, 4]);
    ctx.fillStyle = "#222"; ctx.font = "11px sans-serif";
    ctx.fillText(fmt(high), 0, 14); ctx.fillText(fmt(low), 0, Hh - pad);
    ctx.fillText("fraction removed →", pad, Hh - 8);
    c.addEventListener("mousemove", function (e) {
      const x = e.clientX - c.getBoundingClientRect().left;
      let s = 0;
      for (let i = 0; i < xs.length; i++) if (Math.abs(px(i) - x) < Math.abs(px(s) - x)) s = i;
      showTip(m.method + " at " + fmt(xs[s]) + " removed: MoRF " + fmt(m.morf[s]) + ", LeRF " + fmt(m.lerf[s]), e.clientX, e.clientY);
      TEST.state.hovered = { method: m.method, step: s, morf: m.morf[s], lerf: m.lerf[s] };
    });
    c.addEventListener("mouseleave", hideTip);
    panels.push(c);
    grid.append(el("figure", {}, [c, el("figcaption", { text: m.method + (m.abpc === null ? "" : " · ABPC " + fmt(m.abpc)) })]));
  });
  const t = el("table", { class: "metrics" }, [el("tr", {}, ["method", "ABPC ↑", "comprehensiveness ↑", "sufficiency ↓"].map(function (h) { return el("th", { text: h }); }))]);
  D.methods.forEach(function (m) {
    t.append(el("tr", {}, [m.method, fmt(m.abpc), fmt(m.comprehensiveness), fmt(m.sufficiency)].map(function (v) { return el("td", { text: v }); })));
  });
  TEST.hooks.curve = function (a) { return [panels[a[0]], px(a[1]), Hh / 2]; };
  TEST.state.curves = D.methods.length;
  TEST.state.panels = shown.map(function (m) { return { method: m.method, colour: m.colour }; });
  root.append(grid, el("p", { class: "hint", text: "solid: MoRF (most relevant first), dashed: LeRF; grey: random ranking" }), t);
  return root;
}

const BUILDERS = { explanation: explanationView, attention: attentionView, lens: lensView, patching: patchingView, evaluation: evaluationView };
try {
  VIEW.append(BUILDERS[D.kind]());
} catch (e) {
  TEST.errors.push("build: " + e.message);
  console.error("glassbox page: " + e.message);
}
runTest();
window.addEventListener("hashchange", runTest);
"""#
}
