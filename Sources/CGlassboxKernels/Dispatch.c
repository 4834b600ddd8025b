// Run-time choice of the kernel table: the AVX2 build when the CPU reports AVX2, FMA and F16C
// (which `__builtin_cpu_supports` only does when the OS saves the AVX state), else the portable one.
#include "CGlassboxKernels.h"

#include <stdatomic.h>

extern const gb_kernels gb_kernels_portable_table;

#if defined(__x86_64__)
extern const gb_kernels gb_kernels_avx2_table;

static int cpu_has_avx2_fma_f16c(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}
#endif

const gb_kernels *gb_kernels_for(gb_kernel_isa isa) {
    switch (isa) {
    case GB_KERNEL_ISA_PORTABLE:
        return &gb_kernels_portable_table;
    case GB_KERNEL_ISA_AVX2:
#if defined(__x86_64__)
        return cpu_has_avx2_fma_f16c() ? &gb_kernels_avx2_table : NULL;
#else
        return NULL;
#endif
    }
    return NULL;
}

/// Resolved on the first call; racing first calls store the same pointer.
static _Atomic(const gb_kernels *) best_table;

const gb_kernels *gb_kernels_best(void) {
    const gb_kernels *table = atomic_load_explicit(&best_table, memory_order_acquire);
    if (table == NULL) {
        table = gb_kernels_for(GB_KERNEL_ISA_AVX2);
        if (table == NULL) table = &gb_kernels_portable_table;
        atomic_store_explicit(&best_table, table, memory_order_release);
    }
    return table;
}
