import Foundation
import Glassbox

/// One run of a fixture model, for comparing two loads of it (IntegerFieldTests,
/// BooleanFieldTests): its logits, or the last hidden state of a model without a head; token ids
/// 1, 2, 3, or fixed pixels for a vision model.
func fixtureOutput(_ model: TransformerModel) throws -> [Float] {
    let run: ForwardResult
    if let image = model.architecture.image {
        let count = image.channels * image.height * image.width
        let pixels = Tensor(shape: [image.channels, image.height, image.width], storage: (0..<count).map { Float($0 % 7) / 7 })
        run = try model.forward(.pixels(pixels))
    } else {
        run = try model.forward([1, 2, 3])
    }
    return (run.logits ?? run.hidden).storage
}
