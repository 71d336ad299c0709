/* HIP vendor header: the CUDA sources of kernels_cuda/ built by hipcc for AMD
 * GPUs, with cuda* names mapped to hip* (as ggml does). ROCm 5.2 has no
 * *_sync warp intrinsics: a wavefront runs in lockstep, so the mask is
 * dropped. Warps are 64 wide on CDNA (gfx90a), 32 on RDNA (gfx1030); device
 * code reads warpSize, host code asks the device. */
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
#define cudaMalloc hipMalloc
#define cudaMallocAsync hipMallocAsync
#define cudaFree hipFree
#define cudaFreeAsync hipFreeAsync
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
#define __syncwarp(...) __builtin_amdgcn_wave_barrier()

#endif
