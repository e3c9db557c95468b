/* CPython glue of the proof-of-space kernel (include/pos.h): buffer protocol in, bytes out, the GIL
 * released around table builds, queries and verification, and one function mapping KERNEL_* / POS_ERR_*
 * codes to exceptions. No algorithms here.
 *
 * ChiaTable wraps one pos_table context (allocated once for its K). Each object carries a lock, so two
 * Python threads never use one context at once; distinct objects run in parallel. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>

#include "include/pos.h"
#include "_binding_common.h"

/* (flags, hashes) bytes objects of n and 32 n bytes, or NULL. */
static int new_hash_outputs(unsigned long long count, PyObject **flags, PyObject **hashes) {
    if (count > ((unsigned long long)1 << 32)) {
        PyErr_Format(PyExc_ValueError, "num_challenges=%llu exceeds 2^32", count);
        return -1;
    }
    *flags = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)count);
    *hashes = *flags == NULL ? NULL : PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(count * POS_HASH_BYTES));
    if (*hashes == NULL) {
        Py_XDECREF(*flags);
        return -1;
    }
    return 0;
}

/* ---- ChiaTable ---- */

typedef struct {
    PyObject_HEAD
    pos_table *table;
    PyThread_type_lock lock;
} ChiaTableObject;

static int chia_table_init(ChiaTableObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"k", "backend", NULL};
    unsigned int k;
    int backend = POS_BACKEND_AUTO;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "I|i", keywords, &k, &backend)) {
        return -1;
    }
    if (self->table != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "ChiaTable is already initialised");
        return -1;
    }
    int status;
    pos_table *table = NULL;
    Py_BEGIN_ALLOW_THREADS
    status = pos_table_create(k, backend, &table);
    Py_END_ALLOW_THREADS
    if (status != KERNEL_OK) {
        raise_kernel_code_runtime(status, "pos_table_create");
        return -1;
    }
    self->lock = PyThread_allocate_lock();
    if (self->lock == NULL) {
        pos_table_destroy(table);
        PyErr_NoMemory();
        return -1;
    }
    self->table = table;
    return 0;
}

static void chia_table_dealloc(ChiaTableObject *self) {
    pos_table_destroy(self->table);
    if (self->lock != NULL) {
        PyThread_free_lock(self->lock);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Take the object's lock, waiting without the GIL when another thread holds it. */
static int acquire_table(ChiaTableObject *self) {
    if (self->table == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "ChiaTable is not initialised");
        return -1;
    }
    if (!PyThread_acquire_lock(self->lock, NOWAIT_LOCK)) {
        Py_BEGIN_ALLOW_THREADS
        PyThread_acquire_lock(self->lock, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    }
    return 0;
}

static PyObject *chia_table_generate(ChiaTableObject *self, PyObject *args) {
    PyObject *seed_object;
    unsigned int threads = 1;
    if (!PyArg_ParseTuple(args, "O|I:generate", &seed_object, &threads)) {
        return NULL;
    }
    if (threads < 1 || threads > POS_MAX_THREADS) {
        return PyErr_Format(PyExc_ValueError, "threads=%u must be 1..%d", threads, POS_MAX_THREADS);
    }
    Py_buffer seed;
    if (get_buffer(seed_object, &seed, POS_SEED_BYTES, "seed") != 0) {
        return NULL;
    }
    uint8_t seed_bytes[POS_SEED_BYTES];
    memcpy(seed_bytes, seed.buf, POS_SEED_BYTES);
    PyBuffer_Release(&seed);
    if (acquire_table(self) != 0) {
        return NULL;
    }
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = pos_table_generate_threads(self->table, seed_bytes, threads);
    Py_END_ALLOW_THREADS
    PyThread_release_lock(self->lock);
    if (status != KERNEL_OK) {
        return raise_kernel_code_runtime(status, "pos_table_generate_threads");
    }
    Py_RETURN_NONE;
}

static PyObject *chia_table_find_proof(ChiaTableObject *self, PyObject *challenge_object) {
    unsigned long challenge = PyLong_AsUnsignedLong(challenge_object);
    if (challenge == (unsigned long)-1 && PyErr_Occurred()) {
        return NULL;
    }
    if (challenge > UINT32_MAX) {
        return PyErr_Format(PyExc_OverflowError, "challenge_index=%lu exceeds u32", challenge);
    }
    if (acquire_table(self) != 0) {
        return NULL;
    }
    uint8_t proof[POS_MAX_PROOF_BYTES];
    int status, found = 0;
    Py_BEGIN_ALLOW_THREADS
    status = pos_table_find_proof(self->table, (uint32_t)challenge, proof, &found);
    Py_END_ALLOW_THREADS
    unsigned k = pos_table_k(self->table);
    PyThread_release_lock(self->lock);
    if (status != KERNEL_OK) {
        return raise_kernel_code_runtime(status, "pos_table_find_proof");
    }
    if (!found) {
        Py_RETURN_NONE;
    }
    return PyBytes_FromStringAndSize((const char *)proof, 8 * (Py_ssize_t)k);
}

static PyObject *chia_table_proof_hashes(ChiaTableObject *self, PyObject *args) {
    unsigned long long count;
    unsigned int threads = 1;
    if (!PyArg_ParseTuple(args, "K|I:proof_hashes", &count, &threads)) {
        return NULL;
    }
    if (threads < 1 || threads > POS_MAX_THREADS) {
        return PyErr_Format(PyExc_ValueError, "threads=%u must be 1..%d", threads, POS_MAX_THREADS);
    }
    PyObject *flags, *hashes;
    if (new_hash_outputs(count, &flags, &hashes) != 0) {
        return NULL;
    }
    if (acquire_table(self) != 0) {
        Py_DECREF(flags);
        Py_DECREF(hashes);
        return NULL;
    }
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = pos_table_proof_hashes_threads(self->table, count, (uint8_t *)PyBytes_AS_STRING(flags),
                                            (uint8_t *)PyBytes_AS_STRING(hashes), threads);
    Py_END_ALLOW_THREADS
    PyThread_release_lock(self->lock);
    if (status != KERNEL_OK) {
        Py_DECREF(flags);
        Py_DECREF(hashes);
        return raise_kernel_code_runtime(status, "pos_table_proof_hashes_threads");
    }
    return Py_BuildValue("(NN)", flags, hashes);
}

static PyObject *chia_table_size(ChiaTableObject *self, PyObject *table_number_object) {
    long table_number = PyLong_AsLong(table_number_object);
    if (table_number == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (acquire_table(self) != 0) {
        return NULL;
    }
    size_t size = table_number < 1 || table_number > 7 ? 0 : pos_table_size(self->table, (unsigned)table_number);
    PyThread_release_lock(self->lock);
    return PyLong_FromSize_t(size);
}

static PyObject *chia_table_export(ChiaTableObject *self, PyObject *table_number_object) {
    long table_number = PyLong_AsLong(table_number_object);
    if (table_number == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (table_number < 1 || table_number > 7) {
        return PyErr_Format(PyExc_ValueError, "table_number=%ld must be in 1..7", table_number);
    }
    if (acquire_table(self) != 0) {
        return NULL;
    }
    size_t width = table_number == 1 ? 1 : table_number == 7 ? 3 : 2;
    size_t words = width * pos_table_size(self->table, (unsigned)table_number);
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(4 * words));
    int status = KERNEL_OK;
    if (out != NULL) {
        uint32_t *values = PyMem_RawMalloc(4 * words + 4);
        status = values == NULL ? POS_ERR_NO_MEMORY : pos_table_export(self->table, (unsigned)table_number, values);
        if (status == KERNEL_OK) {
            uint8_t *bytes = (uint8_t *)PyBytes_AS_STRING(out);
            for (size_t i = 0; i < words; i++) {
                bytes[4 * i] = (uint8_t)values[i];
                bytes[4 * i + 1] = (uint8_t)(values[i] >> 8);
                bytes[4 * i + 2] = (uint8_t)(values[i] >> 16);
                bytes[4 * i + 3] = (uint8_t)(values[i] >> 24);
            }
        }
        PyMem_RawFree(values);
    }
    PyThread_release_lock(self->lock);
    if (status != KERNEL_OK) {
        Py_XDECREF(out);
        return raise_kernel_code_runtime(status, "pos_table_export");
    }
    return out;
}

static PyObject *chia_table_get_k(ChiaTableObject *self, void *closure) {
    (void)closure;
    return self->table == NULL ? PyLong_FromLong(0) : PyLong_FromUnsignedLong(pos_table_k(self->table));
}

static PyObject *chia_table_get_memory_bytes(ChiaTableObject *self, void *closure) {
    (void)closure;
    return PyLong_FromSize_t(self->table == NULL ? 0 : pos_table_memory_bytes(pos_table_k(self->table)));
}

static PyMethodDef chia_table_methods[] = {
    {"generate", (PyCFunction)chia_table_generate, METH_VARARGS,
     "generate(seed, threads=1): build the 7 tables for a 32-byte seed on 1..MAX_THREADS threads (GIL released)."},
    {"find_proof", (PyCFunction)chia_table_find_proof, METH_O, "The proof for a u32 challenge index, or None."},
    {"proof_hashes", (PyCFunction)chia_table_proof_hashes, METH_VARARGS,
     "proof_hashes(n, threads=1) -> (flags, hashes) for challenges 0..n-1: 1 byte and blake3(proof) (zeros when "
     "none) each."},
    {"size", (PyCFunction)chia_table_size, METH_O, "Entries of table 1..7 after the last generate (0 before)."},
    {"export", (PyCFunction)chia_table_export, METH_O,
     "Table 1..7 in sorted order as little-endian u32 words: x (1), left, right (2..6), y, left, right (7)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef chia_table_getset[] = {
    {"k", (getter)chia_table_get_k, NULL, "K of the table.", NULL},
    {"memory_bytes", (getter)chia_table_get_memory_bytes, NULL, "Bytes allocated for the context.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject ChiaTableType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "autonomys.kernels._pos.ChiaTable",
    .tp_basicsize = sizeof(ChiaTableObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "ChiaTable(k, backend=0): one chia proof-of-space context, allocated once.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)chia_table_init,
    .tp_dealloc = (destructor)chia_table_dealloc,
    .tp_methods = chia_table_methods,
    .tp_getset = chia_table_getset,
};

/* ---- free functions ---- */

static PyObject *py_f1(PyObject *self, PyObject *args) {
    (void)self;
    unsigned int k, x;
    PyObject *seed_object;
    if (!PyArg_ParseTuple(args, "IOI", &k, &seed_object, &x)) {
        return NULL;
    }
    Py_buffer seed;
    if (get_buffer(seed_object, &seed, POS_SEED_BYTES, "seed") != 0) {
        return NULL;
    }
    uint32_t y = 0;
    int status = pos_compute_f1(k, seed.buf, x, &y);
    PyBuffer_Release(&seed);
    if (status != KERNEL_OK) {
        return raise_kernel_code_runtime(status, "pos_compute_f1");
    }
    return PyLong_FromUnsignedLong(y);
}

static PyObject *py_fn(PyObject *self, PyObject *args) {
    (void)self;
    unsigned int k, table_number, y;
    PyObject *left_object, *right_object;
    if (!PyArg_ParseTuple(args, "IIIOO", &k, &table_number, &y, &left_object, &right_object)) {
        return NULL;
    }
    Py_buffer left, right;
    if (get_buffer(left_object, &left, POS_METADATA_BYTES, "left_metadata") != 0) {
        return NULL;
    }
    if (get_buffer(right_object, &right, POS_METADATA_BYTES, "right_metadata") != 0) {
        PyBuffer_Release(&left);
        return NULL;
    }
    uint32_t y_out = 0;
    uint8_t metadata[POS_METADATA_BYTES];
    int status = pos_compute_fn(k, table_number, y, left.buf, right.buf, &y_out, metadata);
    PyBuffer_Release(&left);
    PyBuffer_Release(&right);
    if (status != KERNEL_OK) {
        return raise_kernel_code_runtime(status, "pos_compute_fn");
    }
    return Py_BuildValue("(ky#)", (unsigned long)y_out, (const char *)metadata, (Py_ssize_t)POS_METADATA_BYTES);
}

static PyObject *py_has_match(PyObject *self, PyObject *args) {
    (void)self;
    unsigned int left_y, right_y;
    if (!PyArg_ParseTuple(args, "II", &left_y, &right_y)) {
        return NULL;
    }
    return PyBool_FromLong(pos_has_match(left_y, right_y));
}

static PyObject *py_is_proof_valid(PyObject *self, PyObject *args) {
    (void)self;
    unsigned int k;
    unsigned long challenge;
    PyObject *seed_object, *proof_object;
    if (!PyArg_ParseTuple(args, "IOkO", &k, &seed_object, &challenge, &proof_object)) {
        return NULL;
    }
    if (challenge > UINT32_MAX || k < POS_K_MIN || k > POS_K_MAX) {
        return PyErr_Format(PyExc_ValueError, "k=%u or challenge_index=%lu out of range", k, challenge);
    }
    Py_buffer seed, proof;
    if (get_buffer(seed_object, &seed, POS_SEED_BYTES, "seed") != 0) {
        return NULL;
    }
    if (get_buffer(proof_object, &proof, 8 * (Py_ssize_t)k, "proof") != 0) {
        PyBuffer_Release(&seed);
        return NULL;
    }
    int status, valid = 0;
    Py_BEGIN_ALLOW_THREADS
    status = pos_is_proof_valid(k, seed.buf, (uint32_t)challenge, proof.buf, &valid);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&seed);
    PyBuffer_Release(&proof);
    if (status != KERNEL_OK) {
        return raise_kernel_code_runtime(status, "pos_is_proof_valid");
    }
    return PyBool_FromLong(valid);
}

static PyObject *py_shim_find_proof(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *seed_object;
    unsigned long challenge;
    if (!PyArg_ParseTuple(args, "Ok", &seed_object, &challenge)) {
        return NULL;
    }
    if (challenge > UINT32_MAX) {
        return PyErr_Format(PyExc_OverflowError, "challenge_index=%lu exceeds u32", challenge);
    }
    Py_buffer seed;
    if (get_buffer(seed_object, &seed, POS_SEED_BYTES, "seed") != 0) {
        return NULL;
    }
    uint8_t proof[POS_SHIM_PROOF_BYTES];
    int found = 0;
    pos_shim_find_proof(seed.buf, (uint32_t)challenge, proof, &found);
    PyBuffer_Release(&seed);
    if (!found) {
        Py_RETURN_NONE;
    }
    return PyBytes_FromStringAndSize((const char *)proof, POS_SHIM_PROOF_BYTES);
}

static PyObject *py_shim_proof_hashes(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *seed_object;
    unsigned long long count;
    if (!PyArg_ParseTuple(args, "OK", &seed_object, &count)) {
        return NULL;
    }
    Py_buffer seed;
    if (get_buffer(seed_object, &seed, POS_SEED_BYTES, "seed") != 0) {
        return NULL;
    }
    PyObject *flags, *hashes;
    if (new_hash_outputs(count, &flags, &hashes) != 0) {
        PyBuffer_Release(&seed);
        return NULL;
    }
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = pos_shim_proof_hashes(seed.buf, count, (uint8_t *)PyBytes_AS_STRING(flags),
                                   (uint8_t *)PyBytes_AS_STRING(hashes));
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&seed);
    if (status != KERNEL_OK) {
        Py_DECREF(flags);
        Py_DECREF(hashes);
        return raise_kernel_code_runtime(status, "pos_shim_proof_hashes");
    }
    return Py_BuildValue("(NN)", flags, hashes);
}

static PyObject *py_blake3(PyObject *self, PyObject *data_object) {
    (void)self;
    Py_buffer data;
    if (PyObject_GetBuffer(data_object, &data, PyBUF_C_CONTIGUOUS) != 0) {
        return NULL;
    }
    uint8_t hash[POS_HASH_BYTES];
    int status = pos_blake3(data.buf, (size_t)data.len, hash);
    Py_ssize_t length = data.len;
    PyBuffer_Release(&data);
    if (status != KERNEL_OK) {
        return PyErr_Format(PyExc_ValueError, "blake3 input must be at most 1024 bytes, got %zd", length);
    }
    return PyBytes_FromStringAndSize((const char *)hash, POS_HASH_BYTES);
}

static PyObject *py_chacha8_keystream(PyObject *self, PyObject *args) {
    (void)self;
    int backend;
    PyObject *seed_object;
    unsigned int first_block;
    Py_ssize_t num_blocks;
    if (!PyArg_ParseTuple(args, "iOIn", &backend, &seed_object, &first_block, &num_blocks)) {
        return NULL;
    }
    if (num_blocks < 0 || num_blocks > (1 << 20)) {
        return PyErr_Format(PyExc_ValueError, "num_blocks=%zd must be in 0..2^20", num_blocks);
    }
    Py_buffer seed;
    if (get_buffer(seed_object, &seed, POS_SEED_BYTES, "seed") != 0) {
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, 64 * num_blocks);
    if (out == NULL) {
        PyBuffer_Release(&seed);
        return NULL;
    }
    int status = pos_chacha8_keystream(backend, seed.buf, first_block, (size_t)num_blocks,
                                       (uint8_t *)PyBytes_AS_STRING(out));
    PyBuffer_Release(&seed);
    if (status != KERNEL_OK) {
        Py_DECREF(out);
        return raise_kernel_code_runtime(status, "pos_chacha8_keystream");
    }
    return out;
}

static PyObject *py_hashing_work(PyObject *self, PyObject *args) {
    (void)self;
    unsigned int k;
    int backend;
    if (!PyArg_ParseTuple(args, "Ii", &k, &backend)) {
        return NULL;
    }
    uint32_t checksum = 0;
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = pos_hashing_work(k, backend, &checksum);
    Py_END_ALLOW_THREADS
    if (status != KERNEL_OK) {
        return raise_kernel_code_runtime(status, "pos_hashing_work");
    }
    return PyLong_FromUnsignedLong(checksum);
}

static PyObject *py_backend_available(PyObject *self, PyObject *args) {
    (void)self;
    return answer_backend_available(args, pos_backend_available);
}

static PyObject *py_best_backend(PyObject *self, PyObject *args) {
    (void)self;
    (void)args;
    return PyLong_FromLong(pos_best_backend());
}

static PyObject *py_table_memory_bytes(PyObject *self, PyObject *args) {
    (void)self;
    unsigned int k;
    if (!PyArg_ParseTuple(args, "I", &k)) {
        return NULL;
    }
    return PyLong_FromSize_t(pos_table_memory_bytes(k));
}

static PyMethodDef pos_methods[] = {
    {"f1", py_f1, METH_VARARGS, "f1(k, seed, x) -> y"},
    {"fn", py_fn, METH_VARARGS, "fn(k, table_number, y, left_metadata16, right_metadata16) -> (y, metadata16)"},
    {"has_match", py_has_match, METH_VARARGS, "has_match(left_y, right_y) -> bool"},
    {"is_proof_valid", py_is_proof_valid, METH_VARARGS, "is_proof_valid(k, seed, challenge_index, proof) -> bool"},
    {"shim_find_proof", py_shim_find_proof, METH_VARARGS, "shim_find_proof(seed, challenge_index) -> bytes | None"},
    {"shim_proof_hashes", py_shim_proof_hashes, METH_VARARGS, "shim_proof_hashes(seed, n) -> (flags, hashes)"},
    {"blake3", py_blake3, METH_O, "blake3(data) -> 32 bytes, for at most 1024 bytes of data"},
    {"chacha8_keystream", py_chacha8_keystream, METH_VARARGS,
     "chacha8_keystream(backend, seed, first_block, num_blocks) -> bytes"},
    {"hashing_work", py_hashing_work, METH_VARARGS,
     "hashing_work(k, backend) -> checksum: a table build's ChaCha8 and BLAKE3 work alone"},
    {"backend_available", py_backend_available, METH_VARARGS, "backend_available(backend) -> bool"},
    {"best_backend", py_best_backend, METH_NOARGS, "best_backend() -> int"},
    {"table_memory_bytes", py_table_memory_bytes, METH_VARARGS, "table_memory_bytes(k) -> int (0 if k is out of range)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef pos_module = {
    PyModuleDef_HEAD_INIT, "_pos", "The proof-of-space kernel of the autonomys node.", -1, pos_methods,
    NULL,                  NULL,   NULL,                                              NULL,
};

PyMODINIT_FUNC PyInit__pos(void) {
    if (PyType_Ready(&ChiaTableType) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&pos_module);
    if (module == NULL) {
        return NULL;
    }
    Py_INCREF(&ChiaTableType);
    if (PyModule_AddObject(module, "ChiaTable", (PyObject *)&ChiaTableType) < 0) {
        Py_DECREF(&ChiaTableType);
        Py_DECREF(module);
        return NULL;
    }
    const struct {
        const char *name;
        long value;
    } constants[] = {
        {"BACKEND_AUTO", POS_BACKEND_AUTO},     {"BACKEND_PORTABLE", POS_BACKEND_PORTABLE},
        {"BACKEND_AVX2", POS_BACKEND_AVX2},     {"BACKEND_AVX512", POS_BACKEND_AVX512},
        {"K_MIN", POS_K_MIN},                   {"K_MAX", POS_K_MAX},
        {"F1_K_MAX", POS_F1_K_MAX},             {"PARAM_BC", POS_PARAM_BC},
        {"SEED_BYTES", POS_SEED_BYTES},         {"METADATA_BYTES", POS_METADATA_BYTES},
        {"SHIM_PROOF_BYTES", POS_SHIM_PROOF_BYTES}, {"MAX_THREADS", POS_MAX_THREADS},
    };
    for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++) {
        if (PyModule_AddIntConstant(module, constants[i].name, constants[i].value) < 0) {
            Py_DECREF(module);
            return NULL;
        }
    }
    return module;
}
