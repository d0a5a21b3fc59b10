/* drl_viz CONF.cfg [--checkpoint CKPT] --video ID --text "caption" -o OUT.png|OUT.svg
 *         [--vocab FILE]
 * The WTI picture (viz/wti_picture.h) of one caption against one video of
 * the configuration's store, with the trained model (the checkpoint defaults
 * to <run.output_dir>/ckpt/best.h5, then last.h5, then model.init_model).
 * ti draws uniform weights; dp and xti have no token-wise picture and are
 * refused. Prints the scores it drew: "t2v X v2t Y similarity Z".
 * Exit status 0, 1 runtime failure, 2 bad command line or configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/log.h"
#include "config/config.h"
#include "search/encoder.h"
#include "viz/wti_picture.h"

#define ERR_CAP 8192

typedef struct {
    const char *config, *checkpoint, *video, *text, *out, *vocab;
} VizArgs;

static void usage(FILE *f) {
    fprintf(f, "usage: drl_viz CONF.cfg [--checkpoint CKPT] --video ID --text \"caption\" -o "
               "OUT.png|OUT.svg [--vocab FILE]\n");
}

static int parse(int argc, char **argv, VizArgs *a) {
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) return 1;
        if (s[0] == '-' && s[1]) {
            if (!v) {
                fprintf(stderr, "drl_viz: %s needs a value\n", s);
                return -1;
            }
            i++;
            if (!strcmp(s, "--checkpoint"))
                a->checkpoint = v;
            else if (!strcmp(s, "--video"))
                a->video = v;
            else if (!strcmp(s, "--text"))
                a->text = v;
            else if (!strcmp(s, "-o") || !strcmp(s, "--out"))
                a->out = v;
            else if (!strcmp(s, "--vocab"))
                a->vocab = v;
            else {
                fprintf(stderr, "drl_viz: unknown option %s\n", s);
                return -1;
            }
        } else if (!a->config) {
            a->config = s;
        } else {
            fprintf(stderr, "drl_viz: unexpected argument '%s'\n", s);
            return -1;
        }
    }
    if (!a->config || !a->video || !a->text || !a->out) {
        fprintf(stderr, "drl_viz: need CONF.cfg, --video ID, --text \"caption\" and -o OUT\n");
        return -1;
    }
    return 0;
}

static int64_t find_video(const Store *s, const char *id) {
    for (int64_t v = 0; v < store_num_videos(s); v++)
        if (!strcmp(store_video_id(s, v), id)) return v;
    return -1;
}

/* Labels of the model input positions: <sot>, the decoded BPE tokens, <eot>. */
static char **token_labels(const Tokenizer *tok, const int32_t *ids, const int32_t *mask, int L) {
    char **labels = callocCheck((size_t)L, sizeof(char *));
    for (int i = 0; i < L; i++) {
        if (!mask[i]) continue;
        if (ids[i] == DRL_TOKEN_SOT)
            labels[i] = strdup("<sot>");
        else if (ids[i] == DRL_TOKEN_EOT)
            labels[i] = strdup("<eot>");
        else {
            char *t = tokenizer_decode(tok, ids + i, 1);
            if (!t) t = strdup("?");
            size_t n = strlen(t);
            while (n > 0 && t[n - 1] == ' ')
                t[--n] = '\0';
            labels[i] = t;
        }
    }
    return labels;
}

static int run(const VizArgs *a) {
    char *err = mallocCheck(ERR_CAP);
    DrlConfig cfg;
    int status = 0;
    if (config_load(a->config, 1, &cfg, err, ERR_CAP)) {
        fprintf(stderr, "%s", err);
        free(err);
        return DRL_CONFIG_EXIT;
    }
    const char *inter = config_enum_name("model.interaction", cfg.model.interaction);
    if (cfg.model.interaction != DRL_INTER_WTI && cfg.model.interaction != DRL_INTER_TI) {
        fprintf(stderr,
                "drl_viz: %s: model.interaction is \"%s\": the picture shows a token-wise "
                "interaction (wti, or ti with uniform weights); %s has no token-frame weights to "
                "draw\n",
                a->config, inter, inter);
        free(err);
        return DRL_CONFIG_EXIT;
    }
    char ckpt[DRL_CONFIG_PATH_MAX], vocab[4096];
    const char *env = getenv("DRL_VOCAB"), *shared = getenv("DRL_SHARED_DIR");
    if (a->vocab)
        snprintf(vocab, sizeof vocab, "%s", a->vocab);
    else if (env && env[0])
        snprintf(vocab, sizeof vocab, "%s", env);
    else
        snprintf(vocab, sizeof vocab, "%s/clip/bpe_simple_vocab_16e6.txt.gz",
                 shared ? shared : "shared");
    if (encoder_resolve_checkpoint(&cfg, a->checkpoint, ckpt, sizeof ckpt, err, ERR_CAP)) {
        fprintf(stderr, "drl_viz: %s\n", err);
        free(err);
        return DRL_CONFIG_EXIT;
    }
    StoreOpenOptions so = {.expect_resolution = cfg.data.resolution};
    Store *s = store_open(cfg.data.store, &so, err, ERR_CAP);
    if (!s) {
        fprintf(stderr, "drl_viz: data.store: %s\n", err);
        free(err);
        return 1;
    }
    int64_t v = find_video(s, a->video);
    if (v < 0 || !store_video_ok(s, v)) {
        fprintf(stderr, "drl_viz: --video %s: %s in %s\n", a->video,
                v < 0 ? "no video with this id" : store_video_status(s, v), store_path(s));
        store_close(s), free(err);
        return 2;
    }
    Tokenizer *tok = tokenizer_load(vocab, err, ERR_CAP);
    if (!tok) {
        fprintf(stderr, "drl_viz: %s (pass --vocab FILE or set DRL_VOCAB)\n", err);
        store_close(s), free(err);
        return 2;
    }
    DrlComm comm;
    comm_init_single(&comm);
    Encoder e;
    if (encoder_open(&e, &cfg, ckpt, &comm, 1, err, ERR_CAP)) {
        fprintf(stderr, "drl_viz: %s\n", err);
        tokenizer_free(tok), store_close(s), free(err);
        return 1;
    }
    const int L = e.L, T = e.T, D = e.D, R = e.R;
    int32_t *ids = callocCheck((size_t)L, sizeof(int32_t));  // (L)
    int32_t *tm = callocCheck((size_t)L, sizeof(int32_t));   // (L)
    int32_t *vm = callocCheck((size_t)T, sizeof(int32_t));   // (T)
    uint8_t *frames = callocCheck((size_t)T * R * R * 3, 1); // (T, R, R, 3)
    float *tf = callocCheck((size_t)L * D, sizeof(float));   // (L, D)
    float *vf = callocCheck((size_t)T * D, sizeof(float));   // (T, D)
    float *wt = callocCheck((size_t)L, sizeof(float));       // (L)
    float *wv = callocCheck((size_t)T, sizeof(float));       // (T)
    if (encoder_caption_input(tok, a->text, L, ids, tm, NULL, NULL, err, ERR_CAP) < 0) {
        fprintf(stderr, "drl_viz: --text: %s\n", err);
        status = 2;
    } else if (encoder_read_video(s, v, T, R, frames, vm, err, ERR_CAP) < 0) {
        fprintf(stderr, "drl_viz: %s\n", err);
        status = 1;
    } else {
        encoder_text(&e, ids, 1, tf);
        encoder_videos(&e, frames, vm, 1, vf);
        encoder_text_weights(&e, tf, tm, 1, wt);
        encoder_video_weights(&e, vf, vm, 1, wv);
        char **labels = token_labels(tok, ids, tm, L);
        WtiPicture p;
        wti_picture_compute(&p, tf, tm, wt, L, vf, vm, wv, T, D, frames, R, labels);
        p.caption = a->text, p.video_id = a->video, p.interaction = inter;
        if (wti_picture_draw(&p, a->out, err, ERR_CAP)) {
            fprintf(stderr, "drl_viz: %s\n", err);
            status = 1;
        } else {
            printf("%s: %d tokens x %d frames, t2v %.6f v2t %.6f similarity %.6f\n", a->out, p.nt,
                   p.nf, p.t2v, p.v2t, p.score);
        }
        wti_picture_free(&p);
        for (int i = 0; i < L; i++)
            free(labels[i]);
        free(labels);
    }
    free(ids), free(tm), free(vm), free(frames), free(tf), free(vf), free(wt), free(wv);
    encoder_close(&e);
    tokenizer_free(tok);
    store_close(s);
    free(err);
    return status;
}

int main(int argc, char **argv) {
    VizArgs a;
    int p = parse(argc, argv, &a);
    if (p) {
        usage(p > 0 ? stdout : stderr);
        return p > 0 ? 0 : DRL_CONFIG_EXIT;
    }
    LogState log; /* the model's set-up lines are noise here */
    log_init(&log, 0, 1);
    log.quiet = 1;
    return run(&a);
}
