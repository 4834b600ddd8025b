import Foundation
import GlassboxAnalysis
import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor

/// One committed AtMan reference case (`Tests/Fixtures/atman/<model>/<case>.safetensors`, written by
/// scripts/fixtures/generate_atman.py with the plain PyTorch AtMan of scripts/bench/reference_atman.py),
/// read strictly: a missing file, tensor or metadata key, or a value of the wrong type, throws an
/// error naming it.
struct AtManReferenceCase {
    /// A missing or malformed part of a reference file.
    struct Missing: LocalizedError, CustomStringConvertible {
        let description: String
        var errorDescription: String? { description }
    }

    let label: String
    let input: ModelInput
    let target: AtMan.Target
    let options: AtMan.Options
    let groups: [[Int]]?
    /// The tokens run (prompt plus all but the last continuation target); empty for images.
    let inputIDs: [Int]
    let rows: [Int]
    /// Per perturbation: the explained group, the suppressed keys and their factors.
    let configs: [(group: [Int], keys: [Int], factors: [Float])]
    /// `[G][T]` and `[T]`.
    let deltaCE: [[Float]], deltaLogit: [[Float]]
    let baseCE: Tensor, baseLogit: Tensor

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/atman")

    /// Reads `Tests/Fixtures/atman/<model>/<name>.safetensors`.
    init(model: String, name: String, image: Bool) throws {
        label = "\(model)/\(name)"
        let url = Self.folder.appendingPathComponent(model).appendingPathComponent("\(name).safetensors")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw Missing(description: "no AtMan reference \(url.path) (run scripts/fixtures/generate_atman.py)")
        }
        let file = try SafetensorsFile(url: url)
        let label = label
        func json<T>(_ key: String, as: T.Type = T.self) throws -> T {
            guard let text = file.metadata[key] else {
                throw Missing(description: "\(label): the reference has no metadata key '\(key)'")
            }
            guard let value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) as? T else {
                throw Missing(description: "\(label): metadata '\(key)' is not a \(T.self): \(text)")
            }
            return value
        }
        func field<T>(_ object: [String: Any], _ key: String, in name: String, as: T.Type = T.self) throws -> T {
            guard let value = object[key] as? T else {
                throw Missing(description: "\(label): '\(name)' has no \(T.self) '\(key)': \(object)")
            }
            return value
        }
        func tensor(_ name: String) throws -> Tensor {
            guard file.entry(name) != nil else {
                throw Missing(description: "\(label): the reference has no tensor '\(name)' (it has \(file.tensorNames))")
            }
            return try file.tensor(name)
        }
        func matrix(_ name: String) throws -> [[Float]] {
            let t = try tensor(name)
            guard t.rank == 2, t.shape[0] > 0, t.shape[1] > 0 else {
                throw Missing(description: "\(label): tensor '\(name)' has shape \(t.shape), expected [groups, targets]")
            }
            return (0..<t.shape[0]).map { t.row($0).storage }
        }

        let prompt: [Int] = try json("prompt")
        input = image ? .pixels(try tensor("pixel_values")) : .tokens(prompt, types: nil)
        let t: [String: Any] = try json("target")
        switch try field(t, "kind", in: "target", as: String.self) {
        case "continuation": target = .continuation(try field(t, "tokens", in: "target"))
        case "token": target = .token(id: try field(t, "id", in: "target"), position: try field(t, "position", in: "target"))
        case "label": target = .label(try field(t, "index", in: "target"))
        case let kind: throw Missing(description: "\(label): unknown target kind '\(kind)'")
        }
        let o: [String: Any] = try json("options")
        var options = AtMan.Options()
        options.factor = Float(try field(o, "factor", in: "options", as: Double.self))
        options.scaleFactorBySimilarity = try field(o, "scaled", in: "options")
        let shifts: [String: AttentionScoreEdit.Shift] = ["row": .rowMinimum, "visible": .visibleKeyMinimum, "none": .none]
        let shift: String = try field(o, "shift", in: "options")
        guard let s = shifts[shift] else { throw Missing(description: "\(label): unknown shift '\(shift)'") }
        options.shift = s
        for key in ["kappa", "layers", "groups", "temperature"] where o[key] == nil {
            throw Missing(description: "\(label): 'options' has no key '\(key)' (null when unset)")
        }
        options.kappa = (o["kappa"] as? Double).map { Float($0) }
        options.layers = o["layers"] as? [Int]
        options.temperature = (o["temperature"] as? Double).map { Float($0) }
        self.options = options
        groups = o["groups"] as? [[Int]]
        inputIDs = try json("input_ids")
        rows = try json("rows")
        let c: [[String: Any]] = try json("configs")
        configs = try c.map {
            (try field($0, "group", in: "configs"), try field($0, "keys", in: "configs"),
             try field($0, "factors", in: "configs", as: [Double].self).map { Float($0) })
        }
        deltaCE = try matrix("delta_ce")
        deltaLogit = try matrix("delta_logit")
        baseCE = try tensor("base_ce")
        baseLogit = try tensor("base_logit")
    }
}
