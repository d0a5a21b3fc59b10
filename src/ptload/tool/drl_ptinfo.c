/* drl_ptinfo FILE...: lists the tensors of PyTorch .pt files (name, shape,
 * stored dtype) and each file's SHA-256, saying whether it is a published
 * OpenAI CLIP checkpoint. Exit status 1 if any file cannot be read. */
#include <stdio.h>

#include "ptload/pt_reader.h"

static void print_file(const char *path, const PtFile *f) {
    size_t total = 0;
    for (int i = 0; i < f->count; i++) {
        const PtTensor *t = &f->tensors[i];
        printf("%s\t(", t->name);
        for (int d = 0; d < t->ndim; d++)
            printf(d ? ", %lld" : "%lld", (long long)t->shape[d]);
        printf(t->ndim == 1 ? ",)\t%s\n" : ")\t%s\n", pt_dtype_name(t->stored_dtype));
        total += t->numel;
    }
    printf("# %s: %s, %d tensors, %zu elements\n", path, f->kind, f->count, total);
    printf("# sha256 %s", f->sha256);
    if (f->known_release)
        printf(" (published OpenAI CLIP %s)\n", f->release_name);
    else
        printf(" (not a published OpenAI CLIP file)\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.pt...\n", argv[0]);
        return 2;
    }
    int status = 0;
    for (int i = 1; i < argc; i++) {
        PtFile f;
        char err[1024];
        if (pt_load(argv[i], &f, err, sizeof err) != 0) {
            fprintf(stderr, "drl_ptinfo: %s\n", err);
            status = 1;
            continue;
        }
        print_file(argv[i], &f);
        pt_free(&f);
    }
    return status;
}
