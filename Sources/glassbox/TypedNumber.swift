import ArgumentParser

/// A floating-point option's value with the text it was typed as, so that a message refusing it
/// shows what the user wrote: `--top-p 0` is "got 0", not Swift's "got 0.0", and `1e-50` given to
/// a Float option is not reported as the 0 it rounds to.
struct TypedNumber<Value: BinaryFloatingPoint & LosslessStringConvertible>: ExpressibleByArgument {
    /// The parsed value (as `Value(text)` reads it, like ArgumentParser's own number options).
    let value: Value
    /// The argument as typed; for a default, the value's description.
    let text: String

    /// Parses `argument` as `Value`; nil (a usage error naming the option) when it is not a number.
    init?(argument: String) {
        guard let value = Value(argument) else { return nil }
        (self.value, self.text) = (value, argument)
    }

    /// A default value, shown in help as `value`'s description.
    init(_ value: Value) {
        (self.value, self.text) = (value, "\(value)")
    }

    /// What help shows as the default.
    var defaultValueDescription: String { text }
}
