import ArgumentParser
import Foundation

/// What a timed run is measured in.
enum Clock: String, CaseIterable, ExpressibleByArgument {
    /// Elapsed time, what a user waits (the default).
    case wall
    /// CPU time of the whole process (`CLOCK_PROCESS_CPUTIME_ID`, all threads). Other processes
    /// taking turns on the cores do not count, so single-thread comparisons stay meaningful on a
    /// busy shared machine; with several threads it also counts workers that spin while waiting.
    case cpu

    /// Nanoseconds on this clock.
    func now() -> UInt64 {
        switch self {
        case .wall:
            return DispatchTime.now().uptimeNanoseconds
        case .cpu:
            var t = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
            return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
        }
    }
}

/// Timing of repeated runs, on the wall clock unless told otherwise.
enum Timing {
    /// Seconds per run of `body` for `repeats` runs after `warmup` unrecorded ones.
    static func measure(warmup: Int, repeats: Int, clock: Clock = .wall, _ body: () throws -> Void) rethrows -> [Double] {
        for _ in 0..<warmup { try body() }
        return try (0..<repeats).map { _ in
            let start = clock.now()
            try body()
            return Double(clock.now() - start) / 1e9
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}

/// The machine a figure was measured on, printed with every result.
enum MachineDescription {
    static var summary: String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        return "\(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores"
    }

    /// The 1-, 5- and 15-minute load averages, as `uptime` prints them: the machine may be shared.
    static var load: String {
        let fields = ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "").split(separator: " ")
        return fields.count >= 3 ? "load average \(fields[0]), \(fields[1]), \(fields[2])" : "load average unknown"
    }
}
