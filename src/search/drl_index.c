/* drl_index CONF.cfg [--checkpoint CKPT] (--split NAME | --all) -o INDEX.h5
 *           [--block N] [--batch B] [--vocab FILE]
 * Encodes the videos of the configuration's store with its trained model into
 * a feature index (search/index_h5.h), as an MPI job: the videos are cut into
 * blocks of N (the index's chunk size), block c is encoded by rank c % world,
 * and rank 0 receives each round of blocks and writes them. Exit status 0, 1
 * runtime failure, 2 bad command line or configuration. */
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/log.h"
#include "config/config.h"
#include "search/encoder.h"
#include "search/index_h5.h"

#define ERR_CAP 8192

typedef struct {
    const char *config, *checkpoint, *split, *out;
    int all, block, batch;
} IndexArgs;

static void usage(FILE *f) {
    fprintf(f, "usage: drl_index CONF.cfg [--checkpoint CKPT] (--split NAME | --all) -o INDEX.h5\n"
               "                 [--block N (videos per chunk, 1024)] [--batch B (videos per "
               "forward, 16)]\n"
               "  run under mpirun for several ranks; the checkpoint defaults to\n"
               "  <run.output_dir>/ckpt/best.h5, then last.h5, then model.init_model\n");
}

static int parse(int argc, char **argv, IndexArgs *a) {
    memset(a, 0, sizeof *a);
    a->block = 1024, a->batch = 16;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) return 1;
        if (!strcmp(s, "--all")) {
            a->all = 1;
            continue;
        }
        if (s[0] == '-') {
            if (!v) {
                fprintf(stderr, "drl_index: %s needs a value\n", s);
                return -1;
            }
            i++;
            if (!strcmp(s, "--checkpoint"))
                a->checkpoint = v;
            else if (!strcmp(s, "--split"))
                a->split = v;
            else if (!strcmp(s, "-o") || !strcmp(s, "--out"))
                a->out = v;
            else if (!strcmp(s, "--block") || !strcmp(s, "--batch")) {
                char *end;
                long n = strtol(v, &end, 10);
                if (*end || n < 1 || n > 1 << 20) {
                    fprintf(stderr, "drl_index: %s expects a positive integer, found '%s'\n", s, v);
                    return -1;
                }
                *(s[2] == 'b' && s[3] == 'l' ? &a->block : &a->batch) = (int)n;
            } else {
                fprintf(stderr, "drl_index: unknown option %s\n", s);
                return -1;
            }
            continue;
        }
        if (a->config) {
            fprintf(stderr, "drl_index: one configuration expected, found '%s' too\n", s);
            return -1;
        }
        a->config = s;
    }
    if (!a->config || !a->out || (!a->split && !a->all) || (a->split && a->all)) {
        fprintf(stderr, "drl_index: need CONF.cfg, -o INDEX.h5 and one of --split NAME / --all\n");
        return -1;
    }
    return 0;
}

/* The store rows to index: every ok video (--all) or the split's videos in
 * order of first appearance; failed videos are skipped. */
static int64_t select_videos(const Store *s, const IndexArgs *a, int64_t **out, int64_t *failed,
                             char *err, size_t errlen) {
    const int64_t V = store_num_videos(s);
    int64_t *rows = callocCheck((size_t)V + 1, sizeof(int64_t));
    int64_t n = 0;
    *failed = 0;
    if (a->all) {
        for (int64_t v = 0; v < V; v++) {
            if (store_video_ok(s, v))
                rows[n++] = v;
            else
                (*failed)++;
        }
    } else {
        const int64_t *caps;
        int64_t nc;
        if (store_split(s, a->split, &caps, &nc, err, errlen)) {
            free(rows);
            return -1;
        }
        uint8_t *seen = callocCheck((size_t)V + 1, 1);
        for (int64_t k = 0; k < nc; k++) {
            int32_t v = store_caption_video(s, caps[k]);
            if (v < 0 || v >= V || seen[v]) continue;
            seen[v] = 1;
            if (store_video_ok(s, v))
                rows[n++] = v;
            else
                (*failed)++;
        }
        free(seen);
    }
    *out = rows;
    return n;
}

/* Encodes rows[0..n) of the store into vf (n, T, D), vm (n, T), pooled (n, D), wv (n, T). */
static int encode_block(Encoder *e, const Store *s, const int64_t *rows, int n, float *vf,
                        int32_t *vm, float *pooled, float *wv, char *err, size_t errlen) {
    const int T = e->T, D = e->D, R = e->R;
    const size_t fb = (size_t)T * R * R * 3;
    uint8_t *frames = callocCheck(fb * e->max_local, 1); // (B, T, R, R, 3)
    for (int b0 = 0; b0 < n; b0 += e->max_local) {
        int B = n - b0 < e->max_local ? n - b0 : e->max_local;
        for (int k = 0; k < B; k++)
            if (encoder_read_video(s, rows[b0 + k], T, R, frames + fb * k,
                                   vm + (size_t)(b0 + k) * T, err, errlen) < 0) {
                free(frames);
                return -1;
            }
        encoder_videos(e, frames, vm + (size_t)b0 * T, B, vf + (size_t)b0 * T * D);
    }
    free(frames);
    encoder_pool_videos(vf, vm, n, T, D, pooled);
    if (wv) encoder_video_weights(e, vf, vm, n, wv);
    return 0;
}

static int run(const IndexArgs *a, const DrlComm *comm) {
    char *err = mallocCheck(ERR_CAP);
    DrlConfig cfg;
    if (config_load(a->config, 1, &cfg, err, ERR_CAP)) {
        if (comm->rank == 0) fprintf(stderr, "%s", err);
        free(err);
        return DRL_CONFIG_EXIT;
    }
    char ckpt[DRL_CONFIG_PATH_MAX];
    if (encoder_resolve_checkpoint(&cfg, a->checkpoint, ckpt, sizeof ckpt, err, ERR_CAP)) {
        if (comm->rank == 0) fprintf(stderr, "drl_index: %s\n", err);
        free(err);
        return DRL_CONFIG_EXIT;
    }
    char abs_ckpt[PATH_MAX] = "";
    if (ckpt[0] && !realpath(ckpt, abs_ckpt)) snprintf(abs_ckpt, sizeof abs_ckpt, "%s", ckpt);
    StoreOpenOptions so = {.expect_resolution = cfg.data.resolution};
    Store *s = store_open(cfg.data.store, &so, err, ERR_CAP);
    if (!s) {
        fprintf(stderr, "drl_index: data.store: %s\n", err);
        free(err);
        return 1;
    }
    int64_t *rows = NULL, failed = 0;
    int64_t N = select_videos(s, a, &rows, &failed, err, ERR_CAP);
    if (N < 0) {
        fprintf(stderr, "drl_index: %s\n", err);
        store_close(s), free(err);
        return 2;
    }
    Encoder e;
    if (encoder_open(&e, &cfg, abs_ckpt, comm, a->batch, err, ERR_CAP)) {
        fprintf(stderr, "drl_index: %s\n", err);
        store_close(s), free(rows), free(err);
        return 1;
    }
    const int T = e.T, D = e.D, W = comm->world, blk = a->block;
    const int wti = e.m.h.interaction == HEAD_WTI;
    const char *inter = config_enum_name("model.interaction", cfg.model.interaction);
    FeatureIndex x;
    int rc = 0;
    if (comm->rank == 0) {
        const char **ids = callocCheck((size_t)N + 1, sizeof(char *));
        for (int64_t i = 0; i < N; i++)
            ids[i] = store_video_id(s, rows[i]);
        char *text = config_to_string(&e.cfg);
        char abs_store[PATH_MAX];
        if (!realpath(cfg.data.store, abs_store))
            snprintf(abs_store, sizeof abs_store, "%s", cfg.data.store);
        rc = index_create(&x, a->out, N, T, D, e.L, blk, wti, ids, rows, text, abs_ckpt, abs_store,
                          inter, err, ERR_CAP);
        free(ids), free(text);
        printf("drl_index: %lld videos (%lld failed skipped) of %s, %s, checkpoint %s, %d rank%s\n",
               (long long)N, (long long)failed, a->all ? "the whole store" : a->split, inter,
               abs_ckpt[0] ? abs_ckpt : "(pretrained CLIP)", W, W > 1 ? "s" : "");
    }
    rc = (int)comm_allreduce_sum_f64(comm, rc ? 1.0 : 0.0);
    /* one block per rank per round, fixed-size buffers for the gather */
    float *vf = callocCheck((size_t)blk * T * D, sizeof(float)); // (blk, T, D)
    int32_t *vm = callocCheck((size_t)blk * T, sizeof(int32_t)); // (blk, T)
    float *pooled = callocCheck((size_t)blk * D, sizeof(float)); // (blk, D)
    float *wv = callocCheck((size_t)blk * T, sizeof(float));     // (blk, T)
    int root = comm->rank == 0;
    float *g_vf =
        root ? callocCheck((size_t)W * blk * T * D, sizeof(float)) : NULL; // (W, blk, T, D)
    int32_t *g_vm = root ? callocCheck((size_t)W * blk * T, sizeof(int32_t)) : NULL; // (W, blk, T)
    float *g_pooled = root ? callocCheck((size_t)W * blk * D, sizeof(float)) : NULL; // (W, blk, D)
    float *g_wv = root ? callocCheck((size_t)W * blk * T, sizeof(float)) : NULL;     // (W, blk, T)
    const int64_t nblocks = (N + blk - 1) / blk;
    for (int64_t round = 0; rc == 0 && round * W < nblocks; round++) {
        const int64_t c = round * W + comm->rank;
        int local_fail = 0;
        if (c < nblocks) {
            int64_t start = c * blk;
            int n = (int)(N - start < blk ? N - start : blk);
            local_fail = encode_block(&e, s, rows + start, n, vf, vm, pooled, wti ? wv : NULL, err,
                                      ERR_CAP) != 0;
            if (local_fail) fprintf(stderr, "drl_index: rank %d: %s\n", comm->rank, err);
        }
        if (comm_allreduce_sum_f64(comm, local_fail) > 0) {
            rc = 1;
            break;
        }
        if (W > 1) {
            mpiCheck(MPI_Gather(vf, blk * T * D, MPI_FLOAT, g_vf, blk * T * D, MPI_FLOAT, 0,
                                comm->comm));
            mpiCheck(
                MPI_Gather(vm, blk * T, MPI_INT32_T, g_vm, blk * T, MPI_INT32_T, 0, comm->comm));
            mpiCheck(MPI_Gather(pooled, blk * D, MPI_FLOAT, g_pooled, blk * D, MPI_FLOAT, 0,
                                comm->comm));
            mpiCheck(MPI_Gather(wv, blk * T, MPI_FLOAT, g_wv, blk * T, MPI_FLOAT, 0, comm->comm));
        } else {
            memcpy(g_vf, vf, sizeof(float) * blk * T * D);
            memcpy(g_vm, vm, sizeof(int32_t) * blk * T);
            memcpy(g_pooled, pooled, sizeof(float) * blk * D);
            memcpy(g_wv, wv, sizeof(float) * blk * T);
        }
        for (int r = 0; root && r < W && rc == 0; r++) {
            const int64_t cr = round * W + r;
            if (cr >= nblocks) break;
            const int64_t start = cr * blk;
            const int64_t n = N - start < blk ? N - start : blk;
            if (index_write_rows(&x, start, n, g_vf + (size_t)r * blk * T * D,
                                 g_vm + (size_t)r * blk * T, g_pooled + (size_t)r * blk * D,
                                 wti ? g_wv + (size_t)r * blk * T : NULL, err, ERR_CAP)) {
                fprintf(stderr, "drl_index: %s\n", err);
                rc = 1;
            }
        }
        rc = (int)comm_allreduce_sum_f64(comm, rc);
    }
    if (root) {
        index_close(&x);
        if (rc == 0) printf("drl_index: wrote %s (%lld x %d x %d)\n", a->out, (long long)N, T, D);
    }
    free(vf), free(vm), free(pooled), free(wv), free(g_vf), free(g_vm), free(g_pooled), free(g_wv);
    encoder_close(&e);
    store_close(s);
    free(rows), free(err);
    return rc ? 1 : 0;
}

int main(int argc, char **argv) {
    IndexArgs a;
    int p = parse(argc, argv, &a);
    if (p) {
        usage(p > 0 ? stdout : stderr);
        return p > 0 ? 0 : DRL_CONFIG_EXIT;
    }
    MPI_Init(&argc, &argv);
    DrlComm comm;
    comm_init_world(&comm);
    LogState log; /* drl_index prints its own summary */
    log_init(&log, comm.rank, comm.world);
    log.quiet = 1;
    int rc = run(&a, &comm);
    if (rc == 1 && comm.world > 1) drl_die(1);
    MPI_Finalize();
    return rc;
}
