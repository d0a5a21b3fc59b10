/* The WTI picture of the reference's demo: the caption's tokens across the
 * top with their weights and best-frame scores, the video's frames across the
 * bottom with theirs, a line between every token and frame coloured and
 * weighted by the similarity S[i, j] of the normalised features, and the two
 * directional scores and their mean in the title (spec/model.md §4):
 *   t2v = sum_i wt_i max_j S[i, j],  v2t = sum_j wv_j max_i S[i, j],
 *   score = (t2v + v2t) / 2, the lines over the valid tokens i and frames j
 * only; as in the model, a max also sees the 0 that the masked S holds at a
 * padded position (a padded frame when the video has fewer than T, a padded
 * token when the caption is shorter than L), so the printed scores are the
 * model's similarity. */
#ifndef DRL_VIZ_WTI_PICTURE_H
#define DRL_VIZ_WTI_PICTURE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int nt, nf, D, R;
    char **tokens;      /* (nt) labels, malloc'ed */
    float *wt, *t_best; /* (nt) weights, max_j S */
    float *wv, *v_best; /* (nf) weights, max_i S */
    float *S;           /* (nt, nf) */
    uint8_t *frames;    /* (nf, R, R, 3) thumbnails */
    double t2v, v2t, score;
    const char *caption, *video_id, *interaction;
} WtiPicture;

/* From the model's features: tf (L, D), tm (L), wt (L); vf (T, D), vm (T),
 * wv (T); frames (T, R, R, 3); labels (L) for every text position. Keeps the
 * valid positions, normalises the features, fills S and the scores. */
void wti_picture_compute(WtiPicture *p, const float *tf, const int32_t *tm, const float *wt, int L,
                         const float *vf, const int32_t *vm, const float *wv, int T, int D,
                         const uint8_t *frames, int R, char *const *labels);
void wti_picture_free(WtiPicture *p);

/* Draws p to path (.png or .svg). -1 with err naming the file. */
int wti_picture_draw(const WtiPicture *p, const char *path, char *err, size_t errlen);

#endif
