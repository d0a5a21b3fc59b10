/* NCCL collectives for the CUDA backend: one communicator over the ranks of
 * an MPI communicator, one GPU per rank chosen by the node-local rank
 * (MPI_Comm_split_type SHARED), the unique id broadcast over MPI. All
 * buffers are device memory; the collectives run on the backend's stream
 * (the legacy default stream), so they are ordered with the ops. */
#ifndef DRL_CUDA_NCCL_COMM_H
#define DRL_CUDA_NCCL_COMM_H

#include <mpi.h>
#include <stddef.h>

#include "comm/comm.h"

typedef struct DrlNccl DrlNccl;

/* Selects the GPU (node-local rank modulo the node's device count; dies when
 * a node has more ranks than GPUs), then creates the NCCL communicator.
 * Collective over comm. */
DrlNccl *drl_nccl_init(MPI_Comm comm);
void drl_nccl_free(DrlNccl *c);
int drl_nccl_rank(const DrlNccl *c);
int drl_nccl_size(const DrlNccl *c);
int drl_nccl_device(const DrlNccl *c);

/* recv (size * count) = the ranks' send (count) blocks in rank order. */
void drl_nccl_allgather(DrlNccl *c, float *recv, const float *send, size_t count);
/* recv (size * bytes) = the ranks' send (bytes) blocks in rank order (any type). */
void drl_nccl_allgather_bytes(DrlNccl *c, void *recv, const void *send, size_t bytes);
/* buf (count) = the sum of the ranks' buf. */
void drl_nccl_allreduce_sum(DrlNccl *c, float *buf, size_t count);
/* buf (count) = the average of the ranks' buf: one sum all-reduce, then a
 * scale by 1/size (NCCL's avg op, ncclAvg). */
void drl_nccl_allreduce_mean(DrlNccl *c, float *buf, size_t count);
/* Waits for the collectives issued so far. */
void drl_nccl_sync(DrlNccl *c);

/* Serves comm's backend-memory collectives (features, masks, the gradient
 * all-reduce) with c; comm keeps MPI for host-memory ones. c must outlive
 * the use of comm (comm_use_device(comm, NULL) detaches it). */
void drl_nccl_bind(DrlComm *comm, DrlNccl *c);

#endif
