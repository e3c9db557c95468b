/* CPython glue of the sector kernel (include/sector.h) and the audit kernel (include/audit.h): buffer
 * protocol in, bytes or lists out, the GIL released for large jobs, and one function mapping KERNEL_*
 * codes to exceptions. No algorithms here. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "include/audit.h"
#include "include/sector.h"
#include "_binding_common.h"

/* Below this many 32-byte chunks moved a call is shorter than a GIL hand-off (~20 us). */
#define SECTOR_GIL_RELEASE_MIN_CHUNKS 2048

/* Run `statement` without the GIL when the job moves at least `threshold` chunks. */
#define RUN_RELEASING_GIL_FROM(threshold, chunks, statement)                                                         \
    do {                                                                                                             \
        if ((chunks) >= (threshold)) {                                                                               \
            Py_BEGIN_ALLOW_THREADS statement;                                                                        \
            Py_END_ALLOW_THREADS                                                                                     \
        } else {                                                                                                     \
            statement;                                                                                               \
        }                                                                                                            \
    } while (0)
#define RUN_RELEASING_GIL(chunks, statement) RUN_RELEASING_GIL_FROM(SECTOR_GIL_RELEASE_MIN_CHUNKS, chunks, statement)

/* Below this many chunks an audit (keyed BLAKE3 per chunk, ~10-80 ns each) is shorter than a GIL hand-off. */
#define AUDIT_GIL_RELEASE_MIN_CHUNKS 256

static void release_all(Py_buffer *views, int count) {
    for (int index = 0; index < count; index++) {
        PyBuffer_Release(&views[index]);
    }
}

static int check_record_num_chunks(Py_ssize_t record_num_chunks) {
    if (record_num_chunks < SECTOR_MIN_RECORD_CHUNKS || record_num_chunks > SECTOR_MAX_RECORD_CHUNKS ||
        record_num_chunks % 4 != 0) {
        PyErr_Format(PyExc_ValueError, "record_num_chunks=%zd must be a multiple of 4 in %d..%d", record_num_chunks,
                     SECTOR_MIN_RECORD_CHUNKS, SECTOR_MAX_RECORD_CHUNKS);
        return -1;
    }
    return 0;
}

/* The number of records in `length` bytes of bitfields, or -1 with an exception set. */
static Py_ssize_t count_bitfields(Py_ssize_t length, Py_ssize_t record_num_chunks) {
    Py_ssize_t bitfield = (Py_ssize_t)sector_bitfield_bytes((size_t)record_num_chunks);
    if (length == 0 || length % bitfield != 0 || length / bitfield > SECTOR_MAX_RECORDS) {
        PyErr_Format(PyExc_ValueError, "encoded_bits must be 1..%d bitfields of %zd bytes, got %zd bytes",
                     SECTOR_MAX_RECORDS, bitfield, length);
        return -1;
    }
    return length / bitfield;
}

static PyObject *py_sector_record_presence(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *bits_object;
    Py_ssize_t record_num_chunks;
    if (!PyArg_ParseTuple(args, "On", &bits_object, &record_num_chunks) || check_record_num_chunks(record_num_chunks)) {
        return NULL;
    }
    Py_ssize_t length = (Py_ssize_t)sector_bitfield_bytes((size_t)record_num_chunks);
    Py_buffer bits;
    if (get_buffer(bits_object, &bits, length, "encoded_bits") != 0) {
        return NULL;
    }
    PyObject *output = PyBytes_FromStringAndSize(NULL, length);
    if (output == NULL) {
        PyBuffer_Release(&bits);
        return NULL;
    }
    int status = sector_record_presence(bits.buf, (size_t)record_num_chunks, (uint8_t *)PyBytes_AS_STRING(output));
    PyBuffer_Release(&bits);
    if (status != KERNEL_OK) {
        Py_DECREF(output);
        return raise_kernel_code_runtime(status, "sector_record_presence");
    }
    return output;
}

/* What a length is counted in, for a record of n chunks. */
typedef enum length_unit { UNIT_CHUNKS, UNIT_BITFIELD, UNIT_FLAGS, UNIT_HASHES } length_unit;

static Py_ssize_t unit_length(length_unit unit, Py_ssize_t n) {
    switch (unit) {
    case UNIT_CHUNKS:
        return n * SECTOR_CHUNK_BYTES;
    case UNIT_BITFIELD:
        return (Py_ssize_t)sector_bitfield_bytes((size_t)n);
    case UNIT_FLAGS:
        return 2 * n;
    default:
        return 2 * n * SECTOR_CHUNK_BYTES;
    }
}

/* Four buffers of one record: n from the first (whole chunks), the other three checked against it. */
static int get_record_buffers(PyObject *args, const char *const names[4], const length_unit units[4],
                              Py_buffer views[4], Py_ssize_t *n_out) {
    PyObject *objects[4];
    if (!PyArg_ParseTuple(args, "OOOO", &objects[0], &objects[1], &objects[2], &objects[3])) {
        return -1;
    }
    if (get_buffer(objects[0], &views[0], -1, names[0]) != 0) {
        return -1;
    }
    Py_ssize_t n = views[0].len / SECTOR_CHUNK_BYTES;
    if (views[0].len % SECTOR_CHUNK_BYTES != 0 || check_record_num_chunks(n) != 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "%s must be n 32-byte chunks with n a multiple of 4 in %d..%d, got %zd bytes",
                     names[0], SECTOR_MIN_RECORD_CHUNKS, SECTOR_MAX_RECORD_CHUNKS, views[0].len);
        PyBuffer_Release(&views[0]);
        return -1;
    }
    for (int index = 1; index < 4; index++) {
        if (get_buffer(objects[index], &views[index], unit_length(units[index], n), names[index]) != 0) {
            release_all(views, index);
            return -1;
        }
    }
    *n_out = n;
    return 0;
}

static PyObject *py_sector_mask_and_select(PyObject *self, PyObject *args) {
    (void)self;
    static const char *const names[4] = {"source", "parity", "proof_flags", "proof_hashes"};
    static const length_unit units[4] = {UNIT_CHUNKS, UNIT_CHUNKS, UNIT_FLAGS, UNIT_HASHES};
    Py_buffer views[4];
    Py_ssize_t n;
    if (get_record_buffers(args, names, units, views, &n) != 0) {
        return NULL;
    }
    PyObject *bits = PyBytes_FromStringAndSize(NULL, unit_length(UNIT_BITFIELD, n));
    PyObject *chunks = PyBytes_FromStringAndSize(NULL, unit_length(UNIT_CHUNKS, n));
    size_t num_encoded = 0;
    int status = KERNEL_ERR_INVALID_ARGUMENT;
    if (bits != NULL && chunks != NULL) {
        uint8_t *bits_out = (uint8_t *)PyBytes_AS_STRING(bits);
        uint8_t *chunks_out = (uint8_t *)PyBytes_AS_STRING(chunks);
        RUN_RELEASING_GIL(2 * n, status = sector_mask_and_select(views[0].buf, views[1].buf, views[2].buf,
                                                                 views[3].buf, (size_t)n, bits_out, chunks_out,
                                                                 &num_encoded));
    }
    release_all(views, 4);
    if (bits == NULL || chunks == NULL || status != KERNEL_OK) {
        Py_XDECREF(bits);
        Py_XDECREF(chunks);
        return PyErr_Occurred() ? NULL : raise_kernel_code_runtime(status, "sector_mask_and_select");
    }
    return Py_BuildValue("(NNn)", bits, chunks, (Py_ssize_t)num_encoded);
}

static PyObject *py_sector_unmask(PyObject *self, PyObject *args) {
    (void)self;
    static const char *const names[4] = {"chunks", "encoded_bits", "proof_flags", "proof_hashes"};
    static const length_unit units[4] = {UNIT_CHUNKS, UNIT_BITFIELD, UNIT_FLAGS, UNIT_HASHES};
    Py_buffer views[4];
    Py_ssize_t n;
    if (get_record_buffers(args, names, units, views, &n) != 0) {
        return NULL;
    }
    PyObject *column = PyBytes_FromStringAndSize(NULL, unit_length(UNIT_HASHES, n));
    PyObject *present = PyBytes_FromStringAndSize(NULL, unit_length(UNIT_FLAGS, n));
    int status = KERNEL_ERR_INVALID_ARGUMENT;
    if (column != NULL && present != NULL) {
        uint8_t *column_out = (uint8_t *)PyBytes_AS_STRING(column);
        uint8_t *present_out = (uint8_t *)PyBytes_AS_STRING(present);
        RUN_RELEASING_GIL(2 * n, status = sector_unmask(views[0].buf, views[1].buf, views[2].buf, views[3].buf,
                                                        (size_t)n, column_out, present_out));
    }
    release_all(views, 4);
    if (column == NULL || present == NULL || status != KERNEL_OK) {
        Py_XDECREF(column);
        Py_XDECREF(present);
        return PyErr_Occurred() ? NULL : raise_kernel_code_runtime(status, "sector_unmask");
    }
    return Py_BuildValue("(NN)", column, present);
}

/* Buffers of every record's chunks, each n * 32 bytes; fills `pointers`. Returns the views (or NULL). */
static Py_buffer *get_record_views(PyObject *sequence, Py_ssize_t count, Py_ssize_t record_bytes,
                                   const uint8_t **pointers) {
    Py_buffer *views = PyMem_Calloc((size_t)count, sizeof(Py_buffer));
    if (views == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t index = 0; index < count; index++) {
        if (get_buffer(PySequence_Fast_GET_ITEM(sequence, index), &views[index], record_bytes, "records[i]") != 0) {
            release_all(views, (int)index);
            PyMem_Free(views);
            return NULL;
        }
        pointers[index] = views[index].buf;
    }
    return views;
}

static PyObject *run_scatter(PyObject *sequence, Py_buffer *bits, Py_ssize_t num_records, Py_ssize_t n,
                             Py_buffer *out) {
    PyObject *sizes = PyBytes_FromStringAndSize(NULL, 2 * 2 * n);
    size_t scratch_bytes = sector_scatter_scratch_bytes((size_t)num_records, (size_t)n);
    uint8_t *scratch = PyMem_RawMalloc(scratch_bytes);
    const uint8_t **pointers = PyMem_Calloc((size_t)num_records, sizeof(uint8_t *));
    Py_buffer *views = NULL;
    int status = KERNEL_ERR_INVALID_ARGUMENT;
    if (sizes == NULL || scratch == NULL || pointers == NULL) {
        PyErr_NoMemory();
    } else if ((views = get_record_views(sequence, num_records, n * SECTOR_CHUNK_BYTES, pointers)) != NULL) {
        uint8_t *sizes_out = (uint8_t *)PyBytes_AS_STRING(sizes);
        RUN_RELEASING_GIL(num_records * n, status = sector_scatter(pointers, bits->buf, (size_t)num_records,
                                                                   (size_t)n, out->buf, sizes_out, scratch,
                                                                   scratch_bytes));
        release_all(views, (int)num_records);
        PyMem_Free(views);
    }
    PyMem_RawFree(scratch);
    PyMem_Free(pointers);
    if (PyErr_Occurred() || status != KERNEL_OK) {
        Py_XDECREF(sizes);
        return PyErr_Occurred() ? NULL : raise_kernel_code_runtime(status, "sector_scatter");
    }
    return sizes;
}

static PyObject *py_sector_scatter(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *records_object, *bits_object, *out_object;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "OOnO", &records_object, &bits_object, &n, &out_object) ||
        check_record_num_chunks(n) != 0) {
        return NULL;
    }
    PyObject *sequence = PySequence_Fast(records_object, "records must be a sequence of buffers");
    if (sequence == NULL) {
        return NULL;
    }
    Py_buffer bits, out;
    PyObject *result = NULL;
    if (get_buffer(bits_object, &bits, -1, "encoded_bits") == 0) {
        Py_ssize_t num_records = count_bitfields(bits.len, n);
        if (num_records > 0 && PySequence_Fast_GET_SIZE(sequence) != num_records) {
            PyErr_Format(PyExc_ValueError, "got %zd records for %zd bitfields", PySequence_Fast_GET_SIZE(sequence),
                         num_records);
        } else if (num_records > 0 && PyObject_GetBuffer(out_object, &out, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) == 0) {
            if (out.len != num_records * n * SECTOR_CHUNK_BYTES) {
                PyErr_Format(PyExc_ValueError, "out must be %zd bytes, got %zd", num_records * n * SECTOR_CHUNK_BYTES,
                             out.len);
            } else {
                result = run_scatter(sequence, &bits, num_records, n, &out);
            }
            PyBuffer_Release(&out);
        }
        PyBuffer_Release(&bits);
    }
    Py_DECREF(sequence);
    return result;
}

/* (s_buckets or None, encoded_bits, n, piece_offset): gather when s_buckets is given, else sizes only. */
static PyObject *gather_job(PyObject *s_buckets_object, PyObject *bits_object, Py_ssize_t n, Py_ssize_t piece_offset) {
    Py_buffer bits, s_buckets;
    if (get_buffer(bits_object, &bits, -1, "encoded_bits") != 0) {
        return NULL;
    }
    Py_ssize_t num_records = count_bitfields(bits.len, n);
    int have_region = s_buckets_object != Py_None;
    if (num_records < 0 ||
        (have_region && get_buffer(s_buckets_object, &s_buckets, num_records * n * SECTOR_CHUNK_BYTES, "s_buckets"))) {
        PyBuffer_Release(&bits);
        return NULL;
    }
    PyObject *sizes = PyBytes_FromStringAndSize(NULL, 2 * 2 * n);
    PyObject *chunks = have_region ? PyBytes_FromStringAndSize(NULL, n * SECTOR_CHUNK_BYTES) : NULL;
    size_t scratch_bytes = sector_gather_scratch_bytes((size_t)n);
    uint8_t *scratch = PyMem_RawMalloc(scratch_bytes);
    int status = KERNEL_ERR_INVALID_ARGUMENT;
    if (sizes == NULL || scratch == NULL || (have_region && chunks == NULL)) {
        PyErr_NoMemory();
    } else {
        uint8_t *sizes_out = (uint8_t *)PyBytes_AS_STRING(sizes);
        uint8_t *chunks_out = have_region ? (uint8_t *)PyBytes_AS_STRING(chunks) : NULL;
        RUN_RELEASING_GIL(num_records * n,
                          status = have_region ? sector_gather(s_buckets.buf, bits.buf, (size_t)num_records, (size_t)n,
                                                               (size_t)piece_offset, chunks_out, sizes_out, scratch,
                                                               scratch_bytes)
                                               : sector_s_bucket_sizes(bits.buf, (size_t)num_records, (size_t)n,
                                                                       sizes_out, scratch, scratch_bytes));
    }
    PyMem_RawFree(scratch);
    PyBuffer_Release(&bits);
    if (have_region) {
        PyBuffer_Release(&s_buckets);
    }
    if (PyErr_Occurred() || status != KERNEL_OK) {
        Py_XDECREF(sizes);
        Py_XDECREF(chunks);
        return PyErr_Occurred() ? NULL : raise_kernel_code_runtime(status, have_region ? "sector_gather" : "sector_s_bucket_sizes");
    }
    return have_region ? Py_BuildValue("(NN)", chunks, sizes) : sizes;
}

static PyObject *py_sector_gather(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *s_buckets_object, *bits_object;
    Py_ssize_t n, piece_offset;
    if (!PyArg_ParseTuple(args, "OOnn", &s_buckets_object, &bits_object, &n, &piece_offset) ||
        check_record_num_chunks(n) != 0) {
        return NULL;
    }
    if (s_buckets_object == Py_None) {
        return PyErr_Format(PyExc_TypeError, "s_buckets must be a buffer");
    }
    if (piece_offset < 0) {
        return PyErr_Format(PyExc_ValueError, "piece_offset=%zd must not be negative", piece_offset);
    }
    return gather_job(s_buckets_object, bits_object, n, piece_offset);
}

static PyObject *py_sector_s_bucket_sizes(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *bits_object;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "On", &bits_object, &n) || check_record_num_chunks(n) != 0) {
        return NULL;
    }
    return gather_job(Py_None, bits_object, n, 0);
}

/* ---- audit ---- */

/* PyArg "O&" converter: a Python int in 0..2^64-1 into a uint64_t. */
static int parse_u64(PyObject *object, void *address) {
    if (!PyLong_Check(object)) {
        PyErr_Format(PyExc_TypeError, "expected an int, got %.100s", Py_TYPE(object)->tp_name);
        return 0;
    }
    unsigned long long value = PyLong_AsUnsignedLongLong(object);
    if (value == (unsigned long long)-1 && PyErr_Occurred()) {
        return 0;
    }
    *(uint64_t *)address = (uint64_t)value;
    return 1;
}

/* The chunks (whole 32-byte chunks) and the key (32 bytes) of an audit; -1 with an exception otherwise. */
static int get_audit_buffers(PyObject *chunks_object, PyObject *key_object, Py_buffer *chunks, Py_buffer *key) {
    if (get_buffer(chunks_object, chunks, -1, "chunks") != 0) {
        return -1;
    }
    if (chunks->len % AUDIT_CHUNK_BYTES != 0 || (size_t)(chunks->len / AUDIT_CHUNK_BYTES) > AUDIT_MAX_CHUNKS) {
        PyErr_Format(PyExc_ValueError, "chunks must be whole 32-byte chunks (at most %zu), got %zd bytes",
                     (size_t)AUDIT_MAX_CHUNKS, chunks->len);
        PyBuffer_Release(chunks);
        return -1;
    }
    if (get_buffer(key_object, key, AUDIT_KEY_BYTES, "key") != 0) {
        PyBuffer_Release(chunks);
        return -1;
    }
    return 0;
}

static PyObject *distances_list(const uint64_t *distances, size_t count) {
    PyObject *list = PyList_New((Py_ssize_t)count);
    for (size_t index = 0; list != NULL && index < count; index++) {
        PyObject *value = PyLong_FromUnsignedLongLong(distances[index]);
        if (value == NULL) {
            Py_CLEAR(list);
        } else {
            PyList_SET_ITEM(list, (Py_ssize_t)index, value);
        }
    }
    return list;
}

static PyObject *candidates_list(const audit_candidate *candidates, size_t count) {
    PyObject *list = PyList_New((Py_ssize_t)count);
    for (size_t index = 0; list != NULL && index < count; index++) {
        PyObject *pair = Py_BuildValue("(IK)", (unsigned int)candidates[index].offset,
                                       (unsigned long long)candidates[index].distance);
        if (pair == NULL) {
            Py_CLEAR(list);
        } else {
            PyList_SET_ITEM(list, (Py_ssize_t)index, pair);
        }
    }
    return list;
}

static PyObject *py_audit_distances(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *chunks_object, *key_object;
    uint64_t global_challenge;
    int backend;
    if (!PyArg_ParseTuple(args, "OOO&i", &chunks_object, &key_object, parse_u64, &global_challenge, &backend)) {
        return NULL;
    }
    Py_buffer chunks, key;
    if (get_audit_buffers(chunks_object, key_object, &chunks, &key) != 0) {
        return NULL;
    }
    size_t num_chunks = (size_t)(chunks.len / AUDIT_CHUNK_BYTES);
    uint64_t *distances = PyMem_RawMalloc(num_chunks > 0 ? num_chunks * sizeof(uint64_t) : 1);
    int status = KERNEL_ERR_NO_MEMORY;
    if (distances != NULL) {
        RUN_RELEASING_GIL_FROM(AUDIT_GIL_RELEASE_MIN_CHUNKS, num_chunks,
                               status = audit_distances(chunks.buf, num_chunks, key.buf, global_challenge, backend,
                                                        distances));
    }
    PyBuffer_Release(&chunks);
    PyBuffer_Release(&key);
    PyObject *result = status == KERNEL_OK ? distances_list(distances, num_chunks)
                                           : raise_kernel_code_runtime(status, "audit_distances");
    PyMem_RawFree(distances);
    return result;
}

static PyObject *py_audit_chunks(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *chunks_object, *key_object;
    uint64_t global_challenge, half_range;
    int backend;
    if (!PyArg_ParseTuple(args, "OOO&O&i", &chunks_object, &key_object, parse_u64, &global_challenge, parse_u64,
                          &half_range, &backend)) {
        return NULL;
    }
    Py_buffer chunks, key;
    if (get_audit_buffers(chunks_object, key_object, &chunks, &key) != 0) {
        return NULL;
    }
    size_t num_chunks = (size_t)(chunks.len / AUDIT_CHUNK_BYTES), count = 0;
    audit_candidate *candidates = PyMem_RawMalloc(num_chunks > 0 ? num_chunks * sizeof(audit_candidate) : 1);
    int status = KERNEL_ERR_NO_MEMORY;
    if (candidates != NULL) {
        RUN_RELEASING_GIL_FROM(AUDIT_GIL_RELEASE_MIN_CHUNKS, num_chunks,
                               status = audit_chunks(chunks.buf, num_chunks, key.buf, global_challenge, half_range,
                                                     backend, candidates, &count));
    }
    PyBuffer_Release(&chunks);
    PyBuffer_Release(&key);
    PyObject *result = status == KERNEL_OK ? candidates_list(candidates, count)
                                           : raise_kernel_code_runtime(status, "audit_chunks");
    PyMem_RawFree(candidates);
    return result;
}

static PyObject *py_audit_backend_available(PyObject *self, PyObject *args) {
    (void)self;
    return answer_backend_available(args, audit_backend_available);
}

static PyMethodDef sector_methods[] = {
    {"sector_record_presence", py_sector_record_presence, METH_VARARGS,
     "sector_record_presence(encoded_bits, record_num_chunks) -> bytes: the record's presence bitfield"},
    {"sector_mask_and_select", py_sector_mask_and_select, METH_VARARGS,
     "sector_mask_and_select(source, parity, proof_flags, proof_hashes) -> (encoded_bits, chunks, num_encoded)"},
    {"sector_unmask", py_sector_unmask, METH_VARARGS,
     "sector_unmask(chunks, encoded_bits, proof_flags, proof_hashes) -> (column, present)"},
    {"sector_scatter", py_sector_scatter, METH_VARARGS,
     "sector_scatter(records, encoded_bits, record_num_chunks, out) -> s_bucket_sizes (u16 LE)"},
    {"sector_gather", py_sector_gather, METH_VARARGS,
     "sector_gather(s_buckets, encoded_bits, record_num_chunks, piece_offset) -> (chunks, s_bucket_sizes)"},
    {"sector_s_bucket_sizes", py_sector_s_bucket_sizes, METH_VARARGS,
     "sector_s_bucket_sizes(encoded_bits, record_num_chunks) -> s_bucket_sizes (u16 LE)"},
    {"audit_distances", py_audit_distances, METH_VARARGS,
     "audit_distances(chunks, key, global_challenge_u64, backend) -> [distance of every chunk]"},
    {"audit_chunks", py_audit_chunks, METH_VARARGS,
     "audit_chunks(chunks, key, global_challenge_u64, half_range, backend) -> [(offset, distance)] sorted"},
    {"audit_backend_available", py_audit_backend_available, METH_VARARGS, "audit_backend_available(backend) -> bool"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef sector_module = {
    PyModuleDef_HEAD_INIT, "_sector", "The sector kernel of the autonomys node (see kernels/include/sector.h).", -1,
    sector_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__sector(void) {
    PyObject *module = PyModule_Create(&sector_module);
    if (module == NULL) {
        return NULL;
    }
    static const struct {
        const char *name;
        int value;
    } constants[] = {
        {"SECTOR_CHUNK_BYTES", SECTOR_CHUNK_BYTES},
        {"SECTOR_MIN_RECORD_CHUNKS", SECTOR_MIN_RECORD_CHUNKS},
        {"SECTOR_MAX_RECORD_CHUNKS", SECTOR_MAX_RECORD_CHUNKS},
        {"SECTOR_MAX_RECORDS", SECTOR_MAX_RECORDS},
        {"AUDIT_CHUNK_BYTES", AUDIT_CHUNK_BYTES},
        {"AUDIT_KEY_BYTES", AUDIT_KEY_BYTES},
        {"AUDIT_BACKEND_AUTO", AUDIT_BACKEND_AUTO},
        {"AUDIT_BACKEND_PORTABLE", AUDIT_BACKEND_PORTABLE},
        {"AUDIT_BACKEND_AVX2", AUDIT_BACKEND_AVX2},
        {"AUDIT_BACKEND_AVX512", AUDIT_BACKEND_AVX512},
    };
    for (size_t index = 0; index < sizeof constants / sizeof constants[0]; index++) {
        if (PyModule_AddIntConstant(module, constants[index].name, constants[index].value) < 0) {
            Py_DECREF(module);
            return NULL;
        }
    }
    return module;
}
