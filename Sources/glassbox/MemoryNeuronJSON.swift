import Glassbox

extension MemoryNeuron {
    /// The JSON fields naming a mixture's neuron `e·dff + i` (`expert`: `e`, `expertNeuron`: `i`; the
    /// shared expert's: `sharedExpert`: true, `expertNeuron`: `i`), added next to `neuron`; none for a
    /// dense MLP (docs/cli.md, `neurons` and `project`).
    var jsonFields: [String: Any] {
        if shared { return ["sharedExpert": true, "expertNeuron": index] }
        return expert.map { ["expert": $0, "expertNeuron": index] } ?? [:]
    }

    /// The label of a result entry holding `neuron` and, in a mixture, `expert` (or `sharedExpert`)
    /// and `expertNeuron`: `"neuron i"`, `"expert e, neuron i"` or `"shared expert, neuron i"`.
    static func label(_ entry: [String: Any]) throws -> String {
        if entry["sharedExpert"] as? Bool == true {
            return MemoryNeuron(expert: nil, index: try JSONField.int(entry, "expertNeuron"), shared: true).label
        }
        if let expert = try JSONField.optionalInt(entry, "expert") {
            return MemoryNeuron(expert: expert, index: try JSONField.int(entry, "expertNeuron")).label
        }
        return MemoryNeuron(expert: nil, index: try JSONField.int(entry, "neuron")).label
    }
}
