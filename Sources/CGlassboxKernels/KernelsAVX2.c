// The AVX2 + FMA + F16C build of the kernels (x86-64 only). Every function in this file carries
// `__attribute__((target("avx2,fma,f16c")))`, so no compiler flag is needed and the rest of the
// package stays baseline x86-64; Dispatch.c only hands this table out when the CPU has all three.
#include "CGlassboxKernels.h"

#if defined(__x86_64__)

#define GB_FMA(a, b, c) __builtin_elementwise_fma((a), (b), (c))
#define GB_TABLE gb_kernels_avx2_table
#define GB_ISA GB_KERNEL_ISA_AVX2
#define GB_HALF_F16C 1

// System headers first, so the attribute below reaches only this package's functions.
#include <immintrin.h>
#include <math.h>
#include <string.h>

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#include "KernelBodies.h"
#pragma clang attribute pop

#endif
