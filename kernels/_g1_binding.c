/* CPython glue of the G1 kernel (include/g1.h): buffer protocol in, bytes out, the GIL released for
 * large jobs, KERNEL_* codes mapped by _binding_common.h. Prepared bases travel as bytes objects of
 * 96-byte g1_affine records (Montgomery limbs), made and read only here. No algorithms here. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "include/g1.h"
#include "_binding_common.h"

/* Below this many points a call is shorter than a GIL hand-off. */
#define G1_GIL_RELEASE_MIN_POINTS 16

#define RUN_RELEASING_GIL(points, statement)                                                                          \
    do {                                                                                                             \
        if ((points) >= G1_GIL_RELEASE_MIN_POINTS) {                                                                 \
            Py_BEGIN_ALLOW_THREADS statement;                                                                        \
            Py_END_ALLOW_THREADS                                                                                     \
        } else {                                                                                                     \
            statement;                                                                                               \
        }                                                                                                            \
    } while (0)

typedef int (*prepare_function)(const uint8_t *, size_t, g1_affine *, int, size_t *);

static PyObject *prepare(PyObject *args, Py_ssize_t encoded_size, prepare_function function, const char *name) {
    PyObject *points_object;
    int subgroup_check;
    if (!PyArg_ParseTuple(args, "Op", &points_object, &subgroup_check)) {
        return NULL;
    }
    Py_buffer points;
    if (get_buffer(points_object, &points, -1, "points") != 0) {
        return NULL;
    }
    Py_ssize_t count = points.len / encoded_size;
    if (points.len % encoded_size != 0 || (size_t)count > G1_MAX_POINTS) {
        PyBuffer_Release(&points);
        return PyErr_Format(PyExc_ValueError, "points must be up to %zu points of %zd bytes, got %zd bytes",
                            (size_t)G1_MAX_POINTS, encoded_size, points.len);
    }
    PyObject *output = PyBytes_FromStringAndSize(NULL, count * (Py_ssize_t)sizeof(g1_affine));
    if (output == NULL) {
        PyBuffer_Release(&points);
        return NULL;
    }
    g1_affine *prepared = (g1_affine *)PyBytes_AS_STRING(output);
    size_t bad_index = 0;
    int status;
    RUN_RELEASING_GIL(count, status = function(points.buf, (size_t)count, prepared, subgroup_check, &bad_index));
    PyBuffer_Release(&points);
    if (status == KERNEL_ERR_INVALID_ARGUMENT) {
        Py_DECREF(output);
        return PyErr_Format(PyExc_ValueError, "point %zu is not a valid %s G1 point%s", bad_index, name,
                            subgroup_check ? " in the prime-order subgroup" : "");
    }
    if (status != KERNEL_OK) {
        Py_DECREF(output);
        return raise_kernel_code_runtime(status, "g1_prepare");
    }
    return output;
}

static PyObject *py_g1_prepare_compressed(PyObject *self, PyObject *args) {
    (void)self;
    return prepare(args, G1_COMPRESSED_BYTES, g1_prepare_compressed, "compressed");
}

static PyObject *py_g1_prepare_uncompressed(PyObject *self, PyObject *args) {
    (void)self;
    return prepare(args, G1_UNCOMPRESSED_BYTES, g1_prepare_uncompressed, "uncompressed");
}

/* The prepared bases of a bytes-like object, or -1 with an exception. */
static int get_prepared(PyObject *object, Py_buffer *view, Py_ssize_t *count) {
    if (get_buffer(object, view, -1, "bases") != 0) {
        return -1;
    }
    if (view->len % (Py_ssize_t)sizeof(g1_affine) != 0) {
        PyBuffer_Release(view);
        PyErr_Format(PyExc_ValueError, "bases must be whole %zu-byte prepared points, got %zd bytes",
                     sizeof(g1_affine), view->len);
        return -1;
    }
    *count = view->len / (Py_ssize_t)sizeof(g1_affine);
    return 0;
}

static PyObject *py_g1_compress_prepared(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *bases_object;
    if (!PyArg_ParseTuple(args, "O", &bases_object)) {
        return NULL;
    }
    Py_buffer bases;
    Py_ssize_t count;
    if (get_prepared(bases_object, &bases, &count) != 0) {
        return NULL;
    }
    PyObject *output = PyBytes_FromStringAndSize(NULL, count * G1_COMPRESSED_BYTES);
    if (output != NULL) {
        uint8_t *out = (uint8_t *)PyBytes_AS_STRING(output);
        const g1_affine *points = bases.buf;
        for (Py_ssize_t i = 0; i < count; i++) {
            g1_compress(&points[i], out + i * G1_COMPRESSED_BYTES);
        }
    }
    PyBuffer_Release(&bases);
    return output;
}

static PyObject *py_g1_msm(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *bases_object, *scalars_object;
    unsigned int threads, window;
    int endomorphism;
    if (!PyArg_ParseTuple(args, "OOIIi", &bases_object, &scalars_object, &threads, &window, &endomorphism)) {
        return NULL;
    }
    Py_buffer bases, scalars;
    Py_ssize_t base_count;
    if (get_prepared(bases_object, &bases, &base_count) != 0) {
        return NULL;
    }
    if (get_buffer(scalars_object, &scalars, -1, "scalars") != 0) {
        PyBuffer_Release(&bases);
        return NULL;
    }
    Py_ssize_t count = scalars.len / G1_SCALAR_BYTES;
    if (scalars.len % G1_SCALAR_BYTES != 0 || count > base_count) {
        PyBuffer_Release(&bases);
        PyBuffer_Release(&scalars);
        return PyErr_Format(PyExc_ValueError, "scalars must be up to %zd scalars of %d bytes, got %zd bytes",
                            base_count, G1_SCALAR_BYTES, scalars.len);
    }
    uint8_t out[G1_COMPRESSED_BYTES];
    size_t bad_index = 0;
    int status;
    RUN_RELEASING_GIL(count, status = g1_msm_configured(bases.buf, scalars.buf, (size_t)count, threads, window,
                                                        endomorphism, out, &bad_index));
    PyBuffer_Release(&bases);
    PyBuffer_Release(&scalars);
    if (status == KERNEL_ERR_INVALID_ARGUMENT && (threads < 1 || threads > G1_MAX_THREADS || window > 16)) {
        return PyErr_Format(PyExc_ValueError, "threads=%u must be in 1..%d and window=%u in 0..16", threads,
                            G1_MAX_THREADS, window);
    }
    if (status == KERNEL_ERR_INVALID_ARGUMENT) {
        return PyErr_Format(PyExc_ValueError, "scalar %zu is not canonical (not below the group order r)", bad_index);
    }
    if (status != KERNEL_OK) {
        return raise_kernel_code_runtime(status, "g1_msm");
    }
    return PyBytes_FromStringAndSize((const char *)out, G1_COMPRESSED_BYTES);
}

static PyObject *py_g1_fr_divide_by_linear(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *coefficients_object, *point_object;
    if (!PyArg_ParseTuple(args, "OO", &coefficients_object, &point_object)) {
        return NULL;
    }
    Py_buffer coefficients, point;
    if (get_buffer(coefficients_object, &coefficients, -1, "coefficients") != 0) {
        return NULL;
    }
    if (get_buffer(point_object, &point, G1_SCALAR_BYTES, "point") != 0) {
        PyBuffer_Release(&coefficients);
        return NULL;
    }
    Py_ssize_t count = coefficients.len / G1_SCALAR_BYTES;
    PyObject *output = NULL;
    if (coefficients.len % G1_SCALAR_BYTES != 0) {
        PyErr_Format(PyExc_ValueError, "coefficients must be whole %d-byte scalars, got %zd bytes", G1_SCALAR_BYTES,
                     coefficients.len);
    } else {
        output = PyBytes_FromStringAndSize(NULL, count > 0 ? (count - 1) * G1_SCALAR_BYTES : 0);
    }
    if (output != NULL && count > 0) {
        size_t bad_index = 0;
        int status = g1_fr_divide_by_linear(coefficients.buf, (size_t)count, point.buf,
                                            (uint8_t *)PyBytes_AS_STRING(output), &bad_index);
        if (status != KERNEL_OK) {
            Py_CLEAR(output);
            if (bad_index == (size_t)count) {
                PyErr_SetString(PyExc_ValueError, "point is not canonical (not below the group order r)");
            } else {
                PyErr_Format(PyExc_ValueError, "coefficient %zu is not canonical (not below the group order r)",
                             bad_index);
            }
        }
    }
    PyBuffer_Release(&coefficients);
    PyBuffer_Release(&point);
    return output;
}

static PyMethodDef g1_methods[] = {
    {"g1_prepare_compressed", py_g1_prepare_compressed, METH_VARARGS,
     "g1_prepare_compressed(points, subgroup_check) -> prepared bases"},
    {"g1_prepare_uncompressed", py_g1_prepare_uncompressed, METH_VARARGS,
     "g1_prepare_uncompressed(points, subgroup_check) -> prepared bases"},
    {"g1_compress_prepared", py_g1_compress_prepared, METH_VARARGS, "g1_compress_prepared(bases) -> compressed"},
    {"g1_msm", py_g1_msm, METH_VARARGS, "g1_msm(bases, scalars, threads, window, endomorphism) -> compressed point"},
    {"g1_fr_divide_by_linear", py_g1_fr_divide_by_linear, METH_VARARGS,
     "g1_fr_divide_by_linear(coefficients, point) -> quotient coefficients"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef g1_module = {
    PyModuleDef_HEAD_INIT, "_g1", "BLS12-381 G1 kernel of the autonomys node (see kernels/include/g1.h).", -1,
    g1_methods,
};

PyMODINIT_FUNC PyInit__g1(void) {
    PyObject *module = PyModule_Create(&g1_module);
    if (module == NULL) {
        return NULL;
    }
    if (PyModule_AddIntConstant(module, "G1_COMPRESSED_BYTES", G1_COMPRESSED_BYTES) != 0 ||
        PyModule_AddIntConstant(module, "G1_UNCOMPRESSED_BYTES", G1_UNCOMPRESSED_BYTES) != 0 ||
        PyModule_AddIntConstant(module, "G1_PREPARED_BYTES", (long)sizeof(g1_affine)) != 0 ||
        PyModule_AddIntConstant(module, "G1_SCALAR_BYTES", G1_SCALAR_BYTES) != 0 ||
        PyModule_AddIntConstant(module, "G1_MAX_THREADS", G1_MAX_THREADS) != 0 ||
        PyModule_AddIntConstant(module, "G1_ENDOMORPHISM_MIN_POINTS", G1_ENDOMORPHISM_MIN_POINTS) != 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
