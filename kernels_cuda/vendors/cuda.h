/* CUDA vendor header: the real thing. */
#ifndef BRG_VENDOR_CUDA_H
#define BRG_VENDOR_CUDA_H

#include <cuda_runtime.h>

#define BRG_NS brg_cuda
#define BRG_BACKEND_GETTER brg_backend_cuda
#define BRG_VENDOR_NAME "cuda"
#define BRG_RUNTIME_PREFIX "cuda" /* runtime calls are cudaXxx */
#define BRG_DEVICE_KIND BRG_DEVICE_CUDA

typedef unsigned brg_lanemask_t;
#define BRG_FULL_MASK 0xffffffffu
/* Before a loop of constant trip count whose array indices must become
 * registers (thread queues): unrolled, they do. */
#define BRG_UNROLL _Pragma("unroll")

#endif
