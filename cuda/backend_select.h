/* Choosing the op backend from the configuration's `device` setting:
 * "cpu": the CPU backend; "cuda": the CUDA backend, or an error naming why
 * no GPU is usable; "auto": CUDA when a device is usable, else the CPU
 * backend with a note saying why. */
#ifndef DRL_CUDA_BACKEND_SELECT_H
#define DRL_CUDA_BACKEND_SELECT_H

#include <stddef.h>

#include "ops/ops.h"

/* Returns the table, with a note in msg ("" when there is nothing to say), or
 * NULL with the error in msg. */
const DrlOps *drl_select_backend(const char *device, char *msg, size_t len);

#endif
