// CGlassboxKernels: the float kernels that need AVX2, FMA or F16C to be fast, compiled twice
// (for AVX2 + FMA + F16C with per-function target attributes, and as portable C) and chosen at run
// time by CPU detection. Called only through the Swift wrappers in GlassboxTensor
// (Kernels/KernelVariant.swift), which pick the table and split the work across threads.
#ifndef CGLASSBOX_KERNELS_H
#define CGLASSBOX_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The instruction set a kernel table was compiled for.
typedef enum gb_kernel_isa {
    /// Portable C vector code for any CPU (SSE2 on x86-64, NEON on arm64).
    GB_KERNEL_ISA_PORTABLE = 0,
    /// x86-64 with AVX2, FMA and F16C (Haswell, Zen and later).
    GB_KERNEL_ISA_AVX2 = 1,
} gb_kernel_isa;

/// An elementwise function of one float, as `gb_kernels.map` and `gb_kernels.scale_by` apply it.
/// The activations' "ratio" is φ(x)/x (the identity rule of AttnLRP) and "derivative" is φ'(x).
typedef enum gb_unary {
    /// e^x (Cephes expf scheme; 0 below -87.33654, +inf above 88.37626).
    GB_UNARY_EXP = 0,
    /// erf(x) (Eigen/XLA rational approximation on [-4, 4], clipped to [-1, 1]).
    GB_UNARY_ERF = 1,
    /// 1 / (1 + e^-x).
    GB_UNARY_SIGMOID = 2,
    /// 2·sigmoid(2x) − 1.
    GB_UNARY_TANH = 3,
    /// 0.5·x·(1 + erf(x/√2)).
    GB_UNARY_GELU_ERF = 4,
    /// x·sigmoid(2u), 2u = x·(2√(2/π) + 2√(2/π)·0.044715·x²) (tanh GELU).
    GB_UNARY_GELU_TANH = 5,
    /// x·sigmoid(1.702·x).
    GB_UNARY_QUICK_GELU = 6,
    /// x·sigmoid(x).
    GB_UNARY_SILU = 7,
    /// max(x, 0), NaN stays NaN.
    GB_UNARY_RELU = 8,
    /// Φ(x) = 0.5·(1 + erf(x/√2)) = GELU(x)/x.
    GB_UNARY_GELU_ERF_RATIO = 9,
    /// Φ(x) + x·e^(−x²/2)/√(2π).
    GB_UNARY_GELU_ERF_DERIVATIVE = 10,
    /// sigmoid(2u) = tanh-GELU(x)/x.
    GB_UNARY_GELU_TANH_RATIO = 11,
    /// s + x·s·(1 − s)·(a + 3b·x²) with s = sigmoid(2u).
    GB_UNARY_GELU_TANH_DERIVATIVE = 12,
    /// sigmoid(1.702·x) = QuickGELU(x)/x.
    GB_UNARY_QUICK_GELU_RATIO = 13,
    /// s + 1.702·x·s·(1 − s) with s = sigmoid(1.702·x).
    GB_UNARY_QUICK_GELU_DERIVATIVE = 14,
    /// s·(1 + x·(1 − s)) with s = sigmoid(x) (SiLU's derivative; its ratio is GB_UNARY_SIGMOID).
    GB_UNARY_SILU_DERIVATIVE = 15,
    /// 1 where x > 0, else 0 (ReLU's ratio and derivative).
    GB_UNARY_STEP = 16,
    /// GELU (erf) clipped to [-10, 10] (HF `gelu_10`), NaN stays NaN.
    GB_UNARY_GELU10 = 17,
    /// Φ(x) where GELU(x) ≤ 10, else 10/x (`gelu_10`'s ratio).
    GB_UNARY_GELU10_RATIO = 18,
    /// GELU'(x) where GELU(x) < 10, else 0 (torch.clip's gradient is 0 on the boundary, x = 10).
    GB_UNARY_GELU10_DERIVATIVE = 19,
    /// 0.5·(1 + erf(z)), z = (x − 0.707107)/(0.282095·√2) (HF `laplace`).
    GB_UNARY_LAPLACE = 20,
    /// laplace(x)/(x + 1e-10): LXT's identity rule (laplace(0) ≠ 0, so φ(x)/x has no limit at 0).
    GB_UNARY_LAPLACE_RATIO = 21,
    /// e^(−z²)/(√π·0.282095·√2), laplace's derivative.
    GB_UNARY_LAPLACE_DERIVATIVE = 22,
    /// x where x > 0, else 0.01·x (`leaky_relu`, nn.LeakyReLU's default slope).
    GB_UNARY_LEAKY_RELU = 23,
    /// 1 where x > 0, else 0.01 (leaky ReLU's ratio and derivative; torch's gradient at 0 is 0.01).
    GB_UNARY_LEAKY_STEP = 24,
    /// x·tanh(softplus(x)) (`mish`), tanh(softplus(x)) = n/(n + 2), n = e^x·(e^x + 2); 1 above 20.
    GB_UNARY_MISH = 25,
    /// tanh(softplus(x)) = mish(x)/x.
    GB_UNARY_MISH_RATIO = 26,
    /// t + x·(1 − t²)·sigmoid(x), t = tanh(softplus(x)).
    GB_UNARY_MISH_DERIVATIVE = 27,
    /// max(x, 0)² (`relu2`; its ratio is GB_UNARY_RELU).
    GB_UNARY_RELU2 = 28,
    /// 2·max(x, 0).
    GB_UNARY_RELU2_DERIVATIVE = 29,
    /// min(max(x, 0), 6) (`relu6`), NaN stays NaN.
    GB_UNARY_RELU6 = 30,
    /// 1 on (0, 6], 6/x above, 0 at and below 0.
    GB_UNARY_RELU6_RATIO = 31,
    /// 1 on (0, 6), else 0 (torch's hardtanh gradient is 0 on the boundaries).
    GB_UNARY_RELU6_DERIVATIVE = 32,
    /// sigmoid(x)/(x + 1e-10): LXT's identity rule (sigmoid(0) = ½, so φ(x)/x has no limit at 0).
    GB_UNARY_SIGMOID_RATIO = 33,
    /// s·(1 − s), s = sigmoid(x).
    GB_UNARY_SIGMOID_DERIVATIVE = 34,
    /// tanh(x)/x: 1 − x²/3 + 2x⁴/15 for |x| < 0.05 (the limit 1 at 0), else tanh(x)/x.
    GB_UNARY_TANH_RATIO = 35,
    /// 1 − tanh²(x).
    GB_UNARY_TANH_DERIVATIVE = 36,
} gb_unary;

/// One implementation of every kernel. All pointers may be unaligned; `n`, `rows` and `d` may be 0.
typedef struct gb_kernels {
    /// The instruction set this table was compiled for.
    gb_kernel_isa isa;
    /// y[i] = f(x[i]) for i < n, in 16-lane vectors with a zero-padded tail (so every element
    /// takes the same arithmetic); `x == y` is allowed.
    void (*_Nonnull map)(gb_unary f, const float *_Nonnull x, float *_Nonnull y, size_t n);
    /// g[i] *= f(x[i]) for i < n (16-lane vectors, zero-padded tail).
    void (*_Nonnull scale_by)(gb_unary f, const float *_Nonnull x, float *_Nonnull g, size_t n);
    /// Softmax of each of `rows` consecutive rows of `d` floats, in place: max, exp(x − max) with a
    /// 16-lane running sum, times 1/sum. Rows that are all −inf become zeros; NaN spreads over its row.
    void (*_Nonnull softmax_rows)(float *_Nonnull x, size_t rows, size_t d);
    /// LayerNorm (`centered`) or RMSNorm statistics of each of `rows` rows of `d` (> 0) floats, in
    /// place: x ← (x − μ)·(1/σ) with σ = sqrt(var + eps), written to `scale[r]` as a Float.
    /// Sums are 16-lane Float partial sums over blocks of 256 floats, each block reduced pairwise
    /// and accumulated in Double; the variance is a corrected two-pass one around the first-pass
    /// mean. RMSNorm uses μ = 0 and var = mean(x²).
    void (*_Nonnull normalize_rows)(float *_Nonnull x, size_t rows, size_t d, float eps, bool centered,
                                    float *_Nonnull scale);
    /// IEEE binary16 (little-endian, any alignment) → Float32, exact; NaNs come back quiet.
    void (*_Nonnull f16_to_f32)(const void *_Nonnull source, float *_Nonnull destination, size_t n);
    /// Float32 → IEEE binary16 bits, round to nearest even; overflow gives ±inf, NaN a quiet NaN
    /// with the top payload bits (as the F16C instruction does).
    void (*_Nonnull f32_to_f16)(const float *_Nonnull source, uint16_t *_Nonnull destination, size_t n);
    /// How many of the `n` 16-bit elements at `source` (little-endian, any alignment) have every
    /// bit of `mask` set: with an exponent mask, the NaN and ±Inf count of f16 or bf16 data.
    size_t (*_Nonnull count_mask16)(const void *_Nonnull source, size_t n, uint16_t mask);
    /// The same for 32-bit elements (f32 data with mask 0x7F800000).
    size_t (*_Nonnull count_mask32)(const void *_Nonnull source, size_t n, uint32_t mask);
} gb_kernels;

/// The instruction set a bf16 product kernel was compiled for.
typedef enum gb_bf16_isa {
    /// Scalar C, one Float32 running sum per output in k order (any CPU).
    GB_BF16_ISA_PORTABLE = 0,
    /// x86-64 with AVX512-BF16 (`vdpbf16ps`), AVX512F, VL and BW.
    GB_BF16_ISA_AVX512 = 1,
} gb_bf16_isa;

/// `c[i·ldc + j] = Σ_p a[i·lda + p]·w[j·ldw + p] (+ beta·c[i·ldc + j])` for i < m, j < n: A [m, k]
/// and W [n, k] as bfloat16 bits, products and sums in Float32 (`vdpbf16ps` adds pairs of products
/// per lane, so the summation order differs between builds). `beta` is 0 or 1.
typedef void (*gb_bf16_gemm_fn)(size_t m, size_t n, size_t k, const uint16_t *_Nonnull a, size_t lda,
                                const uint16_t *_Nonnull w, size_t ldw, float *_Nonnull c, size_t ldc, float beta);

/// Rows of A from which the AVX512 build packs A and broadcasts W (below it, a dot kernel streams W
/// past 4 rows of A at a time). Callers splitting W across threads give each packed call whole
/// multiples of `GB_BF16_PACKED_COLUMNS` rows of W, many of them, since each call packs A again.
#define GB_BF16_PACKED_MIN_ROWS 8
/// Rows of W per register tile of the packed kernel.
#define GB_BF16_PACKED_COLUMNS 12

/// The packed AVX512-BF16 product in two steps, for callers that share one packed A among threads
/// that each take some rows of W. Call only where `gb_bf16_gemm_for(GB_BF16_ISA_AVX512)` is not
/// NULL. `gb_bf16_packed_a_count(m, k)`: the uint32 elements the packed A takes;
/// `gb_bf16_pack_a`: packs A [m, k] (rows `lda` apart) into them; `gb_bf16_gemm_packed_a`: the same
/// contract as `gb_bf16_gemm_fn` with A given packed (m and k as packed).
size_t gb_bf16_packed_a_count(size_t m, size_t k);
void gb_bf16_pack_a(size_t m, size_t k, const uint16_t *_Nonnull a, size_t lda, uint32_t *_Nonnull packed);
void gb_bf16_gemm_packed_a(size_t m, size_t n, size_t k, const uint32_t *_Nonnull packed, const uint16_t *_Nonnull w,
                           size_t ldw, float *_Nonnull c, size_t ldc, float beta);

/// The bf16 product kernel compiled for `isa`, or NULL when this CPU cannot run it.
gb_bf16_gemm_fn _Nullable gb_bf16_gemm_for(gb_bf16_isa isa);

/// The fastest bf16 product kernel this CPU runs; never NULL.
gb_bf16_gemm_fn _Nonnull gb_bf16_gemm_best(void);

/// Float32 → bfloat16 bits, round to nearest even; NaN stays a quiet NaN, overflow gives ±inf.
void gb_f32_to_bf16(const float *_Nonnull source, uint16_t *_Nonnull destination, size_t n);

/// The fastest table this CPU runs, detected on the first call (`__builtin_cpu_supports`) and
/// remembered; never NULL.
const gb_kernels *_Nonnull gb_kernels_best(void);

/// The table compiled for `isa`, or NULL when this CPU (or this build's architecture) cannot run it.
const gb_kernels *_Nullable gb_kernels_for(gb_kernel_isa isa);

#ifdef __cplusplus
}
#endif

#endif
