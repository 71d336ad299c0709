/* Emulation vendor header: the CUDA kernel sources of kernels_cuda/ compile
 * as plain C++ against this header and run on host threads.
 *
 * - Each CUDA thread of a block is a fiber (its own stack and context) on the
 *   launching host thread; the blocks of a launch run one after another;
 *   launches are serialised (one emulated GPU runs one kernel at a time).
 *   Fibers switch only at __syncthreads, warp intrinsics and exit, which
 *   makes a block cost microseconds rather than the milliseconds of one OS
 *   thread per GPU thread. Sanitizers still see every access: the executor
 *   tells ASan about each stack switch and gives TSan one fiber per GPU
 *   thread, switching without synchronisation, so that only __syncthreads,
 *   warp collectives, atomics and launch boundaries order GPU threads —
 *   a missing __syncthreads is a reported race.
 * - __shared__ is a function-local static: one block runs at a time, so it
 *   is exactly one block's shared memory. Dynamic shared memory comes from
 *   BRG_DYNAMIC_SHARED (common.cuh), a buffer the launch allocates.
 * - __syncthreads() is a barrier over the block's live threads.
 * - Warp intrinsics have CUDA's semantics for any mask and width; the warp
 *   width is 32 (device "emu:32") or 64 ("emu:64", AMD's wave64). A lane in a
 *   mask that has exited, a width that is not a power of two up to the warp,
 *   or a read from a lane outside the mask fails the launch
 *   (cudaErrorLaunchFailure) with a message, rather than hang or invent data.
 * - __activemask() is the warp's lanes that have not exited (there is no
 *   divergence tracking).
 * - Launches cap the grid at BRIGADE_EMU_MAX_BLOCKS blocks (default 4):
 *   kernels are grid-stride loops, so the answer does not change.
 *
 * Names are mapped to brg_emu_* as vendors/hip.h maps them to hip*, so that
 * this header never collides with the real CUDA runtime in the same library. */
#ifndef BRG_VENDOR_EMU_H
#define BRG_VENDOR_EMU_H

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>

#define BRG_NS brg_emu
#define BRG_BACKEND_GETTER brg_backend_emu
#define BRG_VENDOR_NAME "emu"
#define BRG_RUNTIME_PREFIX "cuda" /* emulated cudaXxx */
#define BRG_DEVICE_KIND BRG_DEVICE_EMU

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __restrict__ __restrict

/* ---- built-in variables ---------------------------------------------------- */
struct brg_emu_uint3 {
    unsigned x, y, z;
};
struct brg_emu_dim3 {
    unsigned x, y, z;
    brg_emu_dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
#define dim3 brg_emu_dim3
#define uint3 brg_emu_uint3

/* The emulated GPU thread now running. Read with a relaxed atomic load so
 * that ThreadSanitizer does not mistake the executor's bookkeeping for a
 * race between GPU threads. */
struct brg_emu_thread_info {
    brg_emu_uint3 thread_idx, block_idx;
    brg_emu_dim3 block_dim, grid_dim;
    int warp_size, lane, warp;
};
extern std::atomic<brg_emu_thread_info *> brg_emu_current_thread;
static inline brg_emu_thread_info *brg_emu_self(void)
{
    return brg_emu_current_thread.load(std::memory_order_relaxed);
}
#define threadIdx (brg_emu_self()->thread_idx)
#define blockIdx (brg_emu_self()->block_idx)
#define blockDim (brg_emu_self()->block_dim)
#define gridDim (brg_emu_self()->grid_dim)
/* warpSize is an object, not a macro, so that cudaDeviceProp::warpSize stays
 * a plain member. */
struct brg_emu_warp_size_t {
    operator int() const { return brg_emu_self()->warp_size; }
};
static const brg_emu_warp_size_t warpSize{};

/* ---- runtime API ------------------------------------------------------------ */
enum brg_emu_error_t : int {
    brg_emu_success = 0,
    brg_emu_error_invalid_value = 1,
    brg_emu_error_memory_allocation = 2,
    brg_emu_error_invalid_configuration = 9,
    brg_emu_error_invalid_device = 101,
    brg_emu_error_launch_failure = 719
};
#define cudaError_t brg_emu_error_t
#define cudaSuccess brg_emu_success
#define cudaErrorInvalidValue brg_emu_error_invalid_value
#define cudaErrorMemoryAllocation brg_emu_error_memory_allocation
#define cudaErrorInvalidConfiguration brg_emu_error_invalid_configuration
#define cudaErrorInvalidDevice brg_emu_error_invalid_device
#define cudaErrorLaunchFailure brg_emu_error_launch_failure

struct brg_emu_stream;
struct brg_emu_event;
typedef brg_emu_stream *brg_emu_stream_t;
typedef brg_emu_event *brg_emu_event_t;
#define cudaStream_t brg_emu_stream_t
#define cudaEvent_t brg_emu_event_t
#define cudaStreamPerThread ((brg_emu_stream_t)0x2)

enum brg_emu_memcpy_kind { brg_emu_h2h, brg_emu_h2d, brg_emu_d2h, brg_emu_d2d, brg_emu_default };
#define cudaMemcpyKind brg_emu_memcpy_kind
#define cudaMemcpyHostToHost brg_emu_h2h
#define cudaMemcpyHostToDevice brg_emu_h2d
#define cudaMemcpyDeviceToHost brg_emu_d2h
#define cudaMemcpyDeviceToDevice brg_emu_d2d
#define cudaMemcpyDefault brg_emu_default

struct brg_emu_device_prop {
    char name[256];
    size_t totalGlobalMem;
    size_t sharedMemPerBlock;
    int warpSize;
    int maxThreadsPerBlock;
    int maxThreadsPerMultiProcessor;
    int multiProcessorCount;
    int major, minor;
};
#define cudaDeviceProp brg_emu_device_prop

cudaError_t brg_emu_get_device_count(int *count);
cudaError_t brg_emu_set_device(int device);
cudaError_t brg_emu_get_device(int *device);
cudaError_t brg_emu_get_device_properties(cudaDeviceProp *prop, int device);
cudaError_t brg_emu_get_last_error(void);
cudaError_t brg_emu_peek_at_last_error(void);
const char *brg_emu_get_error_string(cudaError_t e);
const char *brg_emu_get_error_name(cudaError_t e);
cudaError_t brg_emu_malloc(void **ptr, size_t bytes);
cudaError_t brg_emu_malloc_async(void **ptr, size_t bytes, cudaStream_t stream);
cudaError_t brg_emu_free(void *ptr);
cudaError_t brg_emu_free_async(void *ptr, cudaStream_t stream);
cudaError_t brg_emu_memcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind);
cudaError_t brg_emu_memcpy_async(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind,
                                 cudaStream_t stream);
cudaError_t brg_emu_memset(void *dst, int value, size_t bytes);
cudaError_t brg_emu_memset_async(void *dst, int value, size_t bytes, cudaStream_t stream);
cudaError_t brg_emu_mem_get_info(size_t *free_bytes, size_t *total_bytes);
cudaError_t brg_emu_device_synchronize(void);
cudaError_t brg_emu_stream_create(cudaStream_t *stream);
cudaError_t brg_emu_stream_create_with_flags(cudaStream_t *stream, unsigned flags);
cudaError_t brg_emu_stream_destroy(cudaStream_t stream);
cudaError_t brg_emu_stream_synchronize(cudaStream_t stream);
cudaError_t brg_emu_stream_wait_event(cudaStream_t stream, cudaEvent_t event, unsigned flags);
cudaError_t brg_emu_event_create(cudaEvent_t *event);
cudaError_t brg_emu_event_create_with_flags(cudaEvent_t *event, unsigned flags);
cudaError_t brg_emu_event_destroy(cudaEvent_t event);
cudaError_t brg_emu_event_record(cudaEvent_t event, cudaStream_t stream);
cudaError_t brg_emu_event_synchronize(cudaEvent_t event);
cudaError_t brg_emu_event_elapsed_time(float *ms, cudaEvent_t start, cudaEvent_t end);

#define cudaGetDeviceCount brg_emu_get_device_count
#define cudaSetDevice brg_emu_set_device
#define cudaGetDevice brg_emu_get_device
#define cudaGetDeviceProperties brg_emu_get_device_properties
#define cudaGetLastError brg_emu_get_last_error
#define cudaPeekAtLastError brg_emu_peek_at_last_error
#define cudaGetErrorString brg_emu_get_error_string
#define cudaGetErrorName brg_emu_get_error_name
#define cudaMalloc(p, n) brg_emu_malloc((void **)(p), (n))
#define cudaMallocAsync(p, n, s) brg_emu_malloc_async((void **)(p), (n), (s))
#define cudaFree brg_emu_free
#define cudaFreeAsync brg_emu_free_async
#define cudaMemcpy brg_emu_memcpy
#define cudaMemcpyAsync brg_emu_memcpy_async
#define cudaMemset brg_emu_memset
#define cudaMemsetAsync brg_emu_memset_async
#define cudaMemGetInfo brg_emu_mem_get_info
#define cudaDeviceSynchronize brg_emu_device_synchronize
#define cudaStreamCreate brg_emu_stream_create
#define cudaStreamCreateWithFlags brg_emu_stream_create_with_flags
#define cudaStreamNonBlocking 0x1u /* no legacy default stream to block on here */
#define cudaStreamDestroy brg_emu_stream_destroy
#define cudaStreamSynchronize brg_emu_stream_synchronize
#define cudaStreamWaitEvent brg_emu_stream_wait_event
#define cudaEventCreate brg_emu_event_create
#define cudaEventCreateWithFlags brg_emu_event_create_with_flags
#define cudaEventDisableTiming 0x2u /* cudaEventElapsedTime then refuses the event */
#define cudaEventDestroy brg_emu_event_destroy
#define cudaEventRecord brg_emu_event_record
#define cudaEventSynchronize brg_emu_event_synchronize
#define cudaEventElapsedTime brg_emu_event_elapsed_time

/* ---- launches -------------------------------------------------------------- */

/* Run body once per thread of every block of the (capped) grid; returns the
 * launch status and records it for cudaGetLastError. */
cudaError_t brg_emu_launch(dim3 grid, dim3 block, size_t shared_bytes,
                           const std::function<void()> &body);
/* The dynamic shared memory of the running block. */
void *brg_emu_dynamic_shared(void);
/* Blocks a launch runs at most (BRIGADE_EMU_MAX_BLOCKS, default 4). */
unsigned brg_emu_max_blocks(void);
/* What the last failed launch tripped over (thread-local copy). */
const char *brg_emu_last_fault(void);

/* ---- synchronisation and warp intrinsics ----------------------------------- */
typedef unsigned long long brg_lanemask_t;
#define BRG_FULL_MASK (warpSize == 64 ? ~0ull : 0xffffffffull)
/* Unrolling only keeps a GPU thread's small arrays in registers; the host
 * compiler decides for itself (and warns about #pragma unroll). */
#define BRG_UNROLL

void brg_emu_syncthreads(void);
void brg_emu_threadfence(void);
/* Every lane of mask deposits value; each gets the value of lane `src` of the
 * same collective (src < 0: its own). The core of every warp intrinsic. */
unsigned long long brg_emu_warp_collective(brg_lanemask_t mask, unsigned long long value,
                                           int src, brg_lanemask_t *votes, int vote);
int brg_emu_lane(void);
brg_lanemask_t brg_emu_active_mask(void);
/* Fail the running launch with a message (bad mask, bad width...). */
void brg_emu_fault(const char *what);

#define __syncthreads brg_emu_syncthreads
#define __threadfence brg_emu_threadfence
#define __activemask brg_emu_active_mask

template <typename T>
static inline unsigned long long brg_emu_bits(T v)
{
    static_assert(sizeof(T) <= 8, "shuffles move at most 8 bytes");
    unsigned long long b = 0;
    std::memcpy(&b, &v, sizeof v);
    return b;
}

template <typename T>
static inline T brg_emu_from_bits(unsigned long long b)
{
    T v;
    std::memcpy(&v, &b, sizeof v);
    return v;
}

static inline bool brg_emu_width_ok(int width)
{
    if (width > 0 && width <= warpSize && (width & (width - 1)) == 0) return true;
    brg_emu_fault("shuffle width is not a power of two up to warpSize");
    return false;
}

/* src lane for each shuffle kind, or -1 where CUDA returns the caller's own value. */
template <typename T>
static inline T __shfl_sync(brg_lanemask_t mask, T var, int src_lane, int width = warpSize)
{
    int lane = brg_emu_lane();
    int src = brg_emu_width_ok(width) ? (lane & ~(width - 1)) + (src_lane & (width - 1)) : -1;
    return brg_emu_from_bits<T>(brg_emu_warp_collective(mask, brg_emu_bits(var), src, nullptr, 0));
}

template <typename T>
static inline T __shfl_down_sync(brg_lanemask_t mask, T var, unsigned delta,
                                 int width = warpSize)
{
    int lane = brg_emu_lane();
    int src = -1;
    if (brg_emu_width_ok(width) && (lane & (width - 1)) + (int)delta < width) src = lane + (int)delta;
    return brg_emu_from_bits<T>(brg_emu_warp_collective(mask, brg_emu_bits(var), src, nullptr, 0));
}

template <typename T>
static inline T __shfl_up_sync(brg_lanemask_t mask, T var, unsigned delta,
                               int width = warpSize)
{
    int lane = brg_emu_lane();
    int src = -1;
    if (brg_emu_width_ok(width) && (lane & (width - 1)) >= (int)delta) src = lane - (int)delta;
    return brg_emu_from_bits<T>(brg_emu_warp_collective(mask, brg_emu_bits(var), src, nullptr, 0));
}

template <typename T>
static inline T __shfl_xor_sync(brg_lanemask_t mask, T var, int lane_mask,
                                int width = warpSize)
{
    int lane = brg_emu_lane();
    int src = -1;
    if (brg_emu_width_ok(width)) {
        int other = lane ^ lane_mask;
        /* Lanes may read earlier width-groups, never later ones (CUDA). */
        if (other < warpSize && other / width <= lane / width) src = other;
    }
    return brg_emu_from_bits<T>(brg_emu_warp_collective(mask, brg_emu_bits(var), src, nullptr, 0));
}

static inline brg_lanemask_t __ballot_sync(brg_lanemask_t mask, int predicate)
{
    brg_lanemask_t votes = 0;
    brg_emu_warp_collective(mask, 0, -1, &votes, predicate != 0);
    return votes;
}

static inline int __any_sync(brg_lanemask_t mask, int predicate)
{
    return __ballot_sync(mask, predicate) != 0;
}

static inline int __all_sync(brg_lanemask_t mask, int predicate)
{
    return (__ballot_sync(mask, predicate) & mask) == mask;
}

static inline void __syncwarp(brg_lanemask_t mask = BRG_FULL_MASK)
{
    brg_emu_warp_collective(mask, 0, -1, nullptr, 0);
}

/* ---- atomics (on device memory, which is host memory here) ----------------- */
template <typename T>
static inline T brg_emu_atomic_add(T *p, T v)
{
    return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}

template <typename T, typename F>
static inline T brg_emu_atomic_update(T *p, F f)
{
    T old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
    while (!__atomic_compare_exchange_n(p, &old, f(old), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    }
    return old;
}

template <typename F>
static inline float brg_emu_atomic_float(float *p, F f)
{
    unsigned *u = reinterpret_cast<unsigned *>(p);
    unsigned old = brg_emu_atomic_update(u, [&](unsigned o) {
        float v;
        std::memcpy(&v, &o, sizeof v);
        v = f(v);
        unsigned n;
        std::memcpy(&n, &v, sizeof n);
        return n;
    });
    float r;
    std::memcpy(&r, &old, sizeof r);
    return r;
}

template <typename F>
static inline double brg_emu_atomic_double(double *p, F f)
{
    unsigned long long *u = reinterpret_cast<unsigned long long *>(p);
    unsigned long long old = brg_emu_atomic_update(u, [&](unsigned long long o) {
        double v;
        std::memcpy(&v, &o, sizeof v);
        v = f(v);
        unsigned long long n;
        std::memcpy(&n, &v, sizeof n);
        return n;
    });
    double r;
    std::memcpy(&r, &old, sizeof r);
    return r;
}

static inline int atomicAdd(int *p, int v) { return brg_emu_atomic_add(p, v); }
static inline unsigned atomicAdd(unsigned *p, unsigned v) { return brg_emu_atomic_add(p, v); }
static inline unsigned long long atomicAdd(unsigned long long *p, unsigned long long v)
{
    return brg_emu_atomic_add(p, v);
}
static inline float atomicAdd(float *p, float v)
{
    return brg_emu_atomic_float(p, [v](float o) { return o + v; });
}
static inline double atomicAdd(double *p, double v)
{
    return brg_emu_atomic_double(p, [v](double o) { return o + v; });
}

template <typename T>
static inline T brg_emu_atomic_max(T *p, T v)
{
    return brg_emu_atomic_update(p, [v](T o) { return o > v ? o : v; });
}
template <typename T>
static inline T brg_emu_atomic_min(T *p, T v)
{
    return brg_emu_atomic_update(p, [v](T o) { return o < v ? o : v; });
}
static inline int atomicMax(int *p, int v) { return brg_emu_atomic_max(p, v); }
static inline unsigned atomicMax(unsigned *p, unsigned v) { return brg_emu_atomic_max(p, v); }
static inline long long atomicMax(long long *p, long long v) { return brg_emu_atomic_max(p, v); }
static inline unsigned long long atomicMax(unsigned long long *p, unsigned long long v)
{
    return brg_emu_atomic_max(p, v);
}
static inline int atomicMin(int *p, int v) { return brg_emu_atomic_min(p, v); }
static inline unsigned atomicMin(unsigned *p, unsigned v) { return brg_emu_atomic_min(p, v); }
static inline long long atomicMin(long long *p, long long v) { return brg_emu_atomic_min(p, v); }
static inline unsigned long long atomicMin(unsigned long long *p, unsigned long long v)
{
    return brg_emu_atomic_min(p, v);
}

template <typename T>
static inline T brg_emu_atomic_cas(T *p, T compare, T v)
{
    __atomic_compare_exchange_n(p, &compare, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return compare;
}
static inline int atomicCAS(int *p, int c, int v) { return brg_emu_atomic_cas(p, c, v); }
static inline unsigned atomicCAS(unsigned *p, unsigned c, unsigned v) { return brg_emu_atomic_cas(p, c, v); }
static inline unsigned long long atomicCAS(unsigned long long *p, unsigned long long c,
                                           unsigned long long v)
{
    return brg_emu_atomic_cas(p, c, v);
}

template <typename T>
static inline T brg_emu_atomic_exch(T *p, T v)
{
    return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}
static inline int atomicExch(int *p, int v) { return brg_emu_atomic_exch(p, v); }
static inline unsigned atomicExch(unsigned *p, unsigned v) { return brg_emu_atomic_exch(p, v); }
static inline unsigned long long atomicExch(unsigned long long *p, unsigned long long v)
{
    return brg_emu_atomic_exch(p, v);
}
static inline float atomicExch(float *p, float v)
{
    return brg_emu_atomic_float(p, [v](float) { return v; });
}

/* ---- math and bit intrinsics ------------------------------------------------ */
static inline float __fdividef(float a, float b) { return a / b; }
static inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
static inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
static inline unsigned __float_as_uint(float x) { return (unsigned)brg_emu_bits(x); }
static inline float __uint_as_float(unsigned x) { return brg_emu_from_bits<float>(x); }
static inline int __float_as_int(float x) { return (int)(unsigned)brg_emu_bits(x); }
static inline float __int_as_float(int x) { return brg_emu_from_bits<float>((unsigned)x); }
static inline long long __double_as_longlong(double x) { return (long long)brg_emu_bits(x); }
static inline double __longlong_as_double(long long x)
{
    return brg_emu_from_bits<double>((unsigned long long)x);
}
static inline int __popc(unsigned x) { return __builtin_popcount(x); }
static inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
static inline int __ffsll(long long x) { return __builtin_ffsll(x); }
template <typename T>
static inline T __ldg(const T *p)
{
    return *p;
}

#endif
