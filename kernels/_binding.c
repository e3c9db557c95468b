/* CPython glue for the C kernels: buffer protocol in, bytes out, GIL released for
 * long runs, and one function that maps KERNEL_* codes to exceptions. No algorithms here. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "include/pot.h"
#include "src/errors.h"

/* Below this many AES iterations a call is shorter than a GIL hand-off (~20 us); above it,
 * other Python threads run while the kernel works. */
#define POT_GIL_RELEASE_MIN_ITERATIONS 2048u

static PyObject *KernelError;

static PyObject *raise_kernel_error(int code, const char *function) {
    switch (code) {
    case KERNEL_ERR_INVALID_ARGUMENT:
        PyErr_Format(PyExc_ValueError, "%s: invalid argument (kernel code %d)", function, code);
        break;
    case KERNEL_ERR_BACKEND_UNAVAILABLE:
        PyErr_Format(PyExc_RuntimeError, "%s: backend not available on this CPU (kernel code %d)", function, code);
        break;
    default:
        PyErr_Format(KernelError, "%s: kernel error code %d", function, code);
        break;
    }
    return NULL;
}

/* Accept a C-contiguous buffer of exactly `length` bytes. */
static int get_fixed_buffer(PyObject *object, Py_buffer *view, Py_ssize_t length, const char *name) {
    if (PyObject_GetBuffer(object, view, PyBUF_C_CONTIGUOUS) != 0) {
        return -1;
    }
    if (view->len != length) {
        PyErr_Format(PyExc_ValueError, "%s must be %zd bytes, got %zd", name, length, view->len);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
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
    if (get_fixed_buffer(seed_object, &seed, POT_BLOCK_BYTES, "seed") != 0) {
        return NULL;
    }
    if (get_fixed_buffer(key_object, &key, POT_BLOCK_BYTES, "key") != 0) {
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
    if (get_fixed_buffer(seed_object, &seed, POT_BLOCK_BYTES, "seed") != 0) {
        return NULL;
    }
    if (get_fixed_buffer(key_object, &key, POT_BLOCK_BYTES, "key") != 0) {
        PyBuffer_Release(&seed);
        return NULL;
    }
    if (get_fixed_buffer(checkpoints_object, &checkpoints, POT_CHECKPOINTS_BYTES, "checkpoints") != 0) {
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
    if (get_fixed_buffer(key_object, &key, POT_BLOCK_BYTES, "key") != 0) {
        return NULL;
    }
    if (get_fixed_buffer(block_object, &block_view, POT_BLOCK_BYTES, "block") != 0) {
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
    int backend;
    if (!PyArg_ParseTuple(args, "i", &backend)) {
        return NULL;
    }
    return PyBool_FromLong(pot_backend_available(backend));
}

static PyObject *py_pot_best_backend(PyObject *self, PyObject *args) {
    (void)self;
    (void)args;
    return PyLong_FromLong(pot_best_backend());
}

static PyMethodDef kernel_methods[] = {
    {"pot_prove", py_pot_prove, METH_VARARGS, "pot_prove(backend, seed, key, checkpoint_iterations) -> bytes"},
    {"pot_verify", py_pot_verify, METH_VARARGS,
     "pot_verify(backend, seed, key, checkpoint_iterations, checkpoints) -> bool"},
    {"pot_aes_chain", py_pot_aes_chain, METH_VARARGS, "pot_aes_chain(backend, key, block, iterations) -> bytes"},
    {"pot_backend_available", py_pot_backend_available, METH_VARARGS, "pot_backend_available(backend) -> bool"},
    {"pot_best_backend", py_pot_best_backend, METH_NOARGS, "pot_best_backend() -> int"},
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
    };
    for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++) {
        if (PyModule_AddIntConstant(module, constants[i].name, constants[i].value) < 0) {
            Py_DECREF(module);
            return NULL;
        }
    }
    return module;
}
