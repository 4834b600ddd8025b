import CGlassboxBLAS

/// Matrix product through OpenBLAS: `y = a · b` (or `a · bᵀ`), plus an optional bias row.
///
/// - Parameters:
///   - a: `[m, k]`; any rank ≥ 1 is accepted and its leading dimensions are flattened into `m`
///     (`[..., k]`).
///   - b: `[k, n]`, or `[n, k]` when `transposeB` (the PyTorch `nn.Linear` weight layout, y = a·bᵀ).
///   - bias: `[n]` (any shape with `n` elements), added to every output row.
/// - Returns: `[m, n]`, or `[..., n]` with `a`'s leading dimensions.
///
/// Single rows (`m == 1`) go through `cblas_sgemv`, which is 3–4× faster than sgemm there.
public func matmul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false, bias: Tensor? = nil) -> Tensor {
    precondition(a.rank >= 1, "matmul: a must have rank ≥ 1, got \(a.shape)")
    precondition(b.rank == 2, "matmul: b must be rank 2, got \(b.shape)")
    let k = a.dim(-1)
    let m = k == 0 ? a.shape.dropLast().reduce(1, *) : a.count / k
    let (bk, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    precondition(bk == k, "matmul: a \(a.shape) · b\(transposeB ? "ᵀ" : "") \(b.shape): inner dims \(k) ≠ \(bk)")
    if let bias { precondition(bias.count == n, "matmul: bias \(bias.shape) does not have \(n) elements") }

    var outShape = Array(a.shape.dropLast())
    outShape.append(n)
    // Start from the bias rows (beta = 1); without a bias, gemm's beta = 0 path writes every
    // element of C itself (it zeroes C before accumulating), so C need not be zero-filled first.
    var y: Tensor
    if let bias {
        y = Tensor(shape: outShape) { out in
            bias.withUnsafeBufferPointer { bb in
                guard let o = out.baseAddress, let src = bb.baseAddress else { return }
                for r in 0..<m { (o + r * n).initialize(from: src, count: n) }
            }
        }
    } else if m > 0, n > 0 {
        y = Tensor(shape: outShape) { _ in }
    } else {
        y = Tensor.zeros(outShape)
    }
    guard m > 0, n > 0 else { return y }
    a.withUnsafeBufferPointer { ab in
        b.withUnsafeBufferPointer { bb in
            y.withUnsafeMutableBufferPointer { yb in
                gemm(m: m, n: n, k: k, a: ab.baseAddress!, lda: k, b: bb.baseAddress!,
                     ldb: transposeB ? k : n, transposeB: transposeB,
                     c: yb.baseAddress!, ldc: n, alpha: 1, beta: bias == nil ? 0 : 1)
            }
        }
    }
    return y
}

/// Strided row-major GEMM on raw pointers: `C[m, n] = alpha · op(A) · op(B) + beta · C`.
///
/// - Parameters:
///   - a: `op(A) = A`, `m` rows of `k` floats, rows `lda` (≥ k) floats apart; or, when
///     `transposeA`, `op(A) = Aᵀ` with `A` stored `[k, m]`, rows `lda` (≥ m) apart.
///   - b: `op(B) = B` stored `[k, n]` with rows `ldb` (≥ n) apart, or, when `transposeB`,
///     `op(B) = Bᵀ` with `B` stored `[n, k]`, rows `ldb` (≥ k) apart.
///   - c: `C`, `m` rows of `n` floats, rows `ldc` (≥ n) apart. When `beta == 0` its old contents are
///     never read (NaN garbage is fine).
///
/// Uses `cblas_sgemv` when `m == 1` (and A is not transposed). `k == 0` gives `C = beta · C` without calling BLAS.
public func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
                 b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                 c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, beta: Float = 0) {
    precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m=\(m) n=\(n) k=\(k)")
    precondition(lda >= (transposeA ? m : k) && ldc >= n && ldb >= (transposeB ? k : n),
                 "gemm: leading dimensions too small (lda=\(lda) ldb=\(ldb) ldc=\(ldc) for m=\(m) n=\(n) k=\(k))")
    guard m > 0, n > 0 else { return }
    // beta == 0 must not read C: zero it ourselves rather than trust every BLAS build's beta path.
    if beta == 0 {
        for r in 0..<m { (c + r * ldc).update(repeating: 0, count: n) }
    } else if k == 0, beta != 1 {
        for r in 0..<m { for j in 0..<n { c[r * ldc + j] *= beta } }
    }
    guard k > 0 else { return }
    Threading.ensureConfigured()
    let lda32 = Int32(max(1, lda)), ldb32 = Int32(max(1, ldb)), ldc32 = Int32(max(1, ldc))
    if m == 1 && !transposeA {
        if transposeB {
            // y[n] = B[n, k] · a[k]
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), alpha, b, ldb32,
                        a, 1, beta, c, 1)
        } else {
            // y[n] = B[k, n]ᵀ · a[k]
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), alpha, b, ldb32,
                        a, 1, beta, c, 1)
        }
    } else {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, lda32, b, ldb32, beta, c, ldc32)
    }
}
