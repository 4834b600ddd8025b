import Foundation
import XCTest

extension XCTestCase {
    /// Creates a fresh folder `glassbox-<label>-<UUID>` under the system's temporary directory and
    /// registers a teardown block that removes it, with everything written into it, when the test
    /// ends — so a test class needs no `tearDown` of its own for its scratch files.
    public func makeTemporaryFolder(_ label: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("glassbox-\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }
}
