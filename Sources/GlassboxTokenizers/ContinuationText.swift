/// The text of generated tokens as transformers' `TextGenerationPipeline(return_full_text=False)`
/// gives it (`postprocess`, transformers 4.53.3): prompt + continuation decoded together, minus as
/// many characters (Unicode scalars: Python's `len`) as the decoded prompt has, both decoded with
/// special tokens skipped and `clean_up_tokenization_spaces=True`. On SentencePiece-style tokenizers
/// (a `Prepend("▁")` normalizer and a decoder that strips one leading space: Llama 2, Mistral, Gemma,
/// Helium) this keeps the space of a continuation that starts with a "▁word" token, which decoding
/// the continuation alone drops (docs/cli.md, `generate`; Tests/GlassboxCLITests/GenerateTextCommandTests.swift).
public struct ContinuationText {
    /// Ids → text, special tokens skipped, clean-up applied.
    public let decode: ([Int]) -> String
    /// The prompt ids `[n]`.
    public let prompt: [Int]
    /// Unicode scalars of `decode(prompt)`.
    private let promptLength: Int

    /// The rule for continuations of `prompt`, decoding with `decode` (the decoded prompt's length is
    /// taken once, here).
    public init(prompt: [Int], decode: @escaping ([Int]) -> String) {
        (self.prompt, self.decode) = (prompt, decode)
        promptLength = decode(prompt).unicodeScalars.count
    }

    /// The pipeline's `generated_text` for `generated`.
    public func text(_ generated: [Int]) -> String { Self.dropping(promptLength, of: decode(prompt + generated)) }

    /// One text per generated token by the same rule, the prompt and the tokens before it as the prefix:
    /// `decode(prefix + [token])` minus `decode(prefix)`'s length. Each is a decode of the whole prefix
    /// (quadratic in the number of tokens; `--json` only).
    public func pieces(_ generated: [Int]) -> [String] {
        var before = promptLength
        return generated.indices.map { k in
            let decoded = decode(prompt + generated[...k])
            defer { before = decoded.unicodeScalars.count }
            return Self.dropping(before, of: decoded)
        }
    }

    /// `text[n:]` in Python: `text` without its first `n` Unicode scalars.
    public static func dropping(_ n: Int, of text: String) -> String {
        var out = String.UnicodeScalarView()
        out.append(contentsOf: text.unicodeScalars.dropFirst(n))
        return String(out)
    }

    /// `PreTrainedTokenizerBase.clean_up_tokenization`: the same replacements, in the same order, on
    /// Unicode scalars (no canonical equivalence, as Python's `str.replace`; checked on the samples of
    /// Tests/Fixtures/generation-text/cases.json).
    public static func cleanUp(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        for (old, new) in replacements { scalars = replace(Array(old.unicodeScalars), with: Array(new.unicodeScalars), in: scalars) }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return String(out)
    }

    private static let replacements = [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                                       (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")]

    /// Python's `str.replace(old, new)`: non-overlapping occurrences, left to right.
    private static func replace(_ old: [Unicode.Scalar], with new: [Unicode.Scalar], in text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = [], i = 0
        out.reserveCapacity(text.count)
        while i < text.count {
            if i + old.count <= text.count, text[i..<(i + old.count)].elementsEqual(old) {
                out += new
                i += old.count
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }
}
