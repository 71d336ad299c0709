/* brigade — GPU-first kernels in C with a CPU fallback. Umbrella header. */
#ifndef BRIGADE_H
#define BRIGADE_H

#include "status.h"
#include "version.h"
#include "device.h"
#include "tensor.h"
#include "ops.h"
#include "pool.h"

#endif
