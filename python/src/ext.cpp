// brigade._ext: the thin nanobind layer over brigade's C API.
//
// Every function here takes arrays that brigade/__init__.py has already made
// C-contiguous, aligned host arrays of the right dtype (so nanobind passes
// them through without a copy), releases the GIL around the C call, and turns a failed status into a
// Python exception that carries brg_last_error()'s text:
//   BRG_ERR_INVALID_ARG, _SHAPE, _DTYPE, _OVERFLOW  -> ValueError
//   BRG_ERR_OUT_OF_MEMORY                           -> MemoryError
//   anything else (NO_DEVICE, DEVICE, UNSUPPORTED)  -> RuntimeError
#include <brigade/brigade.h>

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/pair.h>

#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <string>
#include <utility>

namespace nb = nanobind;
using namespace nb::literals;

template <typename T, typename Dims>
using host_in = nb::ndarray<const T, Dims, nb::c_contig, nb::device::cpu>;
using matrix_f32 = host_in<float, nb::ndim<2>>;

namespace {

PyObject *exception_for(brg_status st)
{
    switch (st) {
    case BRG_ERR_INVALID_ARG:
    case BRG_ERR_SHAPE:
    case BRG_ERR_DTYPE:
    case BRG_ERR_OVERFLOW: return PyExc_ValueError;
    case BRG_ERR_OUT_OF_MEMORY: return PyExc_MemoryError;
    default: return PyExc_RuntimeError;
    }
}

// Raise for a failed status. Called with the GIL held, on the thread that
// made the brigade call, before any other brigade call: brg_last_error() is
// that call's message (it is per thread).
void check(brg_status st)
{
    if (st == BRG_OK) return;
    std::string msg = brg_last_error();
    if (msg.empty()) msg = brg_status_str(st);
    PyErr_SetString(exception_for(st), msg.c_str());
    throw nb::python_error();
}

// Record a brigade-style message ("BRG_ERR_SHAPE: ...") and raise it.
template <typename... A>
[[noreturn]] void fail(brg_status st, const char *fmt, A... args)
{
    brg_error_set(st, fmt, args...);
    check(st);
    throw std::logic_error("unreachable");
}

// Run a brigade call without the GIL, then raise if it failed.
template <typename F>
void run_released(F &&call)
{
    brg_status st;
    {
        nb::gil_scoped_release release;
        st = call();
    }
    check(st);
}

std::string c_string(const std::string &s, const char *what)
{
    if (s.find('\0') != std::string::npos)
        fail(BRG_ERR_INVALID_ARG, "%s contains a NUL character", what);
    return s;
}

// An open device. Opening may load a GPU runtime, so it runs without the GIL.
class Device {
public:
    explicit Device(const std::string &spec)
    {
        std::string s = c_string(spec, "device spec");
        run_released([&] { return brg_device_open(s.c_str(), &dev_); });
    }
    ~Device() { brg_device_close(dev_); }
    Device(const Device &) = delete;
    Device &operator=(const Device &) = delete;

    brg_device *get() const { return dev_; }
    std::string spec() const { return brg_device_spec(dev_); }
    std::string describe() const { return brg_device_describe(dev_); }

private:
    brg_device *dev_ = nullptr;
};

// A new NumPy array of the given shape that owns its memory.
template <typename T, size_t D>
nb::ndarray<nb::numpy, T, nb::ndim<D>> new_array(const size_t (&shape)[D])
{
    size_t n = 1;
    for (size_t s : shape)
        if (__builtin_mul_overflow(n, s, &n) || n > SIZE_MAX / sizeof(T))
            fail(BRG_ERR_OVERFLOW, "the result's size overflows");
    std::unique_ptr<T[]> p(new (std::nothrow) T[n > 0 ? n : 1]);
    if (!p)
        fail(BRG_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes for the result", n * sizeof(T));
    nb::capsule owner(p.get(), [](void *q) noexcept { delete[] static_cast<T *>(q); });
    return nb::ndarray<nb::numpy, T, nb::ndim<D>>(p.release(), D, shape, owner);
}

using topk_result = std::pair<nb::ndarray<nb::numpy, float, nb::ndim<2>>,
                              nb::ndarray<nb::numpy, int64_t, nb::ndim<2>>>;

// The (scores, indices) arrays of a search. `validate` is the same call with
// nq = 0, which checks every argument (k in [1, nb], the metric, the
// budget's form) and does nothing, so that a bad k is brigade's error, not
// a failed allocation of nq x k results.
template <typename Search, typename Validate>
topk_result topk_into_new_arrays(int64_t nq, int64_t nb, int64_t k, Validate &&validate,
                                 Search &&search)
{
    check(validate());
    if (k < 1 || k > nb) fail(BRG_ERR_INVALID_ARG, "k must be in [1, %lld]", (long long)nb);
    const size_t shape[2] = {(size_t)nq, (size_t)k};
    auto scores = new_array<float>(shape);
    auto indices = new_array<int64_t>(shape);
    run_released([&] { return search(scores.data(), indices.data()); });
    return {scores, indices};
}

void check_dims(const matrix_f32 &queries, int64_t dim, const char *other)
{
    if ((int64_t)queries.shape(1) != dim)
        fail(BRG_ERR_SHAPE, "queries have %lld columns, %s has %lld: they must match",
             (long long)queries.shape(1), other, (long long)dim);
}

topk_result cosine_topk(Device &dev, matrix_f32 queries, matrix_f32 db, int64_t k, int metric,
                        size_t workspace_bytes)
{
    int64_t nq = (int64_t)queries.shape(0), nb = (int64_t)db.shape(0);
    int64_t dim = (int64_t)db.shape(1);
    check_dims(queries, dim, "db");
    brg_topk_options opts = {};
    opts.workspace_bytes = workspace_bytes;
    opts.metric = metric;
    return topk_into_new_arrays(
        nq, nb, k,
        [&] {
            return brg_cosine_topk_f32(dev.get(), queries.data(), 0, db.data(), nb, dim, k,
                                       &opts, nullptr, nullptr);
        },
        [&](float *scores, int64_t *indices) {
            return brg_cosine_topk_f32(dev.get(), queries.data(), nq, db.data(), nb, dim, k,
                                       &opts, scores, indices);
        });
}

// A tensor over memory the caller already has on dev (brg_tensor_wrap):
// a C-contiguous float32 matrix at address ptr, used in place, never freed.
struct wrapped {
    brg_tensor *t = nullptr;
    ~wrapped() { brg_tensor_free(t); }
};

// Top-k of matrices that live on the device already (a GPU array's memory):
// wrapped as tensors, searched by the tensor op on the device, and only the
// results come back to new host arrays. The addresses come from a GPU
// array's __cuda_array_interface__ (cosine_topk_in_place) or its DLPack
// capsule (cosine_topk_dlpack).
topk_result cosine_topk_in_place(Device &dev, uintptr_t q_ptr, int64_t nq, uintptr_t db_ptr,
                                 int64_t nb, int64_t dim, int64_t k, int metric,
                                 size_t workspace_bytes)
{
    if (nq < 0 || nb < 0 || dim < 1 || k < 1 || k > nb)
        fail(BRG_ERR_INVALID_ARG, "in-place top-k needs nq, nb >= 0, dim >= 1 and k in [1, nb]");
    brg_topk_options opts = {};
    opts.workspace_bytes = workspace_bytes;
    opts.metric = metric;
    const int64_t qs[2] = {nq, dim}, ds[2] = {nb, dim}, rs[2] = {nq, k};
    const size_t shape[2] = {(size_t)nq, (size_t)k};
    auto scores = new_array<float>(shape);
    auto indices = new_array<int64_t>(shape);
    run_released([&] {
        wrapped q, d, s, i;
        size_t qb = (size_t)(nq * dim) * sizeof(float), db = (size_t)(nb * dim) * sizeof(float);
        brg_status st = brg_tensor_wrap(dev.get(), BRG_F32, 2, qs, (void *)q_ptr, qb, &q.t);
        if (st == BRG_OK) st = brg_tensor_wrap(dev.get(), BRG_F32, 2, ds, (void *)db_ptr, db, &d.t);
        if (st == BRG_OK) st = brg_tensor_create(dev.get(), BRG_F32, 2, rs, &s.t);
        if (st == BRG_OK) st = brg_tensor_create(dev.get(), BRG_I64, 2, rs, &i.t);
        if (st == BRG_OK) st = brg_topk(q.t, d.t, k, &opts, s.t, i.t);
        if (st == BRG_OK) st = brg_tensor_to_host(s.t, scores.data(), brg_tensor_bytes(s.t));
        if (st == BRG_OK) st = brg_tensor_to_host(i.t, indices.data(), brg_tensor_bytes(i.t));
        return st;
    });
    return {scores, indices};
}

// A DLPack tensor (imported by nanobind from the capsule that the array's
// __dlpack__ gave) checked to be a C-contiguous float32 matrix: its address,
// rows and columns (a dimension of size one may have any stride, as in
// DLPack and NumPy); then checked to be in the memory of CUDA device `gpu`.
struct gpu_matrix {
    uintptr_t ptr;
    int64_t rows, cols;
};

gpu_matrix dlpack_matrix(const nb::ndarray<> &a, const char *name)
{
    if (a.ndim() != 2)
        fail(BRG_ERR_SHAPE, "%s must be 2-D, got %zu dimensions", name, a.ndim());
    if (a.dtype() != nb::dtype<float>())
        fail(BRG_ERR_DTYPE, "%s must be float32 on the GPU", name);
    int64_t rows = (int64_t)a.shape(0), cols = (int64_t)a.shape(1);
    if ((cols > 1 && a.stride(1) != 1) || (rows > 1 && a.stride(0) != cols))
        fail(BRG_ERR_INVALID_ARG, "%s must be C-contiguous on the GPU (e.g. tensor.contiguous())",
             name);
    return {(uintptr_t)a.data(), rows, cols};
}

void check_on_gpu(const nb::ndarray<> &a, const char *name, int gpu)
{
    if (a.device_type() != nb::device::cuda::value)
        fail(BRG_ERR_INVALID_ARG, "%s is not in CUDA device memory (DLPack device type %d)",
             name, a.device_type());
    if (a.device_id() != gpu)
        fail(BRG_ERR_INVALID_ARG, "%s is on cuda:%d, the device is cuda:%d: give the device "
             "the array is on", name, a.device_id(), gpu);
}

topk_result cosine_topk_dlpack(Device &dev, int gpu, nb::ndarray<> queries, nb::ndarray<> db,
                               int64_t k, int metric, size_t workspace_bytes)
{
    gpu_matrix q = dlpack_matrix(queries, "queries");
    gpu_matrix d = dlpack_matrix(db, "db");
    check_on_gpu(queries, "queries", gpu);
    check_on_gpu(db, "db", gpu);
    if (q.cols != d.cols)
        fail(BRG_ERR_SHAPE, "queries have %lld columns, db has %lld: they must match",
             (long long)q.cols, (long long)d.cols);
    return cosine_topk_in_place(dev, q.ptr, q.rows, d.ptr, d.rows, d.cols, k, metric,
                                workspace_bytes);
}

// A prepared database on a device (brg_index): the rows are copied to it.
class Index {
public:
    Index(Device &dev, matrix_f32 db, int metric)
    {
        run_released([&] {
            return brg_index_create(dev.get(), db.data(), (int64_t)db.shape(0),
                                    (int64_t)db.shape(1), metric, &ix_);
        });
    }
    ~Index() { brg_index_free(ix_); }
    Index(const Index &) = delete;
    Index &operator=(const Index &) = delete;

    int64_t rows() const { return brg_index_rows(ix_); }
    int64_t dim() const { return brg_index_dim(ix_); }

    topk_result search(matrix_f32 queries, int64_t k, size_t workspace_bytes)
    {
        int64_t nq = (int64_t)queries.shape(0);
        check_dims(queries, dim(), "the index");
        brg_topk_options opts = {};
        opts.workspace_bytes = workspace_bytes;
        return topk_into_new_arrays(
            nq, rows(), k,
            [&] { return brg_index_search(ix_, queries.data(), 0, k, &opts, nullptr, nullptr); },
            [&](float *scores, int64_t *indices) {
                return brg_index_search(ix_, queries.data(), nq, k, &opts, scores, indices);
            });
    }

private:
    brg_index *ix_ = nullptr;
};

template <typename T>
nb::ndarray<nb::numpy, T, nb::ndim<1>> mean_rows(Device &dev, host_in<T, nb::ndim<2>> x)
{
    int64_t rows = (int64_t)x.shape(0), cols = (int64_t)x.shape(1);
    auto out = new_array<T>({(size_t)rows});
    run_released([&] {
        if constexpr (std::is_same_v<T, float>)
            return brg_mean_rows_f32(dev.get(), x.data(), rows, cols, out.data());
        else
            return brg_mean_rows_f64(dev.get(), x.data(), rows, cols, out.data());
    });
    return out;
}

// The means of numpy.array_split(x, chunks). brigade's one-call chunk mean
// on host arrays is f64 only, but the chunks are two runs of equal rows:
// n % chunks chunks of n / chunks + 1 elements, then the rest of n / chunks
// elements, each run a row-major matrix in place. So f32 takes two row
// means, without a copy (the f64 path could too; it uses brigade's own).
template <typename T>
nb::ndarray<nb::numpy, T, nb::ndim<1>> mean_chunks(Device &dev, host_in<T, nb::ndim<1>> x,
                                                   int64_t chunks)
{
    if (chunks < 1) fail(BRG_ERR_INVALID_ARG, "chunks must be >= 1, got %lld", (long long)chunks);
    int64_t n = (int64_t)x.shape(0), q = n / chunks, r = n % chunks;
    auto out = new_array<T>({(size_t)chunks});
    run_released([&] {
        if constexpr (std::is_same_v<T, double>) {
            return brg_mean_chunks_f64(dev.get(), x.data(), n, chunks, out.data());
        } else {
            brg_status st = brg_mean_rows_f32(dev.get(), x.data(), r, q + 1, out.data());
            if (st != BRG_OK) return st;
            return brg_mean_rows_f32(dev.get(), x.data() + r * (q + 1), chunks - r, q,
                                     out.data() + r);
        }
    });
    return out;
}

// (count, reason): brg_device_count for one backend, and brg_last_error()
// when it has no device.
std::pair<int, std::string> device_count(const std::string &backend)
{
    std::string b = c_string(backend, "backend");
    int count = 0;
    std::string reason;
    {
        nb::gil_scoped_release release;
        if (brg_device_count(b.c_str(), &count) != BRG_OK) reason = brg_last_error();
    }
    return {count, reason};
}

} // namespace

NB_MODULE(_ext, m)
{
    m.doc() = "brigade's C API, bound with nanobind; use the brigade package instead.";
    m.attr("METRIC_COSINE") = BRG_METRIC_COSINE;
    m.attr("METRIC_INNER_PRODUCT") = BRG_METRIC_INNER_PRODUCT;

    nb::class_<Device>(m, "Device")
        .def(nb::init<const std::string &>(), "spec"_a)
        .def_prop_ro("spec", &Device::spec)
        .def("describe", &Device::describe);

    nb::class_<Index>(m, "Index")
        .def(nb::init<Device &, matrix_f32, int>(), "device"_a, "db"_a, "metric"_a)
        .def_prop_ro("rows", &Index::rows)
        .def_prop_ro("dim", &Index::dim)
        .def("search", &Index::search, "queries"_a, "k"_a, "workspace_bytes"_a);

    m.def("cosine_topk", &cosine_topk, "device"_a, "queries"_a, "db"_a, "k"_a, "metric"_a,
          "workspace_bytes"_a);
    m.def("cosine_topk_in_place", &cosine_topk_in_place, "device"_a, "queries_ptr"_a, "nq"_a,
          "db_ptr"_a, "nb"_a, "dim"_a, "k"_a, "metric"_a, "workspace_bytes"_a);
    m.def("cosine_topk_dlpack", &cosine_topk_dlpack, "device"_a, "gpu"_a, "queries"_a, "db"_a,
          "k"_a, "metric"_a, "workspace_bytes"_a);
    m.def("mean_rows_f32", &mean_rows<float>, "device"_a, "x"_a);
    m.def("mean_rows_f64", &mean_rows<double>, "device"_a, "x"_a);
    m.def("mean_chunks_f32", &mean_chunks<float>, "device"_a, "x"_a, "chunks"_a);
    m.def("mean_chunks_f64", &mean_chunks<double>, "device"_a, "x"_a, "chunks"_a);
    m.def("device_count", &device_count, "backend"_a);
    m.def("version", [] { return std::string(brg_version_string()); });
    m.def("build_backends", [] { return std::string(brg_build_backends()); });
}
