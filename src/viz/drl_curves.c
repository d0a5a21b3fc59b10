/* drl_curves RUN_DIR [-o OUT.png]: the training curves (viz/curves.h) of a
 * run's RUN_DIR/metrics.jsonl, to RUN_DIR/curves.png by default. */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "viz/curves.h"

int main(int argc, char **argv) {
    const char *dir = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: drl_curves RUN_DIR [-o OUT.png]\n");
            return 0;
        }
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!dir && argv[i][0] != '-')
            dir = argv[i];
        else {
            fprintf(
                stderr,
                "drl_curves: unexpected argument '%s'\nusage: drl_curves RUN_DIR [-o OUT.png]\n",
                argv[i]);
            return 2;
        }
    }
    if (!dir) {
        fprintf(stderr, "usage: drl_curves RUN_DIR [-o OUT.png]\n");
        return 2;
    }
    LogState log;
    log_init(&log, 0, 1);
    char metrics[4096], png[4096], err[4096];
    snprintf(metrics, sizeof metrics, "%s/metrics.jsonl", dir);
    snprintf(png, sizeof png, "%s/curves.png", dir);
    if (!out) out = png;
    if (curves_write_png(metrics, out, err, sizeof err)) {
        fprintf(stderr, "drl_curves: %s\n", err);
        return 1;
    }
    printf("drl_curves: wrote %s\n", out);
    return 0;
}
