// The bf16 product behind `--precision bf16` (docs/methods.md §0.7): C = A · Wᵀ with A [m, k] and
// W [n, k] both bfloat16 (raw bits, rows contiguous along k) and Float32 accumulation. Two builds:
// AVX512-BF16 (`vdpbf16ps`, per-function target attributes, Cooper Lake / Zen 4 and later; from
// GB_BF16_PACKED_MIN_ROWS rows of A the packed kernel of BF16Packed.c, below it the dot kernel here) and a
// portable scalar one; `gb_bf16_gemm_for` picks by CPU detection. Debian's OpenBLAS 0.3.21 has no
// `cblas_sbgemm`, so this is the package's own kernel.
#include "CGlassboxKernels.h"
#include "BF16Packed.h"

#include <string.h>

/// bf16 bits → Float32 (exact).
static inline float bf16_value(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

void gb_f32_to_bf16(const float *source, uint16_t *destination, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, source + i, 4);
        if ((u & 0x7FFFFFFFu) > 0x7F800000u) {
            destination[i] = (uint16_t)((u >> 16) | 0x0040u);          // NaN stays a (quiet) NaN
        } else {
            u += 0x7FFFu + ((u >> 16) & 1u);                          // round to nearest even
            destination[i] = (uint16_t)(u >> 16);
        }
    }
}

/// Portable: one Float32 running sum per output, in k order.
static void bf16_gemm_portable(size_t m, size_t n, size_t k, const uint16_t *a, size_t lda, const uint16_t *w,
                               size_t ldw, float *c, size_t ldc, float beta) {
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            const uint16_t *x = a + i * lda, *y = w + j * ldw;
            float s = 0;
            for (size_t p = 0; p < k; p++) s += bf16_value(x[p]) * bf16_value(y[p]);
            c[i * ldc + j] = beta == 0 ? s : s + beta * c[i * ldc + j];
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx512bf16,avx512f,avx512vl,avx512bw"))), apply_to = function)

/// Loads 32 bf16 values from `p` (the first `left` of them when fewer than 32 remain; the rest 0).
static inline __m512bh load32(const uint16_t *p, size_t left) {
    __m512i v = left >= 32 ? _mm512_loadu_si512((const void *)p)
                           : _mm512_maskz_loadu_epi16((__mmask32)((1u << left) - 1u), p);
    return (__m512bh)v;
}

/// Blocks of up to 4 rows of A × 4 rows of W: 16 accumulators of 16 lanes; each `vdpbf16ps`
/// adds 32 products (pairs of bf16 multiplied, summed into a Float32 lane). The 4 rows of W stay
/// in L1 while every row block of A (in L2 for the usual m·k) passes by, so W is read once.
static void bf16_gemm_avx512(size_t m, size_t n, size_t k, const uint16_t *a, size_t lda, const uint16_t *w,
                             size_t ldw, float *c, size_t ldc, float beta) {
    if (m >= GB_BF16_PACKED_MIN_ROWS) {
        gb_bf16_gemm_avx512_packed(m, n, k, a, lda, w, ldw, c, ldc, beta);
        return;
    }
    for (size_t j0 = 0; j0 < n; j0 += 4) {
        const size_t nj = n - j0 < 4 ? n - j0 : 4;
        for (size_t i0 = 0; i0 < m; i0 += 4) {
            const size_t mi = m - i0 < 4 ? m - i0 : 4;
            __m512 acc[4][4];
            for (size_t r = 0; r < 4; r++)
                for (size_t s = 0; s < 4; s++) acc[r][s] = _mm512_setzero_ps();
            for (size_t p = 0; p < k; p += 32) {
                const size_t left = k - p;
                __m512bh x[4], y[4];
                for (size_t r = 0; r < 4; r++) x[r] = r < mi ? load32(a + (i0 + r) * lda + p, left) : (__m512bh)_mm512_setzero_si512();
                for (size_t s = 0; s < 4; s++) y[s] = s < nj ? load32(w + (j0 + s) * ldw + p, left) : (__m512bh)_mm512_setzero_si512();
                for (size_t r = 0; r < 4; r++)
                    for (size_t s = 0; s < 4; s++) acc[r][s] = _mm512_dpbf16_ps(acc[r][s], x[r], y[s]);
            }
            for (size_t r = 0; r < mi; r++) {
                for (size_t s = 0; s < nj; s++) {
                    float v = _mm512_reduce_add_ps(acc[r][s]);
                    float *out = c + (i0 + r) * ldc + j0 + s;
                    *out = beta == 0 ? v : v + beta * *out;
                }
            }
        }
    }
}

#pragma clang attribute pop

static int cpu_has_avx512_bf16(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512f")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
}
#endif

gb_bf16_gemm_fn gb_bf16_gemm_for(gb_bf16_isa isa) {
    switch (isa) {
    case GB_BF16_ISA_PORTABLE:
        return bf16_gemm_portable;
    case GB_BF16_ISA_AVX512:
#if defined(__x86_64__)
        return cpu_has_avx512_bf16() ? bf16_gemm_avx512 : NULL;
#else
        return NULL;
#endif
    }
    return NULL;
}

gb_bf16_gemm_fn gb_bf16_gemm_best(void) {
    gb_bf16_gemm_fn f = gb_bf16_gemm_for(GB_BF16_ISA_AVX512);
    return f != NULL ? f : bf16_gemm_portable;
}
