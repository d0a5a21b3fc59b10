#include "train/run_eval.h"

#include <string.h>
#include <time.h>

#include "common/check.h"
#include "common/log.h"
#include "drl/drl_xti.h"
#include "drl/interaction.h"
#include "eval/distributed.h"
#include "eval/report.h"
#include "loader/loader.h"
#include "progress/progress.h"
#include "train/batch_stage.h"

/* Gathered features of a split, prepared for scoring. */
typedef struct {
    DrlModel *m;
    int64_t Nq, Nv;
    int L, T, D;
    float *tf, *vf;   /* (Nq, L, D), (Nv, T, D) raw features */
    int32_t *tm, *vm; /* (Nq, L), (Nv, T) */
    float *tn, *vn;   /* (Nq, L, D), (Nv, T, D) normalised (ti/wti) */
    float *wt, *wv;   /* (Nq, L), (Nv, T) token weights */
    float *t, *v;     /* (Nq, D), (Nv, D) dp features */
} Scorer;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int score_rows(void *ctx, int64_t row0, int64_t nrows, float *out) {
    Scorer *s = ctx;
    const int L = s->L, T = s->T, D = s->D;
    switch (s->m->h.interaction) {
    case HEAD_DP:
        for (int64_t a = 0; a < nrows; a++)
            for (int64_t b = 0; b < s->Nv; b++) {
                const float *x = s->t + (row0 + a) * D, *y = s->v + b * D;
                double acc = 0.0;
                for (int d = 0; d < D; d++)
                    acc += (double)x[d] * y[d];
                out[a * s->Nv + b] = (float)acc;
            }
        break;
    case HEAD_TI:
    case HEAD_WTI:
        tokenwise_score_normalised(out, s->tn + row0 * L * D, s->tm + row0 * L, s->vn, s->vm,
                                   s->wt + row0 * L, s->wv, (int)nrows, (int)s->Nv, L, T, D, NULL);
        break;
    case HEAD_XTI:
        /* host arguments: the model stages them (drl_xti.h) */
        xti_score(s->m, s->tf + row0 * L * D, s->tm + row0 * L, (int)nrows, s->vf, s->vm,
                  (int)s->Nv, out);
        break;
    }
    return 0;
}

/* dp features: t = norm(Tf[len - 1]); v = norm(masked mean of normalised frames). */
static void prepare_dp(Scorer *s) {
    const int L = s->L, T = s->T, D = s->D;
    s->t = callocCheck((size_t)s->Nq * D, sizeof(float));
    s->v = callocCheck((size_t)s->Nv * D, sizeof(float));
    float *norm = callocCheck((size_t)(s->Nv * T > s->Nq ? s->Nv * T : s->Nq), sizeof(float));
    float *vn = callocCheck((size_t)s->Nv * T * D, sizeof(float)); // (Nv, T, D)
    for (int64_t a = 0; a < s->Nq; a++) {
        int len = 0;
        for (int i = 0; i < L; i++)
            len += s->tm[a * L + i];
        int idx = len > 0 ? len - 1 : L - 1;
        memcpy(s->t + a * D, s->tf + (a * L + idx) * D, sizeof(float) * D);
    }
    l2norm_rows(s->t, norm, s->t, (int)s->Nq, D);
    l2norm_rows(vn, norm, s->vf, (int)(s->Nv * T), D);
    for (int64_t b = 0; b < s->Nv; b++) {
        int cnt = 0;
        for (int j = 0; j < T; j++) {
            if (!s->vm[b * T + j]) continue;
            cnt++;
            for (int d = 0; d < D; d++)
                s->v[b * D + d] += vn[(b * T + j) * D + d];
        }
        float inv = 1.0f / (float)(cnt > 1 ? cnt : 1);
        for (int d = 0; d < D; d++)
            s->v[b * D + d] *= inv;
    }
    l2norm_rows(s->v, norm, s->v, (int)s->Nv, D);
    free(norm), free(vn);
}

/* w (n, K) host = the model's weight branch over x (n, K, D), mask (n, K)
 * host, run in backend memory in chunks of the branch's capacity. */
static void weights_by_branch(DrlModel *m, WeightBranch *wb, const float *x, const int32_t *mask,
                              int64_t n, int K, float *w) {
    const DrlOps *ops = m->ops;
    const int64_t cq = m->max_global;
    const size_t D = (size_t)m->D, Kz = (size_t)K, cz = (size_t)cq;
    float *xb = ops->alloc(cz * Kz * D * sizeof(float)); // (cq, K, D) backend
    int32_t *mb = ops->alloc(cz * Kz * sizeof(int32_t)); // (cq, K) backend
    float *wb_out = ops->alloc(cz * Kz * sizeof(float)); // (cq, K) backend
    for (int64_t a = 0; a < n; a += cq) {
        const size_t c = (size_t)(n - a < cq ? n - a : cq);
        ops->to_device(xb, x + (size_t)a * Kz * D, c * Kz * D * sizeof(float));
        ops->to_device(mb, mask + (size_t)a * Kz, c * Kz * sizeof(int32_t));
        weight_branch_fwd(wb, ops, &m->pt, xb, mb, (int)c, K, wb_out);
        ops->to_host(w + (size_t)a * Kz, wb_out, c * Kz * sizeof(float));
    }
    ops->free(xb), ops->free(mb), ops->free(wb_out);
}

static void prepare_tokenwise(Scorer *s) {
    const int L = s->L, T = s->T, D = s->D;
    DrlModel *m = s->m;
    s->tn = callocCheck((size_t)s->Nq * L * D, sizeof(float));
    s->vn = callocCheck((size_t)s->Nv * T * D, sizeof(float));
    s->wt = callocCheck((size_t)s->Nq * L, sizeof(float));
    s->wv = callocCheck((size_t)s->Nv * T, sizeof(float));
    float *norm =
        callocCheck((size_t)(s->Nq * L > s->Nv * T ? s->Nq * L : s->Nv * T), sizeof(float));
    l2norm_rows(s->tn, norm, s->tf, (int)(s->Nq * L), D);
    l2norm_rows(s->vn, norm, s->vf, (int)(s->Nv * T), D);
    free(norm);
    if (m->h.interaction == HEAD_TI) {
        ti_uniform_weights(s->wt, s->tm, (int)s->Nq, L);
        ti_uniform_weights(s->wv, s->vm, (int)s->Nv, T);
        return;
    }
    /* WTI weights in chunks that fit the weight branches' buffers */
    weights_by_branch(m, &m->wb_text, s->tf, s->tm, s->Nq, L, s->wt);
    weights_by_branch(m, &m->wb_video, s->vf, s->vm, s->Nv, T, s->wv);
}

/* Features of a split's pairs, gathered from every rank's shard (in split order). */
typedef struct {
    int64_t n;        /* pairs */
    float *tf, *vf;   /* (n, L, D), (n, T, D) */
    int32_t *tm, *vm; /* (n, L), (n, T) */
    int32_t *vid;     /* (n) store video index */
    int64_t failed;
} SplitFeatures;

static void split_features_free(SplitFeatures *f) {
    free(f->tf), free(f->vf), free(f->tm), free(f->vm), free(f->vid);
    memset(f, 0, sizeof *f);
}

/* Encodes the split; with max_pairs > 0 each rank stops after its share of
 * max_pairs (a bank: any subset serves). */
static int encode_split(DrlModel *m, const RunBackend *be, const DrlConfig *cfg, const Store *store,
                        const char *split, const DrlComm *comm, int64_t max_pairs,
                        SplitFeatures *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    const int L = m->L, T = m->T, D = m->D;
    const int B = cfg->eval.batch_size_val / comm->world;
    LoaderConfig lc = {.batch_size = B,
                       .max_words = L,
                       .max_frames = T,
                       .seed = (uint64_t)cfg->train.seed,
                       .rank = comm->rank,
                       .world = comm->world,
                       .prefetch = 1};
    Loader *ld = loader_create(store, split, LOADER_EVAL, &lc, err, errlen);
    if (!ld) return -1;
    int64_t n = loader_num_pairs(ld);
    int64_t S = (n + comm->world - 1) / comm->world; /* pairs per rank shard */
    int64_t batches = loader_batches_per_epoch(ld);
    if (max_pairs > 0 && max_pairs < n) {
        int64_t share = (max_pairs + comm->world - 1) / comm->world;
        batches = (share + B - 1) / B;
        S = batches * B;
    }
    out->failed = loader_num_failed_pairs(ld);
    float *tf_l = callocCheck((size_t)S * L * D + 1, sizeof(float)); // (S, L, D) padded shard
    float *vf_l = callocCheck((size_t)S * T * D + 1, sizeof(float)); // (S, T, D)
    int32_t *tm_l = callocCheck((size_t)S * L + 1, sizeof(int32_t)); // (S, L)
    int32_t *vm_l = callocCheck((size_t)S * T + 1, sizeof(int32_t)); // (S, T)
    int32_t *vid_l = callocCheck((size_t)S + 1, sizeof(int32_t));    // (S), -1 = padding
    for (int64_t k = 0; k < S; k++)
        vid_l[k] = -1;
    int64_t filled = 0;
    const LoaderBatch *b;
    int rc = 1;
    BatchStage stage;
    batch_stage_init(&stage, be, m, B);
    const DrlOps *ops = m->ops;
    float *tf_b = ops->alloc((size_t)B * L * D * sizeof(float) + 1); // (B, L, D) backend
    float *vf_b = ops->alloc((size_t)B * T * D * sizeof(float) + 1); // (B, T, D) backend
    m->training = 0;
    Progress prog;
    char label[DRL_CONFIG_NAME_MAX + 32];
    snprintf(label, sizeof label, "encode %s", split);
    progress_start(&prog, label, (long long)batches, comm->rank == 0);
    for (int64_t nb = 0; nb < batches && (rc = loader_next(ld, &b, err, errlen)) == 1; nb++) {
        progress_update(&prog, nb + 1);
        if (b->count == 0) continue;
        DrlBatch db;
        batch_stage_upload(&stage, m, b, &db);
        drlCheck(filled + b->count <= S, "evaluation shard larger than expected");
        drl_encode(m, &db, tf_b, vf_b);
        ops->to_host(tf_l + filled * L * D, tf_b, sizeof(float) * (size_t)b->count * L * D);
        ops->to_host(vf_l + filled * T * D, vf_b, sizeof(float) * (size_t)b->count * T * D);
        memcpy(tm_l + filled * L, b->text_mask, sizeof(int32_t) * b->count * L);
        memcpy(vm_l + filled * T, b->video_mask, sizeof(int32_t) * b->count * T);
        memcpy(vid_l + filled, b->video, sizeof(int32_t) * b->count);
        filled += b->count;
    }
    progress_finish(&prog);
    loader_free(ld);
    ops->free(tf_b), ops->free(vf_b);
    batch_stage_free(&stage);
    m->training = 1;
    if (rc < 0) {
        free(tf_l), free(vf_l), free(tm_l), free(vm_l), free(vid_l);
        return -1;
    }
    const int64_t G = S * comm->world;
    float *tf = callocCheck((size_t)G * L * D + 1, sizeof(float));
    float *vf = callocCheck((size_t)G * T * D + 1, sizeof(float));
    int32_t *tm = callocCheck((size_t)G * L + 1, sizeof(int32_t));
    int32_t *vm = callocCheck((size_t)G * T + 1, sizeof(int32_t));
    int32_t *vid = callocCheck((size_t)G + 1, sizeof(int32_t));
    comm_host_allgather_f32(comm, tf_l, tf, (size_t)S * L * D);
    comm_host_allgather_f32(comm, vf_l, vf, (size_t)S * T * D);
    comm_host_allgather_i32(comm, tm_l, tm, (size_t)S * L);
    comm_host_allgather_i32(comm, vm_l, vm, (size_t)S * T);
    comm_host_allgather_i32(comm, vid_l, vid, (size_t)S);
    free(tf_l), free(vf_l), free(tm_l), free(vm_l), free(vid_l);
    /* drop the padding rows (shards are contiguous; a bank's are not) */
    int64_t k = 0;
    for (int64_t g = 0; g < G; g++) {
        if (vid[g] < 0) continue;
        if (k != g) {
            memmove(tf + k * L * D, tf + g * L * D, sizeof(float) * L * D);
            memmove(vf + k * T * D, vf + g * T * D, sizeof(float) * T * D);
            memmove(tm + k * L, tm + g * L, sizeof(int32_t) * L);
            memmove(vm + k * T, vm + g * T, sizeof(int32_t) * T);
            vid[k] = vid[g];
        }
        k++;
    }
    out->n = k, out->tf = tf, out->vf = vf, out->tm = tm, out->vm = vm, out->vid = vid;
    return 0;
}

/* A scorer of texts (Nq) against videos (Nv) borrowing the arrays. */
static void scorer_prepare(Scorer *s, DrlModel *m, const float *tf, const int32_t *tm, int64_t nq,
                           const float *vf, const int32_t *vm, int64_t nv) {
    memset(s, 0, sizeof *s);
    s->m = m, s->Nq = nq, s->Nv = nv, s->L = m->L, s->T = m->T, s->D = m->D;
    s->tf = (float *)tf, s->tm = (int32_t *)tm, s->vf = (float *)vf, s->vm = (int32_t *)vm;
    if (m->h.interaction == HEAD_DP) prepare_dp(s);
    if (m->h.interaction == HEAD_TI || m->h.interaction == HEAD_WTI) prepare_tokenwise(s);
}

static void scorer_release(Scorer *s) {
    free(s->tn), free(s->vn), free(s->wt), free(s->wv), free(s->t), free(s->v);
}

/* sim (Nq, Nv) on rank 0 (NULL elsewhere). */
static float *score_all(Scorer *s, const DrlComm *comm, char *err, size_t errlen, int *rc) {
    float *sim = comm->rank == 0 ? callocCheck((size_t)s->Nq * s->Nv + 1, sizeof(float)) : NULL;
    *rc = eval_similarity_distributed(comm, s->Nq, s->Nv, score_rows, s, sim, err, errlen);
    return sim;
}

#define QB_BANK_PAIRS 5000 /* training captions in the QB-Norm query bank */
#define QB_BETA       20.0f

int run_evaluate(DrlModel *m, const RunBackend *be, const DrlConfig *cfg, const Store *store,
                 const char *split, const DrlComm *comm, EvalResult *out, char *err,
                 size_t errlen) {
    memset(out, 0, sizeof *out);
    const double t0 = now_s();
    const int T = m->T, D = m->D;
    SplitFeatures f;
    if (encode_split(m, be, cfg, store, split, comm, 0, &f, err, errlen)) return -1;
    const int64_t n = f.n;
    out->failed = f.failed;
    /* unique videos in order of first appearance; several captions per video
     * switch to the multi-sentence protocol (spec §10) */
    int32_t *cap_video = callocCheck((size_t)n + 1, sizeof(int32_t)); // (n) caption -> column
    int32_t *first = callocCheck((size_t)n + 1, sizeof(int32_t));     // (Nv) pair of each column
    int64_t nv = 0;
    int32_t maxvid = 0;
    for (int64_t k = 0; k < n; k++)
        maxvid = f.vid[k] > maxvid ? f.vid[k] : maxvid;
    int32_t *col = callocCheck((size_t)maxvid + 1, sizeof(int32_t));
    for (int32_t k = 0; k <= maxvid; k++)
        col[k] = -1;
    for (int64_t k = 0; k < n; k++) {
        if (col[f.vid[k]] < 0) col[f.vid[k]] = (int32_t)nv, first[nv++] = (int32_t)k;
        cap_video[k] = col[f.vid[k]];
    }
    free(col);
    float *vf = callocCheck((size_t)nv * T * D + 1, sizeof(float)); // (nv, T, D) unique videos
    int32_t *vm = callocCheck((size_t)nv * T + 1, sizeof(int32_t)); // (nv, T)
    for (int64_t c = 0; c < nv; c++) {
        memcpy(vf + c * T * D, f.vf + (int64_t)first[c] * T * D, sizeof(float) * T * D);
        memcpy(vm + c * T, f.vm + (int64_t)first[c] * T, sizeof(int32_t) * T);
    }
    free(first);
    Scorer s;
    scorer_prepare(&s, m, f.tf, f.tm, n, vf, vm, nv);
    int rc = 0;
    float *sim = score_all(&s, comm, err, errlen, &rc);
    scorer_release(&s);
    out->queries = n;
    out->videos = nv;
    out->multi_sentence = nv != n;
    const int32_t *cv = out->multi_sentence ? cap_video : NULL;
    if (rc == 0 && comm->rank == 0) {
        eval_metrics(sim, n, nv, cv, &out->t2v, &out->v2t);
        if (cfg->eval.rerank_dsl) {
            eval_metrics_dsl(sim, n, nv, cv, 100.0f, &out->dsl_t2v, &out->dsl_v2t);
            out->have_dsl = 1;
        }
    }
    if (rc == 0 && cfg->eval.rerank_qbnorm && cfg->data.train_split[0]) {
        /* QB-Norm's query bank: training pairs (texts against the test videos,
         * and training videos against the test captions) */
        SplitFeatures bank;
        if (encode_split(m, be, cfg, store, cfg->data.train_split, comm, QB_BANK_PAIRS, &bank, err,
                         errlen)) {
            rc = -1;
        } else {
            Scorer bt, bv;
            scorer_prepare(&bt, m, bank.tf, bank.tm, bank.n, vf, vm, nv);
            float *bank_t2v = score_all(&bt, comm, err, errlen, &rc); // (Nb, nv)
            scorer_release(&bt);
            float *bank_vt = NULL; // (n, Nb) test captions x bank videos
            if (rc == 0) {
                scorer_prepare(&bv, m, f.tf, f.tm, n, bank.vf, bank.vm, bank.n);
                bank_vt = score_all(&bv, comm, err, errlen, &rc);
                scorer_release(&bv);
            }
            if (rc == 0 && comm->rank == 0) {
                float *bank_v2t = callocCheck((size_t)bank.n * n + 1, sizeof(float)); // (Nb, n)
                for (int64_t a = 0; a < n; a++)
                    for (int64_t b = 0; b < bank.n; b++)
                        bank_v2t[b * n + a] = bank_vt[a * bank.n + b];
                eval_metrics_qbnorm(sim, n, nv, cv, bank_t2v, bank.n, bank_v2t, bank.n, QB_BETA,
                                    &out->qb_t2v, &out->qb_v2t);
                out->have_qbnorm = 1;
                out->qb_bank = bank.n;
                free(bank_v2t);
            }
            free(bank_t2v), free(bank_vt);
            split_features_free(&bank);
        }
    }
    free(sim), free(cap_video), free(vf), free(vm);
    split_features_free(&f);
    out->seconds = now_s() - t0;
    return rc;
}
