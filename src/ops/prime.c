/* is_prime over a range or of one value many times: argument checks, and
 * the one-call helpers that stage results through a GPU's memory. */
#include "brigade/ops.h"
#include "core.h"
#include "error.h"
#include "prime.h"
#include "staging.h"

int brg_is_prime(int64_t n)
{
    return brg_is_prime_i64(n);
}

/* out[i] = is_prime(start + i * step) into host memory: directly on the
 * CPU, else in batches of the staging budget through device memory. */
static brg_status prime_host(brg_device *dev, int64_t start, int64_t step, int64_t n,
                             uint8_t *out)
{
    const brg_backend_i *be = dev->be;
    if (!be->is_prime)
        return BRG_ERROR(BRG_ERR_UNSUPPORTED, "is_prime is not implemented on %s", dev->spec);
    if (be->host_memory) return be->is_prime(dev->ctx, start, step, n, out);
    int64_t batch = (int64_t)brg_staging_budget(dev);
    if (batch > n) batch = n;
    void *buf;
    brg_status st = brg_device_alloc(dev, (size_t)batch, &buf, "is_prime");
    for (int64_t done = 0; st == BRG_OK && done < n; done += batch) {
        int64_t len = n - done < batch ? n - done : batch;
        st = be->is_prime(dev->ctx, start + done * step, step, len, buf);
        if (st == BRG_OK) st = be->copy_d2h(dev->ctx, out + done, buf, (size_t)len);
    }
    brg_device_free(dev, buf); /* NULL when the allocation failed */
    return st;
}

static brg_status check_prime_call(brg_device *dev, int64_t n, const uint8_t *out)
{
    BRG_CHECK_ARG(dev, "dev is NULL");
    if (n < 0) return BRG_ERROR(BRG_ERR_INVALID_ARG, "negative n=%lld", (long long)n);
    size_t bytes;
    brg_status st = brg_bytes_of(n, 1, &bytes, "out");
    if (st != BRG_OK) return st;
    BRG_CHECK_ARG(out || n == 0, "out is NULL");
    return BRG_OK;
}

brg_status brg_is_prime_range(brg_device *dev, int64_t start, int64_t n, uint8_t *out)
{
    brg_status st = check_prime_call(dev, n, out);
    if (st != BRG_OK || n == 0) return st;
    if (start > INT64_MAX - (n - 1))
        return BRG_ERROR(BRG_ERR_OVERFLOW, "start=%lld + n=%lld - 1 exceeds INT64_MAX",
                         (long long)start, (long long)n);
    return prime_host(dev, start, 1, n, out);
}

brg_status brg_is_prime_repeat(brg_device *dev, int64_t value, int64_t n, uint8_t *out)
{
    brg_status st = check_prime_call(dev, n, out);
    if (st != BRG_OK || n == 0) return st;
    return prime_host(dev, value, 0, n, out);
}
