/* CPython glue of the pos kernel (placeholder until the kernel lands). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyMethodDef pos_methods[] = {
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef pos_module = {
    PyModuleDef_HEAD_INIT, "_pos", "The pos kernel of the autonomys node.", -1, pos_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__pos(void) { return PyModule_Create(&pos_module); }
