/* Collectives behind one interface (DESIGN.md "Distributed shape"): MPI on
 * host buffers here; the CUDA backend adds NCCL. A communicator of one rank
 * makes every collective a copy, so model code is the same for 1 or N ranks. */
#ifndef DRL_COMM_COMM_H
#define DRL_COMM_COMM_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int rank, world;
    MPI_Comm comm; /* MPI_COMM_NULL for a single process without MPI */
} DrlComm;

/* The world communicator (MPI must be initialised). */
void comm_init_world(DrlComm *c);
/* A communicator of one rank that never calls MPI. */
void comm_init_single(DrlComm *c);

/* global (world * n) = concatenation of every rank's local (n), in rank order. */
void comm_allgather_f32(const DrlComm *c, const float *local, float *global, size_t n);
void comm_allgather_i32(const DrlComm *c, const int32_t *local, int32_t *global, size_t n);
/* In place: buf (n) = sum over ranks; mean divides by world. */
void comm_allreduce_sum_f32(const DrlComm *c, float *buf, size_t n);
void comm_allreduce_mean_f32(const DrlComm *c, float *buf, size_t n);
double comm_allreduce_sum_f64(const DrlComm *c, double v);
void comm_bcast(const DrlComm *c, void *buf, size_t bytes, int root);
void comm_barrier(const DrlComm *c);

#endif
