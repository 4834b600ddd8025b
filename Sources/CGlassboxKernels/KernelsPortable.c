// The portable build of the kernels: plain C vectors that any CPU runs (SSE2 on x86-64, NEON on
// arm64). Multiply-adds are fused only where the baseline target has FMA (arm64); on x86-64 they
// are a multiply and an add, which differs from the fused result by at most an ulp per step.
#include "CGlassboxKernels.h"

#if defined(__ARM_FEATURE_FMA) || defined(__FMA__)
#define GB_FMA(a, b, c) __builtin_elementwise_fma((a), (b), (c))
#else
#define GB_FMA(a, b, c) ((a) * (b) + (c))
#endif
#define GB_TABLE gb_kernels_portable_table
#define GB_ISA GB_KERNEL_ISA_PORTABLE
#include "KernelBodies.h"
