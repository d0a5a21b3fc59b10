#include "cuda/nccl_comm.h"

#include <cuda_runtime_api.h>
#include <nccl.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/check.h"

struct DrlNccl {
    ncclComm_t comm;
    int rank, size, device;
};

#define ncclCheck(call)                                                                            \
    do {                                                                                           \
        ncclResult_t nccl_status_ = (call);                                                        \
        if (nccl_status_ != ncclSuccess)                                                           \
            drl_fail(__FILE__, __LINE__, #call, ncclGetErrorString(nccl_status_),                  \
                     "an NCCL call failed: NCCL_DEBUG=INFO shows why");                            \
    } while (0)

#define cudaRtCheck(call)                                                                          \
    do {                                                                                           \
        cudaError_t cuda_status_ = (call);                                                         \
        if (cuda_status_ != cudaSuccess)                                                           \
            drl_fail(__FILE__, __LINE__, #call, cudaGetErrorString(cuda_status_),                  \
                     "a CUDA call failed");                                                        \
    } while (0)

DrlNccl *drl_nccl_init(MPI_Comm comm) {
    DrlNccl *c = callocCheck(1, sizeof *c);
    mpiCheck(MPI_Comm_rank(comm, &c->rank));
    mpiCheck(MPI_Comm_size(comm, &c->size));
    MPI_Comm node;
    int local = 0, local_size = 1, ndev = 0;
    mpiCheck(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, c->rank, MPI_INFO_NULL, &node));
    mpiCheck(MPI_Comm_rank(node, &local));
    mpiCheck(MPI_Comm_size(node, &local_size));
    mpiCheck(MPI_Comm_free(&node));
    cudaRtCheck(cudaGetDeviceCount(&ndev));
    if (local_size > ndev) {
        fprintf(stderr, "error: %d ranks on this node but %d CUDA devices (one GPU per rank)\n",
                local_size, ndev);
        drl_die(1);
    }
    c->device = local;
    cudaRtCheck(cudaSetDevice(c->device));
    ncclUniqueId id;
    if (c->rank == 0) ncclCheck(ncclGetUniqueId(&id));
    mpiCheck(MPI_Bcast(&id, (int)sizeof id, MPI_BYTE, 0, comm));
    ncclCheck(ncclCommInitRank(&c->comm, c->size, id, c->rank));
    return c;
}

void drl_nccl_free(DrlNccl *c) {
    if (!c) return;
    ncclCheck(ncclCommDestroy(c->comm));
    free(c);
}

int drl_nccl_rank(const DrlNccl *c) {
    return c->rank;
}
int drl_nccl_size(const DrlNccl *c) {
    return c->size;
}
int drl_nccl_device(const DrlNccl *c) {
    return c->device;
}

void drl_nccl_allgather(DrlNccl *c, float *recv, const float *send, size_t count) {
    // recv (size, count), send (count)
    ncclCheck(ncclAllGather(send, recv, count, ncclFloat32, c->comm, 0));
}

void drl_nccl_allgather_bytes(DrlNccl *c, void *recv, const void *send, size_t bytes) {
    // recv (size, bytes), send (bytes): int32 masks and float features alike
    ncclCheck(ncclAllGather(send, recv, bytes, ncclUint8, c->comm, 0));
}

void drl_nccl_allreduce_sum(DrlNccl *c, float *buf, size_t count) {
    // buf (count) in place
    ncclCheck(ncclAllReduce(buf, buf, count, ncclFloat32, ncclSum, c->comm, 0));
}

void drl_nccl_allreduce_mean(DrlNccl *c, float *buf, size_t count) {
    // buf (count) in place; ncclAvg divides the sum by the rank count
    ncclCheck(ncclAllReduce(buf, buf, count, ncclFloat32, ncclAvg, c->comm, 0));
}

void drl_nccl_sync(DrlNccl *c) {
    (void)c;
    cudaRtCheck(cudaStreamSynchronize(0));
}

/* ---- DrlComm's device collectives (comm/comm.h) ---------------------------- */

static void bound_allgather(void *ctx, const void *local, void *global, size_t bytes) {
    drl_nccl_allgather_bytes(ctx, global, local, bytes);
}

static void bound_sum(void *ctx, float *buf, size_t n) {
    drl_nccl_allreduce_sum(ctx, buf, n);
}

static void bound_mean(void *ctx, float *buf, size_t n) {
    drl_nccl_allreduce_mean(ctx, buf, n);
}

void drl_nccl_bind(DrlComm *comm, DrlNccl *c) {
    DrlCommDevice dev = {.name = "nccl",
                         .ctx = c,
                         .allgather = bound_allgather,
                         .allreduce_sum_f32 = bound_sum,
                         .allreduce_mean_f32 = bound_mean};
    comm_use_device(comm, &dev);
}
