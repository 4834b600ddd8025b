extension PageScript {
    /// The explanation view: token heatmap per method, score on hover, generated-tokens matrix.
    static let explanation = #"""
// Explanation: the token heatmap of each method (a switch when there are several), score on
// hover; the generated-tokens matrix (targets × sources) when the result has one.
function explanationView() {
  const list = D.explanations || [];
  const root = el("section", { class: "explanation" });
  const strip = el("div", { class: "tokens", id: "tokens" });
  const legend = el("div", {});
  const summary = el("p", { class: "summary" });
  let current = 0;
  function show(i) {
    current = i;
    const x = list[i], scale = diverging(x.limit);
    strip.replaceChildren();
    x.tokens.forEach(function (text, t) {
      const s = x.scores[t], rgb = rgbOf(scale, s);
      const span = el("span", { class: "token" + (t === x.targetIndex ? " target" : ""), text: text });
      span.style.background = colour(scale, s);
      span.style.color = inkOn(rgb);
      if (s !== null && Math.abs(s) > x.limit) span.append(el("sup", { text: "▲" }));
      span.addEventListener("mousemove", function (e) {
        showTip("position " + t + " · " + JSON.stringify(x.rawTokens ? x.rawTokens[t] : text) + " · score " + fmt(s), e.clientX, e.clientY);
        TEST.state.hovered = { position: t, score: s, background: span.style.background, ink: span.style.color };
      });
      span.addEventListener("mouseleave", hideTip);
      strip.append(span);
    });
    legend.replaceChildren(colourBar(scale, x.legend || ""));
    summary.textContent = x.summary || x.method;
    TEST.state.method = x.method;
  }
  if (list.length > 1) {
    root.append(el("div", { class: "controls" }, [select("method", "Method", list.map(function (x, i) { return [i, x.method]; }),
      function (v) { show(Number(v)); })]));
  }
  if (list.length > 0) {
    root.append(summary, strip, legend);
    show(0);
  }
  TEST.hooks.token = function (a) { const s = strip.children[a[0]]; return [s, 3, 3]; };
  if (D.sequence) {
    const q = D.sequence, scale = diverging(q.limit);
    const map = heatmap({ rows: q.generated.length, columns: q.tokens.length, values: q.matrix.flat(), scale: scale,
      rowLabels: q.generated.map(function (g) { return g.text; }), columnLabels: q.tokens, valueLabel: "relevance" });
    // A long record's matrix comes pooled in blocks (q.pooled says how; q.cells is its size).
    const size = q.cells || [q.generated.length, q.tokens.length];
    root.append(el("h2", { text: "Generated tokens × sources (" + size[0] + " × " + size[1] + ")" }));
    if (q.pooled) root.append(el("p", { class: "summary", id: "pooled", text: "Cells " + q.pooled + "." }));
    root.append(el("div", { class: "scroll" }, [map.element]), colourBar(scale, q.legend || ""));
    TEST.hooks.cell = function (a) { const p = map.point(a[0], a[1]); return [map.element, p[0], p[1]]; };
    TEST.state.matrix = { rows: q.generated.length, columns: q.tokens.length };
    if (q.pooled) TEST.state.matrix.pooled = q.pooled;
  }
  TEST.snapshot = function () {
    return { tokens: strip.children.length, boxes: Array.from(strip.children).slice(0, 400).map(function (s) {
      const b = s.getBoundingClientRect(); return [b.left + window.scrollX, b.top + window.scrollY, b.width, b.height];
    }) };
  };
  return root;
}
"""#
}
