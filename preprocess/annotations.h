/* A dataset's annotations, reader-independent: the videos (in order of first
 * use), the captions (text + video index) and the splits (caption indices).
 * drl_preprocess turns this into the store. */
#ifndef DRL_PREPROCESS_ANNOTATIONS_H
#define DRL_PREPROCESS_ANNOTATIONS_H

#include <stddef.h>
#include <stdint.h>

#define ANN_MAX_SPLITS 8

typedef struct {
    char name[32];
    int64_t *captions; // (n) indices into captions
    int64_t n;
} AnnSplit;

typedef struct {
    char **video_ids; // (n_videos)
    int64_t n_videos;
    char **captions;        // (n_captions) UTF-8
    int32_t *caption_video; // (n_captions) index into video_ids
    int64_t n_captions;
    AnnSplit splits[ANN_MAX_SPLITS];
    int n_splits;
    void *index; /* id -> video index while building */
    /* Optional per-video sources (NULL = "<id>.mp4", whole video), set by the
     * readers of preprocess/datasets/: */
    char **video_files;   // (meta_cap) file under --videos; NULL entry = "<id>.mp4";
                          // "A|B" = alternatives, "STEM.*" = any extension
    double *video_window; // (meta_cap, 2) [start, end] seconds of frames kept; end < 0 = to the end
    int64_t meta_cap;
} Annotations;

void annotations_init(Annotations *a);
void annotations_free(Annotations *a);
/* Index of video id, added at the end when new; -1 on allocation failure. */
int64_t annotations_video(Annotations *a, const char *id);
/* Index of video id, -1 when absent. */
int64_t annotations_find(const Annotations *a, const char *id);
/* Appends a caption of video v; returns its index or -1. */
int64_t annotations_add_caption(Annotations *a, const char *text, int64_t v);
/* Starts a new split; returns it or NULL. */
AnnSplit *annotations_add_split(Annotations *a, const char *name);
int annotations_split_push(AnnSplit *s, int64_t caption);
/* Sets video v's file (see video_files) / its window of kept frames; 0 or -1. */
int annotations_set_file(Annotations *a, int64_t v, const char *file);
int annotations_set_window(Annotations *a, int64_t v, double start, double end);

/* Whole file (of annotations), NUL-terminated; NULL with "PATH: reason" in err.
 * Shared by the readers (msrvtt.c, datasets/). */
char *annotations_read_file(const char *path, size_t *len, char *err, size_t errlen);

#endif
