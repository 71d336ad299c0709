/* Private: device buffers through which the one-call helpers stream host
 * arrays, sized to a budget so that inputs larger than the device's memory
 * still go through, batch by batch. */
#ifndef BRG_STAGING_H
#define BRG_STAGING_H

#include <stddef.h>
#include <stdint.h>
#include "core.h"

typedef struct brg_staging {
    void *in;                /* rows_per_batch * row_elems * elem_size bytes */
    void *out;               /* rows_per_batch * elem_size bytes */
    int64_t rows_per_batch;  /* >= 1 */
} brg_staging;

/* Allocate staging for `rows` rows of row_elems elements (one output element
 * per row). The budget is the device's staging budget (see
 * brg_staging_budget). */
brg_status brg_staging_begin(brg_device *dev, brg_staging *s, int64_t row_elems, int64_t rows,
                             size_t elem_size, const char *what);
void brg_staging_end(brg_device *dev, brg_staging *s);

/* Bytes of input a helper may stage at once on dev: the smaller of 1 GiB and
 * half the free memory, at least 64 MiB; brg_test_set_staging_bytes overrides. */
size_t brg_staging_budget(brg_device *dev);

/* Test hook: force the staging budget (0 restores the default). */
void brg_test_set_staging_bytes(size_t bytes);

#endif
