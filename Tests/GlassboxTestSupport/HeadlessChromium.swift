import Foundation

/// Runs Debian's `chromium` headless on a page from disk, for the browser tests of the HTML pages.
/// A missing browser is an error (the test fails, never skips): `scripts/system-packages.sh`
/// installs it.
///
/// Every run resolves no host name (`--host-resolver-rules="MAP * ~NOTFOUND"`), turns off the
/// browser's own background traffic, and logs console messages to stderr
/// (`--enable-logging=stderr --v=0`), so a test can assert the page printed nothing and requested
/// nothing.
public enum HeadlessChromium {
    /// One browser run: the serialised DOM (for `--dump-dom`) and the browser's log.
    public struct Run {
        /// What `--dump-dom` printed (empty for screenshots).
        public let dom: String
        /// The browser's stderr.
        public let log: String
        /// Wall time of the whole browser run, seconds.
        public let seconds: Double

        /// Console messages (`CONSOLE` log lines: errors, warnings and logs alike; a page prints none).
        public var consoleLines: [String] { log.split(separator: "\n").map(String.init).filter { $0.contains(":CONSOLE") } }
        /// Log lines about blocked or failed requests and policy violations.
        public var networkLines: [String] {
            log.split(separator: "\n").map(String.init).filter {
                $0.contains("Content Security Policy") || $0.contains("Refused to") || $0.contains("net::ERR")
                    || $0.contains("ERR_NAME_NOT_RESOLVED")
            }
        }

        /// The JSON the page's test hook wrote into `#glassbox-test-state`.
        public func state() throws -> [String: Any] {
            guard let start = dom.range(of: "<pre id=\"glassbox-test-state\" hidden=\"\">"),
                  let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
                throw Problem("no #glassbox-test-state in the dumped DOM:\n\(dom.prefix(2000))")
            }
            let text = String(dom[start.upperBound..<end.lowerBound])
                .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
                .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
            guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                throw Problem("the test state is not a JSON object: \(text.prefix(500))")
            }
            return object
        }
    }

    /// A failed browser run (missing browser, non-zero exit, no state).
    public struct Problem: Error, CustomStringConvertible {
        /// What went wrong.
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// The browser: `$GLASSBOX_CHROMIUM`, else `chromium` (Debian), `chromium-browser` or `google-chrome` on the PATH.
    public static func executable() throws -> URL {
        if let given = ProcessInfo.processInfo.environment["GLASSBOX_CHROMIUM"] { return URL(fileURLWithPath: given) }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for folder in path.split(separator: ":") + ["/usr/bin"] {
                let candidate = "\(folder)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
            }
        }
        throw Problem("no chromium found: the HTML page tests need it (run scripts/system-packages.sh as root, or apt-get install chromium)")
    }

    /// Opens `page` with `#glassbox-test=steps` and returns the DOM after the steps ran.
    public static func dumpDOM(_ page: URL, steps: String = "", windowSize: String = "1200,900") throws -> Run {
        try run(page, steps: steps, extra: ["--dump-dom", "--window-size=\(windowSize)"])
    }

    /// Opens `page` with `#glassbox-test=steps` and writes a PNG screenshot of the viewport to `png`.
    public static func screenshot(_ page: URL, steps: String = "", windowSize: String = "1200,900", to png: URL) throws -> Run {
        try run(page, steps: steps, extra: ["--screenshot=\(png.path)", "--window-size=\(windowSize)", "--hide-scrollbars"])
    }

    private static func run(_ page: URL, steps: String, extra: [String]) throws -> Run {
        let browser = try executable()
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        var url = page.absoluteString
        if !steps.isEmpty { url += "#glassbox-test=" + steps }
        let arguments = ["-k", "5", "60", browser.path, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                         "--host-resolver-rules=MAP * ~NOTFOUND", "--user-data-dir=\(profile.path)", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
                         "--disable-extensions", "--force-device-scale-factor=1"] + extra + [url]
        let started = Date()
        let output = try runProcess(URL(fileURLWithPath: "/usr/bin/timeout"), arguments, in: FileManager.default.temporaryDirectory)
        let seconds = Date().timeIntervalSince(started)
        guard output.status == 0 else {
            throw Problem("chromium exited with \(output.status) on \(page.lastPathComponent):\n\(output.stderr.suffix(3000))")
        }
        return Run(dom: output.stdout, log: output.stderr, seconds: seconds)
    }
}
