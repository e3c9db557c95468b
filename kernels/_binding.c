/* CPython glue for the C kernels: buffer protocol in, bytes out, GIL released for
 * long runs, and one function that maps KERNEL_* codes to exceptions. No algorithms here. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "include/fr.h"
#include "include/pot.h"
#include "_binding_common.h"

/* Below this many AES iterations a call is shorter than a GIL hand-off (~20 us); above it,
 * other Python threads run while the kernel works. */
#define POT_GIL_RELEASE_MIN_ITERATIONS 2048u

/* The same rule for the Fr transforms, counted in scalars processed: a 256-point NTT or two
 * 128-point extensions take 25-40 us (x86-64 with ADX; about twice that in portable C). */
#define FR_GIL_RELEASE_MIN_SCALARS 256u

static PyObject *KernelError;

static PyObject *raise_kernel_error(int code, const char *function) {
    return raise_kernel_code(code, function, KernelError);
}


static PyObject *py_pot_prove(PyObject *self, PyObject *args) {
    (void)self;
    int backend;
    PyObject *seed_object, *key_object;
    unsigned long checkpoint_iterations;
    if (!PyArg_ParseTuple(args, "iOOk", &backend, &seed_object, &key_object, &checkpoint_iterations)) {
        return NULL;
    }
    if (checkpoint_iterations > UINT32_MAX) {
        return PyErr_Format(PyExc_OverflowError, "checkpoint_iterations=%lu exceeds u32", checkpoint_iterations);
    }
    Py_buffer seed, key;
    if (get_buffer(seed_object, &seed, POT_BLOCK_BYTES, "seed") != 0) {
        return NULL;
    }
    if (get_buffer(key_object, &key, POT_BLOCK_BYTES, "key") != 0) {
        PyBuffer_Release(&seed);
        return NULL;
    }
    uint8_t checkpoints[POT_CHECKPOINTS_BYTES];
    int status;
    uint32_t iterations = (uint32_t)checkpoint_iterations;
    if (iterations >= POT_GIL_RELEASE_MIN_ITERATIONS / POT_NUM_CHECKPOINTS) {
        Py_BEGIN_ALLOW_THREADS
        status = pot_prove(backend, seed.buf, key.buf, iterations, checkpoints);
        Py_END_ALLOW_THREADS
    } else {
        status = pot_prove(backend, seed.buf, key.buf, iterations, checkpoints);
    }
    PyBuffer_Release(&seed);
    PyBuffer_Release(&key);
    if (status != KERNEL_OK) {
        return raise_kernel_error(status, "pot_prove");
    }
    return PyBytes_FromStringAndSize((const char *)checkpoints, POT_CHECKPOINTS_BYTES);
}

static PyObject *py_pot_verify(PyObject *self, PyObject *args) {
    (void)self;
    int backend;
    PyObject *seed_object, *key_object, *checkpoints_object;
    unsigned long checkpoint_iterations;
    if (!PyArg_ParseTuple(args, "iOOkO", &backend, &seed_object, &key_object, &checkpoint_iterations,
                          &checkpoints_object)) {
        return NULL;
    }
    if (checkpoint_iterations > UINT32_MAX) {
        return PyErr_Format(PyExc_OverflowError, "checkpoint_iterations=%lu exceeds u32", checkpoint_iterations);
    }
    Py_buffer seed, key, checkpoints;
    if (get_buffer(seed_object, &seed, POT_BLOCK_BYTES, "seed") != 0) {
        return NULL;
    }
    if (get_buffer(key_object, &key, POT_BLOCK_BYTES, "key") != 0) {
        PyBuffer_Release(&seed);
        return NULL;
    }
    if (get_buffer(checkpoints_object, &checkpoints, POT_CHECKPOINTS_BYTES, "checkpoints") != 0) {
        PyBuffer_Release(&seed);
        PyBuffer_Release(&key);
        return NULL;
    }
    int status, valid = 0;
    uint32_t iterations = (uint32_t)checkpoint_iterations;
    if (iterations >= POT_GIL_RELEASE_MIN_ITERATIONS / POT_NUM_CHECKPOINTS) {
        Py_BEGIN_ALLOW_THREADS
        status = pot_verify(backend, seed.buf, key.buf, iterations, checkpoints.buf, &valid);
        Py_END_ALLOW_THREADS
    } else {
        status = pot_verify(backend, seed.buf, key.buf, iterations, checkpoints.buf, &valid);
    }
    PyBuffer_Release(&seed);
    PyBuffer_Release(&key);
    PyBuffer_Release(&checkpoints);
    if (status != KERNEL_OK) {
        return raise_kernel_error(status, "pot_verify");
    }
    return PyBool_FromLong(valid);
}

static PyObject *py_pot_aes_chain(PyObject *self, PyObject *args) {
    (void)self;
    int backend;
    PyObject *key_object, *block_object;
    unsigned long long iterations;
    if (!PyArg_ParseTuple(args, "iOOK", &backend, &key_object, &block_object, &iterations)) {
        return NULL;
    }
    Py_buffer key, block_view;
    if (get_buffer(key_object, &key, POT_BLOCK_BYTES, "key") != 0) {
        return NULL;
    }
    if (get_buffer(block_object, &block_view, POT_BLOCK_BYTES, "block") != 0) {
        PyBuffer_Release(&key);
        return NULL;
    }
    uint8_t block[POT_BLOCK_BYTES];
    memcpy(block, block_view.buf, POT_BLOCK_BYTES);
    PyBuffer_Release(&block_view);
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = pot_aes_chain(backend, key.buf, block, (uint64_t)iterations);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&key);
    if (status != KERNEL_OK) {
        return raise_kernel_error(status, "pot_aes_chain");
    }
    return PyBytes_FromStringAndSize((const char *)block, POT_BLOCK_BYTES);
}

static PyObject *py_pot_backend_available(PyObject *self, PyObject *args) {
    (void)self;
    return answer_backend_available(args, pot_backend_available);
}

static PyObject *py_pot_best_backend(PyObject *self, PyObject *args) {
    (void)self;
    (void)args;
    return PyLong_FromLong(pot_best_backend());
}

/* ---- Fr transforms (include/fr.h) ---- */

enum fr_job_kind {
    FR_JOB_NTT,
    FR_JOB_INTT,
    FR_JOB_EXTEND,
    FR_JOB_RECOVER,
    FR_JOB_EXTEND_RECORDS,
    FR_JOB_RECOVER_RECORDS,
};

/* One call of an Fr kernel: `column_count` columns of `size` scalars at `input` (for the *_RECORDS kinds,
 * `size` records of `column_count` chunks each, record-major). */
typedef struct fr_job {
    enum fr_job_kind kind;
    const char *name;
    int backend; /* FR_BACKEND_* */
    const uint8_t *input;
    const uint8_t *present; /* recover only: `size` flags */
    size_t size;
    size_t column_count;
    unsigned threads; /* recover batch only: 1..FR_MAX_THREADS */
} fr_job;

static size_t fr_job_scratch_count(const fr_job *job) {
    switch (job->kind) {
    case FR_JOB_NTT:
    case FR_JOB_INTT:
        return fr_ntt_scratch_count(job->size);
    case FR_JOB_EXTEND:
    case FR_JOB_EXTEND_RECORDS:
        return fr_extend_scratch_count(job->size);
    default:
        return fr_recover_scratch_count(job->size);
    }
}

static int run_fr_job(const fr_job *job, uint8_t *output, fr_element *scratch, size_t scratch_count) {
    switch (job->kind) {
    case FR_JOB_NTT:
        return fr_ntt(job->backend, job->input, output, job->size, scratch, scratch_count);
    case FR_JOB_INTT:
        return fr_intt(job->backend, job->input, output, job->size, scratch, scratch_count);
    case FR_JOB_EXTEND:
        return fr_extend_batch(job->backend, job->input, output, job->size, job->column_count, scratch,
                               scratch_count);
    case FR_JOB_EXTEND_RECORDS:
        return fr_extend_records(job->backend, job->input, output, job->size, job->column_count, scratch,
                                 scratch_count);
    case FR_JOB_RECOVER_RECORDS:
        return fr_recover_records(job->backend, job->input, job->present, job->size, job->column_count, output,
                                  scratch, scratch_count);
    default:
        return fr_recover_batch_threads(job->backend, job->input, job->present, job->size, job->column_count,
                                        output, scratch, scratch_count, job->threads);
    }
}

/* Allocate the scratch and the output bytes, run the kernel (without the GIL for large jobs), map its code. */
static PyObject *execute_fr_job(const fr_job *job) {
    size_t scratch_count = fr_job_scratch_count(job);
    if (scratch_count == 0) {
        return raise_kernel_error(KERNEL_ERR_INVALID_ARGUMENT, job->name);
    }
    size_t scalar_count = job->size * job->column_count;
    PyObject *output = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(scalar_count * FR_SCALAR_BYTES));
    if (output == NULL) {
        return NULL;
    }
    fr_element *scratch = PyMem_RawMalloc(scratch_count * sizeof(fr_element));
    if (scratch == NULL) {
        Py_DECREF(output);
        return PyErr_NoMemory();
    }
    uint8_t *out = (uint8_t *)PyBytes_AS_STRING(output);
    int status;
    if (scalar_count >= FR_GIL_RELEASE_MIN_SCALARS) {
        Py_BEGIN_ALLOW_THREADS
        status = run_fr_job(job, out, scratch, scratch_count);
        Py_END_ALLOW_THREADS
    } else {
        status = run_fr_job(job, out, scratch, scratch_count);
    }
    PyMem_RawFree(scratch);
    if (status != KERNEL_OK) {
        Py_DECREF(output);
        return raise_kernel_error(status, job->name);
    }
    return output;
}

/* Accept a C-contiguous buffer whose length is a non-zero multiple of `unit` bytes. */
static int get_multiple_buffer(PyObject *object, Py_buffer *view, Py_ssize_t unit, const char *name) {
    if (PyObject_GetBuffer(object, view, PyBUF_C_CONTIGUOUS) != 0) {
        return -1;
    }
    if (view->len == 0 || view->len % unit != 0) {
        PyErr_Format(PyExc_ValueError, "%s must be a non-zero multiple of %zd bytes, got %zd", name, unit, view->len);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* Transforms: (backend, values) where values is 2^s scalars. */
static PyObject *fr_transform(PyObject *args, enum fr_job_kind kind, const char *name) {
    int backend;
    PyObject *values_object;
    if (!PyArg_ParseTuple(args, "iO", &backend, &values_object)) {
        return NULL;
    }
    Py_buffer values;
    if (get_multiple_buffer(values_object, &values, FR_SCALAR_BYTES, "values") != 0) {
        return NULL;
    }
    fr_job job = {kind, name, backend, values.buf, NULL, (size_t)values.len / FR_SCALAR_BYTES, 1, 1};
    PyObject *result = execute_fr_job(&job);
    PyBuffer_Release(&values);
    return result;
}

static PyObject *py_fr_ntt(PyObject *self, PyObject *args) {
    (void)self;
    return fr_transform(args, FR_JOB_NTT, "fr_ntt");
}

static PyObject *py_fr_intt(PyObject *self, PyObject *args) {
    (void)self;
    return fr_transform(args, FR_JOB_INTT, "fr_intt");
}

/* Extend jobs: (backend, data, size) where data is whole groups of `size` scalars (columns, or chunks of `size`
 * records). */
static PyObject *fr_extend_job(PyObject *args, enum fr_job_kind kind, const char *name, const char *size_name,
                               const char *data_name) {
    int backend;
    PyObject *data_object;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "iOn", &backend, &data_object, &size)) {
        return NULL;
    }
    if (size <= 0 || (size_t)size > FR_MAX_SIZE) {
        return PyErr_Format(PyExc_ValueError, "%s=%zd must be in 1..%zu", size_name, size, FR_MAX_SIZE);
    }
    Py_buffer data;
    if (get_multiple_buffer(data_object, &data, size * FR_SCALAR_BYTES, data_name) != 0) {
        return NULL;
    }
    size_t group_bytes = (size_t)size * FR_SCALAR_BYTES;
    fr_job job = {kind, name, backend, data.buf, NULL, (size_t)size, (size_t)data.len / group_bytes, 1};
    PyObject *result = execute_fr_job(&job);
    PyBuffer_Release(&data);
    return result;
}

static PyObject *py_fr_extend_batch(PyObject *self, PyObject *args) {
    (void)self;
    return fr_extend_job(args, FR_JOB_EXTEND, "fr_extend_batch", "column_size", "columns");
}

static PyObject *py_fr_extend_records(PyObject *self, PyObject *args) {
    (void)self;
    return fr_extend_job(args, FR_JOB_EXTEND_RECORDS, "fr_extend_records", "num_records", "records");
}

/* Recover jobs: (backend, data, present) where data is whole groups of len(present) scalars. */
static PyObject *fr_recover_job(PyObject *args, enum fr_job_kind kind, const char *name, const char *data_name) {
    int backend;
    unsigned int threads = 1;
    PyObject *data_object, *present_object;
    if (!PyArg_ParseTuple(args, "iOO|I", &backend, &data_object, &present_object, &threads)) {
        return NULL;
    }
    if (threads < 1 || threads > FR_MAX_THREADS) {
        return PyErr_Format(PyExc_ValueError, "threads=%u must be 1..%d", threads, FR_MAX_THREADS);
    }
    Py_buffer present, data;
    if (PyObject_GetBuffer(present_object, &present, PyBUF_C_CONTIGUOUS) != 0) {
        return NULL;
    }
    if (present.len == 0 || (size_t)present.len > FR_MAX_SIZE) {
        PyErr_Format(PyExc_ValueError, "present must be 1..%zu flags, got %zd", FR_MAX_SIZE, present.len);
        PyBuffer_Release(&present);
        return NULL;
    }
    if (get_multiple_buffer(data_object, &data, present.len * FR_SCALAR_BYTES, data_name) != 0) {
        PyBuffer_Release(&present);
        return NULL;
    }
    size_t shard_count = (size_t)present.len;
    fr_job job = {kind, name, backend, data.buf, present.buf, shard_count,
                  (size_t)data.len / (shard_count * FR_SCALAR_BYTES), threads};
    PyObject *result = execute_fr_job(&job);
    PyBuffer_Release(&data);
    PyBuffer_Release(&present);
    return result;
}

static PyObject *py_fr_recover_batch(PyObject *self, PyObject *args) {
    (void)self;
    return fr_recover_job(args, FR_JOB_RECOVER, "fr_recover_batch", "columns");
}

static PyObject *py_fr_recover_records(PyObject *self, PyObject *args) {
    (void)self;
    return fr_recover_job(args, FR_JOB_RECOVER_RECORDS, "fr_recover_records", "records");
}

static PyObject *py_fr_root_of_unity(PyObject *self, PyObject *args) {
    (void)self;
    unsigned long long n;
    if (!PyArg_ParseTuple(args, "K", &n)) {
        return NULL;
    }
    uint8_t root[FR_SCALAR_BYTES];
    int status = fr_root_of_unity((uint64_t)n, root);
    if (status != KERNEL_OK) {
        return raise_kernel_error(status, "fr_root_of_unity");
    }
    return PyBytes_FromStringAndSize((const char *)root, FR_SCALAR_BYTES);
}

static PyObject *py_fr_backend_available(PyObject *self, PyObject *args) {
    (void)self;
    return answer_backend_available(args, fr_backend_available);
}

static PyObject *py_fr_arithmetic(PyObject *self, PyObject *args) {
    (void)self;
    (void)args;
    return PyUnicode_FromString(fr_arithmetic());
}

static PyObject *py_fr_first_noncanonical(PyObject *self, PyObject *values_object) {
    (void)self;
    Py_buffer values;
    if (PyObject_GetBuffer(values_object, &values, PyBUF_C_CONTIGUOUS) != 0) {
        return NULL;
    }
    if (values.len % FR_SCALAR_BYTES != 0) {
        PyErr_Format(PyExc_ValueError, "values must be a multiple of %d bytes, got %zd", FR_SCALAR_BYTES, values.len);
        PyBuffer_Release(&values);
        return NULL;
    }
    size_t count = (size_t)values.len / FR_SCALAR_BYTES, index;
    if (count >= FR_GIL_RELEASE_MIN_SCALARS) {
        Py_BEGIN_ALLOW_THREADS
        index = fr_first_noncanonical(values.buf, count);
        Py_END_ALLOW_THREADS
    } else {
        index = fr_first_noncanonical(values.buf, count);
    }
    PyBuffer_Release(&values);
    return PyLong_FromSsize_t(index == count ? -1 : (Py_ssize_t)index);
}

/* fr_combine_records(records, coefficients): coefficients has one scalar per record, records the same
 * whole number of scalars each. */
static PyObject *py_fr_combine_records(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *records_object, *coefficients_object;
    if (!PyArg_ParseTuple(args, "OO", &records_object, &coefficients_object)) {
        return NULL;
    }
    Py_buffer records, coefficients;
    if (get_multiple_buffer(coefficients_object, &coefficients, FR_SCALAR_BYTES, "coefficients") != 0) {
        return NULL;
    }
    size_t num_records = (size_t)coefficients.len / FR_SCALAR_BYTES;
    if (get_multiple_buffer(records_object, &records, (Py_ssize_t)(num_records * FR_SCALAR_BYTES), "records") != 0) {
        PyBuffer_Release(&coefficients);
        return NULL;
    }
    size_t scalars_per_record = (size_t)records.len / (num_records * FR_SCALAR_BYTES);
    PyObject *output = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(scalars_per_record * FR_SCALAR_BYTES));
    fr_element *accumulator = output == NULL ? NULL : PyMem_RawMalloc(scalars_per_record * sizeof(fr_element));
    int status = KERNEL_OK;
    if (accumulator != NULL) {
        uint8_t *out = (uint8_t *)PyBytes_AS_STRING(output);
        Py_BEGIN_ALLOW_THREADS
        status = fr_combine_records(records.buf, coefficients.buf, num_records, scalars_per_record, out, accumulator);
        Py_END_ALLOW_THREADS
        PyMem_RawFree(accumulator);
    }
    PyBuffer_Release(&records);
    PyBuffer_Release(&coefficients);
    if (output == NULL) {
        return NULL;
    }
    if (accumulator == NULL) {
        Py_DECREF(output);
        return PyErr_NoMemory();
    }
    if (status != KERNEL_OK) {
        Py_DECREF(output);
        return raise_kernel_error(status, "fr_combine_records");
    }
    return output;
}

static PyMethodDef kernel_methods[] = {
    {"pot_prove", py_pot_prove, METH_VARARGS, "pot_prove(backend, seed, key, checkpoint_iterations) -> bytes"},
    {"pot_verify", py_pot_verify, METH_VARARGS,
     "pot_verify(backend, seed, key, checkpoint_iterations, checkpoints) -> bool"},
    {"pot_aes_chain", py_pot_aes_chain, METH_VARARGS, "pot_aes_chain(backend, key, block, iterations) -> bytes"},
    {"pot_backend_available", py_pot_backend_available, METH_VARARGS, "pot_backend_available(backend) -> bool"},
    {"pot_best_backend", py_pot_best_backend, METH_NOARGS, "pot_best_backend() -> int"},
    {"fr_ntt", py_fr_ntt, METH_VARARGS, "fr_ntt(backend, values) -> bytes: forward NTT of 2^s big-endian scalars"},
    {"fr_intt", py_fr_intt, METH_VARARGS, "fr_intt(backend, values) -> bytes: inverse NTT of 2^s big-endian scalars"},
    {"fr_extend_batch", py_fr_extend_batch, METH_VARARGS,
     "fr_extend_batch(backend, columns, column_size) -> bytes: parity of consecutive columns"},
    {"fr_recover_batch", py_fr_recover_batch, METH_VARARGS,
     "fr_recover_batch(backend, columns, present) -> bytes: every shard of consecutive columns sharing one mask"},
    {"fr_extend_records", py_fr_extend_records, METH_VARARGS,
     "fr_extend_records(backend, records, num_records) -> bytes: parity records of record-major source records"},
    {"fr_recover_records", py_fr_recover_records, METH_VARARGS,
     "fr_recover_records(backend, records, present) -> bytes: every record of record-major records, one flag per "
     "record"},
    {"fr_backend_available", py_fr_backend_available, METH_VARARGS, "fr_backend_available(backend) -> bool"},
    {"fr_root_of_unity", py_fr_root_of_unity, METH_VARARGS, "fr_root_of_unity(n) -> bytes"},
    {"fr_arithmetic", py_fr_arithmetic, METH_NOARGS, "fr_arithmetic() -> str: the multiplication this CPU uses"},
    {"fr_combine_records", py_fr_combine_records, METH_VARARGS,
     "fr_combine_records(records, coefficients) -> bytes: sum_j coefficients[j] * records[j], scalar by scalar"},
    {"fr_first_noncanonical", py_fr_first_noncanonical, METH_O,
     "fr_first_noncanonical(values) -> int: index of the first scalar >= r, or -1"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef kernel_module = {
    PyModuleDef_HEAD_INIT, "_kernels", "C kernels of the autonomys node (see kernels/include).", -1, kernel_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__kernels(void) {
    PyObject *module = PyModule_Create(&kernel_module);
    if (module == NULL) {
        return NULL;
    }
    KernelError = PyErr_NewException("_kernels.KernelError", NULL, NULL);
    if (KernelError == NULL || PyModule_AddObjectRef(module, "KernelError", KernelError) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    static const struct {
        const char *name;
        int value;
    } constants[] = {
        {"POT_BACKEND_AUTO", POT_BACKEND_AUTO},       {"POT_BACKEND_PORTABLE", POT_BACKEND_PORTABLE},
        {"POT_BACKEND_AESNI", POT_BACKEND_AESNI},     {"POT_BACKEND_VAES256", POT_BACKEND_VAES256},
        {"POT_BACKEND_VAES512", POT_BACKEND_VAES512}, {"POT_GIL_RELEASE_MIN_ITERATIONS", POT_GIL_RELEASE_MIN_ITERATIONS},
        {"FR_SCALAR_BYTES", FR_SCALAR_BYTES},         {"FR_MAX_LOG2_SIZE", FR_MAX_LOG2_SIZE}, {"FR_MAX_THREADS", FR_MAX_THREADS},
        {"FR_GIL_RELEASE_MIN_SCALARS", FR_GIL_RELEASE_MIN_SCALARS},
        {"FR_BACKEND_AUTO", FR_BACKEND_AUTO},         {"FR_BACKEND_PORTABLE", FR_BACKEND_PORTABLE},
        {"FR_BACKEND_BMI2_ADX", FR_BACKEND_BMI2_ADX},
    };
    for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++) {
        if (PyModule_AddIntConstant(module, constants[i].name, constants[i].value) < 0) {
            Py_DECREF(module);
            return NULL;
        }
    }
    return module;
}
