import Foundation

/// The memory the system can give a new run without swapping: `MemAvailable` of `/proc/meminfo`.
public enum AvailableMemory {
    /// `MemAvailable` in bytes from the text of `/proc/meminfo` (`MemAvailable:   123456 kB`), or
    /// `nil` when the line is missing or malformed.
    public static func parse(meminfo: String) -> Int? {
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.dropFirst("MemAvailable:".count).split(separator: " ")
            guard let value = fields.first.flatMap({ Int($0) }), value >= 0 else { return nil }
            let unit = fields.count > 1 ? fields[1].lowercased() : "b"
            switch unit {
            case "kb": return value * 1024
            case "b": return value
            default: return nil
            }
        }
        return nil
    }

    /// `MemAvailable` now, or `nil` where `/proc/meminfo` cannot be read (not Linux).
    public static func current() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        return parse(meminfo: text)
    }
}
