/* A case's parameters: an ordered key/value list, so that the table, the
 * JSON "params" object and the CSV show them in the workload's own order. */
#include "bench.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static brg_bench_param *params_next(brg_bench_params *p, const char *key)
{
    /* The list is sized for every workload's parameters: overflowing it is
     * a bug in a workload's plan, not a run-time condition. */
    if (p->count >= BRG_BENCH_MAX_PARAMS) {
        fprintf(stderr, "bench: internal error: too many params (%s)\n", key);
        return NULL;
    }
    brg_bench_param *e = &p->items[p->count++];
    e->key = key;
    e->str = NULL;
    e->num = 0;
    e->is_real = 0;
    e->real = 0.0;
    return e;
}

void brg_bench_params_int(brg_bench_params *p, const char *key, int64_t value)
{
    brg_bench_param *e = params_next(p, key);
    if (e) e->num = value;
}

void brg_bench_params_str(brg_bench_params *p, const char *key, const char *value)
{
    brg_bench_param *e = params_next(p, key);
    if (e) e->str = value;
}

void brg_bench_params_real(brg_bench_params *p, const char *key, double value)
{
    brg_bench_param *e = params_next(p, key);
    if (e) {
        e->is_real = 1;
        e->real = value;
    }
}

/* Shortest text that reads back as the same double (%.17g would print
 * 0.02 as 0.020000000000000000). */
void brg_bench_param_value(const brg_bench_param *e, char *buf, size_t cap)
{
    if (e->str) {
        snprintf(buf, cap, "%s", e->str);
    } else if (!e->is_real) {
        snprintf(buf, cap, "%" PRId64, e->num);
    } else {
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, cap, "%.*g", prec, e->real);
            if (strtod(buf, NULL) == e->real) break;
        }
    }
}

void brg_bench_params_format(const brg_bench_params *p, const char *sep, char *buf, size_t cap)
{
    if (cap == 0) return;
    buf[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < p->count && used < cap; i++) {
        const brg_bench_param *e = &p->items[i];
        char value[64];
        brg_bench_param_value(e, value, sizeof value);
        int w = snprintf(buf + used, cap - used, "%s%s=%s", i ? sep : "", e->key, value);
        if (w < 0) return;
        used += (size_t)w;
    }
}
