/// The page style sheet (inline; the Content-Security-Policy allows inline style only).
enum PageStyle {
    static let css = #"""
body { font: 14px/1.4 system-ui, sans-serif; color: #111; margin: 16px 24px; background: #fff; }
h1 { font-size: 18px; margin: 0 0 8px; } h2 { font-size: 15px; margin: 16px 0 6px; }
.summary { color: #333; margin: 4px 0 10px; } .hint { color: #666; font-size: 12px; margin-left: 10px; }
.controls { margin: 6px 0 10px; } .control { margin-right: 14px; }
.tokens { line-height: 2.1; max-width: 1100px; }
.token { display: inline-block; padding: 3px 4px; margin: 2px 2px; border: 1px solid #7f7f7f; border-radius: 2px;
  white-space: pre; font-family: ui-monospace, monospace; font-size: 13px; line-height: 16px; }
.token.target { outline: 2px solid #111; }
.legend { display: flex; align-items: center; gap: 6px; margin: 10px 0; font-size: 12px; }
.legend .caption { color: #444; margin-left: 8px; }
.colourbar { border: 1px solid #999; }
#glassbox-tooltip { position: absolute; z-index: 10; background: #fffff4; border: 1px solid #888; padding: 4px 6px;
  font: 12px/1.35 ui-monospace, monospace; white-space: pre; pointer-events: none; box-shadow: 1px 1px 3px #0003; }
.tabs button { font: inherit; padding: 4px 12px; margin-right: 4px; border: 1px solid #aaa; background: #f4f4f4; cursor: pointer; }
.tabs button.active { background: #fff; border-bottom-color: #fff; font-weight: 600; }
.tab-body { border-top: 1px solid #aaa; padding-top: 8px; }
.stack { position: relative; display: inline-block; } .stack .overlay { position: absolute; left: 0; top: 0; }
.scroll { overflow: auto; max-width: 100%; }
.head-keys { margin: 6px 0; } .head-key { border-left: 10px solid; padding: 0 8px 0 4px; font-size: 12px; }
.model-grid th { font-size: 11px; font-weight: normal; color: #555; } .model-grid td { padding: 1px; }
.thumb { image-rendering: pixelated; cursor: pointer; border: 1px solid #ccc; display: block; }
.neuron-rows td, .neuron-rows th { padding: 1px 6px; font-size: 12px; text-align: left; white-space: pre; }
.neuron-rows tr.chosen { background: #fff3c4; } .neuron-rows tr { cursor: pointer; }
.vector { image-rendering: pixelated; display: block; } .qrow { display: flex; align-items: center; margin: 6px 0; }
table.lens { border-collapse: collapse; } table.lens td, table.lens th { border: 1px solid #fff; padding: 2px 5px;
  font: 12px ui-monospace, monospace; white-space: pre; } table.lens td.marked { outline: 2px solid #d6604d; outline-offset: -2px; }
.panels { display: flex; flex-wrap: wrap; gap: 8px 28px; } .panel { max-width: 100%; }
.curves { display: flex; flex-wrap: wrap; gap: 10px; } .curves figure { margin: 0; }
.curves figcaption { font-size: 12px; text-align: center; }
table.metrics { border-collapse: collapse; margin-top: 10px; } table.metrics td, table.metrics th { border-bottom: 1px solid #ddd; padding: 2px 10px; text-align: right; }
"""#
}
