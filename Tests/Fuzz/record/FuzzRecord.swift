import Foundation
import Glassbox
import GlassboxFuzzSupport

/// A result file for `glassbox render`: reading it and laying out its figure either work or throw.
func fuzz(_ data: Data) {
    let url = FuzzInput.file(data, name: "result.json")
    guard let record = try? ExplanationRecord.read(url) else { return }
    _ = try? record.figure()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzz(FuzzInput.data(data, size))
    return 0
}

@main enum Harness {
    static func main() { FuzzInput.main(fuzzOneInput, replaying: fuzz) }
}
