/* drl_preprocess: videos + annotations -> one HDF5 store, as an MPI job.
 * See preprocess_run.h for how the ranks share the work and why per-rank
 * parts are merged by rank 0; the store is written as OUT.tmp and renamed to
 * OUT only once complete, so a store that looks complete is complete. */
#include "common/log.h"
#include "preprocess/datasets/datasets.h"
#include "preprocess/msrvtt.h"
#include "preprocess/preprocess_args.h"
#include "preprocess/preprocess_run.h"
#include "store/store.h"
#include "tokenizer/tokenizer.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every rank agrees on ok (all must be 1). */
static int all_ok(int ok) {
    int all = 0;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all;
}

/* Rank 0: refuse to overwrite a store unless --force; remove leftovers of an
 * interrupted run. Returns 1 to go on. */
static int prepare_output(const PreprocessArgs *a, const char *tmp) {
    if (access(a->out, F_OK) == 0) {
        char err[1024];
        Store *s = store_open(a->out, NULL, err, sizeof err);
        if (!a->force) {
            if (s)
                log_error("%s already holds a complete store (%lld videos, %lld captions, %s); "
                          "refusing to overwrite it: pass --force to rebuild it, or choose "
                          "another --out",
                          a->out, (long long)store_num_videos(s), (long long)store_num_captions(s),
                          store_tool_version(s));
            else
                log_error("%s exists and is not a complete store (%s); refusing to overwrite it: "
                          "remove it or pass --force",
                          a->out, err);
            store_close(s);
            return 0;
        }
        store_close(s);
        log_info("--force: %s will be replaced once the new store is complete", a->out);
    }
    if (access(tmp, F_OK) == 0) {
        log_info("note: removing %s, the leftover of an interrupted run; starting again", tmp);
        if (unlink(tmp) != 0) {
            log_error("cannot remove %s: %s", tmp, strerror(errno));
            return 0;
        }
    }
    char pattern[8300];
    snprintf(pattern, sizeof pattern, "%s.part*", tmp);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            log_info("note: removing the leftover part %s", g.gl_pathv[i]);
            unlink(g.gl_pathv[i]);
        }
        globfree(&g);
    }
    return 1;
}

static int tokenize_captions(const PreprocessArgs *a, const Annotations *ann, CaptionTokens *t) {
    char err[1024];
    Tokenizer *tok = tokenizer_load(a->vocab, err, sizeof err);
    if (!tok) {
        log_error("tokenizer: %s", err);
        return 0;
    }
    snprintf(t->sha256, sizeof t->sha256, "%s", tokenizer_vocab_hash(tok));
    t->ids = calloc((size_t)ann->n_captions + 1, sizeof *t->ids);
    t->n = calloc((size_t)ann->n_captions + 1, sizeof *t->n);
    int ok = t->ids && t->n;
    for (int64_t c = 0; ok && c < ann->n_captions; c++) {
        t->n[c] = tokenizer_encode(tok, ann->captions[c], &t->ids[c], err, sizeof err);
        if (t->n[c] < 0) {
            log_error("caption %lld (video %s): %s", (long long)c,
                      ann->video_ids[ann->caption_video[c]], err);
            t->n[c] = 0;
            ok = 0;
        }
    }
    tokenizer_free(tok);
    return ok;
}

static void free_tokens(CaptionTokens *t, int64_t n) {
    if (t->ids)
        for (int64_t c = 0; c < n; c++)
            free(t->ids[c]);
    free(t->ids);
    free(t->n);
}

/* fsync a file or folder by path. */
static int sync_path(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static void summary(const PreprocessArgs *a, const Annotations *ann, const PartStats *tot,
                    double seconds) {
    log_info("done: %lld videos (%lld ok, %lld failed), %lld frames, %lld captions in %.1f s: "
             "%.2f videos/s, %.1f frames/s",
             (long long)tot->videos, (long long)tot->ok, (long long)tot->failed,
             (long long)tot->frames, (long long)ann->n_captions, seconds,
             seconds > 0 ? (double)tot->videos / seconds : 0.0,
             seconds > 0 ? (double)tot->frames / seconds : 0.0);
    for (int s = 0; s < ann->n_splits; s++)
        log_info("split %s: %lld pairs", ann->splits[s].name, (long long)ann->splits[s].n);
    if (tot->failed == 0) return;
    char err[1024];
    Store *st = store_open(a->out, NULL, err, sizeof err);
    if (!st) return;
    int shown = 0;
    for (int64_t v = 0; v < store_num_videos(st) && shown < 50; v++)
        if (!store_video_ok(st, v)) {
            log_info("failed: %s: %s", store_video_id(st, v), store_video_status(st, v));
            shown++;
        }
    if (tot->failed > shown) log_info("... and %lld more", (long long)(tot->failed - shown));
    store_close(st);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank = 0, world = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world);
    LogState logst;
    log_init(&logst, rank, world);
    double t0 = MPI_Wtime();
    PreprocessArgs a;
    char err[2048];
    int pr = preprocess_parse_args(argc, argv, &a, err, sizeof err);
    if (pr != 0) {
        if (rank == 0) {
            if (pr > 0)
                preprocess_usage(stdout);
            else
                fprintf(stderr, "drl_preprocess: %s\n", err);
        }
        MPI_Finalize();
        return pr > 0 ? 0 : 2;
    }
    char tmp[8192];
    snprintf(tmp, sizeof tmp, "%s.tmp", a.out);
    char **parts = calloc((size_t)world, sizeof *parts);
    for (int r = 0; r < world; r++) {
        parts[r] = malloc(8300);
        snprintf(parts[r], 8300, "%s.part%d", tmp, r);
    }
    int rc = 1;
    Annotations ann;
    annotations_init(&ann);
    CaptionTokens tok;
    memset(&tok, 0, sizeof tok);
    if (!all_ok(rank == 0 ? prepare_output(&a, tmp) : 1)) goto out;

    int ok;
    if (strcmp(a.dataset, "msrvtt") == 0) {
        MsrvttSources src = {.json = a.json,
                             .train_csv = a.train_csv,
                             .test_csv = a.test_csv,
                             .want_train = a.want_train,
                             .want_test = a.want_test,
                             .limit = a.limit};
        MsrvttStats mst;
        ok = msrvtt_read(&src, &ann, &mst, err, sizeof err) == 0;
        if (!ok && rank == 0) log_error("annotations: %s", err);
        if (!all_ok(ok)) goto out;
        log_info("msrvtt: %lld videos, %lld captions (%lld JSON sentences, %lld training ids, "
                 "%lld of them without a sentence); %d rank(s), %g fps, %dx%d",
                 (long long)ann.n_videos, (long long)ann.n_captions, (long long)mst.json_sentences,
                 (long long)mst.train_ids, (long long)mst.train_ids_without_caption, world, a.fps,
                 a.resolution, a.resolution);
    } else {
        DatasetSources src = {.anno = a.anno,
                              .want = {a.want_train, a.want_val, a.want_test},
                              .limit = a.limit,
                              .window_full = a.window_full};
        DatasetStats dst;
        ok = dataset_read(a.dataset, &src, &ann, &dst, err, sizeof err) == 0;
        if (!ok && rank == 0) log_error("annotations: %s", err);
        if (!all_ok(ok)) goto out;
        log_info("%s: %lld videos, %lld captions, %lld annotation problem(s) skipped; %d "
                 "rank(s), %g fps, %dx%d",
                 a.dataset, (long long)ann.n_videos, (long long)ann.n_captions,
                 (long long)dst.problems, world, a.fps, a.resolution, a.resolution);
    }
    if (!all_ok(rank == 0 ? tokenize_captions(&a, &ann, &tok) : 1)) goto out;

    PartStats st;
    ok = preprocess_decode_part(&a, &ann, rank, world, parts[rank], &st, err, sizeof err) == 0;
    if (!ok) log_all("error: %s", err);
    if (!all_ok(ok)) {
        unlink(parts[rank]);
        goto out;
    }
    PartStats tot;
    int64_t mine[4] = {st.videos, st.ok, st.failed, st.frames}, sum[4];
    MPI_Reduce(mine, sum, 4, MPI_INT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    tot.videos = sum[0];
    tot.ok = sum[1];
    tot.failed = sum[2];
    tot.frames = sum[3];
    if (rank == 0) {
        log_info("merging %d part(s) into %s", world, tmp);
        ok = preprocess_merge(&a, &ann, &tok, world, parts, tmp, err, sizeof err) == 0;
        if (!ok) log_error("%s", err);
        if (ok && sync_path(tmp) != 0) {
            log_error("cannot sync %s: %s", tmp, strerror(errno));
            ok = 0;
        }
        if (ok && rename(tmp, a.out) != 0) {
            log_error("cannot rename %s to %s: %s", tmp, a.out, strerror(errno));
            ok = 0;
        }
        if (ok) {
            char dir[8192];
            snprintf(dir, sizeof dir, "%s", a.out);
            sync_path(dirname(dir));
        }
        for (int r = 0; r < world; r++)
            unlink(parts[r]);
        if (ok) summary(&a, &ann, &tot, MPI_Wtime() - t0);
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    rc = ok ? 0 : 1;
out:
    free_tokens(&tok, ann.n_captions);
    annotations_free(&ann);
    for (int r = 0; r < world; r++)
        free(parts[r]);
    free(parts);
    MPI_Finalize();
    return rc;
}
