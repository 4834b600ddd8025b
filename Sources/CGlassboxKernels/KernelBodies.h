// The bodies of the kernels, compiled once per instruction set. The including .c file defines
//   GB_TABLE          the name of the `gb_kernels` table to define,
//   GB_ISA            its `gb_kernel_isa`,
//   GB_FMA(a, b, c)   a·b + c on 16-lane vectors (fused where the target has FMA),
//   GB_HALF_F16C      (optional) to convert halves with the F16C instructions,
// and wraps the include in a target attribute when it needs one. No include guard on purpose.
//
// The lanes are 16-float clang vectors, the shape of the Swift SIMD16<Float> kernels these replace,
// and every operation keeps their order: a fused multiply-add exactly where Swift used
// `addingProduct`, two roundings everywhere else (`fp contract(off)` below), the same constants and
// the same pairwise reductions. With FMA the results are bit-identical to those Swift kernels.

#include <math.h>
#include <string.h>

#pragma clang fp contract(off)
// The helpers pass 16-lane vectors by value but are always inlined, so no call ABI is involved.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float lanes __attribute__((ext_vector_type(16)));
typedef float lanes8 __attribute__((ext_vector_type(8)));
typedef float lanes4 __attribute__((ext_vector_type(4)));
typedef uint32_t ulanes __attribute__((ext_vector_type(16)));

#define GB_INLINE static inline __attribute__((always_inline))
#define SPLAT(c) ((lanes)(c))

// MARK: - Loads, stores, reductions

GB_INLINE lanes load16(const float *p) {
    lanes v;
    memcpy(&v, p, sizeof v);
    return v;
}

GB_INLINE void store16(lanes v, float *p) { memcpy(p, &v, sizeof v); }

/// `n` (< 16) floats from `p`, the other lanes `filler`.
GB_INLINE lanes load_partial(const float *p, size_t n, float filler) {
    float buffer[16];
    for (size_t i = 0; i < 16; i++) buffer[i] = i < n ? p[i] : filler;
    return load16(buffer);
}

/// The first `n` (< 16) lanes of `v` to `p`.
GB_INLINE void store_partial(lanes v, float *p, size_t n) {
    float buffer[16];
    store16(v, buffer);
    memcpy(p, buffer, n * sizeof(float));
}

/// Swift's `max(x, y)`: `y >= x ? y : x`.
GB_INLINE float swift_max(float x, float y) { return y >= x ? y : x; }

/// Largest lane by halving (callers keep NaN out of the lanes).
GB_INLINE float horizontal_max(lanes v) {
    lanes8 a = v.lo, b = v.hi;
    lanes8 m8 = b > a ? b : a;
    lanes4 c = m8.lo, d = m8.hi;
    lanes4 m4 = d > c ? d : c;
    return swift_max(swift_max(m4.x, m4.z), swift_max(m4.y, m4.w));
}

/// Sum of the lanes by pairwise halving: ((s0 + s2) + (s1 + s3)) of s4 = lo(s8) + hi(s8).
GB_INLINE float horizontal_sum(lanes v) {
    lanes8 s8 = v.lo + v.hi;
    lanes4 s4 = s8.lo + s8.hi;
    return (s4.x + s4.z) + (s4.y + s4.w);
}

// MARK: - Elementary functions

/// e^x, Cephes `expf` scheme: x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite split of ln2), a degree-6
/// minimax polynomial for e^r, and 2^n assembled in the exponent bits. Max relative error ≈ 2 ulp
/// on [-87.33, 88.37]; below gives exactly 0 (subnormal results are flushed), above +inf; NaN → NaN.
GB_INLINE lanes vexp(lanes x) {
    const lanes lo = SPLAT(-87.33654f), hi = SPLAT(88.37626f);
    lanes v = x > hi ? hi : x;
    v = v < lo ? lo : v;
    // t = v·log2(e) + 1.5·2^23: the low mantissa bits of t hold n = rint(v·log2(e)).
    const lanes magic = SPLAT(12582912.0f);
    lanes t = GB_FMA(v, SPLAT(1.44269504088896341f), magic);
    lanes n = t - magic;
    // r = v − n·ln2, with ln2 = 0.693359375 − 2.12194440e-4 (Cody–Waite, first part exact).
    lanes r = GB_FMA(n, SPLAT(-0.693359375f), v);
    r = GB_FMA(n, SPLAT(2.12194440e-4f), r);
    lanes p = SPLAT(1.9875691500e-4f);
    p = GB_FMA(p, r, SPLAT(1.3981999507e-3f));
    p = GB_FMA(p, r, SPLAT(8.3334519073e-3f));
    p = GB_FMA(p, r, SPLAT(4.1665795894e-2f));
    p = GB_FMA(p, r, SPLAT(1.6666665459e-1f));
    p = GB_FMA(p, r, SPLAT(5.0000001201e-1f));
    lanes er = GB_FMA(p, r * r, r + 1.0f);
    // 2^n: (bits(t) − bits(magic) + 127) << 23, n ∈ [-126, 127] after the limits above.
    ulanes n_bits = (ulanes)t - 0x4B400000u + 127u;     // vector casts reinterpret the bits
    lanes scale = (lanes)(n_bits << 23);
    lanes y = er * scale;
    y = x < lo ? SPLAT(0.0f) : y;
    y = x > hi ? SPLAT(INFINITY) : y;
    return y;
}

/// erf(x): x·P(x²)/Q(x²) on x clamped to [-4, 4] (Eigen and XLA, degree 13/8), clipped to [-1, 1].
/// Max absolute error 3.3e-7; NaN → NaN.
GB_INLINE lanes verf(lanes x) {
    const lanes lo = SPLAT(-4.0f), hi = SPLAT(4.0f);
    lanes v = x > hi ? hi : x;
    v = v < lo ? lo : v;
    lanes x2 = v * v;
    lanes p = SPLAT(-2.72614225801306e-10f);
    p = GB_FMA(p, x2, SPLAT(2.77068142495902e-08f));
    p = GB_FMA(p, x2, SPLAT(-2.10102402082508e-06f));
    p = GB_FMA(p, x2, SPLAT(-5.69250639462346e-05f));
    p = GB_FMA(p, x2, SPLAT(-7.34990630326855e-04f));
    p = GB_FMA(p, x2, SPLAT(-2.95459980854025e-03f));
    p = GB_FMA(p, x2, SPLAT(-1.60960333262415e-02f));
    lanes q = SPLAT(-1.45660718464996e-05f);
    q = GB_FMA(q, x2, SPLAT(-2.13374055278905e-04f));
    q = GB_FMA(q, x2, SPLAT(-1.68282697438203e-03f));
    q = GB_FMA(q, x2, SPLAT(-7.37332916720468e-03f));
    q = GB_FMA(q, x2, SPLAT(-1.42647390514189e-02f));
    // The rational function overshoots |1| by up to 2 ulp near |x| = 4: clip to [-1, 1].
    lanes y = v * p / q;
    y = y > 1.0f ? SPLAT(1.0f) : y;
    y = y < -1.0f ? SPLAT(-1.0f) : y;
    return y;
}

/// 1 / (1 + e^-x): exactly 0 below -88.37, 1 for large x; NaN → NaN.
GB_INLINE lanes vsigmoid(lanes x) { return 1.0f / (1.0f + vexp(-x)); }

/// tanh(x) as 2·sigmoid(2x) − 1 (absolute error ≈ 1e-7).
GB_INLINE lanes vtanh(lanes x) { return 2.0f * vsigmoid(2.0f * x) - 1.0f; }

// 2u = 2·√(2/π)·(x + 0.044715·x³) = x·(a + b·x²) for the tanh GELU.
#define GELU_TANH_A 1.5957691216057308f      // 2·√(2/π)
#define GELU_TANH_B 0.071354816f             // 2·√(2/π)·0.044715

// laplace: z = (x − μ)/(σ·√2) with transformers' μ = 0.707107, σ = 0.282095 (σ·√2 in Double).
#define LAPLACE_MU 0.707107f
#define LAPLACE_SCALE 0.39894218777966985f   // 0.282095·√2

/// tanh(softplus(x)) = ((1 + e^x)² − 1)/((1 + e^x)² + 1) = n/(n + 2), n = e^x·(e^x + 2); exactly 1
/// above 20 (torch's softplus threshold, where e^x would overflow n).
GB_INLINE lanes mish_ratio(lanes x) {
    lanes e = vexp(x);
    lanes n = e * (e + 2.0f);
    lanes t = n / (n + 2.0f);
    return x > 20.0f ? SPLAT(1.0f) : t;
}

/// The lane function `f` (one of `gb_unary`).
GB_INLINE lanes apply(gb_unary f, lanes v) {
    switch (f) {
    case GB_UNARY_EXP: return vexp(v);
    case GB_UNARY_ERF: return verf(v);
    case GB_UNARY_SIGMOID: return vsigmoid(v);
    case GB_UNARY_TANH: return vtanh(v);
    case GB_UNARY_GELU_ERF: return 0.5f * v * (1.0f + verf(v * 0.70710678118654752f));
    case GB_UNARY_GELU_TANH:
        return v * vsigmoid(v * GB_FMA(SPLAT(GELU_TANH_B), v * v, SPLAT(GELU_TANH_A)));
    case GB_UNARY_QUICK_GELU: return v * vsigmoid(v * 1.702f);
    case GB_UNARY_SILU: return v * vsigmoid(v);
    case GB_UNARY_RELU: return v < 0.0f ? SPLAT(0.0f) : v;
    case GB_UNARY_GELU_ERF_RATIO: return 0.5f * (1.0f + verf(v * 0.70710678118654752f));
    case GB_UNARY_GELU_ERF_DERIVATIVE:
        return 0.5f * (1.0f + verf(v * 0.70710678118654752f)) + v * vexp(-0.5f * v * v) * 0.3989422804014327f;
    case GB_UNARY_GELU_TANH_RATIO: return vsigmoid(v * (GELU_TANH_A + GELU_TANH_B * v * v));
    case GB_UNARY_GELU_TANH_DERIVATIVE: {
        lanes s = vsigmoid(v * (GELU_TANH_A + GELU_TANH_B * v * v));
        return s + v * s * (1.0f - s) * (GELU_TANH_A + 3 * GELU_TANH_B * v * v);
    }
    case GB_UNARY_QUICK_GELU_RATIO: return vsigmoid(1.702f * v);
    case GB_UNARY_QUICK_GELU_DERIVATIVE: {
        lanes s = vsigmoid(1.702f * v);
        return s + 1.702f * v * s * (1.0f - s);
    }
    case GB_UNARY_SILU_DERIVATIVE: {
        lanes s = vsigmoid(v);
        return s * (1.0f + v * (1.0f - s));
    }
    case GB_UNARY_STEP: return v > 0.0f ? SPLAT(1.0f) : SPLAT(0.0f);
    case GB_UNARY_GELU10: {
        lanes g = 0.5f * v * (1.0f + verf(v * 0.70710678118654752f));
        g = g > 10.0f ? SPLAT(10.0f) : g;
        return g < -10.0f ? SPLAT(-10.0f) : g;
    }
    case GB_UNARY_GELU10_RATIO: {
        lanes phi = 0.5f * (1.0f + verf(v * 0.70710678118654752f));
        return v * phi > 10.0f ? 10.0f / v : phi;
    }
    case GB_UNARY_GELU10_DERIVATIVE: {
        lanes phi = 0.5f * (1.0f + verf(v * 0.70710678118654752f));
        lanes d = phi + v * vexp(-0.5f * v * v) * 0.3989422804014327f;
        return v * phi >= 10.0f ? SPLAT(0.0f) : d;
    }
    case GB_UNARY_LAPLACE: return 0.5f * (1.0f + verf((v - LAPLACE_MU) / LAPLACE_SCALE));
    case GB_UNARY_LAPLACE_RATIO:
        return 0.5f * (1.0f + verf((v - LAPLACE_MU) / LAPLACE_SCALE)) / (v + 1e-10f);
    case GB_UNARY_LAPLACE_DERIVATIVE: {
        lanes z = (v - LAPLACE_MU) / LAPLACE_SCALE;
        return vexp(-(z * z)) * (0.56418958354775628f / LAPLACE_SCALE);    // 1/√π
    }
    case GB_UNARY_LEAKY_RELU: return v > 0.0f ? v : v * 0.01f;
    case GB_UNARY_LEAKY_STEP: return v > 0.0f ? SPLAT(1.0f) : SPLAT(0.01f);
    case GB_UNARY_MISH: return v * mish_ratio(v);
    case GB_UNARY_MISH_RATIO: return mish_ratio(v);
    case GB_UNARY_MISH_DERIVATIVE: {
        lanes t = mish_ratio(v);
        return t + v * (1.0f - t * t) * vsigmoid(v);
    }
    case GB_UNARY_RELU2: {
        lanes r = v < 0.0f ? SPLAT(0.0f) : v;
        return r * r;
    }
    case GB_UNARY_RELU2_DERIVATIVE: return v > 0.0f ? 2.0f * v : SPLAT(0.0f);
    case GB_UNARY_RELU6: {
        lanes r = v < 0.0f ? SPLAT(0.0f) : v;
        return r > 6.0f ? SPLAT(6.0f) : r;
    }
    case GB_UNARY_RELU6_RATIO: return v > 6.0f ? 6.0f / v : (v > 0.0f ? SPLAT(1.0f) : SPLAT(0.0f));
    case GB_UNARY_RELU6_DERIVATIVE: return v > 0.0f && v < 6.0f ? SPLAT(1.0f) : SPLAT(0.0f);
    case GB_UNARY_SIGMOID_RATIO: return vsigmoid(v) / (v + 1e-10f);
    case GB_UNARY_SIGMOID_DERIVATIVE: {
        lanes s = vsigmoid(v);
        return s * (1.0f - s);
    }
    case GB_UNARY_TANH_RATIO: {
        lanes x2 = v * v;
        lanes series = 1.0f - x2 * (1.0f / 3.0f) + x2 * x2 * (2.0f / 15.0f);
        lanes a = v < 0.0f ? -v : v;
        return a < 0.05f ? series : vtanh(v) / v;
    }
    case GB_UNARY_TANH_DERIVATIVE: {
        lanes t = vtanh(v);
        return 1.0f - t * t;
    }
    }
    return v;
}

// One loop per function, so `apply` is specialised and inlined into each.
#define GB_FOR_EACH_UNARY(X)                                                                       \
    X(GB_UNARY_EXP) X(GB_UNARY_ERF) X(GB_UNARY_SIGMOID) X(GB_UNARY_TANH) X(GB_UNARY_GELU_ERF)    \
    X(GB_UNARY_GELU_TANH) X(GB_UNARY_QUICK_GELU) X(GB_UNARY_SILU) X(GB_UNARY_RELU)               \
    X(GB_UNARY_GELU_ERF_RATIO) X(GB_UNARY_GELU_ERF_DERIVATIVE) X(GB_UNARY_GELU_TANH_RATIO)       \
    X(GB_UNARY_GELU_TANH_DERIVATIVE) X(GB_UNARY_QUICK_GELU_RATIO)                                \
    X(GB_UNARY_QUICK_GELU_DERIVATIVE) X(GB_UNARY_SILU_DERIVATIVE) X(GB_UNARY_STEP)               \
    X(GB_UNARY_GELU10) X(GB_UNARY_GELU10_RATIO) X(GB_UNARY_GELU10_DERIVATIVE) X(GB_UNARY_LAPLACE) \
    X(GB_UNARY_LAPLACE_RATIO) X(GB_UNARY_LAPLACE_DERIVATIVE) X(GB_UNARY_LEAKY_RELU)              \
    X(GB_UNARY_LEAKY_STEP) X(GB_UNARY_MISH) X(GB_UNARY_MISH_RATIO) X(GB_UNARY_MISH_DERIVATIVE)   \
    X(GB_UNARY_RELU2) X(GB_UNARY_RELU2_DERIVATIVE) X(GB_UNARY_RELU6) X(GB_UNARY_RELU6_RATIO)     \
    X(GB_UNARY_RELU6_DERIVATIVE) X(GB_UNARY_SIGMOID_RATIO) X(GB_UNARY_SIGMOID_DERIVATIVE)        \
    X(GB_UNARY_TANH_RATIO) X(GB_UNARY_TANH_DERIVATIVE)

GB_INLINE void map_loop(gb_unary f, const float *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) store16(apply(f, load16(x + i)), y + i);
    if (i < n) store_partial(apply(f, load_partial(x + i, n - i, 0.0f)), y + i, n - i);
}

GB_INLINE void scale_loop(gb_unary f, const float *x, float *g, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) store16(load16(g + i) * apply(f, load16(x + i)), g + i);
    if (i < n) {
        lanes out = load_partial(g + i, n - i, 0.0f) * apply(f, load_partial(x + i, n - i, 0.0f));
        store_partial(out, g + i, n - i);
    }
}

static void map(gb_unary f, const float *x, float *y, size_t n) {
    switch (f) {
#define GB_CASE(F) case F: map_loop(F, x, y, n); return;
    GB_FOR_EACH_UNARY(GB_CASE)
#undef GB_CASE
    }
}

static void scale_by(gb_unary f, const float *x, float *g, size_t n) {
    switch (f) {
#define GB_CASE(F) case F: scale_loop(F, x, g, n); return;
    GB_FOR_EACH_UNARY(GB_CASE)
#undef GB_CASE
    }
}

// MARK: - Softmax

/// One row: max, exp(x − max) with the running sum, then scale by 1 / sum.
GB_INLINE void softmax_row(float *p, size_t d) {
    size_t full = d & ~(size_t)15, tail = d - full;
    // Pass 1: max (NaN lanes never win a `>` comparison; they surface in pass 2).
    lanes mv = SPLAT(-INFINITY);
    for (size_t i = 0; i < full; i += 16) {
        lanes v = load16(p + i);
        mv = v > mv ? v : mv;
    }
    float m = horizontal_max(mv);
    for (size_t j = full; j < d; j++) {
        if (p[j] > m) m = p[j];
    }
    if (m == -INFINITY) {
        // Every key masked: zeros on purpose. But NaN never wins the max either: a row of NaN
        // (and masked) scores is NaN, as in PyTorch, so that the non-finite checks see it.
        for (size_t j = 0; j < d; j++) {
            if (p[j] != p[j]) {
                for (size_t i = 0; i < d; i++) p[i] = NAN;
                return;
            }
        }
        memset(p, 0, d * sizeof(float));
        return;
    }
    // Pass 2: e = exp(x − m), Σe.
    const lanes mvec = SPLAT(m);
    lanes sv = SPLAT(0.0f);
    for (size_t i = 0; i < full; i += 16) {
        lanes e = vexp(load16(p + i) - mvec);
        store16(e, p + i);
        sv += e;
    }
    if (tail > 0) {
        lanes e = vexp(load_partial(p + full, tail, -INFINITY) - mvec);
        store_partial(e, p + full, tail);
        sv += e;   // padded lanes are exp(-inf) = 0
    }
    // Pass 3: normalise.
    const float inv = 1.0f / horizontal_sum(sv);
    const lanes iv = SPLAT(inv);
    for (size_t i = 0; i < full; i += 16) store16(load16(p + i) * iv, p + i);
    for (size_t j = full; j < d; j++) p[j] *= inv;
}

static void softmax_rows(float *x, size_t rows, size_t d) {
    if (d == 0) return;
    for (size_t r = 0; r < rows; r++) softmax_row(x + r * d, d);
}

// MARK: - Norm statistics

/// Σ (p[i] − c) and Σ (p[i] − c)² over `d` floats, as Doubles: Float 16-lane partial sums over
/// blocks of 256 floats (16 terms per lane), each block reduced and accumulated in Double.
GB_INLINE void centered_sums(const float *p, size_t d, float c, double *sum, double *sum_squares) {
    const lanes cv = SPLAT(c);
    double s1 = 0, s2 = 0;
    size_t i = 0;
    while (i < d) {
        size_t end = d < i + 256 ? d : i + 256;
        lanes a1 = SPLAT(0.0f), a2 = SPLAT(0.0f);
        for (; i + 16 <= end; i += 16) {
            lanes v = load16(p + i) - cv;
            a1 += v;
            a2 = GB_FMA(v, v, a2);
        }
        double t1 = horizontal_sum(a1), t2 = horizontal_sum(a2);
        for (; i < end; i++) {
            double v = (double)p[i] - (double)c;
            t1 += v;
            t2 += v * v;
        }
        s1 += t1;
        s2 += t2;
    }
    *sum = s1;
    *sum_squares = s2;
}

static void normalize_rows(float *x, size_t rows, size_t d, float eps, bool centered, float *scale) {
    const double n = (double)d;
    for (size_t r = 0; r < rows; r++) {
        float *p = x + r * d;
        double sum, sum_squares, mean = 0, variance;
        if (centered) {
            centered_sums(p, d, 0.0f, &sum, &sum_squares);
            const float first = (float)(sum / n);
            // Corrected two-pass: deviations around the first-pass mean, minus the squared residual mean.
            centered_sums(p, d, first, &sum, &sum_squares);
            const double residual = sum / n;
            mean = (double)first + residual;
            variance = sum_squares / n - residual * residual;
            variance = variance >= 0 ? variance : 0;
        } else {
            centered_sums(p, d, 0.0f, &sum, &sum_squares);
            variance = sum_squares / n;
        }
        const double s = sqrt(variance + (double)eps);
        scale[r] = (float)s;
        const float shift = (float)mean, factor = (float)(1 / s);
        for (size_t i = 0; i < d; i++) p[i] = (p[i] - shift) * factor;
    }
}

// MARK: - Half precision

#if defined(GB_HALF_F16C)
#include <immintrin.h>

static void f16_to_f32(const void *source, float *destination, size_t n) {
    const uint8_t *s = source;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm_loadu_si128((const __m128i *)(s + 2 * i));
        _mm256_storeu_ps(destination + i, _mm256_cvtph_ps(h));
    }
    for (; i < n; i++) {
        uint16_t h;
        memcpy(&h, s + 2 * i, 2);
        destination[i] = _cvtsh_ss(h);
    }
}

static void f32_to_f16(const float *source, uint16_t *destination, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(source + i), _MM_FROUND_TO_NEAREST_INT);
        _mm_storeu_si128((__m128i *)(destination + i), h);
    }
    for (; i < n; i++) destination[i] = _cvtss_sh(source[i], _MM_FROUND_TO_NEAREST_INT);
}

#else

GB_INLINE uint32_t float_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

GB_INLINE float bits_float(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/// Binary16 → binary32 bits by rebiasing the exponent; subnormals through an exact float multiply;
/// infinities and NaNs keep their payload, NaNs get the quiet bit (as `vcvtph2ps` does).
GB_INLINE uint32_t half_to_float_bits(uint16_t h) {
    uint32_t sign = ((uint32_t)h & 0x8000u) << 16, em = (uint32_t)h & 0x7FFFu;
    uint32_t normal = (em << 13) + 0x38000000u;                           // exponent + (127 − 15)
    uint32_t special = (em << 13) | 0x7F800000u | (em > 0x7C00u ? 0x00400000u : 0u);
    uint32_t subnormal = float_bits((float)em * 0x1p-24f);               // exact: em < 2^10
    return (em < 0x0400u ? subnormal : em >= 0x7C00u ? special : normal) | sign;
}

/// Binary32 → binary16 bits, round to nearest even (F. Giesen's `float_to_half_fast3_rtne`, with
/// NaNs mapped as `vcvtps2ph` maps them: quiet bit set, the top 10 payload bits kept).
GB_INLINE uint16_t float_to_half_bits(float f) {
    uint32_t x = float_bits(f), sign = (x >> 16) & 0x8000u, o;
    x &= 0x7FFFFFFFu;
    if (x > 0x7F800000u) {
        o = 0x7E00u | ((x >> 13) & 0x3FFu);                               // NaN
    } else if (x >= 0x47800000u) {
        o = 0x7C00u;                                                      // ≥ 65536: overflow, inf
    } else if (x < 0x38800000u) {
        // Below 2^-14: adding 0.5 aligns the half's subnormal unit (2^-24) with the last mantissa
        // bit, so the float addition does the rounding.
        o = float_bits(bits_float(x) + 0.5f) - 0x3F000000u;
    } else {
        uint32_t odd = (x >> 13) & 1u;                                    // ties to even
        x += 0xC8000FFFu + odd;                                           // rebias (15 − 127) << 23, round
        o = x >> 13;
    }
    return (uint16_t)(o | sign);
}

static void f16_to_f32(const void *source, float *destination, size_t n) {
    const uint8_t *s = source;
    for (size_t i = 0; i < n; i++) {
        uint16_t h;
        memcpy(&h, s + 2 * i, 2);
        destination[i] = bits_float(half_to_float_bits(h));
    }
}

static void f32_to_f16(const float *source, uint16_t *destination, size_t n) {
    for (size_t i = 0; i < n; i++) destination[i] = float_to_half_bits(source[i]);
}

#endif

// MARK: - Non-finite counts

/// `count_maskBITS`: how many of the `n` little-endian BITS-bit elements at `source` have all of
/// `mask`'s bits set (an all-ones exponent: NaN or ±Inf); plain loops the compiler vectorises,
/// with 32-bit counts per block of 65,536 elements.
#define GB_COUNT_MASK(BITS)                                                                        \
    static size_t count_mask##BITS(const void *source, size_t n, uint##BITS##_t mask) {            \
        const uint8_t *s = source;                                                                 \
        size_t total = 0, i = 0;                                                                   \
        while (i < n) {                                                                            \
            size_t end = n < i + 65536 ? n : i + 65536;                                            \
            uint32_t block = 0;                                                                    \
            for (; i < end; i++) {                                                                 \
                uint##BITS##_t x;                                                                  \
                memcpy(&x, s + (BITS / 8) * i, BITS / 8);                                          \
                block += (x & mask) == mask;                                                       \
            }                                                                                      \
            total += block;                                                                        \
        }                                                                                          \
        return total;                                                                              \
    }
GB_COUNT_MASK(16)
GB_COUNT_MASK(32)
#undef GB_COUNT_MASK

// MARK: - The table

const gb_kernels GB_TABLE = {
    .isa = GB_ISA,
    .map = map,
    .scale_by = scale_by,
    .softmax_rows = softmax_rows,
    .normalize_rows = normalize_rows,
    .f16_to_f32 = f16_to_f32,
    .f32_to_f16 = f32_to_f16,
    .count_mask16 = count_mask16,
    .count_mask32 = count_mask32,
};
