/* Private: the bodies of devices and tensors, shared by the core's files. */
#ifndef BRG_CORE_H
#define BRG_CORE_H

#include <stdatomic.h>
#include "backend.h"
#include "brigade/device.h"
#include "brigade/tensor.h"

struct brg_device {
    const brg_backend_i *be;
    void *ctx;
    int index;
    atomic_long refs;       /* the opener's handle plus one per storage */
    char spec[32];          /* canonical spec: "cpu", "cuda:0", "emu:64" */
    char describe[1024];
};

typedef struct brg_storage {
    brg_device *dev;        /* holds a device reference */
    void *data;             /* device pointer */
    size_t bytes;
    int borrowed;           /* 1: the caller's memory (brg_tensor_wrap): never freed here */
    atomic_long refs;       /* tensors using it */
} brg_storage;

struct brg_tensor {
    brg_storage *storage;
    brg_dtype dtype;
    int ndim;
    int64_t shape[BRG_MAX_DIMS];
    int64_t numel;
};

void brg_device_retain(brg_device *dev);

/* Two handles of one device (the same backend and index). */
static inline int brg_same_device(const brg_device *a, const brg_device *b)
{
    return a == b || (a->be == b->be && a->index == b->index);
}
void brg_device_release(brg_device *dev);

/* Device scratch memory released in one place; NULL-safe. */
brg_status brg_device_alloc(brg_device *dev, size_t bytes, void **ptr, const char *what);
void       brg_device_free(brg_device *dev, void *ptr);

#endif
