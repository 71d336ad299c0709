/* Private: the CPU backend's kernels (cpu_ref/), called through its table. */
#ifndef BRG_CPU_H
#define BRG_CPU_H

#include <stdint.h>
#include "brigade/tensor.h"

brg_status brg_cpu_mean_chunks(void *ctx, brg_dtype dtype, const void *x, int64_t n,
                               int64_t chunks, void *out);

#endif
