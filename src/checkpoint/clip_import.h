/* Import of OpenAI CLIP `.pt` files (TorchScript archives or torch.save state
 * dicts, via the safe reader of src/ptload/) into a model's ParamTable: the
 * file's "visual.conv1.weight" becomes "clip.visual.conv1.weight", etc.
 *
 *   ClipPt f;
 *   if (clip_pt_open(&f, path, err, sizeof err)) die(err);   // logs SHA-256
 *   ClipShape s;  clip_pt_shape(&f, &s, err, sizeof err);      // sizes, spec §1
 *   clip_init(&clip, &pt, &s); ... params_alloc_buffers(&pt, ops);
 *   clip_pt_copy(&f, &pt, ops, pt.data, err, sizeof err);      // frees f's tensors
 *   clip_pt_close(&f);
 */
#ifndef DRL_CHECKPOINT_CLIP_IMPORT_H
#define DRL_CHECKPOINT_CLIP_IMPORT_H

#include <stddef.h>

#include "model/clip_shape.h"
#include "model/params.h"
#include "ops/ops.h"
#include "ptload/pt_reader.h"

typedef struct {
    PtFile file;
    char path[1024];
} ClipPt;

/* Reads the file (all tensors as float32); logs its SHA-256 and whether it
 * is a published CLIP release. Returns 0, or -1 with err. */
int clip_pt_open(ClipPt *f, const char *path, char *err, size_t errlen);

/* The model's sizes per spec/model.md §1 "Sizes read from a checkpoint". */
int clip_pt_shape(const ClipPt *f, ClipShape *s, char *err, size_t errlen);

/* Copies every tensor into "clip." + name of the table (backend buffer
 * `flat`), checking that every clip.* tensor of the table is present with its
 * shape and that the file has no other tensors ("input_resolution",
 * "context_length", "vocab_size" are ignored). Frees each source tensor once
 * copied, so loading holds about the float32 size of the file once. Returns
 * 0, or -1 with err naming the missing, extra or mis-shaped tensors. */
int clip_pt_copy(ClipPt *f, const ParamTable *pt, const DrlOps *ops, float *flat, char *err,
                 size_t errlen);

void clip_pt_close(ClipPt *f);

#endif
