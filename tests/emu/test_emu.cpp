/* The emulated GPU itself: every intrinsic of vendors/emu.h against CUDA's
 * documented semantics, on 32- and 64-wide warps, and every way a launch can
 * go wrong reported as CUDA reports it. The argument selects the warp width
 * ("emu:32" or "emu:64"). Kernels here are test kernels, compiled as C++
 * against the emulation header exactly as kernels_cuda/ is. */
#include <check.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common.cuh"

using namespace brg_emu;

static int width = 32;

/* Device buffer of n T, freed at scope end. */
template <typename T>
struct dbuf {
    T *p = nullptr;
    size_t n;
    explicit dbuf(size_t n_, T fill = T()) : n(n_)
    {
        ck_assert_int_eq(cudaMalloc(&p, n * sizeof(T)), cudaSuccess);
        for (size_t i = 0; i < n; i++) p[i] = fill; /* emulated device memory is host memory */
    }
    ~dbuf() { cudaFree(p); }
};

static void select_width(void)
{
    ck_assert_int_eq(cudaSetDevice(width == 32 ? 0 : 1), cudaSuccess);
    cudaDeviceProp prop;
    ck_assert_int_eq(cudaGetDeviceProperties(&prop, width == 32 ? 0 : 1), cudaSuccess);
    ck_assert_int_eq(prop.warpSize, width);
}

/* ---- built-in variables ----------------------------------------------------- */

__global__ void k_builtins(int *out)
{
    int t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    int b = blockIdx.x + gridDim.x * blockIdx.y;
    int *o = out + 5 * (b * blockDim.x * blockDim.y * blockDim.z + t);
    o[0] = (int)threadIdx.x;
    o[1] = (int)threadIdx.y;
    o[2] = (int)threadIdx.z;
    o[3] = b;
    o[4] = warpSize;
}

START_TEST(builtins_follow_cuda_thread_and_block_numbering)
{
    select_width();
    dim3 block(4, 3, 2), grid(2, 2);
    dbuf<int> out(5 * 4 * 24, -1);
    ck_assert_int_eq(brg_launch(k_builtins, grid, block, 0, cudaStreamPerThread, out.p), cudaSuccess);
    for (int b = 0; b < 4; b++)
        for (int t = 0; t < 24; t++) {
            const int *o = out.p + 5 * (b * 24 + t);
            ck_assert_int_eq(o[0], t % 4);
            ck_assert_int_eq(o[1], (t / 4) % 3);
            ck_assert_int_eq(o[2], t / 12);
            ck_assert_int_eq(o[3], b);
            ck_assert_int_eq(o[4], width);
        }
}
END_TEST

/* ---- shuffles ---------------------------------------------------------------- */

enum { SHFL_IDX, SHFL_UP, SHFL_DOWN, SHFL_XOR };

__global__ void k_shuffle(int *out, int kind, int arg, int w)
{
    int v = 1000 + (int)threadIdx.x;
    int r = 0;
    switch (kind) {
    case SHFL_IDX: r = __shfl_sync(BRG_FULL_MASK, v, arg, w); break;
    case SHFL_UP: r = __shfl_up_sync(BRG_FULL_MASK, v, (unsigned)arg, w); break;
    case SHFL_DOWN: r = __shfl_down_sync(BRG_FULL_MASK, v, (unsigned)arg, w); break;
    case SHFL_XOR: r = __shfl_xor_sync(BRG_FULL_MASK, v, arg, w); break;
    }
    out[threadIdx.x] = r;
}

/* CUDA's rules, written out independently of the emulator. */
static int expected_shuffle(int kind, int lane, int arg, int w, int base_value)
{
    int seg = lane / w * w, pos = lane % w, src = lane;
    switch (kind) {
    case SHFL_IDX: src = seg + arg % w; break;
    case SHFL_UP: src = pos >= arg ? lane - arg : lane; break;
    case SHFL_DOWN: src = pos + arg < w ? lane + arg : lane; break;
    case SHFL_XOR: src = ((lane ^ arg) / w > lane / w) ? lane : (lane ^ arg); break;
    }
    return base_value + src;
}

START_TEST(shuffles_follow_cuda_semantics_for_every_width)
{
    select_width();
    const int threads = 2 * width;
    dbuf<int> out(threads);
    for (int kind = SHFL_IDX; kind <= SHFL_XOR; kind++)
        for (int w = 1; w <= width; w *= 2)
            for (int arg = 0; arg < width; arg += 3) {
                ck_assert_int_eq(brg_launch(k_shuffle, dim3(1), dim3(threads), 0,
                                            cudaStreamPerThread, out.p, kind, arg, w),
                                 cudaSuccess);
                for (int t = 0; t < threads; t++) {
                    int warp_base = t / width * width;
                    int want = expected_shuffle(kind, t % width, arg, w, 1000 + warp_base);
                    ck_assert_msg(out.p[t] == want, "kind %d width %d arg %d lane %d: got %d want %d",
                                  kind, w, arg, t, out.p[t], want);
                }
            }
}
END_TEST

__global__ void k_warp_sum_double(const double *x, double *out)
{
    double v = x[threadIdx.x];
    for (int off = warpSize / 2; off > 0; off /= 2) v += __shfl_xor_sync(BRG_FULL_MASK, v, off);
    out[threadIdx.x] = v;
}

START_TEST(butterfly_reduction_of_doubles_gives_every_lane_the_warp_sum)
{
    select_width();
    dbuf<double> x(4 * width), out(4 * width);
    for (int i = 0; i < 4 * width; i++) x.p[i] = 0.5 * i;
    ck_assert_int_eq(brg_launch(k_warp_sum_double, dim3(1), dim3(4 * width), 0,
                                cudaStreamPerThread, (const double *)x.p, out.p),
                     cudaSuccess);
    for (int t = 0; t < 4 * width; t++) {
        int w0 = t / width * width;
        double want = 0;
        for (int i = w0; i < w0 + width; i++) want += 0.5 * i;
        ck_assert_double_eq(out.p[t], want);
    }
}
END_TEST

/* ---- votes, masks, partial warps ------------------------------------------- */

__global__ void k_votes(unsigned long long *ballot, int *any, int *all, unsigned long long *active)
{
    int lane = threadIdx.x % warpSize;
    brg_lanemask_t low_half = (1ull << (warpSize / 2)) - 1;
    if (lane < warpSize / 2) {
        /* Only the low half participates, with its own mask. */
        ballot[threadIdx.x] = __ballot_sync(low_half, lane % 3 == 0);
        any[threadIdx.x] = __any_sync(low_half, lane == 5);
        all[threadIdx.x] = __all_sync(low_half, lane < 100);
    } else {
        brg_lanemask_t high_half = low_half << (warpSize / 2);
        ballot[threadIdx.x] = __ballot_sync(high_half, 1);
        any[threadIdx.x] = __any_sync(high_half, 0);
        all[threadIdx.x] = __all_sync(high_half, lane != warpSize - 1);
    }
    active[threadIdx.x] = __activemask();
}

START_TEST(votes_count_only_the_lanes_of_their_mask)
{
    select_width();
    dbuf<unsigned long long> ballot(width), active(width);
    dbuf<int> any(width), all(width);
    ck_assert_int_eq(brg_launch(k_votes, dim3(1), dim3(width), 0, cudaStreamPerThread, ballot.p,
                                any.p, all.p, active.p),
                     cudaSuccess);
    unsigned long long low_half = (1ull << (width / 2)) - 1, want_ballot = 0;
    for (int l = 0; l < width / 2; l++)
        if (l % 3 == 0) want_ballot |= 1ull << l;
    for (int t = 0; t < width; t++) {
        if (t < width / 2) {
            ck_assert_uint_eq(ballot.p[t], want_ballot);
            ck_assert_int_eq(any.p[t], 1);
            ck_assert_int_eq(all.p[t], 1);
        } else {
            ck_assert_uint_eq(ballot.p[t], low_half << (width / 2));
            ck_assert_int_eq(any.p[t], 0);
            ck_assert_int_eq(all.p[t], 0);
        }
    }
}
END_TEST

__global__ void k_activemask(unsigned long long *active)
{
    active[threadIdx.x] = __activemask();
}

START_TEST(activemask_of_a_partial_warp_names_its_existing_lanes)
{
    select_width();
    dbuf<unsigned long long> active(width + 8);
    ck_assert_int_eq(brg_launch(k_activemask, dim3(1), dim3(width + 8), 0, cudaStreamPerThread,
                                active.p),
                     cudaSuccess);
    unsigned long long full = width == 64 ? ~0ull : 0xffffffffull;
    ck_assert_uint_eq(active.p[0], full);
    ck_assert_uint_eq(active.p[width], 0xffull);
}
END_TEST

/* ---- faults: what would be undefined on a GPU fails the launch --------------- */

__global__ void k_full_mask_in_partial_warp(int *out)
{
    out[threadIdx.x] = __shfl_xor_sync(BRG_FULL_MASK, (int)threadIdx.x, 1);
}

__global__ void k_mask_without_self(int *out)
{
    brg_lanemask_t others = BRG_FULL_MASK & ~(1ull << (threadIdx.x % warpSize));
    out[threadIdx.x] = __shfl_sync(others, 1, 0);
}

__global__ void k_reads_outside_mask(int *out)
{
    /* Lanes 0 and 1 exchange, but lane 0 reads lane 2. */
    if (threadIdx.x < 2) out[threadIdx.x] = __shfl_sync(0x3, (int)threadIdx.x, threadIdx.x == 0 ? 2 : 0);
}

__global__ void k_deadlock(int *out)
{
    /* Half the block waits at a barrier the other half never reaches,
     * because it waits for a shuffle with lanes that are at the barrier. */
    if (threadIdx.x % warpSize < (unsigned)warpSize / 2)
        out[threadIdx.x] = __shfl_sync(BRG_FULL_MASK, 1, 0);
    else
        __syncthreads();
}

static void expect_launch_fault(cudaError_t got, const char *what)
{
    ck_assert_msg(got == cudaErrorLaunchFailure, "%s: launch returned %s", what, cudaGetErrorName(got));
    ck_assert_int_eq(cudaGetLastError(), cudaErrorLaunchFailure);
    ck_assert_int_eq(cudaGetLastError(), cudaSuccess); /* reading it clears it */
    ck_assert_msg(strlen(brg_emu_last_fault()) > 10, "%s: no fault message", what);
}

START_TEST(undefined_warp_usage_fails_the_launch_instead_of_hanging)
{
    select_width();
    dbuf<int> out(2 * width);
    expect_launch_fault(brg_launch(k_full_mask_in_partial_warp, dim3(1), dim3(width + 3), 0,
                                   cudaStreamPerThread, out.p),
                        "full mask in a partial warp");
    ck_assert_ptr_nonnull(strstr(brg_emu_last_fault(), "exited"));
    expect_launch_fault(brg_launch(k_mask_without_self, dim3(1), dim3(width), 0,
                                   cudaStreamPerThread, out.p),
                        "mask without the caller");
    expect_launch_fault(brg_launch(k_reads_outside_mask, dim3(1), dim3(width), 0,
                                   cudaStreamPerThread, out.p),
                        "read outside the mask");
    expect_launch_fault(brg_launch(k_deadlock, dim3(1), dim3(width), 0, cudaStreamPerThread, out.p),
                        "deadlock");
    ck_assert_ptr_nonnull(strstr(brg_emu_last_fault(), "deadlock"));
    /* The emulator is usable again afterwards. */
    ck_assert_int_eq(brg_launch(k_shuffle, dim3(1), dim3(width), 0, cudaStreamPerThread, out.p,
                                (int)SHFL_XOR, 1, width),
                     cudaSuccess);
    ck_assert_int_eq(out.p[0], 1001);
}
END_TEST

__global__ void k_nothing(int *out)
{
    (void)out;
}

START_TEST(invalid_launch_configurations_are_reported_as_cuda_does)
{
    select_width();
    const struct {
        dim3 grid, block;
        size_t shared;
        cudaError_t want;
    } cases[] = {
        {dim3(1), dim3(1025), 0, cudaErrorInvalidConfiguration},
        {dim3(1), dim3(0), 0, cudaErrorInvalidConfiguration},
        {dim3(0), dim3(32), 0, cudaErrorInvalidConfiguration},
        {dim3(1), dim3(32, 32, 2), 0, cudaErrorInvalidConfiguration},
        {dim3(1), dim3(1, 1, 65), 0, cudaErrorInvalidConfiguration},
        {dim3(1, 65536), dim3(32), 0, cudaErrorInvalidConfiguration},
        {dim3(1), dim3(32), 48 * 1024 + 1, cudaErrorInvalidValue},
    };
    for (const auto &c : cases) {
        cudaError_t got = brg_launch(k_nothing, c.grid, c.block, c.shared, cudaStreamPerThread,
                                     (int *)nullptr);
        ck_assert_int_eq(got, c.want);
        ck_assert_int_eq(cudaGetLastError(), c.want);
    }
    ck_assert_int_eq(brg_launch(k_nothing, dim3(1), dim3(1024), 48 * 1024, cudaStreamPerThread,
                                (int *)nullptr),
                     cudaSuccess);
}
END_TEST

/* ---- shared memory, barriers, the grid cap ------------------------------------ */

__global__ void k_block_sum(const int *x, int n, long long *out)
{
    __shared__ long long partial[1024];
    long long s = 0;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) s += x[i];
    partial[threadIdx.x] = s;
    __syncthreads();
    for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0) atomicAdd((unsigned long long *)out, (unsigned long long)partial[0]);
}

START_TEST(grid_stride_kernels_are_exact_under_the_grid_cap)
{
    select_width();
    const int n = 100003;
    dbuf<int> x(n);
    long long want = 0;
    for (int i = 0; i < n; i++) {
        x.p[i] = (i * 7919) % 1000 - 500;
        want += x.p[i];
    }
    dbuf<long long> out(1, 0);
    /* 10,000 blocks asked for; the emulator runs at most brg_emu_max_blocks(). */
    ck_assert_int_eq(brg_launch(k_block_sum, dim3(10000), dim3(256), 0, cudaStreamPerThread,
                                (const int *)x.p, n, out.p),
                     cudaSuccess);
    ck_assert_int_eq(out.p[0], want);
}
END_TEST

__global__ void k_dynamic_shared(const float *x, float *out)
{
    BRG_DYNAMIC_SHARED(float, buf);
    buf[threadIdx.x] = x[threadIdx.x];
    __syncthreads();
    out[threadIdx.x] = buf[blockDim.x - 1 - threadIdx.x];
}

START_TEST(dynamic_shared_memory_is_per_block_and_sized_by_the_launch)
{
    select_width();
    dbuf<float> x(300), out(300);
    for (int i = 0; i < 300; i++) x.p[i] = (float)i;
    ck_assert_int_eq(brg_launch(k_dynamic_shared, dim3(1), dim3(300), 300 * sizeof(float),
                                cudaStreamPerThread, (const float *)x.p, out.p),
                     cudaSuccess);
    for (int i = 0; i < 300; i++) ck_assert_float_eq(out.p[i], (float)(299 - i));
}
END_TEST

/* ---- atomics -------------------------------------------------------------------- */

__global__ void k_atomics(int *i, unsigned *u, float *f, double *d, unsigned long long *ull)
{
    int t = (int)threadIdx.x;
    atomicAdd(&i[0], 1);
    atomicAdd(&u[0], 2u);
    atomicAdd(&f[0], 0.5f);
    atomicAdd(&d[0], 0.25);
    atomicAdd(&ull[0], 3ull);
    atomicMax(&i[1], t);
    atomicMin(&i[2], -t);
    atomicMax(&u[1], (unsigned)t * 3);
    atomicMin(&u[2], (unsigned)t + 7);
    atomicCAS(&i[3], 0, t + 1); /* exactly one thread wins */
    atomicExch(&i[4], 42);
    atomicExch(&f[1], 1.5f);
    atomicCAS(&ull[1], 0ull, 9ull);
}

START_TEST(atomics_are_exact_under_contention)
{
    select_width();
    dbuf<int> i(5, 0);
    dbuf<unsigned> u(3, 0);
    u.p[2] = 1000;
    dbuf<float> f(2, 0);
    dbuf<double> d(1, 0);
    dbuf<unsigned long long> ull(2, 0);
    ck_assert_int_eq(brg_launch(k_atomics, dim3(3), dim3(200), 0, cudaStreamPerThread, i.p, u.p, f.p,
                                d.p, ull.p),
                     cudaSuccess);
    ck_assert_int_eq(i.p[0], 600);
    ck_assert_uint_eq(u.p[0], 1200);
    ck_assert_float_eq(f.p[0], 300.0f);
    ck_assert_double_eq(d.p[0], 150.0);
    ck_assert_uint_eq(ull.p[0], 1800);
    ck_assert_int_eq(i.p[1], 199);
    ck_assert_int_eq(i.p[2], -199);
    ck_assert_uint_eq(u.p[1], 597);
    ck_assert_uint_eq(u.p[2], 7);
    ck_assert(i.p[3] >= 1 && i.p[3] <= 200);
    ck_assert_int_eq(i.p[4], 42);
    ck_assert_float_eq(f.p[1], 1.5f);
    ck_assert_uint_eq(ull.p[1], 9);
}
END_TEST

/* ---- math and bit intrinsics ------------------------------------------------------ */

__global__ void k_math(float *out, double *dout)
{
    out[0] = __fdividef(1.0f, 4.0f);
    out[1] = rsqrtf(16.0f);
    out[2] = __uint_as_float(__float_as_uint(-2.5f));
    out[3] = __ldg(out + 0);
    dout[0] = __longlong_as_double(__double_as_longlong(3.25));
}

START_TEST(math_and_bit_intrinsics_match_their_definitions)
{
    select_width();
    dbuf<float> out(4);
    dbuf<double> dout(1);
    ck_assert_int_eq(brg_launch(k_math, dim3(1), dim3(1), 0, cudaStreamPerThread, out.p, dout.p),
                     cudaSuccess);
    ck_assert_float_eq(out.p[0], 0.25f);
    ck_assert_float_eq(out.p[1], 0.25f);
    ck_assert_float_eq(out.p[2], -2.5f);
    ck_assert_float_eq(out.p[3], 0.25f);
    ck_assert_double_eq(dout.p[0], 3.25);
}
END_TEST

/* ---- memory, streams and events ------------------------------------------------------ */

START_TEST(memory_streams_and_events_behave)
{
    select_width();
    void *p = nullptr;
    ck_assert_int_eq(cudaMalloc(&p, 64), cudaSuccess);
    ck_assert_int_eq(cudaMemset(p, 0xab, 64), cudaSuccess);
    unsigned char host[64];
    ck_assert_int_eq(cudaMemcpy(host, p, 64, cudaMemcpyDeviceToHost), cudaSuccess);
    for (int i = 0; i < 64; i++) ck_assert_uint_eq(host[i], 0xab);
    ck_assert_int_eq(cudaFree(p), cudaSuccess);
    cudaStream_t s;
    cudaEvent_t a, b;
    ck_assert_int_eq(cudaStreamCreate(&s), cudaSuccess);
    ck_assert_int_eq(cudaEventCreate(&a), cudaSuccess);
    ck_assert_int_eq(cudaEventCreate(&b), cudaSuccess);
    ck_assert_int_eq(cudaEventRecord(a, s), cudaSuccess);
    ck_assert_int_eq(brg_launch(k_nothing, dim3(4), dim3(256), 0, s, (int *)nullptr), cudaSuccess);
    ck_assert_int_eq(cudaEventRecord(b, s), cudaSuccess);
    ck_assert_int_eq(cudaEventSynchronize(b), cudaSuccess);
    float ms = -1;
    ck_assert_int_eq(cudaEventElapsedTime(&ms, a, b), cudaSuccess);
    ck_assert(ms >= 0);
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    cudaStreamDestroy(s);
    int n = 0;
    ck_assert_int_eq(cudaGetDeviceCount(&n), cudaSuccess);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(cudaSetDevice(2), cudaErrorInvalidDevice);
    ck_assert_int_eq(cudaGetLastError(), cudaErrorInvalidDevice);
}
END_TEST

static Suite *emu_suite(void)
{
    Suite *s = suite_create("emu");
    TCase *tc = tcase_create("emu");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, builtins_follow_cuda_thread_and_block_numbering);
    tcase_add_test(tc, shuffles_follow_cuda_semantics_for_every_width);
    tcase_add_test(tc, butterfly_reduction_of_doubles_gives_every_lane_the_warp_sum);
    tcase_add_test(tc, votes_count_only_the_lanes_of_their_mask);
    tcase_add_test(tc, activemask_of_a_partial_warp_names_its_existing_lanes);
    tcase_add_test(tc, undefined_warp_usage_fails_the_launch_instead_of_hanging);
    tcase_add_test(tc, invalid_launch_configurations_are_reported_as_cuda_does);
    tcase_add_test(tc, grid_stride_kernels_are_exact_under_the_grid_cap);
    tcase_add_test(tc, dynamic_shared_memory_is_per_block_and_sized_by_the_launch);
    tcase_add_test(tc, atomics_are_exact_under_contention);
    tcase_add_test(tc, math_and_bit_intrinsics_match_their_definitions);
    tcase_add_test(tc, memory_streams_and_events_behave);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "emu:64") == 0) width = 64;
    SRunner *sr = srunner_create(emu_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
