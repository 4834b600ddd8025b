import Foundation
import Glassbox

/// `--heads` and `--neurons`: the head relevance heatmap (layers × heads) and the top FFN neurons
/// as bars, written beside the main picture as `NAME-heads.EXT` and `NAME-neurons.EXT` (same
/// folder and format as `--out`, or `output/` without it).
struct LatentPictures {
    var heads = false
    var neurons = false

    /// `picture` with `-suffix` before its extension: `out/a.svg` → `out/a-heads.svg`.
    static func sibling(of picture: URL, suffix: String) -> URL {
        let ext = picture.pathExtension
        let stem = picture.deletingPathExtension().lastPathComponent + "-" + suffix
        let folder = picture.deletingLastPathComponent()
        return folder.appendingPathComponent(ext.isEmpty ? stem : stem + "." + ext)
    }

    /// Draws the requested pictures of `record` beside `picture` into `output` (in place when it
    /// commits); returns what will be written, in order.
    func write(_ record: ExplanationRecord, beside picture: URL, into output: OutputTransaction) throws -> [(label: String, url: URL)] {
        var written: [(label: String, url: URL)] = []
        if heads, let figure = try record.headFigure() {
            let url = Self.sibling(of: picture, suffix: "heads")
            try report(output.render(figure, to: url))
            written.append(("heads", url))
        }
        if neurons, let figure = record.neuronFigure() {
            let url = Self.sibling(of: picture, suffix: "neurons")
            try report(output.render(figure, to: url))
            written.append(("neurons", url))
        }
        return written
    }

    private func report(_ report: RenderReport) throws {
        for warning in report.warnings { Console.note("warning: \(warning)") }
    }

    /// The short stdout table of `--neurons`.
    static func printTable(_ neurons: [ExplanationRecord.NeuronScore]) {
        print("most relevant FFN neurons (|relevance| over all layers, summed over positions):")
        print("  layer  neuron   relevance")
        for n in neurons { print(String(format: "  %5d  %6d  %+.5f", n.layer, n.neuron, n.relevance)) }
    }
}

/// Ranks FFN neurons over all layers by the relevance of the reverse sweep.
enum NeuronRanking {
    /// The `count` neurons with the largest |relevance| over all layers, most relevant first (ties:
    /// lower layer, then lower index). Merges every layer's `topNeurons(layer:count:)`, which holds
    /// each layer's share of the overall top `count`.
    static func top(_ result: RelevanceResult, count: Int) -> [ExplanationRecord.NeuronScore] {
        let candidates = (0..<result.neurons.shape[0]).flatMap { layer in
            result.topNeurons(layer: layer, count: count).map { (layer: layer, neuron: $0.neuron, relevance: $0.relevance) }
        }
        return candidates.sorted { a, b in
            abs(a.relevance) != abs(b.relevance) ? abs(a.relevance) > abs(b.relevance)
                : (a.layer, a.neuron) < (b.layer, b.neuron)
        }
        .prefix(count)
        .map { ExplanationRecord.NeuronScore(layer: $0.layer, neuron: $0.neuron, relevance: Double($0.relevance)) }
    }
}
