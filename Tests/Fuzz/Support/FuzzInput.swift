import Foundation

#if GLASSBOX_FUZZ
/// libFuzzer's entry point for programs that have their own `main` (SwiftPM gives every executable
/// one).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32
#endif

/// What the fuzzing harnesses share: the input as `Data` or as a file (for the APIs that read
/// files), and the `main` of a harness.
public enum FuzzInput {
    /// Built with `-DGLASSBOX_FUZZ` (and `-sanitize=fuzzer`): runs libFuzzer with the command
    /// line. Otherwise replays the files named on the command line through `body`.
    public static func main(_ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32,
                            replaying body: (Data) -> Void) -> Never {
        #if GLASSBOX_FUZZ
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
        #else
        replay(body)
        exit(0)
        #endif
    }

    /// The libFuzzer input as `Data` (`data` is nil for the empty input).
    public static func data(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Data {
        guard let data, size > 0 else { return Data() }
        return Data(bytes: data, count: size)
    }

    /// Writes the input to this process's scratch file (one per harness and process) and returns
    /// its URL; the file is overwritten by the next input. The scratch folder is in /dev/shm where
    /// there is one (a write to a disk-backed /tmp can cost milliseconds) and is removed at exit.
    public static func file(_ data: Data, name: String) -> URL {
        let url = scratchFolder.appendingPathComponent(name)
        // A write failure is not the code under test: the harness then reads a missing file.
        try? data.write(to: url)
        return url
    }

    private static let scratchFolder: URL = {
        var isFolder: ObjCBool = false
        let shm = FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isFolder) && isFolder.boolValue
        let folder = URL(fileURLWithPath: shm ? "/dev/shm" : NSTemporaryDirectory())
            .appendingPathComponent("glassbox-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        atexit {
            let folder = URL(fileURLWithPath: "/dev/shm/glassbox-fuzz-\(getpid())")
            try? FileManager.default.removeItem(at: folder)
            try? FileManager.default.removeItem(at: URL(fileURLWithPath: NSTemporaryDirectory())
                .appendingPathComponent("glassbox-fuzz-\(getpid())"))
        }
        return folder
    }()

    /// Without libFuzzer: runs every file named on the command line (or every file in a folder
    /// named there) through `body`, and says how many ran. A crash is the failure.
    public static func replay(_ body: (Data) -> Void) {
        var count = 0
        for argument in CommandLine.arguments.dropFirst() {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder) else {
                FileHandle.standardError.write(Data("no such file: \(argument)\n".utf8))
                exit(2)
            }
            let files = isFolder.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []).sorted()
                    .map { argument + "/" + $0 }
                : [argument]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                body(data)
                count += 1
            }
        }
        print("replayed \(count) inputs without a crash")
    }
}
