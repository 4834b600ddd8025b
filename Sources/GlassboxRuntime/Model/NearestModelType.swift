/// The supported `model_type` closest to one Glassbox cannot load, for the error message: a known
/// relative when the architecture derives from a supported one (XLM-R from RoBERTa, Mixtral from
/// Mistral, Gemma and OLMo from the Llama block), otherwise the supported name within a small edit
/// distance. It names where to start, not a substitute: the relative's code will not load the other.
enum NearestModelType {
    /// Relatives by architecture: `model_type` prefixes and the supported type they build on.
    static let relatives: [(prefixes: [String], nearest: String)] = [
        (["xlm-roberta", "camembert"], "roberta"),
        (["electra", "deberta", "albert", "mpnet"], "bert"),
        (["gpt_neo", "bloom"], "gpt2"),
        (["mixtral"], "mistral"),
        (["refinedweb"], "falcon"),
        (["qwen2_vl"], "qwen2"),
        (["olmo3"], "olmo2"),
        (["gemma", "olmo", "cohere", "granite", "internlm", "stablelm", "starcoder2", "yi", "deepseek", "smollm"], "llama"),
        (["deit", "beit", "dinov2", "dino", "clip_vision", "siglip_vision"], "vit"),
    ]

    /// The nearest of `supported` to `type`, or nil when none is close.
    static func nearest(to type: String, in supported: [String]) -> String? {
        let lowered = type.lowercased()
        // A supported name the type starts with (qwen3_next, llama4, gpt_neox_japanese), longest first,
        // unless a relative's longer prefix names the type better (olmo3 is OLMo 2's, not OLMo's).
        let base = supported.filter({ lowered.hasPrefix($0) }).max(by: { $0.count < $1.count })
        // Longest matching prefix first, so "gpt_neox_japanese" is not taken for "gpt_neo".
        let matches = relatives.flatMap { entry in entry.prefixes.map { ($0, entry.nearest) } }
            .filter { lowered.hasPrefix($0.0) && supported.contains($0.1) }
            .sorted { $0.0.count > $1.0.count }
        if let base, base.count >= matches.first?.0.count ?? 0 { return base }
        if let relative = matches.first { return relative.1 }
        let scored = supported.map { ($0, editDistance(lowered, $0)) }.min { $0.1 < $1.1 }
        guard let (name, distance) = scored, distance <= max(1, min(lowered.count, name.count) / 3) else { return nil }
        return name
    }

    /// Levenshtein distance over characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count), current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
