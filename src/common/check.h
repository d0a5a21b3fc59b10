/* Check macros for every library call: on failure print file:line, the call,
 * the library's own message and a hint, then abort the rank (MPI_Abort when MPI
 * is up, so the job ends instead of hanging). */
#ifndef DRL_COMMON_CHECK_H
#define DRL_COMMON_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

/* Ends the process (MPI_Abort if MPI is initialised and running with >1 rank). */
_Noreturn void drl_die(int status);

/* Prints "file:line: what: detail (hint)" and ends the rank with status 1. */
_Noreturn void drl_fail(const char *file, int line, const char *what, const char *detail,
                        const char *hint);

/* Generic condition check. */
#define drlCheck(cond, hint)                                                                       \
    do {                                                                                           \
        if (!(cond)) drl_fail(__FILE__, __LINE__, #cond, "condition is false", hint);             \
    } while (0)

/* libc call returning -1 / NULL with errno. */
#define sysCheck(cond, hint)                                                                       \
    do {                                                                                           \
        if (!(cond)) drl_fail(__FILE__, __LINE__, #cond, strerror(errno), hint);                  \
    } while (0)

/* malloc/calloc wrapper that dies with the size asked for. */
void *drl_malloc_checked(size_t bytes, const char *file, int line);
void *drl_calloc_checked(size_t count, size_t size, const char *file, int line);
#define mallocCheck(bytes) drl_malloc_checked((bytes), __FILE__, __LINE__)
#define callocCheck(n, size) drl_calloc_checked((n), (size), __FILE__, __LINE__)

/* MPI: any return other than MPI_SUCCESS. Include <mpi.h> before using. */
#define mpiCheck(call)                                                                             \
    do {                                                                                           \
        int mpi_status_ = (call);                                                                  \
        if (mpi_status_ != 0) {                                                                    \
            char mpi_msg_[512];                                                                    \
            int mpi_len_ = 0;                                                                      \
            MPI_Error_string(mpi_status_, mpi_msg_, &mpi_len_);                                   \
            drl_fail(__FILE__, __LINE__, #call, mpi_msg_, "an MPI collective failed: is every rank alive?"); \
        }                                                                                          \
    } while (0)

/* HDF5: negative herr_t / hid_t. Include <hdf5.h> before using. */
#define h5Check(call)                                                                              \
    ({                                                                                             \
        __typeof__(call) h5_rv_ = (call);                                                          \
        if (h5_rv_ < 0) drl_fail(__FILE__, __LINE__, #call, "HDF5 call failed", "see the HDF5 error stack above"); \
        h5_rv_;                                                                                    \
    })

#endif
