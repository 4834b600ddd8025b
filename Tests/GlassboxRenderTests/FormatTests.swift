import Foundation
import GlassboxRender
import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Every figure kind through every format: valid PNG, well-formed SVG, PDF, no stray files.
final class FormatTests: RenderTestCase {
    static func figures() throws -> [(String, any Figure)] {
        let m = try ScoreMatrix([[1, 0, 0], [0.4, 0.6, 0], [0.2, 0.3, 0.5]])
        let tokens = ["<s>", " a", " b"]
        let image = try PixelImage(width: 8, height: 8, channels: 4, pixels: (0..<64).flatMap { [UInt8($0 * 4), 100, 200, 255] })
        return [
            ("strip", TokenStrip(tokens: tokens + ["日本", " & <tag>"], scores: [0.1, -0.3, 0.6, 0.2, 0], target: 2, title: "Strip & <escapes>")),
            ("matrix", AttentionMatrix(weights: m, tokens: tokens, title: "ScoreMatrix", causal: true)),
            ("grid", HeadGrid(attention: [[m, m], [m, m]], causal: true)),
            ("lines", AttentionLines(tokens: tokens, attention: [m, m], heads: [1])),
            ("lens", LensTable(cells: [[.init(text: "x", probability: 0.3)], [.init(text: "<y>", probability: 0.9)]], positionLabels: ["a"])),
            ("overlay", ImageOverlay(image: image, scores: try ScoreMatrix([[0, 1], [-1, 0.5]]))),
            ("bars", BarChart(values: [1, -2, 0.5])),
            ("curves", LineChart(series: [.init(name: "s", values: [1, 3, 2])])),
        ]
    }

    func testEveryFigureWritesEveryFormat() throws {
        for (name, figure) in try Self.figures() {
            let png = file("\(name).png"), svg = file("\(name).svg"), pdf = file("\(name).pdf")
            let report = try figure.render(to: png, scale: 2)
            let data = try Data(contentsOf: png)
            XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(name): PNG signature")
            XCTAssertEqual(pngSize(data), [Int(report.size.width * 2), Int(report.size.height * 2)], "\(name): PNG size")
            XCTAssertLessThan(data.count, 300_000, "\(name): small PNG")

            let svgReport = try figure.render(to: svg, scale: 2)
            XCTAssertEqual(svgReport.format, .svg)
            XCTAssertEqual(svgReport.size, report.size, "\(name): same layout in every format")
            let root = try parseXML(try Data(contentsOf: svg), name)
            XCTAssertEqual(root.name, "svg", name)
            XCTAssertEqual(root.attributes["width"], "\(Int(report.size.width))pt", name)
            XCTAssertEqual(root.attributes["height"], "\(Int(report.size.height))pt", name)

            try figure.render(to: pdf, scale: 2)
            let pdfData = try Data(contentsOf: pdf)
            XCTAssertTrue(pdfData.starts(with: Data("%PDF-".utf8)), "\(name): PDF header")
            XCTAssertTrue(String(decoding: pdfData.suffix(8), as: UTF8.self).contains("%%EOF"), "\(name): PDF trailer")
        }
        let names = try Self.figures().map(\.0)
        XCTAssertEqual(try leftovers(), names.flatMap { ["\($0).pdf", "\($0).png", "\($0).svg"] }.sorted(), "no temporary files")
    }

    func testBadPathsFailBeforeAnythingIsWritten() throws {
        for (name, figure) in try Self.figures() {
            XCTAssertThrowsError(try figure.render(to: file("\(name).jpeg"), scale: 2)) {
                XCTAssertEqual($0 as? RenderError, .unsupportedExtension(self.file("\(name).jpeg").path), name)
            }
            XCTAssertThrowsError(try figure.render(to: file("missing/\(name).png"), scale: 2)) {
                XCTAssertTrue($0.localizedDescription.contains("does not exist"), "\(name): \($0.localizedDescription)")
            }
            XCTAssertThrowsError(try figure.render(to: file("\(name).png"), scale: 0)) {
                XCTAssertEqual($0 as? RenderError, .invalidScale(0), name)
            }
        }
        XCTAssertEqual(try leftovers(), [])
    }

    /// A picture too tall for a PNG at the default scale says the picture is too big, not that
    /// the scale (which the user never chose) is wrong.
    func testTooTallPictureNamesItsSizeNotTheScale() throws {
        XCTAssertThrowsError(try Canvas.write(to: file("tall.png"), width: 100, pageHeights: [20_000], scale: 2) { _, _ in }) {
            XCTAssertEqual($0 as? RenderError, .tooLargeAtScale(width: 100, height: 20_000, scale: 2))
            let line = $0.localizedDescription
            XCTAssertTrue(line.contains("100×20000 points, 200×40000 pixels at 2 pixels per point"), line)
            XCTAssertFalse(line.contains("scale of"), line)
        }
        XCTAssertEqual(try leftovers(), [])
    }

    /// The scale is a PNG's: an SVG or PDF taller than a PNG can be is written (the 900-token cap
    /// of the attention lines came from it), up to Cairo's coordinate range.
    func testVectorPicturesAreNotHeldToPNGLimits() throws {
        for ext in ["svg", "pdf"] {
            let report = try Canvas.write(to: file("tall.\(ext)"), width: 100, pageHeights: [40_000], scale: 2) { canvas, _ in
                canvas.line(from: (0, 39_990), to: (100, 39_990), RGBA(0, 0, 0), lineWidth: 1)
            }
            XCTAssertEqual(report.size.height, 40_000, ext)
            XCTAssertThrowsError(try Canvas.write(to: file("huge.\(ext)"), width: 100, pageHeights: [9_000_000], scale: 2) { _, _ in }) {
                XCTAssertEqual($0 as? RenderError, .invalidSize(width: 100, height: 9_000_000), ext)
                XCTAssertTrue($0.localizedDescription.contains("9000000 points cannot be drawn (1…8000000 points a side"), $0.localizedDescription)
            }
        }
        let svg = try String(contentsOf: file("tall.svg"), encoding: .utf8)
        XCTAssertTrue(svg.contains("height=\"40000pt\""), String(svg.prefix(300)))
        // A PNG is bounded in pixels, not points: 40,000 points at 0.5 pixels per point is 20,000
        // pixels and drawn; at 1 pixel per point it is refused with the advice for PNGs.
        let half = try Canvas.write(to: file("tall.half.png"), width: 100, pageHeights: [40_000], scale: 0.5) { _, _ in }
        XCTAssertEqual(half.size.height, 40_000)
        XCTAssertThrowsError(try Canvas.write(to: file("tall.png"), width: 100, pageHeights: [40_000], scale: 1) { _, _ in }) {
            XCTAssertEqual($0 as? RenderError, .tooLargeAtScale(width: 100, height: 40_000, scale: 1))
            XCTAssertTrue($0.localizedDescription.contains("write a .pdf or .svg file"), $0.localizedDescription)
        }
        XCTAssertEqual(Canvas.maximumVectorSide, 8_000_000)
        XCTAssertEqual(try leftovers().filter { !$0.hasPrefix("tall.") }, [])
    }

    /// The smallest and flattest inputs still give complete pictures.
    func testDegenerateInputsStillDraw() throws {
        let one = try ScoreMatrix([[0.5]])
        let long = String(repeating: "word", count: 80)
        let figures: [(String, any Figure)] = [
            ("strip", TokenStrip(tokens: [long], scores: [0])),
            ("strip-nan", TokenStrip(tokens: ["a", "b"], scores: [.nan, 0])),
            ("matrix", AttentionMatrix(weights: one, tokens: [long])),
            ("grid", HeadGrid(attention: [[one]])),
            ("lines", AttentionLines(tokens: ["a"], attention: [one])),
            ("lens", LensTable(cells: [[.init(text: long, probability: 2)]], positionLabels: [long])),
            ("overlay", ImageOverlay(image: try PixelImage(width: 1, height: 1, channels: 1, pixels: [0]), scores: one)),
            ("bars", BarChart(values: [0, 0])),
            ("bars-nan", BarChart(values: [.nan, 1])),
            ("curve", LineChart(series: [.init(name: "point", values: [3])])),
            ("curve-gap", LineChart(series: [.init(name: "gap", values: [1, .nan, 2, .infinity, 3])])),
        ]
        for (name, figure) in figures {
            let (report, picture) = try renderPNG(figure, "\(name).png")
            XCTAssertGreaterThan(picture.inkPixels(in: Rect(x: 0, y: 0, width: report.size.width, height: report.size.height)), 20, name)
            XCTAssertLessThan(report.size.width, 1400, "\(name): long text is shortened, not laid out in full")
        }
    }

    /// Figures are values and every render has its own surfaces and text engine: rendering from
    /// several threads at once gives the same files as rendering one after another.
    func testFiguresRenderConcurrently() throws {
        let figures = try Self.figures()
        for (name, figure) in figures { try figure.render(to: file("serial-\(name).png"), scale: 1) }
        final class Failures: @unchecked Sendable {
            private let lock = NSLock()
            private(set) var messages: [String] = []
            func add(_ m: String) { lock.lock(); messages.append(m); lock.unlock() }
        }
        let failures = Failures(), folder = folder!
        DispatchQueue.concurrentPerform(iterations: figures.count * 2) { i in
            let (name, figure) = figures[i % figures.count]
            do { try figure.render(to: folder.appendingPathComponent("parallel-\(i)-\(name).png"), scale: 1) }
            catch { failures.add("\(name): \(error)") }
        }
        XCTAssertEqual(failures.messages, [])
        for i in 0..<(figures.count * 2) {
            let name = figures[i % figures.count].0
            XCTAssertEqual(try Data(contentsOf: file("parallel-\(i)-\(name).png")), try Data(contentsOf: file("serial-\(name).png")),
                           "\(name) drawn in parallel differs")
        }
    }

    /// The root element of well-formed XML, or a failure with the parser's error.
    private func parseXML(_ data: Data, _ name: String) throws -> (name: String, attributes: [String: String]) {
        final class Root: NSObject, XMLParserDelegate {
            var name = "", attributes: [String: String] = [:], elements = 0
            func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                        qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
                if elements == 0 { (name, attributes) = (elementName, attributeDict) }
                elements += 1
            }
        }
        let parser = XMLParser(data: data)
        let root = Root()
        parser.delegate = root
        XCTAssertTrue(parser.parse(), "\(name): SVG is not well-formed XML: \(String(describing: parser.parserError))")
        XCTAssertGreaterThan(root.elements, 5, "\(name): SVG has content")
        return (root.name, root.attributes)
    }
}
