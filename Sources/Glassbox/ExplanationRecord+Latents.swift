import Foundation

extension ExplanationRecord {
    /// The head relevance `extra.heads` (`[layer][head]`, LRP methods) as a layers × heads heatmap:
    /// a diverging scale centred on zero (red positive, blue negative, limit the largest |value|),
    /// with the values printed when the cells are large enough. Nil when the record has no heads.
    public func headFigure() throws -> AttentionMatrix? {
        guard let heads = extra.heads, let first = heads.first, !first.isEmpty else { return nil }
        let matrix = try ScoreMatrix(heads.map { $0.map(Float.init) })
        let name = methodTitle
        return AttentionMatrix(weights: matrix, rowLabels: heads.indices.map { "L\($0)" },
                               columnLabels: first.indices.map { "H\($0)" },
                               title: "Head relevance · \(question) \(name) · \(URL(fileURLWithPath: model.name).lastPathComponent)",
                               colorScale: .diverging(fitting: heads.joined()), showValues: true,
                               rowAxisTitle: "layer", columnAxisTitle: "head", valueLabel: "relevance")
    }

    /// The most relevant FFN neurons `extra.neurons` as signed bars labelled "L3 N1021", in the
    /// record's order (largest |relevance| first). Nil when the record lists none.
    public func neuronFigure() -> BarChart? {
        guard let neurons = extra.neurons, !neurons.isEmpty else { return nil }
        let name = methodTitle
        return BarChart(values: neurons.map(\.relevance), labels: neurons.map(Self.neuronLabel),
                        title: "Top \(neurons.count) FFN neurons · \(question) \(name) · \(URL(fileURLWithPath: model.name).lastPathComponent)",
                        valueLabel: "relevance", categoryLabel: "layer, neuron")
    }

    /// "L3 N1021".
    public static func neuronLabel(_ score: NeuronScore) -> String { "L\(score.layer) N\(score.neuron)" }
}
