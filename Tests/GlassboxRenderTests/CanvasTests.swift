import CGlassboxCairo
import Foundation
import GlassboxRender
import XCTest

/// One drawing path to PNG, SVG and PDF; atomic writes; clear errors for unwritable paths.
final class CanvasTests: RenderTestCase {
    private func drawSplit(_ canvas: Canvas) {
        canvas.fill(x: 0, y: 0, width: canvas.width, height: canvas.height, color: .white)
        canvas.fill(x: 0, y: 0, width: canvas.width / 2, height: canvas.height, color: RGBA(1, 0, 0))
    }

    func testPNGHasTheDrawnPixels() throws {
        let url = file("split.png")
        try Canvas.write(to: url, width: 40, height: 20, draw: drawSplit)
        let picture = try RenderedPicture(url, scale: 1)
        XCTAssertEqual([picture.width, picture.height], [40, 20])
        assertColor(picture.color(5, 10), RGBA(1, 0, 0), tolerance: 0, "left half")
        assertColor(picture.color(35, 10), .white, tolerance: 0, "right half")
    }

    func testPNGScaleMultipliesPixels() throws {
        let url = file("split.png")
        let report = try Canvas.write(to: url, width: 40, height: 20, scale: 2.5, draw: drawSplit)
        let data = try Data(contentsOf: url)
        XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
        XCTAssertEqual(pngSize(data), [100, 50])
        XCTAssertEqual(report.scale, 2.5)
        XCTAssertEqual(report.size, Size(width: 40, height: 20))
    }

    func testSVGAndPDFComeFromTheSameDrawing() throws {
        let svg = file("split.svg"), pdf = file("split.PDF")
        try Canvas.write(to: svg, width: 40, height: 20, draw: drawSplit)
        try Canvas.write(to: pdf, width: 40, height: 20, draw: drawSplit)
        let svgText = try String(contentsOf: svg, encoding: .utf8)
        XCTAssertTrue(svgText.contains("<svg") && svgText.contains("rgb(100%,0%,0%)"), svgText)
        XCTAssertTrue(try Data(contentsOf: pdf).starts(with: Data("%PDF".utf8)))
        XCTAssertEqual(try leftovers(), ["split.PDF", "split.svg"], "no temporary files may remain")
    }

    func testErrorsLeaveNoFileBehind() throws {
        XCTAssertThrowsError(try Canvas.write(to: file("x.jpg"), width: 4, height: 4) { _ in }) {
            XCTAssertEqual($0 as? RenderError, .unsupportedExtension(self.file("x.jpg").path))
        }
        let missing = file("no/such/folder/x.png")
        XCTAssertThrowsError(try Canvas.write(to: missing, width: 4, height: 4) { _ in }) {
            XCTAssertTrue($0.localizedDescription.contains("does not exist"), $0.localizedDescription)
        }
        XCTAssertThrowsError(try Canvas.write(to: file("x.png"), width: 0, height: 4) { _ in }) {
            XCTAssertEqual($0 as? RenderError, .invalidSize(width: 0, height: 4))
        }
        struct Stop: Error {}
        XCTAssertThrowsError(try Canvas.write(to: file("half.png"), width: 4, height: 4) { _ in throw Stop() })
        XCTAssertThrowsError(try Canvas.write(to: file("half.svg"), width: 4, height: 4) { _ in throw Stop() })
        XCTAssertThrowsError(try Canvas.write(to: file("half.pdf"), width: 4, height: 4) { _ in throw Stop() })
        XCTAssertEqual(try leftovers(), [])
    }

    func testAFailedWriteKeepsTheOldFile() throws {
        let url = file("keep.png")
        try Canvas.write(to: url, width: 10, height: 10, draw: drawSplit)
        let before = try Data(contentsOf: url)
        struct Stop: Error {}
        XCTAssertThrowsError(try Canvas.write(to: url, width: 30, height: 30) { _ in throw Stop() })
        XCTAssertEqual(try Data(contentsOf: url), before, "the previous picture must survive a failed write")
        XCTAssertEqual(try leftovers(), ["keep.png"])
    }

    func testUnwritableFolderIsAClearError() throws {
        guard getuid() != 0 else { throw XCTSkip("root can write into read-only folders") }
        let locked = file("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: false)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked.path) }
        XCTAssertThrowsError(try Canvas.write(to: locked.appendingPathComponent("x.png"), width: 4, height: 4) { _ in }) {
            XCTAssertTrue($0.localizedDescription.contains("not writable"), $0.localizedDescription)
        }
    }

    func testAFileInPlaceOfTheFolderIsAClearError() throws {
        try Data("x".utf8).write(to: file("plain"))
        XCTAssertThrowsError(try Canvas.write(to: file("plain/x.svg"), width: 4, height: 4) { _ in }) {
            XCTAssertTrue($0.localizedDescription.contains("is a file, not a folder"), $0.localizedDescription)
        }
    }

    /// Writing fails after drawing (a folder that refuses new files, even to root): a clear
    /// error, for every format.
    func testAWriteFailureIsAClearError() throws {
        #if os(Linux)
        for ext in ["png", "svg", "pdf"] {
            let url = URL(fileURLWithPath: "/proc/glassbox-render-test.\(ext)")
            XCTAssertThrowsError(try Canvas.write(to: url, width: 4, height: 4, draw: drawSplit)) {
                guard case .unwritable(let path, _)? = $0 as? RenderError else { return XCTFail("\(ext): \($0)") }
                XCTAssertEqual(path, url.path)
                XCTAssertTrue($0.localizedDescription.hasPrefix("cannot write /proc/glassbox-render-test"), $0.localizedDescription)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
        }
        #endif
    }

    func testAFolderInPlaceOfTheFileIsAClearError() throws {
        let url = file("taken.png")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        XCTAssertThrowsError(try Canvas.write(to: url, width: 4, height: 4) { _ in }) {
            XCTAssertEqual($0 as? RenderError, .unwritable(path: url.path, reason: "it is a folder"))
        }
        XCTAssertEqual(try leftovers(), ["taken.png"])
    }
}

/// Width and height from a PNG's IHDR chunk.
func pngSize(_ data: Data) -> [Int] {
    guard data.count >= 24 else { return [] }
    let b = [UInt8](data.prefix(24))
    func be32(_ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
    return [be32(16), be32(20)]
}
