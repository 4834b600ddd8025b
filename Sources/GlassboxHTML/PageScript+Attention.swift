extension PageScript {
    /// The attention views: head view (lines), model view (thumbnails, click to enlarge), neuron view
    /// (q, k and q⊙k of one layer; docs/html.md says how they are stored).
    static let attention = #"""
// Attention: head view (lines between tokens, layer and head selectors), model view (layers ×
// heads thumbnails, click to enlarge) and neuron view (q, k and q⊙k for a chosen pair).
function attentionView() {
  const n = D.tokens.length, causal = D.causal, H = D.heads.length;
  const perHead = causal ? n * (n + 1) / 2 : n * n;
  const decoded = {};
  // Bytes of layer slot li, decoded from base64 the first time the layer is shown.
  function layer(li) {
    if (!decoded[li]) {
      const s = atob(D.layerData[li]), b = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
      decoded[li] = b;
      TEST.state.decodedLayers = Object.keys(decoded).length;
    }
    return decoded[li];
  }
  function rowStart(h, i) { return h * perHead + (causal ? i * (i + 1) / 2 : i * n); }
  const SQUARE = [];
  for (let v = 0; v < 256; v++) SQUARE.push((v / 255) * (v / 255));
  // Bytes hold round(255·√w) (PackedValues.attention).
  function weight(b, h, i, j) { return causal && j > i ? 0 : SQUARE[b[rowStart(h, i) + j]]; }
  const viridis = { map: "viridis", lower: 0, upper: 1 };
  const root = el("section", { class: "attention" });
  const views = {
    head: { label: "Head view", build: headView },
    model: { label: "Model view", build: modelView },
  };
  if (D.neuron) views.neuron = { label: "Neuron view", build: neuronView };
  const t = tabs(views);
  root.append(t.element);
  t.open("head");
  return root;

  function headView() {
    const box = el("div", {});
    const rowH = n <= 512 ? 18 : 12, top = 8, width = 560, xL = 200, xR = 360;
    const height = top * 2 + n * rowH;
    const base = el("canvas", { width: width, height: height }), over = el("canvas", { class: "overlay", width: width, height: height });
    const stack = el("div", { class: "stack" }, [base, over]);
    let li = 0, head = -1, hover = null;
    const bctx = base.getContext("2d"), octx = over.getContext("2d");
    bctx.font = (rowH >= 18 ? 13 : 10) + "px sans-serif"; bctx.textBaseline = "middle"; bctx.fillStyle = "#222";
    for (let i = 0; i < n; i++) {
      const y = top + i * rowH + rowH / 2, label = D.tokens[i].slice(0, 22);
      bctx.textAlign = "right"; bctx.fillText(label, xL - 8, y);
      bctx.textAlign = "left"; bctx.fillText(label, xR + 8, y);
    }
    const shownHeads = function () { return head < 0 ? D.heads.map(function (_, s) { return s; }) : [head]; };
    function draw() {
      const started = performance.now();
      octx.clearRect(0, 0, width, height);
      const b = layer(li);
      let lines = 0;
      const all = hover === null && n * (n + 1) / 2 * shownHeads().length <= 30000;   // every line at rest only while that stays quick
      for (const h of shownHeads()) {
        octx.strokeStyle = categorical(h);   // the h-th head shown, as the PNG's head view (AttentionLines) colours it
        const queries = hover && hover.side === "query" ? [hover.index] : (all ? [...Array(n).keys()] : []);
        for (const i of queries) {
          for (let j = 0; j <= (causal ? i : n - 1); j++) {
            const w = weight(b, h, i, j);
            if (w === 0) continue;
            octx.globalAlpha = Math.min(1, w * (all ? 0.6 : 1));
            octx.beginPath(); octx.moveTo(xL, top + i * rowH + rowH / 2); octx.lineTo(xR, top + j * rowH + rowH / 2); octx.stroke();
            lines++;
          }
        }
        if (hover && hover.side === "key") {
          const j = hover.index;
          for (let i = causal ? j : 0; i < n; i++) {
            const w = weight(b, h, i, j);
            if (w === 0) continue;
            octx.globalAlpha = w;
            octx.beginPath(); octx.moveTo(xL, top + i * rowH + rowH / 2); octx.lineTo(xR, top + j * rowH + rowH / 2); octx.stroke();
            lines++;
          }
        }
      }
      octx.globalAlpha = 1;
      if (hover) {
        octx.fillStyle = "rgba(255, 200, 0, 0.35)";
        octx.fillRect(hover.side === "query" ? 0 : xR, top + hover.index * rowH, xL, rowH);
      }
      if (TEST.active) {   // a test measures the finished raster, not just the queued commands
        const probe = el("canvas", { width: 1, height: 1 }).getContext("2d", { willReadFrequently: true });
        probe.drawImage(over, 0, 0, 1, 1, 0, 0, 1, 1);
        probe.getImageData(0, 0, 1, 1);
      }
      TEST.state.head = { layer: D.layers[li], head: head < 0 ? "all" : D.heads[head], lines: lines,
        hover: hover, drawMs: performance.now() - started, colours: shownHeads().map(categorical) };
    }
    over.addEventListener("mousemove", function (e) {
      const b = over.getBoundingClientRect(), x = e.clientX - b.left, i = Math.floor((e.clientY - b.top - top) / rowH);
      const side = x < xL ? "query" : x > xR ? "key" : null;
      const next = side && i >= 0 && i < n ? { side: side, index: i } : null;
      if (JSON.stringify(next) === JSON.stringify(hover)) return;
      hover = next;
      draw();
      if (hover && head >= 0) {
        const bytes = layer(li);
        const ws = hover.side === "query" ? [...Array(causal ? hover.index + 1 : n).keys()].map(function (j) { return weight(bytes, head, hover.index, j); })
          : [];
        const best = ws.length ? ws.indexOf(Math.max.apply(null, ws)) : -1;
        if (best >= 0) showTip(D.tokens[hover.index] + " attends most to " + D.tokens[best] + " (" + fmt(ws[best]) + ")", e.clientX, e.clientY);
      } else hideTip();
    });
    over.addEventListener("mouseleave", function () { hover = null; hideTip(); draw(); });
    TEST.hooks.token = function (a) { return [over, xL / 2, top + a[0] * rowH + rowH / 2]; };
    TEST.hooks.key = function (a) { return [over, xR + 20, top + a[0] * rowH + rowH / 2]; };
    box.append(el("div", { class: "controls" }, [
      select("layer", "Layer", D.layers.map(function (l, s) { return [s, String(l)]; }), function (v) { li = Number(v); draw(); }),
      select("head", "Head", [[-1, "all"]].concat(D.heads.map(function (h, s) { return [s, String(h)]; })), function (v) { head = Number(v); draw(); }),
      el("span", { class: "hint", text: "hover a token on the left (its query) or right (its key)" })]), el("div", { class: "scroll" }, [stack]));
    const keys = el("div", { class: "head-keys" });
    D.heads.forEach(function (h, s) {
      const k = el("span", { class: "head-key", text: "head " + h });
      k.style.borderColor = categorical(s);
      keys.append(k);
    });
    box.append(keys);
    draw();
    return box;
  }

  function thumbnail(b, h, size) {
    const m = Math.min(n, size), c = el("canvas", { class: "thumb", width: m, height: m });
    const ctx = c.getContext("2d"), img = ctx.createImageData(m, m), rgb = table("viridis").rgb;
    for (let bi = 0; bi < m; bi++) {
      const i0 = Math.floor(bi * n / m), i1 = Math.floor((bi + 1) * n / m);
      for (let bj = 0; bj < m; bj++) {
        const j0 = Math.floor(bj * n / m), j1 = Math.floor((bj + 1) * n / m);
        let best = 0;
        for (let i = i0; i < i1; i++) for (let j = j0; j < Math.min(j1, causal ? i + 1 : n); j++) {
          const v = b[rowStart(h, i) + j]; if (v > best) best = v;
        }
        const o = (bi * m + bj) * 4, colour = rgb[index(SQUARE[best])];
        img.data[o] = colour[0]; img.data[o + 1] = colour[1]; img.data[o + 2] = colour[2]; img.data[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    return c;
  }

  function modelView() {
    const box = el("div", {}), grid = el("table", { class: "model-grid" }), big = el("div", { class: "enlarged" });
    const size = 64, shown = Math.max(24, Math.min(64, Math.floor(900 / H)));
    const header = el("tr", {}, [el("th", {})]);
    D.heads.forEach(function (h) { header.append(el("th", { text: "H" + h })); });
    grid.append(header);
    const cells = [];
    D.layers.forEach(function (l, li) {
      const tr = el("tr", {}, [el("th", { text: "L" + l })]), b = layer(li);
      cells.push([]);
      D.heads.forEach(function (h, hs) {
        const c = thumbnail(b, hs, size);
        c.style.width = shown + "px"; c.style.height = shown + "px";
        c.addEventListener("click", function () { enlarge(li, hs); });
        tr.append(el("td", {}, [c]));
        cells[li].push(c);
      });
      grid.append(tr);
    });
    function enlarge(li, hs) {
      const b = layer(li), cell = Math.max(1, Math.floor(512 / n)), m = Math.min(n, 512);
      const values = new Array(m * m);
      for (let bi = 0; bi < m; bi++) for (let bj = 0; bj < m; bj++) {
        const i = Math.floor(bi * n / m), j = Math.floor(bj * n / m);
        values[bi * m + bj] = causal && j > i ? 0 : weight(b, hs, i, j);
      }
      const labels = m === n ? D.tokens : null;
      const map = heatmap({ rows: m, columns: m, values: values, scale: viridis, cell: cell, rowLabels: labels, columnLabels: labels,
        valueLabel: "weight" });
      big.replaceChildren(el("h2", { text: "Layer " + D.layers[li] + ", head " + D.heads[hs] + " (queries down, keys across)" }),
        el("div", { class: "scroll" }, [map.element]), colourBar(viridis, "attention weight"));
      TEST.hooks.cell = function (a) { const p = map.point(a[0], a[1]); return [map.element, p[0], p[1]]; };
      TEST.state.enlarged = { layer: D.layers[li], head: D.heads[hs] };
    }
    TEST.hooks.thumb = function (a) { return [cells[a[0]][a[1]], 2, 2]; };
    box.append(el("p", { class: "hint", text: "Layers down, heads across (max-pooled to " + Math.min(n, size) + " positions a side); click a thumbnail to enlarge." }),
      el("div", { class: "scroll" }, [grid]), big);
    TEST.state.thumbnails = D.layers.length * H;
    return box;
  }

  function floats(text) {
    const s = atob(text), b = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
    return new Float32Array(b.buffer);
  }
  function neuronView() {
    const N = D.neuron, q = floats(N.q), k = floats(N.k), dh = N.dHead, group = N.heads / N.kvHeads;
    const li = D.layers.indexOf(N.layer);
    const box = el("div", {}), detail = el("div", { class: "neuron" });
    let hs = 0, query = n - 1, key = 0;
    function qv(i) { return q.subarray((i * N.heads + hs) * dh, (i * N.heads + hs + 1) * dh); }
    function kv(j) { const kh = Math.floor(hs / group); return k.subarray((j * N.kvHeads + kh) * dh, (j * N.kvHeads + kh + 1) * dh); }
    function strip(values, limit, label) {
      const c = el("canvas", { class: "vector", width: dh * 6, height: 16 });
      const ctx = c.getContext("2d"), scale = diverging(limit);
      for (let d = 0; d < dh; d++) { ctx.fillStyle = colour(scale, values[d]); ctx.fillRect(d * 6, 0, 6, 16); }
      c.addEventListener("mousemove", function (e) {
        const d = Math.floor((e.clientX - c.getBoundingClientRect().left) / 6);
        if (d >= 0 && d < dh) showTip(label + "[" + d + "] = " + fmt(values[d]), e.clientX, e.clientY);
      });
      c.addEventListener("mouseleave", hideTip);
      return c;
    }
    function draw() {
      const qi = qv(query), rows = el("table", { class: "neuron-rows" });
      const keys = causal ? query + 1 : n;
      let limit = 1e-9, plimit = 1e-9;
      for (let d = 0; d < dh; d++) limit = Math.max(limit, Math.abs(qi[d]));
      const products = [];
      for (let j = 0; j < keys; j++) {
        const kj = kv(j), p = new Float32Array(dh);
        for (let d = 0; d < dh; d++) { p[d] = qi[d] * kj[d]; limit = Math.max(limit, Math.abs(kj[d])); plimit = Math.max(plimit, Math.abs(p[d])); }
        products.push(p);
      }
      const scores = [], weights = [];
      rows.append(el("tr", {}, [el("th", { text: "key" }), el("th", { text: "k" }), el("th", { text: "q ⊙ k" }), el("th", { text: "q·k/√d" }), el("th", { text: "weight" })]));
      const b = li >= 0 ? layer(li) : null, headSlot = D.heads.indexOf(hs);
      for (let j = 0; j < keys; j++) {
        const dot = products[j].reduce(function (a, v) { return a + v; }, 0);
        const w = b && headSlot >= 0 ? weight(b, headSlot, query, j) : null;
        scores.push(dot / Math.sqrt(dh)); weights.push(w);
        const tr = el("tr", { class: j === key ? "chosen" : "" }, [el("td", { text: D.tokens[j] }),
          el("td", {}, [strip(kv(j), limit, "k")]), el("td", {}, [strip(products[j], plimit, "q⊙k")]),
          el("td", { text: fmt(dot / Math.sqrt(dh)) }), el("td", { text: w === null ? "—" : fmt(w) })]);
        tr.addEventListener("click", function () { key = j; draw(); });
        rows.append(tr);
      }
      const kk = kv(Math.min(key, keys - 1));
      let dot = 0;
      for (let d = 0; d < dh; d++) dot += qi[d] * kk[d];
      detail.replaceChildren(el("p", { text: "Layer " + N.layer + ", head " + hs + ": query " + query + " " + JSON.stringify(D.tokens[query])
        + " · key " + key + " " + JSON.stringify(D.tokens[key]) + " · q·k = " + fmt(dot) + ", q·k/√" + dh + " = " + fmt(dot / Math.sqrt(dh)) }),
        el("div", { class: "qrow" }, [el("span", { text: "q " }), strip(qi, limit, "q")]), rows);
      TEST.state.neuron = { layer: N.layer, head: hs, query: query, key: key, dot: dot, scaled: dot / Math.sqrt(dh), keys: keys,
        scores: scores, weights: weights };
      TEST.hooks.nkey = function (a) { return [rows.rows[a[0] + 1], 2, 2]; };
    }
    box.append(el("div", { class: "controls" }, [
      select("neuron-head", "Head", [...Array(N.heads).keys()].map(function (h) { return [h, String(h)]; }), function (v) { hs = Number(v); draw(); }),
      select("neuron-query", "Query", D.tokens.map(function (tk, i) { return [i, i + " " + tk]; }), function (v) {
        query = Number(v); if (causal && key > query) key = query; draw(); }),
      el("span", { class: "hint", text: "layer " + N.layer + "; click a key row to choose the pair" })]), detail);
    box.querySelector("#neuron-query").value = String(query);
    draw();
    return box;
  }
}
"""#
}
