// The packed AVX512-BF16 product behind `--precision bf16` for products with many rows
// (docs/methods.md §0.7): C = A · Wᵀ (+ beta·C) with A [m, k] and W [n, k] bf16 bits, rows along k.
//
// `vdpbf16ps` multiplies 16 pairs of bf16 values lane by lane and adds each pair's two products to
// a Float32 lane. Here the lanes run along the rows of A: A is packed once per call (per block of
// KC values of k) as [row block of 32][k pair][32 rows] 32-bit pairs, and each (pair of) W value is
// broadcast from W as it lies in memory, so W, the big operand (the weights), is never copied.
// Register tile, 24 accumulators either way: with 64 rows of A or more, 64 rows (four zmm) × 6 rows
// of W (per k pair 4 loads, 6 broadcasts and 24 `vdpbf16ps`: the fewest loads per product, 222
// against 200 GFLOP/s on one Zen 4 core at m 128); below that, 32 rows (two zmm) × 12 rows of W,
// which wastes fewer padded rows. The W block (NR rows × KC) stays in L1/L2 while every row block
// of A passes by, so W is read from memory once per KC block; the packed A block (m × KC) is at
// most 4 MB: fewer KC blocks mean fewer passes over C, which measured faster than an A block
// that fits L2 (`glassbox-bench forward --compare-bf16`, 8B model at 128 tokens: 4.89 s, 5.46 s
// with the 32 × 12 tile and 512 KB blocks). Sums run per k pair within a KC block, then across blocks: another
// Float32 summation order than the dot kernel's, within the same rounding bound.
#include "BF16Packed.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#define NR_MAX 12      // rows of W per tile, at most (the 32-row tile's)
#define HV_MAX 4       // zmm of A rows per tile, at most (the 64-row tile's)
#define PACK_BYTES (4 * 1024 * 1024)  // the packed A block, at most (measured: fewer KC blocks beat an L2-sized one)

/// Rows of A per tile for an A of `m` rows: 64 from 64 rows on, else 32.
static inline size_t rows_per_tile(size_t m) { return m >= 64 ? 64 : 32; }

#pragma clang attribute push(__attribute__((target("avx512bf16,avx512f,avx512vl,avx512bw"))), apply_to = function)

/// Packs rows [0, m) of A's columns [k0, k0 + kc) (kc even, or odd only for the last block) into
/// `dst`: for each row block of MR, for each pair q, MR uint32 (rows past m are zero, and the
/// second half of the last pair when kc is odd). Pairs outermost, so the 32 rows being read stay in
/// L1 while the block is written in order.
static void pack_a(size_t m, size_t kc, const uint16_t *a, size_t lda, size_t k0, uint32_t *dst) {
    const size_t MR = rows_per_tile(m);
    const size_t pairs = (kc + 1) / 2, blocks = (m + MR - 1) / MR;
    for (size_t b = 0; b < blocks; b++) {
        uint32_t *block = dst + b * pairs * MR;
        const size_t rows = m - b * MR < MR ? m - b * MR : MR;
        for (size_t q = 0; q < kc / 2; q++) {
            uint32_t *out = block + q * MR;
            for (size_t r = 0; r < rows; r++) memcpy(out + r, a + (b * MR + r) * lda + k0 + 2 * q, 4);
            for (size_t r = rows; r < MR; r++) out[r] = 0;
        }
        if (kc & 1) {
            uint32_t *out = block + (pairs - 1) * MR;
            for (size_t r = 0; r < rows; r++) out[r] = a[(b * MR + r) * lda + k0 + kc - 1];
            for (size_t r = rows; r < MR; r++) out[r] = 0;
        }
    }
}

/// Transposes the 16 × 16 Float32 block held as 16 rows of 16 lanes, in registers.
static inline __attribute__((always_inline)) void transpose16(__m512 r[16]) {
    __m512 t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);           // r_i0 r_(i+1)0 r_i1 r_(i+1)1 per 128-bit lane
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        u[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    // u[4g + c] holds, per 128-bit lane L, column 4L + c of rows 4g…4g+3.
    for (int c = 0; c < 4; c++) {
        const __m512 a = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88);       // lanes 0, 2 of g0 | of g1
        const __m512 b = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88);
        const __m512 d = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xDD);       // lanes 1, 3
        const __m512 e = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xDD);
        r[c] = _mm512_shuffle_f32x4(a, b, 0x88);                             // column c
        r[8 + c] = _mm512_shuffle_f32x4(a, b, 0xDD);                         // column 8 + c
        r[4 + c] = _mm512_shuffle_f32x4(d, e, 0x88);                         // column 4 + c
        r[12 + c] = _mm512_shuffle_f32x4(d, e, 0xDD);                        // column 12 + c
    }
}

/// One tile: rows [0, rows) of a packed block of 16·HV rows × `NC` rows of W, over `kc` values of k
/// starting at `w` (W rows `ldw` apart). C[i, j] = acc (+ beta·C) when `first`, else C += acc.
static inline __attribute__((always_inline)) void tile(const int HV, const int NC, size_t rows, size_t kc,
                                                       const uint32_t *pa, const uint16_t *w, size_t ldw, float *c,
                                                       size_t ldc, int first, float beta) {
    const size_t MR = 16 * (size_t)HV;
    __m512 acc[NR_MAX][HV_MAX];
    for (int j = 0; j < NC; j++) for (int h = 0; h < HV; h++) acc[j][h] = _mm512_setzero_ps();
    const size_t full = kc / 2;
    for (size_t q = 0; q < full; q++) {
        __m512bh x[HV_MAX];
        for (int h = 0; h < HV; h++) x[h] = (__m512bh)_mm512_loadu_si512((const void *)(pa + q * MR + 16 * h));
        for (int j = 0; j < NC; j++) {
            uint32_t v;
            memcpy(&v, w + j * ldw + 2 * q, 4);
            const __m512bh y = (__m512bh)_mm512_set1_epi32((int)v);
            for (int h = 0; h < HV; h++) acc[j][h] = _mm512_dpbf16_ps(acc[j][h], x[h], y);
        }
    }
    if (kc & 1) {                                   // the last value alone: (w, 0) against (a, 0)
        __m512bh x[HV_MAX];
        for (int h = 0; h < HV; h++) x[h] = (__m512bh)_mm512_loadu_si512((const void *)(pa + full * MR + 16 * h));
        for (int j = 0; j < NC; j++) {
            const __m512bh y = (__m512bh)_mm512_set1_epi32((int)(uint32_t)w[j * ldw + kc - 1]);
            for (int h = 0; h < HV; h++) acc[j][h] = _mm512_dpbf16_ps(acc[j][h], x[h], y);
        }
    }
    for (int h = 0; h < HV; h++) {
        const size_t left = rows > 16 * (size_t)h ? rows - 16 * (size_t)h : 0;
        if (left == 0) break;
        __m512 r[16];
        for (int j = 0; j < 16; j++) r[j] = j < NC ? acc[j][h] : _mm512_setzero_ps();
        transpose16(r);                              // r[i] lane j = C[16h + i, j]
        const __mmask16 cols = (__mmask16)((1u << NC) - 1u);
        for (size_t i = 0; i < (left < 16 ? left : 16); i++) {
            float *out = c + (16 * (size_t)h + i) * ldc;
            __m512 v = r[i];
            if (!first || beta != 0) {
                const __m512 old = _mm512_maskz_loadu_ps(cols, out);
                v = first ? _mm512_fmadd_ps(_mm512_set1_ps(beta), old, v) : _mm512_add_ps(old, v);
            }
            _mm512_mask_storeu_ps(out, cols, v);
        }
    }
}

/// `tile` with the tile shape and column count as compile-time constants (each case inlined and
/// unrolled): 64 rows × up to 6 columns (HV 4), or 32 rows × up to 12 (HV 2).
static void tile_any(int hv, int nc, size_t rows, size_t kc, const uint32_t *pa, const uint16_t *w, size_t ldw,
                     float *c, size_t ldc, int first, float beta) {
    if (hv == 4) {
        switch (nc) {
#define CASE(N) case N: tile(4, N, rows, kc, pa, w, ldw, c, ldc, first, beta); break;
            CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6)
#undef CASE
        default: break;
        }
    } else {
        switch (nc) {
#define CASE(N) case N: tile(2, N, rows, kc, pa, w, ldw, c, ldc, first, beta); break;
            CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7) CASE(8) CASE(9) CASE(10) CASE(11) CASE(12)
#undef CASE
        default: break;
        }
    }
}

size_t gb_bf16_packed_kc(size_t m, size_t k) {
    const size_t MR = rows_per_tile(m), blocks = (m + MR - 1) / MR;
    // k values per block: the packed A block (blocks·32 rows × kc bf16) within PACK_BYTES, even.
    size_t kc = PACK_BYTES / (blocks * MR * 2);
    kc = kc < 64 ? 64 : kc & ~(size_t)1;
    return kc > k ? (k > 0 ? k : 1) : kc;                 // a k below 64 is one block (odd allowed: the last)
}

size_t gb_bf16_packed_a_count(size_t m, size_t k) {
    const size_t MR = rows_per_tile(m), kc = gb_bf16_packed_kc(m, k), blocks = (m + MR - 1) / MR;
    size_t pairs = 0;                                  // every k block's pairs, as gb_bf16_pack_a writes them
    for (size_t k0 = 0; k0 < k; k0 += kc) pairs += ((k - k0 < kc ? k - k0 : kc) + 1) / 2;
    return blocks * MR * (pairs > 0 ? pairs : 1);
}

void gb_bf16_pack_a(size_t m, size_t k, const uint16_t *a, size_t lda, uint32_t *packed) {
    const size_t MR = rows_per_tile(m), kc = gb_bf16_packed_kc(m, k), blocks = (m + MR - 1) / MR;
    for (size_t k0 = 0; k0 < k; k0 += kc) {
        const size_t kb = k - k0 < kc ? k - k0 : kc;
        pack_a(m, kb, a, lda, k0, packed);
        packed += blocks * MR * ((kb + 1) / 2);
    }
}

void gb_bf16_gemm_packed_a(size_t m, size_t n, size_t k, const uint32_t *packed, const uint16_t *w, size_t ldw,
                           float *c, size_t ldc, float beta) {
    if (m == 0 || n == 0) return;
    if (k == 0) {                                      // an empty sum: C = beta·C
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
        return;
    }
    const size_t MR = rows_per_tile(m), NR = MR == 64 ? 6 : 12;
    const size_t kc = gb_bf16_packed_kc(m, k), blocks = (m + MR - 1) / MR;
    for (size_t k0 = 0; k0 < k; k0 += kc) {
        const size_t kb = k - k0 < kc ? k - k0 : kc;
        const size_t pairs = (kb + 1) / 2;
        for (size_t j0 = 0; j0 < n; j0 += NR) {
            const int nc = (int)(n - j0 < NR ? n - j0 : NR);
            for (size_t b = 0; b < blocks; b++) {
                const size_t rows = m - b * MR < MR ? m - b * MR : MR;
                tile_any((int)(MR / 16), nc, rows, kb, packed + b * pairs * MR, w + j0 * ldw + k0, ldw,
                         c + b * MR * ldc + j0, ldc, k0 == 0, beta);
            }
        }
        packed += blocks * MR * pairs;
    }
}

void gb_bf16_gemm_avx512_packed(size_t m, size_t n, size_t k, const uint16_t *a, size_t lda, const uint16_t *w,
                                size_t ldw, float *c, size_t ldc, float beta) {
    if (m == 0 || n == 0) return;
    const size_t count = gb_bf16_packed_a_count(m, k);
    uint32_t *packed = aligned_alloc(64, (count * 4 + 63) & ~(size_t)63);
    if (packed == NULL) abort();
    gb_bf16_pack_a(m, k, a, lda, packed);
    gb_bf16_gemm_packed_a(m, n, k, packed, w, ldw, c, ldc, beta);
    free(packed);
}

#pragma clang attribute pop
#else
#include <stdlib.h>
// Not x86-64: the AVX512 build does not exist (gb_bf16_gemm_for returns NULL), so nothing calls these.
size_t gb_bf16_packed_a_count(size_t m, size_t k) { (void)m; (void)k; abort(); }
void gb_bf16_pack_a(size_t m, size_t k, const uint16_t *a, size_t lda, uint32_t *packed) {
    (void)m; (void)k; (void)a; (void)lda; (void)packed; abort();
}
void gb_bf16_gemm_packed_a(size_t m, size_t n, size_t k, const uint32_t *packed, const uint16_t *w, size_t ldw,
                           float *c, size_t ldc, float beta) {
    (void)m; (void)n; (void)k; (void)packed; (void)w; (void)ldw; (void)c; (void)ldc; (void)beta; abort();
}
#endif
