/* Retrieval metrics (spec/model.md §10): R@1, R@5, R@10, median and mean rank
 * of text-to-video (t2v) and video-to-text (v2t) retrieval on a similarity
 * matrix, exactly as the reference computes them, plus the multi-sentence
 * protocol (ours, CLIP4Clip-style), chance level, a text table and JSON.
 *
 * Entries. Every query contributes one or more "entries": 0-based positions
 * of its ground truth in the query's row sorted in descending order. With
 * e the list of all entries:
 *   R@K = 100 * #{e < K} / len(e)          (K = 1, 5, 10)
 *   MdR = median(e) + 1                    (mean of the two middle values
 *                                           for an even len(e))
 *   MnR = mean(e) + 1
 * A similarity that is NaN anywhere in the matrix is an error (the process
 * ends with a message naming the element). Infinities are ranked by value
 * like any other number. */
#ifndef DRL_EVAL_METRICS_H
#define DRL_EVAL_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

typedef struct {
    double r1, r5, r10, mdr, mnr;
    int64_t entries; /* len(e): >= queries; more with ties (the reference's quirk) */
    int64_t queries; /* number of queries that contributed entries */
} RetrievalMetrics;

/* One caption per video, ground truth on the diagonal of sim (N, N)
 * (rows: captions, columns: videos) — MSR-VTT 1k-A, exactly the reference's
 * compute_metrics. For row i, with d = s[i, i], g = #{j : s[i, j] > d} and
 * q = #{j : s[i, j] == d} (q >= 1, counts the diagonal itself), the entries
 * are g, g + 1, ..., g + q - 1: the positions of every element equal to d in
 * the row sorted descending (ties give several entries, so len(e) may exceed
 * N — the reference's quirk, kept on purpose). v2t is the same on s^T
 * (column j against s[j, j]). */
void metrics_one_per_video(const float *sim /* (N, N) */, int64_t N, RetrievalMetrics *t2v,
                           RetrievalMetrics *v2t);

/* Several captions per video (MSVD, VATEX, MSR-VTT full): ours, following
 * CLIP4Clip's protocol. sim is (Nc, Nv), caption_video[c] in [0, Nv) is the
 * video of caption c.
 * - t2v: every caption c is a query ranked among all Nv videos; d =
 *   s[c, caption_video[c]] and the entries are those of the one-per-video
 *   rule on row c (every position of an element equal to d).
 * - v2t: video v ranks all Nc captions by s[., v] descending; its own
 *   captions count as ONE answer placed at their best score
 *   m = max{s[c, v] : caption_video[c] == v}: the video's rank is that of
 *   its best-ranked own caption. With g = #{c : s[c, v] > m} (never an own
 *   caption) and q = #{c : s[c, v] == m, caption_video[c] != v} (other
 *   videos' captions tied with m), the entries are g, g + 1, ..., g + q:
 *   the tie quirk of §10 applied to the other videos' captions only.
 *   A video without captions is no v2t query (v2t->queries counts videos
 *   with at least one caption).
 * With Nc == Nv and caption_video[c] == c this is metrics_one_per_video. */
void metrics_multi_sentence(const float *sim /* (Nc, Nv) */, int64_t Nc, int64_t Nv,
                            const int32_t *caption_video /* (Nc) */, RetrievalMetrics *t2v,
                            RetrievalMetrics *v2t);

/* Expected metrics of a uniformly random ranking among N candidates (the
 * demo's "chance level"): R@K = 100 * min(K, N) / N, MdR = MnR = (N + 1) / 2;
 * entries = queries = N. */
void metrics_chance(int64_t N, RetrievalMetrics *m);

/* Text table in the reference's row layout, one decimal:
 *   header: "<name>  | R@1   R@5  R@10   MdR   MnR | R@1   R@5  R@10   MdR   MnR"
 *           under a line naming "Text-to-Video" and "Video-to-Text";
 *   row:    the name left-aligned in name_width, then t2v and v2t values.
 * Each writes one line (no trailing newline) into buf (len bytes, always
 * NUL-terminated). */
void metrics_format_header(char *buf, size_t len, int name_width);
void metrics_format_row(char *buf, size_t len, int name_width, const char *name,
                        const RetrievalMetrics *t2v, const RetrievalMetrics *v2t);
/* The reference's log line for one direction:
 * "R@1: 44.8 - R@5: 71.9 - R@10: 81.3 - Median R: 2.0 - Mean R: 13.0". */
void metrics_format_line(char *buf, size_t len, const RetrievalMetrics *m);
/* Prints a whole table: a title line per direction, the header and one row
 * per (names[k], t2v[k], v2t[k]) to f. */
void metrics_print_table(FILE *f, int nrows, const char *const *names, const RetrievalMetrics *t2v,
                         const RetrievalMetrics *v2t);

/* {"t2v": {"R@1", "R@5", "R@10", "MdR", "MnR", "entries", "queries"},
 *  "v2t": {...}} with full double precision (round for display only).
 * The caller owns the result (cJSON_Delete). */
cJSON *metrics_to_json(const RetrievalMetrics *t2v, const RetrievalMetrics *v2t);
/* One direction's object, as inside metrics_to_json. */
cJSON *metrics_direction_json(const RetrievalMetrics *m);

#endif
