/* drl_tokenize: captions on stdin, one per line, -> BPE ids (no SOT/EOT),
 * space-separated, one line per caption; --decode does the reverse.
 *
 *   drl_tokenize [--vocab FILE] [--decode] [--null] [--normalize] [--hash] [--stats]
 *
 * --vocab FILE  bpe_simple_vocab_16e6.txt.gz; default: $DRL_VOCAB.
 * --decode      stdin holds id lines; prints their text, one line each.
 * --null        text records are NUL-terminated instead of lines (captions
 *               may then hold newlines); ids stay one line per record.
 * --normalize   prints each caption's normalised text instead of ids.
 * --hash        prints the vocabulary file's SHA-256 and exits.
 * --stats       prints captions/s to stderr at the end.
 * A caption with invalid UTF-8 (or an id line with a bad id) is reported on
 * stderr with its line (record) number, gets an empty output line, and
 * processing goes on; the exit status is then 1. A caption that looks like
 * UTF-8 mojibake gets a warning on stderr and is encoded unrepaired. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tokenizer/tokenizer.h"

typedef struct {
    const char *vocab;
    int decode, null, normalize, hash, stats;
} Options;

static void usage(FILE *f) {
    fprintf(f, "usage: drl_tokenize [--vocab FILE] [--decode] [--null] [--normalize] [--hash] "
               "[--stats]\n  captions on stdin (one per line) -> BPE ids; --vocab defaults to "
               "$DRL_VOCAB\n");
}

static int parse_args(int argc, char **argv, Options *o) {
    memset(o, 0, sizeof(*o));
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--vocab") == 0 && i + 1 < argc)
            o->vocab = argv[++i];
        else if (strcmp(argv[i], "--decode") == 0)
            o->decode = 1;
        else if (strcmp(argv[i], "--null") == 0 || strcmp(argv[i], "-0") == 0)
            o->null = 1;
        else if (strcmp(argv[i], "--normalize") == 0)
            o->normalize = 1;
        else if (strcmp(argv[i], "--hash") == 0)
            o->hash = 1;
        else if (strcmp(argv[i], "--stats") == 0)
            o->stats = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            exit(0);
        } else {
            fprintf(stderr, "drl_tokenize: unknown or incomplete option '%s'\n", argv[i]);
            usage(stderr);
            return -1;
        }
    }
    if (!o->vocab) o->vocab = getenv("DRL_VOCAB");
    if (!o->vocab || !*o->vocab) {
        fprintf(stderr, "drl_tokenize: no vocabulary: pass --vocab "
                        "path/to/bpe_simple_vocab_16e6.txt.gz or set DRL_VOCAB\n");
        return -1;
    }
    return 0;
}

/* One id line -> text. Returns 0, or -1 with a message. */
static int decode_line(const Tokenizer *tok, char *line, int32_t **ids, size_t *cap, char **text,
                       char *err, size_t errlen) {
    size_t n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (!*p) break;
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v >= DRL_VOCAB_SIZE ||
            (*end && *end != ' ' && *end != '\t' && *end != '\r')) {
            snprintf(err, errlen, "expected ids 0..%d separated by spaces, got '%.20s'",
                     DRL_VOCAB_SIZE - 1, p);
            return -1;
        }
        if (n == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            int32_t *nv = realloc(*ids, *cap * sizeof(int32_t));
            if (!nv) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            *ids = nv;
        }
        (*ids)[n++] = (int32_t)v;
        p = end;
    }
    *text = tokenizer_decode(tok, *ids, (int)n);
    if (!*text) {
        snprintf(err, errlen, "bad id");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    Options o;
    if (parse_args(argc, argv, &o) != 0) return 2;
    char err[512];
    Tokenizer *tok = tokenizer_load(o.vocab, err, sizeof(err));
    if (!tok) {
        fprintf(stderr, "drl_tokenize: %s\n", err);
        return 2;
    }
    if (o.hash) {
        printf("%s\n", tokenizer_vocab_hash(tok));
        tokenizer_free(tok);
        return 0;
    }
    int delim = (o.null && !o.decode) ? '\0' : '\n';
    char out_end = (o.null && o.decode) ? '\0' : '\n';
    char *line = NULL;
    size_t line_cap = 0, id_cap = 0, count = 0;
    int32_t *dec_ids = NULL;
    ssize_t len;
    int status = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while ((len = getdelim(&line, &line_cap, delim, stdin)) >= 0) {
        count++;
        if (len > 0 && line[len - 1] == (char)delim) line[--len] = 0;
        if (o.decode) {
            char *text = NULL;
            if (decode_line(tok, line, &dec_ids, &id_cap, &text, err, sizeof(err)) != 0) {
                fprintf(stderr, "drl_tokenize: stdin line %zu: %s\n", count, err);
                status = 1;
                putchar(out_end);
                continue;
            }
            fputs(text, stdout);
            putchar(out_end);
            free(text);
            continue;
        }
        if (o.normalize) {
            char *norm = NULL;
            long n = tokenizer_normalize(tok, line, (size_t)len, &norm, err, sizeof(err));
            if (n < 0) {
                fprintf(stderr, "drl_tokenize: stdin %s %zu: %s\n", o.null ? "record" : "line",
                        count, err);
                status = 1;
            } else {
                fwrite(norm, 1, (size_t)n, stdout);
            }
            putchar('\n');
            free(norm);
            continue;
        }
        int32_t *ids = NULL;
        int n = tokenizer_encode_len(tok, line, (size_t)len, &ids, err, sizeof(err));
        if (n < 0) {
            fprintf(stderr, "drl_tokenize: stdin %s %zu: %s\n", o.null ? "record" : "line", count,
                    err);
            status = 1;
            putchar('\n');
            continue;
        }
        if (tokenizer_last_mojibake(tok))
            fprintf(stderr,
                    "drl_tokenize: stdin %s %zu: warning: looks like UTF-8 mojibake "
                    "(encoded unrepaired)\n",
                    o.null ? "record" : "line", count);
        for (int i = 0; i < n; i++)
            printf(i ? " %d" : "%d", ids[i]);
        putchar('\n');
        free(ids);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (ferror(stdin)) {
        fprintf(stderr, "drl_tokenize: reading stdin: %s\n", strerror(errno));
        status = 1;
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "drl_tokenize: writing stdout: %s\n", strerror(errno));
        status = 1;
    }
    if (o.stats) {
        double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        fprintf(stderr, "drl_tokenize: %zu captions in %.3f s: %.0f captions/s\n", count, s,
                s > 0 ? (double)count / s : 0.0);
    }
    free(line);
    free(dec_ids);
    tokenizer_free(tok);
    return status;
}
