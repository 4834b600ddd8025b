import Foundation

/// The benchmark process's own memory and CPU use, from Linux `/proc/self/status` and `getrusage`.
enum ProcessMemory {
    /// `VmRSS` in MiB (NaN where unavailable).
    static func residentMB() -> Double { field("VmRSS") }

    /// User + system CPU time of the process so far (all threads), in seconds.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// `VmHWM` (peak resident size) in MiB.
    static func peakMB() -> Double { field("VmHWM") }

    /// Resets `VmHWM` to the current resident size (writing 5 to /proc/self/clear_refs); a no-op
    /// where the kernel refuses.
    static func resetPeak() {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return }
        handle.write(Data("5".utf8))
        try? handle.close()
    }

    private static func field(_ name: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }),
              let kb = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap({ Double($0) }) else { return .nan }
        return kb / 1024
    }
}
