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
/// A product of at least `ProductSplit.minimumWork` multiply-adds, outside `withSerialBLAS`, is
/// cut into `Threading.productSlices` blocks of C's columns (whole multiples of 16), or of its
/// rows when C is too narrow, each one single-threaded OpenBLAS call, and the blocks go to the
/// `parallelFor` workers (OpenBLAS itself runs on one thread, except inside
/// `Threading.withThreadedBLAS`, where products are not split). The blocks depend only on the
/// shape, never on `Threading.threads`, so a result is the same bit for bit on any worker count:
/// OpenBLAS chooses its kernel by each call's size, and kernels sum in different orders.
/// Uses `cblas_sgemv` when `m == 1` (and A is not transposed). `k == 0` gives `C = beta · C` without calling BLAS.
public func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
                 b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                 c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, beta: Float = 0) {
    precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m=\(m) n=\(n) k=\(k)")
    precondition(lda >= (transposeA ? m : k) && ldc >= n && ldb >= (transposeB ? k : n),
                 "gemm: leading dimensions too small (lda=\(lda) ldb=\(ldb) ldc=\(ldc) for m=\(m) n=\(n) k=\(k))")
    guard m > 0, n > 0 else { return }
    Threading.ensureConfigured()
    let slices = m * n * k >= ProductSplit.minimumWork && Threading.splitsProducts ? Threading.productSlices : 1
    guard slices > 1 else {
        serialGemm(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb, transposeB: transposeB,
                   c: c, ldc: ldc, alpha: alpha, beta: beta)
        return
    }
    let (ap, bp, cp) = (SendablePointer(UnsafeMutablePointer(mutating: a)), SendablePointer(UnsafeMutablePointer(mutating: b)),
                        SendablePointer(c))
    if let width = ProductSplit.sliceLength(n, slices: slices, multiple: 16) {
        // Columns j0..<j0+nb of C: rows j0… of B [n, k] (transposeB) or its columns j0… of [k, n].
        parallelFor((n + width - 1) / width) { s in
            let j0 = s * width, nb = min(width, n - j0)
            serialGemm(m: m, n: nb, k: k, a: ap.base, lda: lda, transposeA: transposeA,
                       b: bp.base + (transposeB ? j0 * ldb : j0), ldb: ldb, transposeB: transposeB,
                       c: cp.base + j0, ldc: ldc, alpha: alpha, beta: beta)
        }
    } else if let height = ProductSplit.sliceLength(m, slices: slices, multiple: 4) {
        // Rows r0..<r0+mb of C: rows r0… of A [m, k], or its columns r0… of [k, m] (transposeA).
        parallelFor((m + height - 1) / height) { s in
            let r0 = s * height, mb = min(height, m - r0)
            serialGemm(m: mb, n: n, k: k, a: ap.base + (transposeA ? r0 : r0 * lda), lda: lda, transposeA: transposeA,
                       b: bp.base, ldb: ldb, transposeB: transposeB, c: cp.base + r0 * ldc, ldc: ldc, alpha: alpha, beta: beta)
        }
    } else {
        serialGemm(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb, transposeB: transposeB,
                   c: c, ldc: ldc, alpha: alpha, beta: beta)
    }
}

/// How `gemm` cuts a product into slices for the workers.
enum ProductSplit {
    /// Multiply-adds (`m·n·k`) below which a product stays on one thread: about 10 µs of one core,
    /// on the order of waking the workers.
    static let minimumWork = 1 << 20

    /// The slice length that deals `count` into at most `slices` slices of a whole `multiple`
    /// each (the last one shorter), or nil when `count` is too short for two slices of at least
    /// two multiples.
    static func sliceLength(_ count: Int, slices: Int, multiple: Int) -> Int? {
        guard count >= 2 * 2 * multiple else { return nil }
        let per = (count + slices - 1) / slices
        let length = (per + multiple - 1) / multiple * multiple
        return length < count ? length : nil
    }
}

/// `gemm` on the calling thread: one OpenBLAS call (`cblas_sgemv` for one row), C zeroed first
/// when `beta == 0`.
private func serialGemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transposeA: Bool,
                        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
                        c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
    // beta == 0 must not read C: zero it ourselves rather than trust every BLAS build's beta path.
    if beta == 0 {
        for r in 0..<m { (c + r * ldc).update(repeating: 0, count: n) }
    } else if k == 0, beta != 1 {
        for r in 0..<m { for j in 0..<n { c[r * ldc + j] *= beta } }
    }
    guard k > 0 else { return }
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
