/* brigade — tensors.
 *
 * A tensor is a row-major, contiguous array of 1 to 4 dimensions living in
 * one device's memory. Its storage is reference-counted: a reshape is a view
 * sharing the storage, and the storage is released when the last tensor
 * using it is freed. Shapes are int64_t element counts; byte sizes are size_t.
 *
 * Thread safety: creating and freeing tensors is thread-safe. Writing one
 * tensor from two threads at once, or reading it while another thread writes
 * it, is a data race as with any array. */
#ifndef BRIGADE_TENSOR_H
#define BRIGADE_TENSOR_H

#include <stddef.h>
#include <stdint.h>
#include "device.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum brg_dtype {
    BRG_F32 = 0,
    BRG_F64 = 1,
    BRG_I32 = 2,
    BRG_I64 = 3,
    BRG_U8  = 4
} brg_dtype;

#define BRG_MAX_DIMS 4

typedef struct brg_tensor brg_tensor;

/* Bytes per element of dtype; 0 for an unknown dtype. */
BRG_API size_t brg_dtype_size(brg_dtype dtype);

/* Name of dtype ("f32"); "?" for an unknown dtype. Static storage. */
BRG_API const char *brg_dtype_name(brg_dtype dtype);

/* A new tensor on dev with uninitialised contents. Dimensions may be zero.
 * The tensor holds a reference to dev. Release with brg_tensor_free. */
BRG_API brg_status brg_tensor_create(brg_device *dev, brg_dtype dtype, int ndim,
                             const int64_t *shape, brg_tensor **out);

/* A new tensor on dev holding a copy of src_bytes bytes from host memory src;
 * src_bytes must equal the tensor's byte size. Release with brg_tensor_free. */
BRG_API brg_status brg_tensor_from_host(brg_device *dev, brg_dtype dtype, int ndim,
                                const int64_t *shape, const void *src,
                                size_t src_bytes, brg_tensor **out);

/* A tensor over memory the caller owns on dev: a device pointer on a GPU
 * (a PyTorch or CuPy tensor's, say), host memory on the CPU. data holds
 * data_bytes bytes, at least the shape's, aligned to its elements. Ops read
 * and write it in place, with no copy; brigade never frees it. The caller
 * keeps it alive, and unchanged by others while ops run, until this tensor
 * and every reshape of it are freed. On a GPU the memory must be the
 * device's own (not host memory), from the same process. */
BRG_API brg_status brg_tensor_wrap(brg_device *dev, brg_dtype dtype, int ndim,
                                   const int64_t *shape, void *data, size_t data_bytes,
                                   brg_tensor **out);

/* Copy the tensor's contents to host memory dst, which has dst_capacity bytes
 * (at least brg_tensor_bytes(t)). The caller keeps ownership of dst. */
BRG_API brg_status brg_tensor_to_host(const brg_tensor *t, void *dst, size_t dst_capacity);

/* Copy elements [first, first + count) of t, taken flat, to host memory dst
 * of dst_capacity bytes (at least count elements): a part of a device
 * tensor without moving the rest. BRG_ERR_INVALID_ARG when the range is
 * not inside t. */
BRG_API brg_status brg_tensor_to_host_range(const brg_tensor *t, int64_t first, int64_t count,
                                            void *dst, size_t dst_capacity);

/* Overwrite the tensor's contents from host memory; src_bytes must equal
 * brg_tensor_bytes(t). */
BRG_API brg_status brg_tensor_copy_from_host(brg_tensor *t, const void *src, size_t src_bytes);

/* Copy src's contents into dst on the same device; both must have the same
 * dtype and element count (shapes may differ). */
BRG_API brg_status brg_tensor_copy(brg_tensor *dst, const brg_tensor *src);

/* A view of t with a new shape of the same element count, sharing t's
 * storage. One dimension may be -1 and is then inferred (as in NumPy).
 * The view is released with brg_tensor_free, independently of t. */
BRG_API brg_status brg_tensor_reshape(const brg_tensor *t, int ndim, const int64_t *shape,
                              brg_tensor **out);

/* Release a tensor; its storage goes when no view uses it. NULL is fine. */
BRG_API void brg_tensor_free(brg_tensor *t);

/* Accessors. On a NULL tensor they return 0, NULL or an invalid dtype (-1 cast). */
BRG_API brg_dtype   brg_tensor_dtype(const brg_tensor *t);
BRG_API int         brg_tensor_ndim(const brg_tensor *t);
BRG_API int64_t     brg_tensor_dim(const brg_tensor *t, int axis);   /* 0 for a bad axis */
BRG_API int64_t     brg_tensor_numel(const brg_tensor *t);
BRG_API size_t      brg_tensor_bytes(const brg_tensor *t);
BRG_API brg_device *brg_tensor_device(const brg_tensor *t);         /* borrowed */
/* The device address of the first element (a host address on the CPU).
 * Borrowed: valid while t exists. */
BRG_API void       *brg_tensor_data(const brg_tensor *t);

#ifdef __cplusplus
}
#endif
#endif
