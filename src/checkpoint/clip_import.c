#include "checkpoint/clip_import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/log.h"
#include "model/param_buffers.h"

#define CLIP_PREFIX "clip."

/* Non-parameter tensors of OpenAI's TorchScript archives: the three int64
 * scalars, and each text block's causal `attn_mask` attribute (a tensor
 * attribute is saved by torch.jit; we build the causal mask ourselves). */
static int ignored_name(const char *name) {
    size_t n = strlen(name);
    const char *mask = ".attn_mask";
    size_t m = strlen(mask);
    return strcmp(name, "input_resolution") == 0 || strcmp(name, "context_length") == 0 ||
           strcmp(name, "vocab_size") == 0 || (n > m && strcmp(name + n - m, mask) == 0);
}

int clip_pt_open(ClipPt *f, const char *path, char *err, size_t errlen) {
    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s", path);
    if (pt_load(path, &f->file, err, errlen) != 0) return -1;
    if (f->file.known_release)
        log_info("CLIP checkpoint %s: %s, SHA-256 %s = published OpenAI %s", path, f->file.kind,
                 f->file.sha256, f->file.release_name);
    else
        log_info("CLIP checkpoint %s: %s, SHA-256 %s (not a published OpenAI release)", path,
                 f->file.kind, f->file.sha256);
    return 0;
}

int clip_pt_shape(const ClipPt *f, ClipShape *s, char *err, size_t errlen) {
    int n = f->file.count;
    ClipTensorMeta *meta = callocCheck((size_t)(n ? n : 1), sizeof *meta); // (n)
    for (int i = 0; i < n; i++) {
        meta[i].name = f->file.tensors[i].name;
        meta[i].ndim = f->file.tensors[i].ndim;
        meta[i].shape = f->file.tensors[i].shape;
    }
    char inner[768];
    int rc = clip_shape_from_tensors(s, meta, n, "", inner, sizeof inner);
    if (rc != 0) snprintf(err, errlen, "%s: %s", f->path, inner);
    free(meta);
    return rc;
}

int clip_pt_copy(ClipPt *f, const ParamTable *pt, const DrlOps *ops, float *flat, char *err,
                 size_t errlen) {
    const size_t pl = strlen(CLIP_PREFIX);
    char missing[1536] = "", extra[1536] = "", shapes[1536] = "";
    size_t nm = 0, ne = 0, ns = 0;
    int cm = 0, ce = 0, cs = 0;
    int *source = mallocCheck(sizeof(int) * (size_t)(pt->count ? pt->count : 1)); // (count)
    for (int i = 0; i < pt->count; i++) {
        source[i] = -1;
        const ParamInfo *p = &pt->info[i];
        if (strncmp(p->name, CLIP_PREFIX, pl) != 0) continue;
        const PtTensor *t = pt_find(&f->file, p->name + pl);
        if (!t) {
            if (cm++ < 12 && nm < sizeof missing)
                nm += (size_t)snprintf(missing + nm, sizeof missing - nm, "%s'%s'",
                                       cm > 1 ? ", " : "", p->name + pl);
            continue;
        }
        int same = t->ndim == p->ndim;
        for (int d = 0; same && d < p->ndim; d++)
            same = t->shape[d] == p->shape[d];
        if (!same) {
            char want[64] = "[", got[64] = "[";
            size_t g = 1;
            for (int d = 0; d < p->ndim && g < sizeof want; d++)
                g += (size_t)snprintf(want + g, sizeof want - g, d ? ", %lld" : "%lld",
                                      (long long)p->shape[d]);
            if (g < sizeof want) snprintf(want + g, sizeof want - g, "]");
            g = 1;
            for (int d = 0; d < t->ndim && g < sizeof got; d++)
                g += (size_t)snprintf(got + g, sizeof got - g, d ? ", %lld" : "%lld",
                                      (long long)t->shape[d]);
            if (g < sizeof got) snprintf(got + g, sizeof got - g, "]");
            if (cs++ < 12 && ns < sizeof shapes)
                ns += (size_t)snprintf(shapes + ns, sizeof shapes - ns, "%s'%s' is %s, expected %s",
                                       cs > 1 ? "; " : "", t->name, got, want);
            continue;
        }
        source[i] = (int)(t - f->file.tensors);
    }
    for (int k = 0; k < f->file.count; k++) {
        const char *name = f->file.tensors[k].name;
        if (ignored_name(name)) continue;
        char full[DRL_PARAM_NAME_MAX + 8];
        snprintf(full, sizeof full, CLIP_PREFIX "%s", name);
        if (params_find(pt, full) < 0 && ce++ < 12 && ne < sizeof extra)
            ne +=
                (size_t)snprintf(extra + ne, sizeof extra - ne, "%s'%s'", ce > 1 ? ", " : "", name);
    }
    if (cm || ce || cs) {
        size_t u = (size_t)snprintf(err, errlen, "%s: does not match the CLIP model:", f->path);
        if (cm && u < errlen)
            u += (size_t)snprintf(err + u, errlen - u, " %d missing: %s%s.", cm, missing,
                                  cm > 12 ? ", ..." : "");
        if (cs && u < errlen)
            u += (size_t)snprintf(err + u, errlen - u, " %d mis-shaped: %s%s.", cs, shapes,
                                  cs > 12 ? "; ..." : "");
        if (ce && u < errlen)
            snprintf(err + u, errlen - u, " %d extra (not in the model): %s%s.", ce, extra,
                     ce > 12 ? ", ..." : "");
        free(source);
        return -1;
    }
    for (int i = 0; i < pt->count; i++) {
        if (source[i] < 0) continue;
        PtTensor *t = &f->file.tensors[source[i]];
        params_upload(pt, ops, flat, i, t->data);
        free(t->data); /* hold each tensor once: source freed as soon as it is copied */
        t->data = NULL;
    }
    free(source);
    return 0;
}

void clip_pt_close(ClipPt *f) {
    pt_free(&f->file);
}
