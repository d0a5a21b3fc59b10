/* drl_search INDEX.h5 "a caption" [-k 10] [--rerank N] [--json] [--json-full]
 *            [--block B] [--checkpoint CKPT] [--vocab FILE]
 * Ranks the indexed videos for a caption with the model the index was built
 * with (its configuration and checkpoint are attributes of the index): a dp
 * first pass over every pooled vector, read in blocks of B rows (default the
 * index's chunk size, or $DRL_SEARCH_BLOCK), keeps the best N (default 200),
 * which the configured interaction (wti, ti, xti; dp keeps the first pass)
 * re-scores; prints the best k as a table, or JSON with --json (--json-full
 * adds the text features, mask and weights). Memory: one block plus the N
 * candidates, never the whole index. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/check.h"
#include "common/log.h"
#include "config/config.h"
#include "search/encoder.h"
#include "search/index_h5.h"
#include "search/query.h"

#define ERR_CAP 8192

typedef struct {
    const char *index, *caption, *checkpoint, *vocab;
    int k, rerank, json, json_full;
    int64_t block;
} SearchArgs;

static void usage(FILE *f) {
    fprintf(f, "usage: drl_search INDEX.h5 \"a caption\" [-k 10] [--rerank 200] [--json] "
               "[--json-full]\n"
               "                  [--block B] [--checkpoint CKPT] [--vocab FILE]\n"
               "  --vocab defaults to $DRL_VOCAB, then "
               "$DRL_SHARED_DIR/clip/bpe_simple_vocab_16e6.txt.gz\n");
}

static int parse_int(const char *opt, const char *v, long lo, long *out) {
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < lo) {
        fprintf(stderr, "drl_search: %s expects an integer >= %ld, found '%s'\n", opt, lo, v);
        return -1;
    }
    *out = n;
    return 0;
}

static int parse(int argc, char **argv, SearchArgs *a) {
    memset(a, 0, sizeof *a);
    a->k = 10, a->rerank = 200;
    const char *env_block = getenv("DRL_SEARCH_BLOCK");
    if (env_block && parse_int("DRL_SEARCH_BLOCK", env_block, 1, (long *)&a->block)) return -1;
    int pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n = 0;
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) return 1;
        if (!strcmp(s, "--json"))
            a->json = 1;
        else if (!strcmp(s, "--json-full"))
            a->json = a->json_full = 1;
        else if (s[0] == '-' && s[1] && !v) {
            fprintf(stderr, "drl_search: %s needs a value\n", s);
            return -1;
        } else if (!strcmp(s, "-k")) {
            if (parse_int(s, argv[++i], 1, &n)) return -1;
            a->k = (int)n;
        } else if (!strcmp(s, "--rerank")) {
            if (parse_int(s, argv[++i], 0, &n)) return -1;
            a->rerank = (int)n;
        } else if (!strcmp(s, "--block")) {
            if (parse_int(s, argv[++i], 1, &n)) return -1;
            a->block = n;
        } else if (!strcmp(s, "--checkpoint"))
            a->checkpoint = argv[++i];
        else if (!strcmp(s, "--vocab"))
            a->vocab = argv[++i];
        else if (s[0] == '-' && s[1]) {
            fprintf(stderr, "drl_search: unknown option %s\n", s);
            return -1;
        } else if (pos == 0)
            a->index = s, pos++;
        else if (pos == 1)
            a->caption = s, pos++;
        else {
            fprintf(stderr, "drl_search: unexpected argument '%s'\n", s);
            return -1;
        }
    }
    if (!a->index || !a->caption) {
        fprintf(stderr, "drl_search: need INDEX.h5 and a caption\n");
        return -1;
    }
    return 0;
}

static void vocab_path(const SearchArgs *a, char *out, size_t len) {
    const char *env = getenv("DRL_VOCAB"), *shared = getenv("DRL_SHARED_DIR");
    if (a->vocab)
        snprintf(out, len, "%s", a->vocab);
    else if (env && env[0])
        snprintf(out, len, "%s", env);
    else
        snprintf(out, len, "%s/clip/bpe_simple_vocab_16e6.txt.gz", shared ? shared : "shared");
}

static cJSON *float_array(const float *x, int n) {
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateNumber(x[i]));
    return arr;
}

typedef struct {
    int64_t row;
    float dp, score;
} Hit;

static int by_score(const void *pa, const void *pb) {
    const Hit *a = pa, *b = pb;
    if (a->score != b->score) return a->score < b->score ? 1 : -1;
    return a->row < b->row ? -1 : a->row > b->row;
}

static int by_row(const void *pa, const void *pb) {
    const Hit *a = pa, *b = pb;
    return a->row < b->row ? -1 : a->row > b->row;
}

/* The dp first pass over every pooled vector, block by block. */
static int first_pass(FeatureIndex *x, const QueryText *q, int64_t block, TopK *top, char *err,
                      size_t errlen) {
    float *pooled = callocCheck((size_t)block * q->D, sizeof(float)); // (block, D)
    float *score = callocCheck((size_t)block, sizeof(float));         // (block)
    int rc = 0;
    for (int64_t s = 0; s < x->N && rc == 0; s += block) {
        int64_t n = x->N - s < block ? x->N - s : block;
        rc = index_read_rows(x, s, n, NULL, NULL, pooled, NULL, err, errlen);
        if (rc) break;
        query_score_dp(q, pooled, n, score);
        for (int64_t b = 0; b < n; b++)
            topk_push(top, score[b], s + b);
    }
    free(pooled), free(score);
    return rc;
}

/* Re-scores the candidates (sorted by row) with the configured interaction,
 * reading them in groups of up to `block` rows. */
static int rerank(FeatureIndex *x, Encoder *e, const QueryText *q, Hit *hits, int n, int64_t block,
                  char *err, size_t errlen) {
    const int T = q->T, D = q->D;
    const int G = (int)(block < n ? block : n);
    float *vf = callocCheck((size_t)G * T * D, sizeof(float)); // (G, T, D)
    int32_t *vm = callocCheck((size_t)G * T, sizeof(int32_t)); // (G, T)
    float *wv = callocCheck((size_t)G * T, sizeof(float));     // (G, T)
    float *score = callocCheck((size_t)G, sizeof(float));      // (G)
    int rc = 0;
    for (int g0 = 0; g0 < n && rc == 0; g0 += G) {
        int m = n - g0 < G ? n - g0 : G;
        for (int k = 0; k < m && rc == 0; k++)
            rc = index_read_rows(x, hits[g0 + k].row, 1, vf + (size_t)k * T * D, vm + (size_t)k * T,
                                 NULL, x->has_weights ? wv + (size_t)k * T : NULL, err, errlen);
        if (rc) break;
        query_score_videos(e, q, vf, vm, x->has_weights ? wv : NULL, m, score);
        for (int k = 0; k < m; k++)
            hits[g0 + k].score = score[k];
    }
    free(vf), free(vm), free(wv), free(score);
    return rc;
}

static int print_results(FeatureIndex *x, const SearchArgs *a, const QueryText *q, const Hit *hits,
                         int n, const char *inter, int reranked, char *err, size_t errlen) {
    const int k = a->k < n ? a->k : n;
    cJSON *root = a->json ? cJSON_CreateObject() : NULL, *res = NULL;
    if (root) {
        cJSON_AddStringToObject(root, "index", a->index);
        cJSON_AddStringToObject(root, "caption", a->caption);
        cJSON_AddStringToObject(root, "interaction", inter);
        cJSON_AddNumberToObject(root, "videos", (double)x->N);
        cJSON_AddNumberToObject(root, "reranked", reranked);
        cJSON_AddItemToObject(root, "text_vector", float_array(q->t, q->D));
        if (a->json_full) {
            cJSON_AddItemToObject(root, "text_features", float_array(q->tf, q->L * q->D));
            cJSON *m = cJSON_CreateArray();
            for (int i = 0; i < q->L; i++)
                cJSON_AddItemToArray(m, cJSON_CreateNumber(q->tm[i]));
            cJSON_AddItemToObject(root, "text_mask", m);
            cJSON_AddItemToObject(root, "text_weights", float_array(q->wt, q->L));
        }
        res = cJSON_AddArrayToObject(root, "results");
    } else {
        printf("%d best of %lld videos for \"%s\" (%s, %d re-ranked)\n", k, (long long)x->N,
               a->caption, inter, reranked);
        printf("%5s  %10s  %10s  %s\n", "rank", "score", "dp", "id");
    }
    for (int i = 0; i < k; i++) {
        char *id = index_read_id(x, hits[i].row, err, errlen);
        if (!id) {
            cJSON_Delete(root);
            return -1;
        }
        if (root) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "rank", i + 1);
            cJSON_AddStringToObject(o, "id", id);
            cJSON_AddNumberToObject(o, "row", (double)hits[i].row);
            cJSON_AddNumberToObject(o, "score", hits[i].score);
            cJSON_AddNumberToObject(o, "dp", hits[i].dp);
            cJSON_AddItemToArray(res, o);
        } else {
            printf("%5d  %10.6f  %10.6f  %s\n", i + 1, hits[i].score, hits[i].dp, id);
        }
        free(id);
    }
    if (root) {
        char *text = cJSON_Print(root);
        printf("%s\n", text);
        free(text);
        cJSON_Delete(root);
    }
    return 0;
}

static int run(const SearchArgs *a) {
    char *err = mallocCheck(ERR_CAP);
    FeatureIndex x;
    if (index_open(&x, a->index, err, ERR_CAP)) {
        fprintf(stderr, "drl_search: %s\n", err);
        index_close(&x), free(err);
        return 2;
    }
    DrlConfig cfg;
    char name[1200];
    snprintf(name, sizeof name, "%s:config", a->index);
    if (config_load_string(x.config, name, NULL, 1, &cfg, err, ERR_CAP)) {
        fprintf(stderr, "drl_search: the configuration stored in the index:\n%s", err);
        index_close(&x), free(err);
        return 2;
    }
    const char *ckpt = a->checkpoint ? a->checkpoint : x.checkpoint;
    char vocab[4096];
    vocab_path(a, vocab, sizeof vocab);
    Tokenizer *tok = tokenizer_load(vocab, err, ERR_CAP);
    if (!tok) {
        fprintf(stderr, "drl_search: %s (pass --vocab FILE or set DRL_VOCAB)\n", err);
        index_close(&x), free(err);
        return 2;
    }
    DrlComm comm;
    comm_init_single(&comm);
    Encoder e;
    int rc = encoder_open(&e, &cfg, ckpt, &comm, 16, err, ERR_CAP);
    if (rc == 0 && (e.T != x.T || e.D != x.D || e.L != x.L)) {
        snprintf(err, ERR_CAP,
                 "%s: index shape (T %d, D %d, L %d) differs from the model's (%d, %d, %d)",
                 a->index, x.T, x.D, x.L, e.T, e.D, e.L);
        encoder_close(&e);
        rc = -1;
    }
    if (rc) {
        fprintf(stderr, "drl_search: %s\n", err);
        tokenizer_free(tok), index_close(&x), free(err);
        return 1;
    }
    int32_t *ids = callocCheck((size_t)e.L, sizeof(int32_t));  // (L)
    int32_t *mask = callocCheck((size_t)e.L, sizeof(int32_t)); // (L)
    QueryText q;
    int status = 0;
    if (encoder_caption_input(tok, a->caption, e.L, ids, mask, NULL, NULL, err, ERR_CAP) < 0) {
        fprintf(stderr, "drl_search: the caption: %s\n", err);
        status = 2;
        goto done_tok;
    }
    query_prepare(&e, ids, mask, &q);
    const int64_t block = a->block > 0 ? a->block : x.block;
    const int is_dp = e.m.h.interaction == HEAD_DP;
    int keep = a->k > a->rerank ? a->k : a->rerank;
    if (keep > x.N) keep = (int)x.N;
    TopK top;
    topk_init(&top, keep);
    if (first_pass(&x, &q, block, &top, err, ERR_CAP)) {
        fprintf(stderr, "drl_search: %s\n", err);
        status = 1;
        goto done_q;
    }
    topk_sort(&top);
    Hit *hits = callocCheck((size_t)top.n + 1, sizeof(Hit));
    for (int i = 0; i < top.n; i++)
        hits[i] = (Hit){.row = top.row[i], .dp = top.score[i], .score = top.score[i]};
    /* re-rank the best --rerank of the first pass */
    int nr = is_dp ? 0 : (a->rerank < top.n ? a->rerank : top.n);
    qsort(hits, (size_t)nr, sizeof(Hit), by_row);
    if (nr > 0 && rerank(&x, &e, &q, hits, nr, block, err, ERR_CAP)) {
        fprintf(stderr, "drl_search: %s\n", err);
        status = 1;
    } else {
        qsort(hits, (size_t)nr, sizeof(Hit), by_score);
        const char *inter = config_enum_name("model.interaction", cfg.model.interaction);
        if (print_results(&x, a, &q, hits, top.n, inter, nr, err, ERR_CAP)) {
            fprintf(stderr, "drl_search: %s\n", err);
            status = 1;
        }
    }
    free(hits);
done_q:
    topk_free(&top);
    query_free(&q);
done_tok:
    free(ids), free(mask);
    encoder_close(&e);
    tokenizer_free(tok);
    index_close(&x);
    free(err);
    return status;
}

int main(int argc, char **argv) {
    SearchArgs a;
    int p = parse(argc, argv, &a);
    if (p) {
        usage(p > 0 ? stdout : stderr);
        return p > 0 ? 0 : DRL_CONFIG_EXIT;
    }
    LogState log; /* the model's set-up lines would mix with the results */
    log_init(&log, 0, 1);
    log.quiet = 1;
    return run(&a);
}
