/* A single-process stand-in for MPI in the GPU-only device build
 * (tests/gpu/standalone/CMakeLists.txt), which has no MPI: src/common/check.c
 * (drl_die) and src/comm/comm.c compile against it. MPI is never initialised
 * there and the benchmark uses a communicator of one rank (comm_init_single,
 * MPI_COMM_NULL), for which comm.c never calls MPI. Any collective reached
 * anyway fails through mpiCheck with the message of MPI_Error_string. */
#ifndef DRL_GPU_MPI_SHIM_H
#define DRL_GPU_MPI_SHIM_H

#include <stdio.h>

typedef int MPI_Comm;
typedef int MPI_Datatype;
typedef int MPI_Op;
typedef int MPI_Info;
#define MPI_SUCCESS          0
#define MPI_ERR_OTHER        1
#define MPI_COMM_WORLD       0
#define MPI_COMM_NULL        (-1)
#define MPI_COMM_TYPE_SHARED 1
#define MPI_INFO_NULL        0
#define MPI_IN_PLACE         ((void *)1)
#define MPI_BYTE             1
#define MPI_INT              2
#define MPI_INT32_T          3
#define MPI_FLOAT            4
#define MPI_DOUBLE           5
#define MPI_SUM              1
#define MPI_MAX              2
#define MPI_MAX_ERROR_STRING 512

static inline int MPI_Initialized(int *flag) {
    *flag = 0;
    return MPI_SUCCESS;
}
static inline int MPI_Finalized(int *flag) {
    *flag = 0;
    return MPI_SUCCESS;
}
static inline int MPI_Comm_size(MPI_Comm comm, int *size) {
    (void)comm;
    *size = 1;
    return MPI_SUCCESS;
}
static inline int MPI_Comm_rank(MPI_Comm comm, int *rank) {
    (void)comm;
    *rank = 0;
    return MPI_SUCCESS;
}
static inline int MPI_Abort(MPI_Comm comm, int code) {
    (void)comm;
    (void)code;
    return MPI_SUCCESS;
}
static inline int MPI_Error_string(int code, char *msg, int *len) {
    *len = snprintf(msg, MPI_MAX_ERROR_STRING,
                    "MPI call %d in the GPU-only build, which has no MPI (one rank only)", code);
    return MPI_SUCCESS;
}
/* Collectives: only reachable with more than one rank, which this build
 * cannot have; they report an error. */
static inline int MPI_Allgather(const void *s, int sc, MPI_Datatype st, void *r, int rc,
                                MPI_Datatype rt, MPI_Comm comm) {
    (void)s, (void)sc, (void)st, (void)r, (void)rc, (void)rt, (void)comm;
    return MPI_ERR_OTHER;
}
static inline int MPI_Allreduce(const void *s, void *r, int n, MPI_Datatype t, MPI_Op op,
                                MPI_Comm comm) {
    (void)s, (void)r, (void)n, (void)t, (void)op, (void)comm;
    return MPI_ERR_OTHER;
}
static inline int MPI_Bcast(void *buf, int n, MPI_Datatype t, int root, MPI_Comm comm) {
    (void)buf, (void)n, (void)t, (void)root, (void)comm;
    return MPI_ERR_OTHER;
}
static inline int MPI_Barrier(MPI_Comm comm) {
    (void)comm;
    return MPI_ERR_OTHER;
}
static inline int MPI_Comm_split_type(MPI_Comm comm, int type, int key, MPI_Info info,
                                      MPI_Comm *out) {
    (void)comm, (void)type, (void)key, (void)info;
    *out = MPI_COMM_NULL;
    return MPI_ERR_OTHER;
}
static inline int MPI_Comm_free(MPI_Comm *comm) {
    *comm = MPI_COMM_NULL;
    return MPI_SUCCESS;
}

#endif
