// A user's script: load the bundled model (a package resource of the dependency), run a forward
// pass with a captured hook point, and print the top prediction. scripts/consumer.sh checks it.
import Foundation
import Glassbox

let gpt = try ModelContext.load()
let input = try gpt.input("I pray you, sir, I pray")
let run = try gpt.model.forward(input, capture: .points([.block(1, .pattern)]))
let pattern = run.cache[.block(1, .pattern)]!                       // [H, n, n]
let top = try gpt.predict(input, topK: 1)[0]
print("pattern \(pattern.shape)")
print("top \(top.text.debugDescription) \(String(format: "%.3f", top.probability))")
