/* Helpers every CPython binding of the kernels shares: the one mapping of KERNEL_* codes to Python
 * exceptions, and contiguous-buffer checks. Included by _binding.c, _pos_binding.c, _sector_binding.c. */
#ifndef AUTONOMYS_BINDING_COMMON_H
#define AUTONOMYS_BINDING_COMMON_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "src/errors.h"

/* Set the exception for kernel error `code` raised in `function`; `fallback` takes unknown codes. */
static inline PyObject *raise_kernel_code(int code, const char *function, PyObject *fallback) {
    switch (code) {
    case KERNEL_ERR_INVALID_ARGUMENT:
        return PyErr_Format(PyExc_ValueError, "%s: invalid argument (kernel code %d)", function, code);
    case KERNEL_ERR_BACKEND_UNAVAILABLE:
        return PyErr_Format(PyExc_RuntimeError, "%s: backend not available on this CPU (kernel code %d)", function, code);
    case KERNEL_ERR_NO_MEMORY:
        return PyErr_Format(PyExc_MemoryError, "%s: cannot allocate working memory (kernel code %d)", function, code);
    case KERNEL_ERR_CAPACITY:
        return PyErr_Format(PyExc_RuntimeError, "%s: a structure outgrew its fixed capacity (kernel code %d)", function,
                            code);
    default:
        return PyErr_Format(fallback, "%s: kernel error code %d", function, code);
    }
}

/* The mapping for bindings without an exception type of their own. */
static inline PyObject *raise_kernel_code_runtime(int code, const char *function) {
    return raise_kernel_code(code, function, PyExc_RuntimeError);
}

/* The body of every *_backend_available(backend) -> bool binding; `is_available` is the kernel's own check. */
static inline PyObject *answer_backend_available(PyObject *args, int (*is_available)(int)) {
    int backend;
    if (!PyArg_ParseTuple(args, "i", &backend)) {
        return NULL;
    }
    return PyBool_FromLong(is_available(backend));
}

/* A C-contiguous buffer of exactly `length` bytes (length < 0: any length); -1 with an exception otherwise. */
static inline int get_buffer(PyObject *object, Py_buffer *view, Py_ssize_t length, const char *name) {
    if (PyObject_GetBuffer(object, view, PyBUF_C_CONTIGUOUS) != 0) {
        return -1;
    }
    if (length >= 0 && view->len != length) {
        PyErr_Format(PyExc_ValueError, "%s must be %zd bytes, got %zd", name, length, view->len);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

#endif
