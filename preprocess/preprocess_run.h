/* The two halves of drl_preprocess.
 *
 * Why per-rank part files + a merge instead of parallel HDF5: each rank
 * decodes the videos v = rank, rank + world, ... and appends their frames to
 * its own part store (OUT.tmp.part<rank>, the ordinary store writer, no MPI
 * I/O, no collective per video, so one slow or failing video never stalls the
 * others); at the end rank 0 copies the parts into OUT.tmp in global video
 * order (frames are uncompressed, so the copy runs at disk speed, small next
 * to decoding), adds captions, tokens and splits, sets `complete`, and
 * renames OUT.tmp to OUT. The final store does not depend on the number of
 * ranks: the same input gives the same file content with 1 or N ranks. */
#ifndef DRL_PREPROCESS_RUN_H
#define DRL_PREPROCESS_RUN_H

#include "preprocess/annotations.h"
#include "preprocess/preprocess_args.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t videos, ok, failed, frames;
    double seconds;
} PartStats;

/* Decodes this rank's videos into part_path. Failed videos are logged and
 * recorded (status = reason); only a write failure of the part returns -1. */
int preprocess_decode_part(const PreprocessArgs *a, const Annotations *ann, int rank, int world,
                           const char *part_path, PartStats *st, char *err, size_t errlen);

typedef struct {
    int32_t **ids; // (n_captions) BPE ids without SOT/EOT
    int32_t *n;    // (n_captions)
    char sha256[65];
} CaptionTokens;

/* Rank 0: the store at tmp_path from the parts (part_path(r) for r < world). */
int preprocess_merge(const PreprocessArgs *a, const Annotations *ann, const CaptionTokens *tok,
                     int world, char **part_paths, const char *tmp_path, char *err, size_t errlen);

#endif
