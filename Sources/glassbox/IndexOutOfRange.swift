import Foundation

/// An index option (`--layer`, `--head`, `--start-layer`, `--target-id`, …) outside what the
/// loaded model has, checked by the command before the library runs so that the line names the
/// option; the library's own errors stay generic ("layer 9 is outside 0..<4") for scripts.
/// Bad input, exit code 1, as an out-of-range `--position`.
struct IndexOutOfRange: Error, LocalizedError, Equatable {
    /// The option as typed on the command line.
    let option: String
    let value: Int
    /// Valid values are `0..<count`.
    let count: Int
    /// What there are `count` of, in words: "layers", "heads per layer", "outputs".
    let unit: String
    /// For an index inside a list value (`--receivers 4.0`): the list entry and the index's name
    /// ("layer", "head"), named after the option.
    var entry: (text: String, name: String)? = nil

    var errorDescription: String? {
        let subject = entry.map { "\(option) \($0.text): \($0.name) \(value)" } ?? "\(option) \(value)"
        return "\(subject) is outside 0..<\(count) (the model has \(count) \(unit))"
    }

    static func == (a: Self, b: Self) -> Bool { a.errorDescription == b.errorDescription }

    /// Throws when `value` is given and outside `0..<count`.
    static func check(_ value: Int?, option: String, count: Int, unit: String, entry: (text: String, name: String)? = nil) throws {
        guard let value, !(0..<count).contains(value) else { return }
        throw IndexOutOfRange(option: option, value: value, count: count, unit: unit, entry: entry)
    }

    /// A layer option (`--layer`, `--start-layer`) against the model's layers.
    static func layer(_ value: Int?, option: String = "--layer", layers: Int, entry: String? = nil) throws {
        try check(value, option: option, count: layers, unit: layers == 1 ? "layer" : "layers", entry: entry.map { ($0, "layer") })
    }

    /// A head option (`--head`) against the model's heads per layer.
    static func head(_ value: Int?, option: String = "--head", heads: Int, entry: String? = nil) throws {
        try check(value, option: option, count: heads, unit: heads == 1 ? "head per layer" : "heads per layer",
                  entry: entry.map { ($0, "head") })
    }
}
