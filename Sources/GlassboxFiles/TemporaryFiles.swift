import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The hidden temporary files this process has staged but not yet renamed or removed, so that an
/// interrupted run (SIGINT from Ctrl-C, SIGTERM from `timeout` or a scheduler, SIGHUP, SIGPIPE from
/// a reader that closed the pipe, as `| head` does) removes them
/// before it dies instead of leaving `.NAME.glassbox-PID-…` litter beside the user's outputs.
///
/// The signal handler may only call async-signal-safe functions, so every path is copied into a
/// buffer allocated up front (never freed, reused by later registrations), and the handler does
/// nothing but `unlink(2)` the live slots, restore the default action and re-raise the signal, so
/// the process ends with the status of the signal as it would have without the handler.
public enum TemporaryFiles {
    /// How many temporaries can be registered at once; more are simply not cleaned on a signal.
    static let capacity = 4096
    /// Longest path registered (bytes, with the terminating NUL).
    static let pathBytes = Int(PATH_MAX)

    /// One buffer per slot (allocated on first use) and whether the slot holds a live path.
    nonisolated(unsafe) private static let buffers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
        let pointer = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
        pointer.initialize(repeating: nil, count: capacity)
        return pointer
    }()
    nonisolated(unsafe) private static let live: UnsafeMutablePointer<sig_atomic_t> = {
        let pointer = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
        return pointer
    }()
    nonisolated(unsafe) private static var installed = false
    private static let lock = NSLock()

    /// A registration, to give back to ``unregister(_:)`` once the file is renamed or removed.
    public struct Token: Sendable {
        let slot: Int
    }

    /// Records `path` for removal on SIGINT/SIGTERM/SIGHUP/SIGPIPE (installing the handlers on first use).
    /// Nil when every slot is taken or the path is too long (the file is then only removed by
    /// its owner, as before).
    @discardableResult
    public static func register(_ path: String) -> Token? {
        let bytes = Array(path.utf8CString)
        guard bytes.count <= pathBytes else { return nil }
        lock.lock()
        defer { lock.unlock() }
        guard let slot = (0..<capacity).first(where: { live[$0] == 0 }) else { return nil }
        if buffers[slot] == nil { buffers[slot] = .allocate(capacity: pathBytes) }
        bytes.withUnsafeBufferPointer { buffers[slot]!.update(from: $0.baseAddress!, count: bytes.count) }
        live[slot] = 1
        if !installed {                       // after `live` and `buffers` exist: the handler reads them
            installed = true
            for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { installHandler(signal) }
        }
        return Token(slot: slot)
    }

    /// Forgets a registration (the file was renamed into place or removed by its owner).
    public static func unregister(_ token: Token?) {
        guard let token else { return }
        lock.lock()
        live[token.slot] = 0
        lock.unlock()
    }

    /// Installs the cleaning handler for `signal` unless the signal is ignored (a background job
    /// started with SIGINT ignored keeps ignoring it).
    private static func installHandler(_ signal: Int32) {
        var action = sigaction()
        var old = sigaction()
        guard sigaction(signal, nil, &old) == 0, unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self) != 1 else { return }  // SIG_IGN
        action.__sigaction_handler.sa_handler = { received in
            TemporaryFiles.removeLive()
            Glibc.signal(received, SIG_DFL)
            raise(received)                        // delivered with the default action on return
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(signal, &action, nil)
    }

    /// Unlinks every live slot: async-signal-safe (no allocation, no lock).
    private static func removeLive() {
        for slot in 0..<capacity where live[slot] != 0 {
            if let path = buffers[slot] { unlink(path) }
        }
    }
}
