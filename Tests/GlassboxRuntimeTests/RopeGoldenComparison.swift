import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// The comparison the RoPE-scaling suites (YaRN, LongRoPE, the other families' scalings) run on each
/// of their fixtures: for every golden case of `name`, the inverse frequencies `rope` gives at that
/// length against those the reference used (`rope_inv_freq` in the golden's metadata) to 1e-6
/// relative, and every hook point of the forward pass against transformers at 1e-4 (fp32 both sides).
///
/// - Returns: the input lengths of the cases, and how many hook tensors were compared.
func compareRopeGoldens(_ name: String, model: TransformerModel, rope: RotaryEmbedding) throws -> (lengths: [Int], hooks: Int) {
    var lengths: [Int] = [], hooks = 0
    for (caseName, file) in try Fixtures.goldenCases(name) {
        let golden = try Golden(url: file)
        let n = golden.inputIDs.count
        lengths.append(n)
        let reference = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(XCTUnwrap(golden.file.metadata["rope_inv_freq"]).utf8)) as? [Double])
        let ours = rope.inverseFrequencies(length: n)
        XCTAssertEqual(ours.count, reference.count, "\(name)/\(caseName)")
        for (a, b) in zip(ours, reference) {
            XCTAssertEqual(Double(a), b, accuracy: 1e-6 * abs(b), "\(name)/\(caseName) inv_freq")
        }
        let result = try model.forward(golden.inputIDs, capture: .all)
        XCTAssertEqual(result.cache.order.map(\.name), golden.hookOrder, "\(name)/\(caseName)")
        for hook in golden.hookOrder {
            guard let tensor = result.cache[hook] else { XCTFail("\(name)/\(caseName): no \(hook)"); continue }
            assertClose(tensor, try golden.tensor(hook), tolerance: 1e-4, "\(name)/\(caseName) \(hook)")
            hooks += 1
        }
    }
    return (lengths, hooks)
}
