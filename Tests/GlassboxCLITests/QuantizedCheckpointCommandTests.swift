import Foundation
import GlassboxTestSupport
import XCTest

/// A quantized checkpoint's `config.json` through the CLI: one line on stderr naming the key and the
/// method, nothing on stdout, exit 1 (QuantizationConfigTests checks every kind of value against
/// transformers' reading).
final class QuantizedCheckpointCommandTests: XCTestCase {
    func testGPTQConfigGivesOneLineNamingTheMethod() throws {
        let folder = try Fixtures.textEditedCopy(of: "gpt2-tiny", test: self) { text in
            text.replacingOccurrences(of: "{", with: #"{"quantization_config": {"quant_method": "gptq", "bits": 4}, "#,
                                      options: [], range: text.range(of: "{"))
        }
        for command in [["predict", "--ids", "1,2"], ["info"], ["explain", "--ids", "1,2,3"]] {
            let output = try runGlassbox(command + ["--model", folder.path])
            XCTAssertEqual(output.status, 1, "\(command): \(output.stderr)")
            XCTAssertEqual(output.stdout, "", "\(command)")
            XCTAssertEqual(output.stderrLines.count, 1, "\(command): \(output.stderr)")
            XCTAssertTrue(output.stderr.contains("'quantization_config' says the checkpoint is quantized with \"gptq\""),
                          "\(command): \(output.stderr)")
            XCTAssertTrue(output.stderr.contains("load the unquantized checkpoint"), "\(command): \(output.stderr)")
        }
    }
}
