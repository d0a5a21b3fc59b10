#include "preprocess/preprocess_args.h"
#include "preprocess/datasets/datasets.h"

#include <stdlib.h>
#include <string.h>

void preprocess_usage(FILE *to) {
    fprintf(
        to,
        "usage: drl_preprocess --dataset NAME --anno DIR --videos DIR --out STORE.h5 [options]\n"
        "\n"
        "Decodes the videos of a dataset (FFmpeg), resizes the shorter side to R and crops\n"
        "R x R (Pillow's bicubic), tokenizes the captions (CLIP BPE) and writes one HDF5\n"
        "store. Run it under mpirun: the ranks share the videos.\n"
        "\n"
        "  --dataset NAME       msrvtt | didemo | activitynet | msvd | lsmdc | vatex\n"
        "  --anno DIR           the annotation folder: msrvtt: MSRVTT_data.json,\n"
        "                       MSRVTT_train.9k.csv, MSRVTT_JSFUSION_test.csv; the other\n"
        "                       datasets: their published files (preprocess/datasets/\n"
        "                       datasets.h lists them)\n"
        "  --json FILE          MSRVTT_data.json elsewhere (overrides --anno)\n"
        "  --train-csv FILE     MSRVTT_train.9k.csv elsewhere\n"
        "  --test-csv FILE      MSRVTT_JSFUSION_test.csv elsewhere\n"
        "  --videos DIR         folder of <video_id>.mp4\n"
        "  --out FILE           the store; written as FILE.tmp and renamed when complete\n"
        "  --fps F              frames kept per second of video (default 1)\n"
        "  --resolution R       frame side after resize + centre crop (default 224)\n"
        "  --splits LIST        comma-separated: train,val,test (default: every split the\n"
        "                       dataset defines; msrvtt: train,test)\n"
        "  --window W           didemo/activitynet frames kept: union (default: from the\n"
        "                       earliest sentence start to the latest end) or full\n"
        "                       (CLIP4Clip: DiDeMo [0, 31] s, ActivityNet [0, duration])\n"
        "  --vocab FILE         bpe_simple_vocab_16e6.txt.gz (default\n"
        "                       $DRL_SHARED_DIR/clip/bpe_simple_vocab_16e6.txt.gz)\n"
        "  --limit N            only the first N videos of each split (quick runs)\n"
        "  --force              overwrite an existing store\n"
        "  --progress-every S   seconds between progress lines (default 5)\n"
        "  --help               this text\n");
}

static int set_path(char *dst, const char *dir, const char *name) {
    int n = dir ? snprintf(dst, 4096, "%s/%s", dir, name) : snprintf(dst, 4096, "%s", name);
    return n < 4096 ? 0 : -1;
}

int preprocess_parse_args(int argc, char **argv, PreprocessArgs *a, char *err, int errlen) {
    memset(a, 0, sizeof *a);
    a->dataset = "msrvtt";
    a->fps = 1.0;
    a->resolution = 224;
    a->want_train = a->want_test = a->want_val = 1;
    a->progress_s = 5.0;
    int splits_given = 0;
    const char *anno = NULL, *json = NULL, *train = NULL, *test = NULL, *vocab = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) return 1;
        if (strcmp(o, "--force") == 0) {
            a->force = 1;
            continue;
        }
        if (i + 1 >= argc) {
            snprintf(err, errlen, "%s needs a value (or unknown option); see --help", o);
            return -1;
        }
        const char *v = argv[++i];
        char *end = NULL;
        if (strcmp(o, "--dataset") == 0)
            a->dataset = v;
        else if (strcmp(o, "--anno") == 0)
            anno = v;
        else if (strcmp(o, "--json") == 0)
            json = v;
        else if (strcmp(o, "--train-csv") == 0)
            train = v;
        else if (strcmp(o, "--test-csv") == 0)
            test = v;
        else if (strcmp(o, "--videos") == 0)
            a->videos = v;
        else if (strcmp(o, "--out") == 0)
            a->out = v;
        else if (strcmp(o, "--vocab") == 0)
            vocab = v;
        else if (strcmp(o, "--fps") == 0) {
            a->fps = strtod(v, &end);
            if (*end || !(a->fps > 0)) {
                snprintf(err, errlen, "--fps: expected a positive number, got '%s'", v);
                return -1;
            }
        } else if (strcmp(o, "--resolution") == 0) {
            long r = strtol(v, &end, 10);
            if (*end || r < 1 || r > 4096) {
                snprintf(err, errlen, "--resolution: expected an integer in 1..4096, got '%s'", v);
                return -1;
            }
            a->resolution = (int)r;
        } else if (strcmp(o, "--limit") == 0) {
            a->limit = strtoll(v, &end, 10);
            if (*end || a->limit < 0) {
                snprintf(err, errlen, "--limit: expected a count >= 0, got '%s'", v);
                return -1;
            }
        } else if (strcmp(o, "--progress-every") == 0) {
            a->progress_s = strtod(v, &end);
            if (*end || a->progress_s < 0) {
                snprintf(err, errlen, "--progress-every: expected seconds >= 0, got '%s'", v);
                return -1;
            }
        } else if (strcmp(o, "--window") == 0) {
            if (strcmp(v, "union") != 0 && strcmp(v, "full") != 0) {
                snprintf(err, errlen, "--window: expected union or full, got '%s'", v);
                return -1;
            }
            a->window_full = strcmp(v, "full") == 0;
        } else if (strcmp(o, "--splits") == 0) {
            a->want_train = a->want_test = a->want_val = 0;
            splits_given = 1;
            char buf[256];
            snprintf(buf, sizeof buf, "%s", v);
            for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
                 t = strtok_r(NULL, ",", &save)) {
                if (strcmp(t, "train") == 0)
                    a->want_train = 1;
                else if (strcmp(t, "test") == 0)
                    a->want_test = 1;
                else if (strcmp(t, "val") == 0)
                    a->want_val = 1;
                else {
                    snprintf(err, errlen,
                             "--splits: unknown split '%s' (expected train, val, test)", t);
                    return -1;
                }
            }
        } else {
            snprintf(err, errlen, "unknown option '%s'; see --help", o);
            return -1;
        }
    }
    if (strcmp(a->dataset, "msrvtt") != 0) {
        int defined[DS_NSPLITS];
        const char *canon = dataset_canonical(a->dataset);
        if (!canon || dataset_splits(canon, defined) < 0) {
            snprintf(err, errlen,
                     "--dataset: '%s' is not supported (expected msrvtt, didemo, activitynet, "
                     "msvd, lsmdc or vatex)",
                     a->dataset);
            return -1;
        }
        a->dataset = canon;
        if (!splits_given) {
            a->want_train = defined[DS_TRAIN];
            a->want_val = defined[DS_VAL];
            a->want_test = defined[DS_TEST];
        }
        const int want[DS_NSPLITS] = {a->want_train, a->want_val, a->want_test};
        static const char *names[DS_NSPLITS] = {"train", "val", "test"};
        for (int s = 0; s < DS_NSPLITS; s++)
            if (want[s] && !defined[s]) {
                snprintf(err, errlen, "--splits: %s defines no %s split", canon, names[s]);
                return -1;
            }
        if (!a->out || !a->videos || !anno) {
            snprintf(err, errlen, "--out, --videos and --anno are required; see --help");
            return -1;
        }
        if (set_path(a->anno, NULL, anno) < 0) {
            snprintf(err, errlen, "--anno: path too long");
            return -1;
        }
    } else if (a->want_val) {
        if (splits_given) {
            snprintf(err, errlen, "--splits: msrvtt has no val split (expected train, test)");
            return -1;
        }
        a->want_val = 0;
    }
    if (strcmp(a->dataset, "msrvtt") == 0 &&
        (!a->out || !a->videos || (!anno && (!test || (a->want_train && (!json || !train)))))) {
        snprintf(err, errlen,
                 "--out, --videos and --anno (or --json/--train-csv/--test-csv) are "
                 "required; see --help");
        return -1;
    }
    if (set_path(a->json, json ? NULL : anno, json ? json : "MSRVTT_data.json") < 0 ||
        set_path(a->train_csv, train ? NULL : anno, train ? train : "MSRVTT_train.9k.csv") < 0 ||
        set_path(a->test_csv, test ? NULL : anno, test ? test : "MSRVTT_JSFUSION_test.csv") < 0) {
        snprintf(err, errlen, "annotation path too long");
        return -1;
    }
    const char *shared = getenv("DRL_SHARED_DIR");
    if (vocab)
        snprintf(a->vocab, sizeof a->vocab, "%s", vocab);
    else if (shared)
        snprintf(a->vocab, sizeof a->vocab, "%s/clip/bpe_simple_vocab_16e6.txt.gz", shared);
    else {
        snprintf(err, errlen, "--vocab is required (or set DRL_SHARED_DIR)");
        return -1;
    }
    return 0;
}
