import Foundation

/// `generate --stop`: passes streamed text on, holding back its last `stop.count − 1` characters
/// (they might begin the stop text) and cutting the text where the stop text appears. Each piece
/// is searched together with the held-back tail only, so the work stays linear in the text.
struct StopTextFilter {
    /// The stop text; `nil` passes every piece on whole.
    let stop: String?
    /// Text received but not yet passed on (shorter than `stop`).
    private var held = ""

    init(_ stop: String?) { self.stop = stop }

    /// Takes the next piece of text; returns what can be shown now and whether the stop text appeared
    /// (then the shown text ends just before it).
    mutating func pass(_ piece: String) -> (shown: String, stopped: Bool) {
        guard let stop else { return (piece, false) }
        held += piece
        if let range = held.range(of: stop) {
            defer { held = "" }
            return (String(held[..<range.lowerBound]), true)
        }
        let keep = held.index(held.endIndex, offsetBy: -(stop.count - 1), limitedBy: held.startIndex) ?? held.startIndex
        defer { held = String(held[keep...]) }
        return (String(held[..<keep]), false)
    }
}
