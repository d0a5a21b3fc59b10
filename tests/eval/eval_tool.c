/* Test driver for check_eval.py: runs drl_eval on raw little-endian files
 * written by numpy and prints JSON / writes float32 results.
 *   eval_tool metrics SIM N                      -> JSON of metrics_one_per_video
 *   eval_tool multi SIM NC NV MAP                -> JSON of metrics_multi_sentence
 *   eval_tool dsl SIM NQ NV TEMP OUT             -> OUT (NQ, NV) float32
 *   eval_tool qbnorm SIM NQ NV BANK NB BETA OUT  -> OUT (NQ, NV) float32
 *   eval_tool dslv2t SIM NC NV TEMP OUT          -> OUT (NC, NV) float32
 *   eval_tool report SIM NC NV MAP|- TEMP BANKT NBT BANKV NBV BETA
 *        -> JSON {"plain", "dsl", "qbnorm"} of eval_metrics* (MAP "-": diagonal)
 * SIM/BANK are float32 (rows, cols), MAP int32 (NC). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "eval/metrics.h"
#include "eval/rerank.h"
#include "eval/report.h"

static void *read_file(const char *path, size_t bytes) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "eval_tool: cannot open %s\n", path);
        exit(2);
    }
    void *buf = mallocCheck(bytes);
    if (fread(buf, 1, bytes, f) != bytes) {
        fprintf(stderr, "eval_tool: %s: expected %zu bytes\n", path, bytes);
        exit(2);
    }
    fclose(f);
    return buf;
}

static void write_file(const char *path, const void *buf, size_t bytes) {
    FILE *f = fopen(path, "wb");
    sysCheck(f != NULL, path);
    sysCheck(fwrite(buf, 1, bytes, f) == bytes, path);
    sysCheck(fclose(f) == 0, path);
}

static void print_json(const RetrievalMetrics *t2v, const RetrievalMetrics *v2t) {
    cJSON *j = metrics_to_json(t2v, v2t);
    char *s = cJSON_PrintUnformatted(j);
    drlCheck(s != NULL, "cJSON_PrintUnformatted");
    printf("%s\n", s);
    free(s);
    cJSON_Delete(j);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: eval_tool metrics|multi|dsl|qbnorm ...\n");
        return 2;
    }
    RetrievalMetrics t2v, v2t;
    if (!strcmp(argv[1], "metrics") && argc == 4) {
        const int64_t n = atoll(argv[3]);
        float *sim = read_file(argv[2], (size_t)(n * n) * sizeof(float)); // (N, N)
        metrics_one_per_video(sim, n, &t2v, &v2t);
        print_json(&t2v, &v2t);
        free(sim);
    } else if (!strcmp(argv[1], "multi") && argc == 6) {
        const int64_t nc = atoll(argv[3]), nv = atoll(argv[4]);
        float *sim = read_file(argv[2], (size_t)(nc * nv) * sizeof(float)); // (Nc, Nv)
        int32_t *map = read_file(argv[5], (size_t)nc * sizeof(int32_t));    // (Nc)
        metrics_multi_sentence(sim, nc, nv, map, &t2v, &v2t);
        print_json(&t2v, &v2t);
        free(sim);
        free(map);
    } else if (!strcmp(argv[1], "dsl") && argc == 7) {
        const int64_t nq = atoll(argv[3]), nv = atoll(argv[4]);
        const size_t bytes = (size_t)(nq * nv) * sizeof(float);
        float *sim = read_file(argv[2], bytes); // (Nq, Nv)
        float *out = mallocCheck(bytes);        // (Nq, Nv)
        rerank_dsl(sim, nq, nv, strtof(argv[5], NULL), out);
        write_file(argv[6], out, bytes);
        free(sim);
        free(out);
    } else if (!strcmp(argv[1], "qbnorm") && argc == 9) {
        const int64_t nq = atoll(argv[3]), nv = atoll(argv[4]), nb = atoll(argv[6]);
        const size_t bytes = (size_t)(nq * nv) * sizeof(float);
        float *sim = read_file(argv[2], bytes);                              // (Nq, Nv)
        float *bank = read_file(argv[5], (size_t)(nb * nv) * sizeof(float)); // (Nb, Nv)
        float *out = mallocCheck(bytes);                                     // (Nq, Nv)
        rerank_qbnorm(sim, nq, nv, bank, nb, strtof(argv[7], NULL), out);
        write_file(argv[8], out, bytes);
        free(sim);
        free(bank);
        free(out);
    } else if (!strcmp(argv[1], "dslv2t") && argc == 7) {
        const int64_t nc = atoll(argv[3]), nv = atoll(argv[4]);
        const size_t bytes = (size_t)(nc * nv) * sizeof(float);
        float *sim = read_file(argv[2], bytes); // (Nc, Nv)
        float *out = mallocCheck(bytes);        // (Nc, Nv)
        rerank_dsl_v2t(sim, nc, nv, strtof(argv[5], NULL), out);
        write_file(argv[6], out, bytes);
        free(sim);
        free(out);
    } else if (!strcmp(argv[1], "report") && argc == 12) {
        const int64_t nc = atoll(argv[3]), nv = atoll(argv[4]);
        const int64_t nbt = atoll(argv[8]), nbv = atoll(argv[10]);
        float *sim = read_file(argv[2], (size_t)(nc * nv) * sizeof(float));              // (Nc, Nv)
        int32_t *map = strcmp(argv[5], "-") ? read_file(argv[5], (size_t)nc * 4) : NULL; // (Nc)
        float *bt = read_file(argv[7], (size_t)(nbt * nv) * sizeof(float)); // (Nbt, Nv)
        float *bv = read_file(argv[9], (size_t)(nbv * nc) * sizeof(float)); // (Nbv, Nc)
        RetrievalMetrics d_t2v, d_v2t, q_t2v, q_v2t;
        eval_metrics(sim, nc, nv, map, &t2v, &v2t);
        eval_metrics_dsl(sim, nc, nv, map, strtof(argv[6], NULL), &d_t2v, &d_v2t);
        eval_metrics_qbnorm(sim, nc, nv, map, bt, nbt, bv, nbv, strtof(argv[11], NULL), &q_t2v,
                            &q_v2t);
        cJSON *j = cJSON_CreateObject();
        drlCheck(j != NULL, "cJSON");
        cJSON_AddItemToObject(j, "plain", metrics_to_json(&t2v, &v2t));
        cJSON_AddItemToObject(j, "dsl", metrics_to_json(&d_t2v, &d_v2t));
        cJSON_AddItemToObject(j, "qbnorm", metrics_to_json(&q_t2v, &q_v2t));
        char *text = cJSON_PrintUnformatted(j);
        printf("%s\n", text);
        free(text);
        cJSON_Delete(j);
        free(sim);
        free(map);
        free(bt);
        free(bv);
    } else {
        fprintf(stderr, "eval_tool: bad arguments for '%s'\n", argv[1]);
        return 2;
    }
    return 0;
}
