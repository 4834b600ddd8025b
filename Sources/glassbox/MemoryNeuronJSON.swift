import Glassbox

extension MemoryNeuron {
    /// The JSON fields naming a mixture's neuron `e·dff + i` (`expert`: `e`, `expertNeuron`: `i`),
    /// added next to `neuron`; none for a dense MLP (docs/cli.md, `neurons` and `project`).
    var jsonFields: [String: Any] { expert.map { ["expert": $0, "expertNeuron": index] } ?? [:] }

    /// The label of a result entry holding `neuron` and, in a mixture, `expert` and `expertNeuron`:
    /// `"neuron i"` or `"expert e, neuron i"`.
    static func label(_ entry: [String: Any]) throws -> String {
        if let expert = try JSONField.optionalInt(entry, "expert") {
            return MemoryNeuron(expert: expert, index: try JSONField.int(entry, "expertNeuron")).label
        }
        return MemoryNeuron(expert: nil, index: try JSONField.int(entry, "neuron")).label
    }
}
