/* Host fills of the Philox streams of philox.h: element for element the
 * same values as brg_philox_fill_f32 / _f64, several times faster on a CPU
 * with AVX2 (eight counter blocks per vector; philox_host.c). */
#ifndef BRG_PHILOX_HOST_H
#define BRG_PHILOX_HOST_H

#include <stdint.h>

void brg_philox_fill_f32_host(uint64_t seed, uint64_t stream, int64_t first, int64_t n,
                              float *out);
void brg_philox_fill_f64_host(uint64_t seed, uint64_t stream, int64_t first, int64_t n,
                              double *out);

#endif
