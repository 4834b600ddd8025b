import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// ELECTRA against LXT-rule references (scripts/fixtures/generate_lrp.py: LXT's BERT-fork rules on
/// modeling_electra's classes, the identity rule on each head's activation): AttnLRP, CP-LRP and
/// gradient × input of the discriminator's one logit at a middle and the last token (through
/// `embeddings_project`), the generator's masked token and the classifier's label, within
/// RelevanceParityTests' bounds (max|ΔR|/max|R| ≤ 1e-3, Pearson ≥ 0.9999). The full sweep over every
/// fixture (RelevanceParityTests.testFixtureModelsMatchLXT) covers them too; this runs them alone.
extension RelevanceParityTests {
    func testElectraFixturesMatchLXT() throws {
        for name in ["electra-disc", "electra-gen", "electra-cls"] {
            print(try checkModel(name, folder: Fixtures.model(name)).joined(separator: "\n"))
        }
    }
}
