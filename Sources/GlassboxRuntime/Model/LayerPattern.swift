import Foundation

/// Per layer `l` in `0..<layers`: Python's `bool((l + 1) % pattern)`, the test transformers 4.53.3's
/// configs derive a per-layer choice with when its list is not written (`Cohere2Config` and
/// `Gemma3TextConfig`: sliding unless `(l + 1) % sliding_window_pattern == 0`; `SmolLM3Config`:
/// rotating unless `(l + 1) % no_rope_layer_interval == 0`). The pattern may be any number, as
/// Python's `%` takes floats: 2.5 marks the layers whose `l + 1` is a multiple of 5 (false there),
/// a negative pattern the same layers as its magnitude, NaN and ±∞ none. Python's float modulo is
/// zero exactly where `fmod` is (it only moves a non-zero remainder to the divisor's sign). A zero
/// pattern divides by zero in transformers (ZeroDivisionError): the caller refuses it.
func pythonModuloNonZero(layers: Int, pattern: Double) -> [Bool] {
    (0..<layers).map { fmod(Double($0 + 1), pattern) != 0 }
}
