/* Collectives behind one interface (DESIGN.md "Distributed shape"). Two
 * kinds of buffers:
 * - backend memory (the model's features, masks and the flat gradient
 *   buffer): comm_allgather_f32/i32, comm_allreduce_sum_f32/mean_f32. MPI on
 *   host memory by default; a device implementation (NCCL with the CUDA
 *   backend, cuda/nccl_comm.h drl_nccl_bind) is attached with
 *   comm_use_device and then serves these calls on device memory;
 * - host memory (metrics, evaluation features after the copy to the host,
 *   flags, barriers): comm_host_allgather_f32/i32, comm_allreduce_sum_f64,
 *   comm_bcast, comm_barrier, always MPI.
 * A communicator of one rank makes every collective a copy, so model code is
 * the same for 1 or N ranks. */
#ifndef DRL_COMM_COMM_H
#define DRL_COMM_COMM_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

/* Collectives on backend (device) memory; ctx is the implementation's
 * state. All calls are collective over the same ranks as the MPI
 * communicator, in rank order. */
typedef struct {
    const char *name; /* "nccl" */
    void *ctx;
    /* global (world * bytes) = every rank's local (bytes), in rank order */
    void (*allgather)(void *ctx, const void *local, void *global, size_t bytes);
    /* buf (n) in place: the sum / the mean over ranks */
    void (*allreduce_sum_f32)(void *ctx, float *buf, size_t n);
    void (*allreduce_mean_f32)(void *ctx, float *buf, size_t n);
} DrlCommDevice;

typedef struct {
    int rank, world;
    MPI_Comm comm;     /* MPI_COMM_NULL for a single process without MPI */
    DrlCommDevice dev; /* dev.allgather == NULL: backend memory is host memory (MPI) */
} DrlComm;

/* The world communicator (MPI must be initialised). */
void comm_init_world(DrlComm *c);
/* A communicator of one rank that never calls MPI. */
void comm_init_single(DrlComm *c);
/* Serves the backend-memory collectives with dev from now on (NULL: MPI again). */
void comm_use_device(DrlComm *c, const DrlCommDevice *dev);
/* "mpi" or the device implementation's name. */
const char *comm_backend_name(const DrlComm *c);

/* Backend memory: global (world * n) = concatenation of every rank's local (n), in rank order. */
void comm_allgather_f32(const DrlComm *c, const float *local, float *global, size_t n);
void comm_allgather_i32(const DrlComm *c, const int32_t *local, int32_t *global, size_t n);
/* Backend memory, in place: buf (n) = sum over ranks; mean divides by world. */
void comm_allreduce_sum_f32(const DrlComm *c, float *buf, size_t n);
void comm_allreduce_mean_f32(const DrlComm *c, float *buf, size_t n);

/* Host memory (MPI whatever the backend). */
void comm_host_allgather_f32(const DrlComm *c, const float *local, float *global, size_t n);
void comm_host_allgather_i32(const DrlComm *c, const int32_t *local, int32_t *global, size_t n);
double comm_allreduce_sum_f64(const DrlComm *c, double v);
void comm_bcast(const DrlComm *c, void *buf, size_t bytes, int root);
void comm_barrier(const DrlComm *c);

#endif
