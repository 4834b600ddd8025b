/// `a ⊙= b` elementwise (same shape); used by gated MLPs.
public func multiplyInPlace(_ a: inout Tensor, _ b: Tensor) {
    precondition(a.shape == b.shape, "multiply: shapes \(a.shape) and \(b.shape) differ")
    a.withUnsafeMutableBufferPointer { x in
        b.withUnsafeBufferPointer { y in
            for i in 0..<x.count { x[i] *= y[i] }
        }
    }
}
