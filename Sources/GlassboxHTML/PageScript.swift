/// The page script, one string assembled from a part per view (no external file: a binary alone
/// writes complete pages). Shared parts: reading the data, the 256-entry colour tables, tooltips,
/// canvas heatmaps and the test hook.
///
/// Test hook: a page opened with `#glassbox-test=STEP;STEP;…` runs each step after building its
/// view and writes the resulting state as JSON into `#glassbox-test-state` (read with
/// `chromium --headless --dump-dom`). A step is `hover:TARGET:ARGS`, `click:TARGET:ARGS` or
/// `leave:TARGET:ARGS` (real `MouseEvent`s dispatched at the target's coordinates, so the view's own
/// handlers run), `select:ID:VALUE` (sets a `<select>` and fires `change`), `tab:NAME` or
/// `probe:colours` (the ink `inkOn` picks for every colour-table entry, palette colour and the
/// masked colour, under `"probe"`). Targets:
/// `token:I`, `key:I`, `thumb:L:H`, `cell:R:C` (or `cell:P:R:C` for patching panels), `nkey:J`,
/// `curve:M:S`.
public enum PageScript {
    /// The whole script, wrapped in a function so nothing leaks into the page's globals.
    public static var source: String {
        "(function () {\n" + [common, explanation, attention, tables].joined(separator: "\n") + "\n})();\n"
    }

    /// Data, colours, tooltips, heatmaps, tabs and the test hook.
    static let common = #"""
"use strict";
const D = JSON.parse(document.getElementById("glassbox-data").textContent);
const VIEW = document.getElementById("glassbox-view");
const TIP = document.getElementById("glassbox-tooltip");
const TEST = { hooks: {}, state: {}, errors: [] };
window.addEventListener("error", function (e) { TEST.errors.push(String(e.message)); });

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children || []) node.append(c);
  return node;
}

const TABLES = {};
function table(name) {
  if (!TABLES[name]) {
    const hex = D.colormaps[name], rgb = [], css = [];
    for (let i = 0; i < 256; i++) {
      const v = parseInt(hex.substr(i * 6, 6), 16);
      rgb.push([(v >> 16) & 255, (v >> 8) & 255, v & 255]);
      css.push("#" + hex.substr(i * 6, 6));
    }
    TABLES[name] = { rgb: rgb, css: css };
  }
  return TABLES[name];
}
// The figures' fixed colours (PageColors): cells with no value, the categorical palette, the inks.
const COLOURS = D.colours;
const MASKED = COLOURS.masked, MASKED_RGB = rgbOfHex(MASKED);
function rgbOfHex(css) { const v = parseInt(css.slice(1), 16); return [(v >> 16) & 255, (v >> 8) & 255, v & 255]; }
// Palette.color(i): the categorical colours, cycling.
function categorical(i) { const p = COLOURS.categorical; return p[((i % p.length) + p.length) % p.length]; }
function index(t) { return Math.round(Math.min(Math.max(t, 0), 1) * 255); }
function position(scale, v) { return (v - scale.lower) / (scale.upper - scale.lower); }
function colour(scale, v) {
  if (v === null || v === undefined || Number.isNaN(v)) return MASKED;
  return table(scale.map).css[index(position(scale, v))];
}
function rgbOf(scale, v) {
  if (v === null || v === undefined || Number.isNaN(v)) return MASKED_RGB;
  return table(scale.map).rgb[index(position(scale, v))];
}
// RGBA.contrastingText on 8-bit rgb: the WCAG luminance, then the dark ink when its contrast ratio
// is at least white's (luminance 1).
function linear(byte) { const c = byte / 255; return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); }
function inkOn(rgb) {
  const l = 0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2]);
  return (l + 0.05) / (COLOURS.ink.darkLuminance + 0.05) >= (1 + 0.05) / (l + 0.05) ? COLOURS.ink.dark : COLOURS.ink.light;
}
function diverging(limit) { return { map: "RdBu", lower: -limit, upper: limit }; }
function fmt(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(4);
}

function showTip(text, x, y) {
  TIP.textContent = text;
  TIP.hidden = false;
  TIP.style.left = (x + window.scrollX + 14) + "px";
  TIP.style.top = (y + window.scrollY + 14) + "px";
}
function hideTip() { TIP.hidden = true; }

function colourBar(scale, caption) {
  const c = el("canvas", { class: "colourbar", width: 256, height: 12 });
  const ctx = c.getContext("2d");
  for (let i = 0; i < 256; i++) { ctx.fillStyle = table(scale.map).css[i]; ctx.fillRect(i, 0, 1, 12); }
  return el("div", { class: "legend" }, [el("span", { text: fmt(scale.lower) }), c, el("span", { text: fmt(scale.upper) }),
    el("span", { class: "caption", text: caption || "" })]);
}

function select(id, label, options, onChange) {
  const s = el("select", { id: id });
  for (const [value, text] of options) s.append(el("option", { value: String(value), text: text }));
  s.addEventListener("change", function () { onChange(s.value); });
  return el("label", { class: "control" }, [label + " ", s]);
}

function tabs(entries) {
  const bar = el("nav", { class: "tabs" }), body = el("div", { class: "tab-body" });
  const shown = {};
  function open(name) {
    for (const b of bar.children) b.classList.toggle("active", b.dataset.name === name);
    for (const [n, e] of Object.entries(entries)) {
      if (n === name && !shown[n]) { shown[n] = e.build(); body.append(shown[n]); }
      if (shown[n]) shown[n].hidden = n !== name;
    }
    TEST.state.tab = name;
  }
  for (const name of Object.keys(entries)) {
    const b = el("button", { id: "tab-" + name, text: entries[name].label });
    b.dataset.name = name;
    b.addEventListener("click", function () { open(name); });
    bar.append(b);
  }
  return { element: el("div", {}, [bar, body]), open: open };
}

// A heatmap on a canvas: rows × columns cells, labels on the left and below, value on hover.
function heatmap(p) {
  const cell = p.cell || Math.max(4, Math.min(28, Math.floor(640 / Math.max(p.columns, 1))));
  const left = p.rowLabels ? 90 : 0, bottom = p.columnLabels ? 56 : 0;
  const w = left + p.columns * cell, h = p.rows * cell + bottom;
  const c = el("canvas", { class: "heatmap", width: w, height: h });
  const ctx = c.getContext("2d");
  ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, w, h);
  for (let r = 0; r < p.rows; r++) {
    for (let k = 0; k < p.columns; k++) {
      ctx.fillStyle = colour(p.scale, p.values[r * p.columns + k]);
      ctx.fillRect(left + k * cell, r * cell, cell, cell);
    }
  }
  ctx.fillStyle = "#222"; ctx.font = "11px sans-serif";
  if (p.rowLabels && cell >= 9) {
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    p.rowLabels.forEach(function (t, r) { ctx.fillText(t.slice(0, 14), left - 4, r * cell + cell / 2); });
  }
  if (p.columnLabels && cell >= 9) {
    p.columnLabels.forEach(function (t, k) {
      ctx.save(); ctx.translate(left + k * cell + cell / 2, p.rows * cell + 4); ctx.rotate(Math.PI / 3);
      ctx.textAlign = "left"; ctx.textBaseline = "middle"; ctx.fillText(t.slice(0, 12), 0, 0); ctx.restore();
    });
  }
  function at(e) {
    const b = c.getBoundingClientRect();
    const k = Math.floor((e.clientX - b.left - left) / cell), r = Math.floor((e.clientY - b.top) / cell);
    return r >= 0 && r < p.rows && k >= 0 && k < p.columns ? [r, k] : null;
  }
  c.addEventListener("mousemove", function (e) {
    const rk = at(e);
    if (!rk) { hideTip(); return; }
    const v = p.values[rk[0] * p.columns + rk[1]];
    const text = (p.rowLabels ? p.rowLabels[rk[0]] : "row " + rk[0]) + " × " + (p.columnLabels ? p.columnLabels[rk[1]] : "column " + rk[1])
      + ": " + (p.valueLabel ? p.valueLabel + " " : "") + fmt(v);
    showTip(text, e.clientX, e.clientY);
    TEST.state.hovered = { row: rk[0], column: rk[1], value: v, colour: colour(p.scale, v) };
    if (p.onHover) p.onHover(rk[0], rk[1]);
  });
  c.addEventListener("mouseleave", hideTip);
  if (p.onClick) c.addEventListener("click", function (e) { const rk = at(e); if (rk) p.onClick(rk[0], rk[1]); });
  return { element: c, point: function (r, k) { return [left + k * cell + cell / 2, r * cell + cell / 2]; } };
}

// #glassbox-test=ACTION:TARGET:ARGS;… dispatches real mouse events, then writes the state as JSON.
function point(target, args) {
  const hook = TEST.hooks[target];
  if (!hook) throw new Error("no test target " + target);
  return hook(args.map(Number));
}
function mouse(type, node, x, y) {
  const b = node.getBoundingClientRect();
  const init = { bubbles: true, cancelable: true, view: window, clientX: b.left + x, clientY: b.top + y };
  node.dispatchEvent(new MouseEvent(type, init));
}
// What the page's colour rules give for every colour it can paint, for tests to compare with Swift.
const PROBES = {
  colours: function () {
    const ink = {};
    for (const name of Object.keys(D.colormaps)) ink[name] = table(name).rgb.map(inkOn);
    return { ink: ink, categorical: COLOURS.categorical.map(function (c) { return inkOn(rgbOfHex(c)); }),
      masked: inkOn(MASKED_RGB), heads: [...Array(24).keys()].map(categorical) };
  },
};
function runTest() {
  const m = /glassbox-test=([^&]*)/.exec(decodeURIComponent(location.hash));
  if (!m) return;
  TEST.active = true;
  const steps = [];
  for (const step of m[1].split(";").filter(Boolean)) {
    const parts = step.split(":"), action = parts[0], target = parts[1], args = parts.slice(2);
    try {
      const started = performance.now();
      if (action === "select") {
        const s = document.getElementById(target);
        if (!s) throw new Error("no select " + target);
        s.value = args[0]; s.dispatchEvent(new Event("change"));
      } else if (action === "tab") {
        document.getElementById("tab-" + target).click();
      } else if (action === "probe") {
        if (!PROBES[target]) throw new Error("no probe " + target);
        TEST.state.probe = PROBES[target]();
      } else {
        const [node, x, y] = point(target, args);
        if (action === "hover") { mouse("mouseover", node, x, y); mouse("mousemove", node, x, y); }
        else if (action === "leave") mouse("mouseleave", node, x, y);
        else if (action === "click") { mouse("mousedown", node, x, y); mouse("mouseup", node, x, y); mouse("click", node, x, y); }
        else throw new Error("unknown action " + action);
      }
      steps.push({ step: step, ms: performance.now() - started });
    } catch (e) { TEST.errors.push(step + ": " + e.message); }
  }
  const state = Object.assign({ kind: D.kind, steps: steps, errors: TEST.errors, tooltip: TIP.hidden ? null : TIP.textContent,
    resources: performance.getEntriesByType("resource").map(function (r) { return r.name; }) }, TEST.state);
  if (TEST.snapshot) Object.assign(state, TEST.snapshot());
  document.getElementById("glassbox-test-state").textContent = JSON.stringify(state);
}
"""#
}
