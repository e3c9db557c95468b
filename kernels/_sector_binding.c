/* CPython glue of the sector kernel (placeholder until the kernel lands). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyMethodDef sector_methods[] = {
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef sector_module = {
    PyModuleDef_HEAD_INIT, "_sector", "The sector kernel of the autonomys node.", -1, sector_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__sector(void) { return PyModule_Create(&sector_module); }
