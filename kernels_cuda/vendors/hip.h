/* HIP vendor header: the CUDA sources of kernels_cuda/ built by hipcc for AMD
 * GPUs, with cuda* names mapped to hip* (as ggml does). ROCm 5.2 has no
 * *_sync warp intrinsics: a wavefront runs in lockstep, so the mask is
 * dropped. Warps are 64 wide on CDNA (gfx90a), 32 on RDNA (gfx1030); device
 * code reads warpSize, host code asks the device. Stream-ordered allocation
 * is replaced by plain hipMalloc/hipFree (below). */
#ifndef BRG_VENDOR_HIP_H
#define BRG_VENDOR_HIP_H

#include <hip/hip_runtime.h>

#define BRG_NS brg_hip
#define BRG_BACKEND_GETTER brg_backend_hip
#define BRG_VENDOR_NAME "hip"
#define BRG_RUNTIME_PREFIX "hip" /* runtime calls are hipXxx */
#define BRG_DEVICE_KIND BRG_DEVICE_HIP

typedef unsigned long long brg_lanemask_t;
#define BRG_FULL_MASK (~0ull)
/* Before a loop of constant trip count whose array indices must become
 * registers (thread queues): unrolled, they do. */
#define BRG_UNROLL _Pragma("unroll")

#define cudaError_t hipError_t
#define cudaSuccess hipSuccess
#define cudaErrorInvalidValue hipErrorInvalidValue
#define cudaErrorMemoryAllocation hipErrorOutOfMemory
#define cudaErrorInvalidConfiguration hipErrorInvalidConfiguration
#define cudaErrorInvalidDevice hipErrorInvalidDevice
#define cudaErrorLaunchFailure hipErrorLaunchFailure
#define cudaGetErrorString hipGetErrorString
#define cudaGetErrorName hipGetErrorName
#define cudaGetLastError hipGetLastError
#define cudaPeekAtLastError hipPeekAtLastError
#define cudaGetDeviceCount hipGetDeviceCount
#define cudaSetDevice hipSetDevice
#define cudaGetDevice hipGetDevice
#define cudaDeviceProp hipDeviceProp_t
#define cudaGetDeviceProperties hipGetDeviceProperties
#define cudaDriverGetVersion hipDriverGetVersion
#define cudaRuntimeGetVersion hipRuntimeGetVersion
#define cudaMalloc hipMalloc
/* hipMallocAsync/hipFreeAsync are unreliable on ROCm 5.2: plain hipMalloc and
 * hipFree, which synchronise, stand in for the stream-ordered pair. */
#define cudaMallocAsync(p, n, s) hipMalloc((p), (n))
#define cudaFree hipFree
#define cudaFreeAsync(p, s) hipFree(p)
#define cudaMemcpy hipMemcpy
#define cudaMemcpyAsync hipMemcpyAsync
#define cudaMemcpyKind hipMemcpyKind
#define cudaMemcpyHostToHost hipMemcpyHostToHost
#define cudaMemcpyHostToDevice hipMemcpyHostToDevice
#define cudaMemcpyDeviceToHost hipMemcpyDeviceToHost
#define cudaMemcpyDeviceToDevice hipMemcpyDeviceToDevice
#define cudaMemcpyDefault hipMemcpyDefault
#define cudaMemset hipMemset
#define cudaMemsetAsync hipMemsetAsync
#define cudaMemGetInfo hipMemGetInfo
#define cudaDeviceSynchronize hipDeviceSynchronize
#define cudaStream_t hipStream_t
#define cudaStreamPerThread hipStreamPerThread
#define cudaStreamCreate hipStreamCreate
#define cudaStreamCreateWithFlags hipStreamCreateWithFlags
#define cudaStreamNonBlocking hipStreamNonBlocking
#define cudaStreamDestroy hipStreamDestroy
#define cudaStreamSynchronize hipStreamSynchronize
#define cudaStreamWaitEvent hipStreamWaitEvent
#define cudaEvent_t hipEvent_t
#define cudaEventCreate hipEventCreate
#define cudaEventCreateWithFlags hipEventCreateWithFlags
#define cudaEventDisableTiming hipEventDisableTiming
#define cudaEventDestroy hipEventDestroy
#define cudaEventRecord hipEventRecord
#define cudaEventSynchronize hipEventSynchronize
#define cudaEventElapsedTime hipEventElapsedTime

#define __shfl_sync(mask, ...) __shfl(__VA_ARGS__)
#define __shfl_up_sync(mask, ...) __shfl_up(__VA_ARGS__)
#define __shfl_down_sync(mask, ...) __shfl_down(__VA_ARGS__)
#define __shfl_xor_sync(mask, ...) __shfl_xor(__VA_ARGS__)
#define __ballot_sync(mask, pred) __ballot(pred)
#define __any_sync(mask, pred) __any(pred)
#define __all_sync(mask, pred) __all(pred)
#define __activemask() __ballot(1)
/* A wavefront runs in lockstep, but its lanes' shared-memory writes are
 * ordered for each other only by fences: release, the wave barrier, acquire
 * (as ROCm's own __syncwarp does in later releases). */
#define __syncwarp(...)                                                                  \
    (__builtin_amdgcn_fence(__ATOMIC_RELEASE, "wavefront"), __builtin_amdgcn_wave_barrier(), \
     __builtin_amdgcn_fence(__ATOMIC_ACQUIRE, "wavefront"))

#endif
