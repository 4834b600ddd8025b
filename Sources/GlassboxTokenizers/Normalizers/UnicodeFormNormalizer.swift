/// Unicode normalization to NFC, NFD, NFKC or NFKD, with alignments as the reference computes
/// them (see `UnicodeNormalization`).
struct UnicodeFormNormalizer: TextNormalizer {
    let form: UnicodeNormalForm

    func normalize(_ string: inout NormalizedString) {
        UnicodeNormalization.apply(form, to: &string)
    }
}
