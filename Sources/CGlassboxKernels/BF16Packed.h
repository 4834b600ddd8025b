// Internal: the packed AVX512-BF16 product (BF16Packed.c), called by BF16Dot.c's AVX512 build for
// products with enough rows of A to pay for packing them. Same contract as `gb_bf16_gemm_fn`.
#ifndef GB_BF16_PACKED_H
#define GB_BF16_PACKED_H
#include <stddef.h>
#include <stdint.h>

#include "CGlassboxKernels.h"   // GB_BF16_PACKED_MIN_ROWS

#if defined(__x86_64__)
size_t gb_bf16_packed_kc(size_t m, size_t k);
void gb_bf16_gemm_avx512_packed(size_t m, size_t n, size_t k, const uint16_t *a, size_t lda, const uint16_t *w,
                                size_t ldw, float *c, size_t ldc, float beta);
#endif
#endif
