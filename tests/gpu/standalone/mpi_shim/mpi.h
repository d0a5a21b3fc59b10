/* A single-process stand-in for the four MPI calls of src/common/check.c
 * (drl_die), so the GPU-only device build needs no MPI: MPI is never
 * initialised there, and drl_die then just exits. Used only by
 * tests/gpu/standalone/CMakeLists.txt. */
#ifndef DRL_GPU_MPI_SHIM_H
#define DRL_GPU_MPI_SHIM_H

typedef int MPI_Comm;
#define MPI_COMM_WORLD 0

static inline int MPI_Initialized(int *flag) {
    *flag = 0;
    return 0;
}
static inline int MPI_Finalized(int *flag) {
    *flag = 0;
    return 0;
}
static inline int MPI_Comm_size(MPI_Comm comm, int *size) {
    (void)comm;
    *size = 1;
    return 0;
}
static inline int MPI_Abort(MPI_Comm comm, int code) {
    (void)comm;
    (void)code;
    return 0;
}

#endif
