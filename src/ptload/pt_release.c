/* Published OpenAI CLIP checkpoints by SHA-256, and dtype names. */
#include "ptload/pt_reader.h"

#include <string.h>

const char *pt_known_release(const char *hex) {
    static const struct {
        const char *sha256, *name;
    } releases[] = {
        {"40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af", "ViT-B/32"},
        {"5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f", "ViT-B/16"},
        {"b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836", "ViT-L/14"},
    };
    for (size_t i = 0; i < sizeof releases / sizeof releases[0]; i++)
        if (strcmp(hex, releases[i].sha256) == 0) return releases[i].name;
    return NULL;
}

const char *pt_dtype_name(PtDtype dtype) {
    static const char *names[] = {"float32", "float16", "bfloat16", "float64",
                                  "int64",   "int32",   "uint8",    "bool"};
    return (unsigned)dtype < sizeof names / sizeof names[0] ? names[dtype] : "?";
}

size_t pt_dtype_size(PtDtype dtype) {
    static const size_t sizes[] = {4, 2, 2, 8, 8, 4, 1, 1};
    return (unsigned)dtype < sizeof sizes / sizeof sizes[0] ? sizes[dtype] : 0;
}
