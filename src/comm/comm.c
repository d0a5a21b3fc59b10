#include "comm/comm.h"

#include <limits.h>
#include <string.h>

#include "common/check.h"

void comm_init_world(DrlComm *c) {
    memset(c, 0, sizeof *c);
    c->comm = MPI_COMM_WORLD;
    mpiCheck(MPI_Comm_rank(MPI_COMM_WORLD, &c->rank));
    mpiCheck(MPI_Comm_size(MPI_COMM_WORLD, &c->world));
}

void comm_init_single(DrlComm *c) {
    memset(c, 0, sizeof *c);
    c->rank = 0;
    c->world = 1;
    c->comm = MPI_COMM_NULL;
}

static int single(const DrlComm *c) {
    return c->world == 1 || c->comm == MPI_COMM_NULL;
}

void comm_use_device(DrlComm *c, const DrlCommDevice *dev) {
    if (dev) {
        drlCheck(dev->allgather && dev->allreduce_sum_f32 && dev->allreduce_mean_f32,
                 "comm_use_device: every collective of the device implementation must be set");
        c->dev = *dev;
    } else {
        memset(&c->dev, 0, sizeof c->dev);
    }
}

const char *comm_backend_name(const DrlComm *c) {
    return c->dev.allgather ? c->dev.name : "mpi";
}

/* One rank with a device implementation still calls it: the "copy" of a
 * single-rank gather is then a device copy, which host memmove cannot do. */
static int on_device(const DrlComm *c) {
    return c->dev.allgather != NULL;
}

void comm_allgather_f32(const DrlComm *c, const float *local, float *global, size_t n) {
    if (on_device(c)) {
        c->dev.allgather(c->dev.ctx, local, global, n * sizeof(float));
        return;
    }
    comm_host_allgather_f32(c, local, global, n);
}

void comm_allgather_i32(const DrlComm *c, const int32_t *local, int32_t *global, size_t n) {
    if (on_device(c)) {
        c->dev.allgather(c->dev.ctx, local, global, n * sizeof(int32_t));
        return;
    }
    comm_host_allgather_i32(c, local, global, n);
}

void comm_host_allgather_f32(const DrlComm *c, const float *local, float *global, size_t n) {
    if (single(c)) {
        if (global != local) memmove(global, local, n * sizeof(float));
        return;
    }
    drlCheck(n <= INT_MAX, "all-gather larger than 2^31 elements");
    mpiCheck(MPI_Allgather(local, (int)n, MPI_FLOAT, global, (int)n, MPI_FLOAT, c->comm));
}

void comm_host_allgather_i32(const DrlComm *c, const int32_t *local, int32_t *global, size_t n) {
    if (single(c)) {
        if (global != local) memmove(global, local, n * sizeof(int32_t));
        return;
    }
    drlCheck(n <= INT_MAX, "all-gather larger than 2^31 elements");
    mpiCheck(MPI_Allgather(local, (int)n, MPI_INT32_T, global, (int)n, MPI_INT32_T, c->comm));
}

void comm_allreduce_sum_f32(const DrlComm *c, float *buf, size_t n) {
    if (single(c)) return;
    if (on_device(c)) {
        c->dev.allreduce_sum_f32(c->dev.ctx, buf, n);
        return;
    }
    for (size_t off = 0; off < n; off += (size_t)1 << 30) {
        size_t chunk = n - off < ((size_t)1 << 30) ? n - off : ((size_t)1 << 30);
        mpiCheck(MPI_Allreduce(MPI_IN_PLACE, buf + off, (int)chunk, MPI_FLOAT, MPI_SUM, c->comm));
    }
}

void comm_allreduce_mean_f32(const DrlComm *c, float *buf, size_t n) {
    if (single(c)) return;
    if (on_device(c)) {
        c->dev.allreduce_mean_f32(c->dev.ctx, buf, n);
        return;
    }
    comm_allreduce_sum_f32(c, buf, n);
    const float inv = 1.0f / (float)c->world;
    for (size_t k = 0; k < n; k++)
        buf[k] *= inv;
}

double comm_allreduce_sum_f64(const DrlComm *c, double v) {
    if (single(c)) return v;
    double out = 0.0;
    mpiCheck(MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, MPI_SUM, c->comm));
    return out;
}

void comm_bcast(const DrlComm *c, void *buf, size_t bytes, int root) {
    if (single(c)) return;
    drlCheck(bytes <= INT_MAX, "broadcast larger than 2 GiB");
    mpiCheck(MPI_Bcast(buf, (int)bytes, MPI_BYTE, root, c->comm));
}

void comm_barrier(const DrlComm *c) {
    if (single(c)) return;
    mpiCheck(MPI_Barrier(c->comm));
}
