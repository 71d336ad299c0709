/* The emulated device's runtime: memory, streams and events, and the
 * executor that runs a launch's blocks one after another with one host
 * thread per CUDA thread (see vendors/emu.h for the contract). */
#include "vendors/emu.h"

#include "hostmem.h"

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

/* ---- sanitizer annotations (no-ops in plain builds) ---------------------------- */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BRG_EMU_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define BRG_EMU_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define BRG_EMU_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define BRG_EMU_TSAN 1
#endif

#ifdef BRG_EMU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef BRG_EMU_TSAN
#include <sanitizer/tsan_interface.h>
extern "C" void AnnotateIgnoreReadsBegin(const char *file, int line);
extern "C" void AnnotateIgnoreReadsEnd(const char *file, int line);
extern "C" void AnnotateIgnoreWritesBegin(const char *file, int line);
extern "C" void AnnotateIgnoreWritesEnd(const char *file, int line);
#endif

std::atomic<brg_emu_thread_info *> brg_emu_current_thread{nullptr};

namespace {

/* The executor's own bookkeeping is shared by all fibers of a block; TSan
 * must not see it (it is ordered by the fiber switches themselves), while
 * the kernel's accesses stay fully visible. */
struct tsan_ignore {
#ifdef BRG_EMU_TSAN
    tsan_ignore()
    {
        AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
        AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
    }
    ~tsan_ignore()
    {
        AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
        AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
    }
#else
    tsan_ignore() {} /* a scope marker only */
#endif
};

/* Happens-before edges between GPU threads, declared where CUDA has them. */
inline void hb_release(void *addr)
{
#ifdef BRG_EMU_TSAN
    __tsan_release(addr);
#else
    (void)addr;
#endif
}

inline void hb_acquire(void *addr)
{
#ifdef BRG_EMU_TSAN
    __tsan_acquire(addr);
#else
    (void)addr;
#endif
}

const int device_widths[] = {32, 64};
const int device_count = 2;
const size_t max_dynamic_shared = 48 * 1024; /* CUDA's default without opt-in */
#if defined(BRG_EMU_ASAN) || defined(BRG_EMU_TSAN)
const size_t fiber_stack_bytes = 1u << 20;
#else
const size_t fiber_stack_bytes = 256u << 10;
#endif

thread_local int current_device = 0;
thread_local cudaError_t last_error = cudaSuccess;

cudaError_t record(cudaError_t e)
{
    if (e != cudaSuccess) last_error = e;
    return e;
}

/* ---- one block's shared state ---------------------------------------------- */

struct collective {
    brg_lanemask_t mask = 0, arrived = 0, departed = 0, votes = 0;
    unsigned long long values[64] = {};
    bool used = false, complete = false;
};

struct warp_state {
    brg_lanemask_t exited = 0; /* lanes that exited, or do not exist */
    collective slots[8];
};

struct block_state {
    int alive = 0;
    int arrived = 0;
    unsigned long long generation = 0;
    char barrier_sync[2] = {}; /* TSan sync addresses, by barrier parity */
    std::unique_ptr<warp_state[]> warps;
    int nwarps = 0;
    int width = 32;
    void *dynamic_shared = nullptr;
    bool faulted = false;
    std::string fault;
};

/* ---- context switching --------------------------------------------------------- */
/* On x86-64 a switch saves the callee-saved registers and the SSE/x87
 * control words on the old stack and restores them from the new one: a few
 * nanoseconds, where glibc's swapcontext also makes a sigprocmask system
 * call. Elsewhere, swapcontext. */
#if defined(__x86_64__) && !defined(BRG_EMU_UCONTEXT)
extern "C" void brg_emu_switch_stack(void **save_sp, void *new_sp);
asm(".text\n"
    ".globl brg_emu_switch_stack\n"
    ".hidden brg_emu_switch_stack\n"
    ".type brg_emu_switch_stack,@function\n"
    "brg_emu_switch_stack:\n"
    "    .cfi_startproc\n"
    "    pushq %rbp\n"
    "    pushq %rbx\n"
    "    pushq %r12\n"
    "    pushq %r13\n"
    "    pushq %r14\n"
    "    pushq %r15\n"
    "    subq $8, %rsp\n"
    "    stmxcsr (%rsp)\n"
    "    fnstcw 4(%rsp)\n"
    "    movq %rsp, (%rdi)\n"
    "    movq %rsi, %rsp\n"
    "    ldmxcsr (%rsp)\n"
    "    fldcw 4(%rsp)\n"
    "    addq $8, %rsp\n"
    "    popq %r15\n"
    "    popq %r14\n"
    "    popq %r13\n"
    "    popq %r12\n"
    "    popq %rbx\n"
    "    popq %rbp\n"
    "    ret\n"
    "    .cfi_endproc\n"
    ".size brg_emu_switch_stack, .-brg_emu_switch_stack\n");

struct exec_ctx {
    void *sp = nullptr;
};

inline void switch_ctx(exec_ctx *from, exec_ctx *to)
{
    brg_emu_switch_stack(&from->sp, to->sp);
}

/* A fresh context that starts entry() on the given stack. */
inline bool init_ctx(exec_ctx *c, void *stack, size_t size, void (*entry)())
{
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
    void **sp = (void **)top;
    *--sp = nullptr;              /* entry's return address: it never returns */
    *--sp = (void *)entry;        /* where the first switch's ret lands */
    for (int i = 0; i < 6; i++) *--sp = nullptr;  /* rbp rbx r12 r13 r14 r15 */
    unsigned ctrl[2];
    asm volatile("stmxcsr %0" : "=m"(ctrl[0]));
    asm volatile("fnstcw %0" : "=m"(ctrl[1]));
    ctrl[1] &= 0xffff;
    *--sp = nullptr;
    std::memcpy(sp, ctrl, sizeof ctrl);
    c->sp = sp;
    return true;
}
#else
struct exec_ctx {
    ucontext_t uc;
};

inline void switch_ctx(exec_ctx *from, exec_ctx *to)
{
    swapcontext(&from->uc, &to->uc);
}

inline bool init_ctx(exec_ctx *c, void *stack, size_t size, void (*entry)())
{
    if (getcontext(&c->uc) != 0) return false;
    c->uc.uc_stack.ss_sp = stack;
    c->uc.uc_stack.ss_size = size;
    c->uc.uc_link = nullptr;
    makecontext(&c->uc, entry, 0);
    return true;
}
#endif

/* ---- fibers ------------------------------------------------------------------ */

struct fiber {
    exec_ctx ctx;
    void *stack = nullptr;        /* usable stack, above a guard page */
    size_t stack_size = 0;
    void *tsan = nullptr;
    void *asan_fake = nullptr;
    brg_emu_thread_info info{};
    bool finished = true;         /* done with the current block */
};

/* Everything below is used under launch_lock only: one launch at a time,
 * all of its fibers on the launching thread. Never destroyed (fibers park
 * in it until the process ends). */
struct scheduler {
    std::mutex launch_lock;
    std::vector<fiber *> fibers;
    exec_ctx main_ctx;
    void *main_tsan = nullptr;
    const void *main_stack_bottom = nullptr;
    size_t main_stack_size = 0;
    fiber *running = nullptr;
    const std::function<void()> *body = nullptr;
    block_state *block = nullptr;
    unsigned long long progress = 0;
    char start_sync = 0, exit_sync = 0;
    std::string last_fault;
};

scheduler &sched = *new scheduler;

void fault(block_state *b, const std::string &what)
{
    if (!b->faulted) {
        b->faulted = true;
        b->fault = what;
    }
    sched.progress++;
}

/* Switch from the scheduler into f, until f yields. */
void resume(fiber *f)
{
    sched.running = f;
    brg_emu_current_thread.store(&f->info, std::memory_order_relaxed);
#ifdef BRG_EMU_ASAN
    void *fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, f->stack, f->stack_size);
#endif
#ifdef BRG_EMU_TSAN
    __tsan_switch_to_fiber(f->tsan, __tsan_switch_to_fiber_no_sync);
#endif
    switch_ctx(&sched.main_ctx, &f->ctx);
#ifdef BRG_EMU_ASAN
    __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
    brg_emu_current_thread.store(nullptr, std::memory_order_relaxed);
}

/* Called on a fiber's stack right after it was switched to. */
void arrived_on_fiber(fiber *f)
{
#ifdef BRG_EMU_ASAN
    __sanitizer_finish_switch_fiber(f->asan_fake, &sched.main_stack_bottom, &sched.main_stack_size);
#else
    (void)f;
#endif
}

/* From a fiber back to the scheduler; returns when resumed. */
void yield(fiber *f)
{
#ifdef BRG_EMU_ASAN
    __sanitizer_start_switch_fiber(&f->asan_fake, sched.main_stack_bottom, sched.main_stack_size);
#endif
#ifdef BRG_EMU_TSAN
    __tsan_switch_to_fiber(sched.main_tsan, __tsan_switch_to_fiber_no_sync);
#endif
    switch_ctx(&f->ctx, &sched.main_ctx);
    arrived_on_fiber(f);
}

void thread_exit(fiber *f)
{
    block_state *b = sched.block;
    b->alive--;
    b->warps[f->info.warp].exited |= 1ull << f->info.lane;
    if (b->arrived > 0 && b->arrived >= b->alive) {
        b->arrived = 0;
        b->generation++;
    }
    sched.progress++;
}

/* Each fiber runs one GPU thread per block, then parks until the next. */
void fiber_entry()
{
    fiber *self = sched.running;
    arrived_on_fiber(self);
    for (;;) {
        hb_acquire(&sched.start_sync);
        (*sched.body)();
        hb_release(&sched.exit_sync);
        {
            tsan_ignore ig;
            thread_exit(self);
            self->finished = true;
        }
        yield(self);
    }
}

bool make_fiber(fiber *f)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *mem = mmap(nullptr, fiber_stack_bytes + page, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) return false;
    mprotect(mem, page, PROT_NONE); /* overflow faults instead of corrupting */
    f->stack = (char *)mem + page;
    f->stack_size = fiber_stack_bytes;
    if (!init_ctx(&f->ctx, f->stack, f->stack_size, fiber_entry)) return false;
#ifdef BRG_EMU_TSAN
    f->tsan = __tsan_create_fiber(0);
#endif
    return true;
}

/* Grow the fiber pool to n; false when the system refuses memory. */
bool ensure_fibers(int n)
{
    while ((int)sched.fibers.size() < n) {
        fiber *f = new (std::nothrow) fiber;
        if (!f || !make_fiber(f)) {
            delete f;
            return false;
        }
        sched.fibers.push_back(f);
    }
    return true;
}

/* Run every fiber of the block round-robin until all have exited. A full
 * round in which nothing moves is a deadlock (a barrier or collective that
 * can never complete): the block faults and its waits return. */
void run_block(block_state &b, int nthreads)
{
    hb_release(&sched.start_sync);
    while (b.alive > 0) {
        unsigned long long before = sched.progress;
        for (int i = 0; i < nthreads; i++)
            if (!sched.fibers[i]->finished) resume(sched.fibers[i]);
        if (sched.progress == before && b.alive > 0)
            fault(&b, "deadlock: GPU threads wait at __syncthreads or a warp intrinsic that can "
                      "never complete");
    }
    hb_acquire(&sched.exit_sync);
}

unsigned cap_blocks()
{
    const char *env = getenv("BRIGADE_EMU_MAX_BLOCKS");
    if (env && *env) {
        long v = strtol(env, nullptr, 10);
        if (v >= 1 && v <= 1 << 20) return (unsigned)v;
    }
    return 4;
}

} // namespace

/* ---- launches -------------------------------------------------------------------- */

unsigned brg_emu_max_blocks(void)
{
    static const unsigned cap = cap_blocks();
    return cap;
}

cudaError_t brg_emu_launch(dim3 grid, dim3 block, size_t shared_bytes,
                           const std::function<void()> &body)
{
    unsigned long long threads = (unsigned long long)block.x * block.y * block.z;
    if (threads == 0 || threads > 1024 || block.x > 1024 || block.y > 1024 || block.z > 64 ||
        grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 0x7fffffffu || grid.y > 65535 ||
        grid.z > 65535)
        return record(cudaErrorInvalidConfiguration);
    if (shared_bytes > max_dynamic_shared) return record(cudaErrorInvalidValue);
    const int nthreads = (int)threads;

    unsigned cap = brg_emu_max_blocks();
    dim3 run_grid(grid.x < cap ? grid.x : cap, 1, 1);
    unsigned left = cap / run_grid.x;
    run_grid.y = grid.y < left ? grid.y : (left ? left : 1);
    left = left / run_grid.y;
    run_grid.z = grid.z < left ? grid.z : (left ? left : 1);

    std::lock_guard<std::mutex> serial(sched.launch_lock);
    tsan_ignore ig;
    if (!ensure_fibers(nthreads)) return record(cudaErrorMemoryAllocation);
#ifdef BRG_EMU_TSAN
    sched.main_tsan = __tsan_get_current_fiber();
#endif
    const int width = device_widths[current_device];
    sched.body = &body;
    cudaError_t result = cudaSuccess;
    for (unsigned bz = 0; bz < run_grid.z && result == cudaSuccess; bz++)
        for (unsigned by = 0; by < run_grid.y && result == cudaSuccess; by++)
            for (unsigned bx = 0; bx < run_grid.x && result == cudaSuccess; bx++) {
                block_state b;
                b.alive = nthreads;
                b.width = width;
                b.nwarps = (nthreads + width - 1) / width;
                b.warps.reset(new warp_state[b.nwarps]);
                int tail = nthreads % width;
                if (tail) b.warps[b.nwarps - 1].exited = ~0ull << tail;
                if (width == 32)
                    for (int w = 0; w < b.nwarps; w++) b.warps[w].exited |= ~0ull << 32;
                std::unique_ptr<unsigned char[]> dyn(shared_bytes ? new unsigned char[shared_bytes]
                                                                  : nullptr);
                b.dynamic_shared = dyn.get();
                for (int i = 0; i < nthreads; i++) {
                    fiber *f = sched.fibers[i];
                    f->info.thread_idx = {i % block.x, (i / block.x) % block.y,
                                          i / (block.x * block.y)};
                    f->info.block_idx = {bx, by, bz};
                    f->info.block_dim = block;
                    f->info.grid_dim = run_grid;
                    f->info.warp_size = width;
                    f->info.lane = i % width;
                    f->info.warp = i / width;
                    f->finished = false;
                }
                sched.block = &b;
                run_block(b, nthreads);
                sched.block = nullptr;
                if (b.faulted) {
                    sched.last_fault = b.fault;
                    fprintf(stderr, "brigade emu: launch failed: %s\n", b.fault.c_str());
                    result = cudaErrorLaunchFailure;
                }
            }
    sched.body = nullptr;
    return record(result);
}

void *brg_emu_dynamic_shared(void)
{
    return sched.block ? sched.block->dynamic_shared : nullptr;
}

const char *brg_emu_last_fault(void)
{
    static thread_local std::string copy;
    std::lock_guard<std::mutex> lk(sched.launch_lock);
    copy = sched.last_fault;
    return copy.c_str();
}

/* ---- synchronisation ------------------------------------------------------------- */

void brg_emu_fault(const char *what)
{
    tsan_ignore ig;
    if (sched.block) fault(sched.block, what);
}

void brg_emu_syncthreads(void)
{
    tsan_ignore ig;
    block_state *b = sched.block;
    fiber *self = sched.running;
    if (b->faulted) return;
    unsigned long long gen = b->generation;
    void *sync = &b->barrier_sync[gen & 1];
    hb_release(sync);
    sched.progress++;
    if (++b->arrived >= b->alive) {
        b->arrived = 0;
        b->generation++;
    } else {
        while (b->generation == gen && !b->faulted) yield(self);
    }
    hb_acquire(sync);
}

/* All fibers of a launch share one host thread: a compiler barrier orders
 * memory as __threadfence does on the GPU. */
void brg_emu_threadfence(void)
{
    asm volatile("" ::: "memory");
}

int brg_emu_lane(void)
{
    return brg_emu_self()->lane;
}

brg_lanemask_t brg_emu_active_mask(void)
{
    tsan_ignore ig;
    const brg_emu_thread_info *me = brg_emu_self();
    brg_lanemask_t all = me->warp_size == 64 ? ~0ull : 0xffffffffull;
    return all & ~sched.block->warps[me->warp].exited;
}

unsigned long long brg_emu_warp_collective(brg_lanemask_t mask, unsigned long long value, int src,
                                           brg_lanemask_t *votes, int vote)
{
    tsan_ignore ig;
    block_state *b = sched.block;
    fiber *self = sched.running;
    const int lane = self->info.lane;
    warp_state &w = b->warps[self->info.warp];
    const brg_lanemask_t me = 1ull << lane;
    const brg_lanemask_t lanes = b->width == 64 ? ~0ull : 0xffffffffull;
    if (b->faulted) return value;
    if (!(mask & me)) {
        fault(b, "warp intrinsic called by a lane outside its own mask");
        return value;
    }
    if (mask & ~lanes) {
        fault(b, "warp intrinsic mask names lanes beyond the warp width");
        return value;
    }
    collective *c = nullptr;
    for (collective &s : w.slots)
        if (s.used && !s.complete && s.mask == mask && !(s.arrived & me)) c = &s;
    if (!c)
        for (collective &s : w.slots)
            if (!s.used) {
                s = collective{};
                s.used = true;
                s.mask = mask;
                c = &s;
                break;
            }
    if (!c) {
        fault(b, "too many concurrent warp collectives with different masks");
        return value;
    }
    c->values[lane] = value;
    c->arrived |= me;
    if (vote) c->votes |= me;
    hb_release(c);
    sched.progress++;
    if (c->arrived == mask) c->complete = true;
    while (!c->complete && !b->faulted) {
        if (mask & w.exited & ~c->arrived) {
            fault(b, "warp intrinsic waits for a lane of its mask that has exited");
            break;
        }
        yield(self);
    }
    hb_acquire(c);
    unsigned long long result = value;
    if (!b->faulted) {
        if (src >= 0 && !(mask & (1ull << src)))
            fault(b, "shuffle reads a lane outside the mask");
        else if (src >= 0)
            result = c->values[src];
        if (votes) *votes = c->votes & mask;
    }
    c->departed |= me;
    if (c->complete && c->departed == c->mask) c->used = false;
    return result;
}

/* ---- runtime API ----------------------------------------------------------------- */

cudaError_t brg_emu_get_device_count(int *count)
{
    *count = device_count;
    return cudaSuccess;
}

cudaError_t brg_emu_set_device(int device)
{
    if (device < 0 || device >= device_count) return record(cudaErrorInvalidDevice);
    current_device = device;
    return cudaSuccess;
}

cudaError_t brg_emu_get_device(int *device)
{
    *device = current_device;
    return cudaSuccess;
}

cudaError_t brg_emu_get_device_properties(cudaDeviceProp *prop, int device)
{
    if (device < 0 || device >= device_count) return record(cudaErrorInvalidDevice);
    std::memset(prop, 0, sizeof *prop);
    snprintf(prop->name, sizeof prop->name,
             "emulated GPU, %d-wide warps, one host thread per GPU thread", device_widths[device]);
    size_t free_b = 0;
    brg_emu_mem_get_info(&free_b, &prop->totalGlobalMem);
    prop->sharedMemPerBlock = max_dynamic_shared;
    prop->warpSize = device_widths[device];
    prop->maxThreadsPerBlock = 1024;
    prop->maxThreadsPerMultiProcessor = 256;
    prop->multiProcessorCount = 1;
    prop->major = 0;
    prop->minor = 0;
    return cudaSuccess;
}

cudaError_t brg_emu_get_last_error(void)
{
    cudaError_t e = last_error;
    last_error = cudaSuccess;
    return e;
}

cudaError_t brg_emu_peek_at_last_error(void)
{
    return last_error;
}

const char *brg_emu_get_error_name(cudaError_t e)
{
    switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
    }
    return "cudaErrorUnknown";
}

const char *brg_emu_get_error_string(cudaError_t e)
{
    switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorLaunchFailure: return "unspecified launch failure (emulator fault)";
    }
    return "unknown error";
}

cudaError_t brg_emu_malloc(void **ptr, size_t bytes)
{
    *ptr = malloc(bytes ? bytes : 1);
    return *ptr ? cudaSuccess : record(cudaErrorMemoryAllocation);
}

cudaError_t brg_emu_malloc_async(void **ptr, size_t bytes, cudaStream_t)
{
    return brg_emu_malloc(ptr, bytes);
}

cudaError_t brg_emu_free(void *ptr)
{
    free(ptr);
    return cudaSuccess;
}

cudaError_t brg_emu_free_async(void *ptr, cudaStream_t)
{
    return brg_emu_free(ptr);
}

cudaError_t brg_emu_memcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind)
{
    if (bytes) std::memmove(dst, src, bytes);
    return cudaSuccess;
}

cudaError_t brg_emu_memcpy_async(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind,
                                 cudaStream_t)
{
    return brg_emu_memcpy(dst, src, bytes, kind);
}

cudaError_t brg_emu_memset(void *dst, int value, size_t bytes)
{
    if (bytes) std::memset(dst, value, bytes);
    return cudaSuccess;
}

cudaError_t brg_emu_memset_async(void *dst, int value, size_t bytes, cudaStream_t)
{
    return brg_emu_memset(dst, value, bytes);
}

/* Emulated device memory is host memory. */
cudaError_t brg_emu_mem_get_info(size_t *free_bytes, size_t *total_bytes)
{
    brg_host_memory(free_bytes, total_bytes);
    return cudaSuccess;
}

cudaError_t brg_emu_device_synchronize(void)
{
    return cudaSuccess;
}

/* Streams: every emulated operation completes before it returns, so a
 * stream is only a handle. */
struct brg_emu_stream {
    int unused;
};

struct brg_emu_event {
    std::chrono::steady_clock::time_point at;
    bool timing;
};

cudaError_t brg_emu_stream_create(cudaStream_t *stream)
{
    *stream = new brg_emu_stream{0};
    return cudaSuccess;
}

/* Flags only say how a stream orders against the legacy default stream,
 * which the emulator does not have: every operation is already complete. */
cudaError_t brg_emu_stream_create_with_flags(cudaStream_t *stream, unsigned flags)
{
    if (flags & ~cudaStreamNonBlocking) return record(cudaErrorInvalidValue);
    return brg_emu_stream_create(stream);
}

cudaError_t brg_emu_stream_destroy(cudaStream_t stream)
{
    if (stream != cudaStreamPerThread) delete stream;
    return cudaSuccess;
}

cudaError_t brg_emu_stream_synchronize(cudaStream_t)
{
    return cudaSuccess;
}

cudaError_t brg_emu_stream_wait_event(cudaStream_t, cudaEvent_t, unsigned)
{
    return cudaSuccess;
}

cudaError_t brg_emu_event_create(cudaEvent_t *event)
{
    return brg_emu_event_create_with_flags(event, 0);
}

cudaError_t brg_emu_event_create_with_flags(cudaEvent_t *event, unsigned flags)
{
    if (flags & ~cudaEventDisableTiming) return record(cudaErrorInvalidValue);
    *event = new brg_emu_event{std::chrono::steady_clock::now(), !(flags & cudaEventDisableTiming)};
    return cudaSuccess;
}

cudaError_t brg_emu_event_destroy(cudaEvent_t event)
{
    delete event;
    return cudaSuccess;
}

cudaError_t brg_emu_event_record(cudaEvent_t event, cudaStream_t)
{
    event->at = std::chrono::steady_clock::now();
    return cudaSuccess;
}

cudaError_t brg_emu_event_synchronize(cudaEvent_t)
{
    return cudaSuccess;
}

cudaError_t brg_emu_event_elapsed_time(float *ms, cudaEvent_t start, cudaEvent_t end)
{
    if (!start->timing || !end->timing) return record(cudaErrorInvalidValue);
    *ms = std::chrono::duration<float, std::milli>(end->at - start->at).count();
    return cudaSuccess;
}
