/* One table of error codes shared by every kernel. The binding maps each code
 * to a Python exception in one function (kernels/_binding_common.h: raise_kernel_code). */
#ifndef AUTONOMYS_KERNEL_ERRORS_H
#define AUTONOMYS_KERNEL_ERRORS_H

#define KERNEL_OK 0
#define KERNEL_ERR_INVALID_ARGUMENT 1   /* a length, count or parameter outside its domain */
#define KERNEL_ERR_BACKEND_UNAVAILABLE 2 /* the requested instruction-set backend is absent on this CPU */
#define KERNEL_ERR_NO_MEMORY 3           /* a working-memory allocation failed */
#define KERNEL_ERR_CAPACITY 4            /* a fixed-capacity structure (e.g. a PoS table) would overflow */

#endif
