/* sleep: the tutorial's time.sleep(seconds_per_task); return x*x. Tasks that
 * only wait, so a pool's speed-up is its worker count whatever the cores. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "impl.h"

/* n - 1 <= 3037000499 keeps (n - 1)^2 within int64_t. */
#define SLEEP_MAX_N 3037000500LL
#define SLEEP_MAX_SECONDS 86400.0

static brg_status sleep_prepare(brg_workload_ctx *c)
{
    double s = c->p.seconds_per_task;
    if (!(s >= 0.0 && s <= SLEEP_MAX_SECONDS)) /* NaN fails too */
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "sleep: seconds_per_task must be in [0, %g], got %g",
                         SLEEP_MAX_SECONDS, s);
    if (c->p.n > SLEEP_MAX_N)
        return BRG_ERROR(BRG_ERR_OVERFLOW, "sleep: n = %lld: i * i overflows int64 past n = %lld",
                         (long long)c->p.n, SLEEP_MAX_N);
    return BRG_OK;
}

static brg_status sleep_task(int64_t i, void *result, void *ctx)
{
    const brg_workload_ctx *c = ctx;
    double s = c->p.seconds_per_task;
    struct timespec left = {.tv_sec = (time_t)s};
    left.tv_nsec = (long)((s - (double)left.tv_sec) * 1e9);
    if (left.tv_nsec > 999999999L) left.tv_nsec = 999999999L;
    /* A signal cuts a sleep short; sleep what is left, as time.sleep does. */
    while (nanosleep(&left, &left) != 0)
        if (errno != EINTR)
            return BRG_ERROR(BRG_ERR_INVALID_ARG, "sleep task %lld: nanosleep: %s", (long long)i,
                             strerror(errno));
    *(int64_t *)result = i * i;
    return BRG_OK;
}

static brg_status sleep_reference(const brg_workload_ctx *c, void *results)
{
    int64_t *r = results;
    for (int64_t i = 0; i < c->p.n; i++) r[i] = i * i;
    return BRG_OK;
}

const brg_workload_ops brg_workload_sleep_ops = {
    .prepare = sleep_prepare,
    .task = sleep_task,
    .reference = sleep_reference,
    .format = brg_workload_format_i64,
};
