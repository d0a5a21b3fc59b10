/* The HDF5 store of one dataset (DESIGN.md "Store layout"): decoded 8-bit
 * frames, video ids/statuses, captions as text and BPE ids, split lists.
 *
 *   /videos/id            vlen UTF-8 strings (V)
 *   /videos/frame_offset  int64 (V)    first row of the video in /frames
 *   /videos/frame_count   int32 (V)
 *   /videos/fps           float64 (V)  the stream's average frame rate
 *   /videos/status        vlen strings (V): "ok" or the reason of failure
 *   /frames               uint8 (N_frames, R, R, 3), chunk (1, R, R, 3), no filter
 *   /captions/text        vlen strings (C)
 *   /captions/video       int32 (C)    index into /videos
 *   /captions/tokens      vlen int32 (C): BPE ids without SOT/EOT
 *   /splits/<name>/captions int64 (n)  indices into /captions
 *   root attributes: resolution (int32), frame_rate (float64),
 *   tokenizer_sha256 (string), tool_version (string), dataset (string),
 *   complete (int32, 1 once every dataset is written).
 *
 * Writer: frames are appended video by video; the small metadata is kept in
 * memory and written by store_writer_finish(), which sets `complete` last.
 * Reader: store_open() validates the layout and loads all metadata into
 * memory, then closes the HDF5 file; frames are read with pread() at the
 * chunk addresses found at open, so store_read_frames() is thread-safe and
 * never calls HDF5 (Debian's HDF5 is not built thread-safe).
 *
 * Every function that can fail returns -1 / NULL with a message in err
 * naming the file and the dataset; nothing here exits the process. */
#ifndef DRL_STORE_STORE_H
#define DRL_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#define DRL_STORE_STATUS_OK "ok"

typedef struct {
    int resolution;               /* R */
    double frame_rate;            /* target frames per second of the sampling */
    const char *tokenizer_sha256; /* hex SHA-256 of the BPE vocabulary file ("" if none) */
    const char *tool_version;     /* e.g. "drl_preprocess 0.1.0" */
    const char *dataset;          /* e.g. "msrvtt" */
} StoreAttributes;

/* ---- writer ---------------------------------------------------------------- */
typedef struct StoreWriter StoreWriter;

/* Creates (truncates) path. */
StoreWriter *store_writer_create(const char *path, const StoreAttributes *attrs, char *err,
                                 size_t errlen);
/* Appends one video; frames (count, R, R, 3) may be NULL when count is 0.
 * status is DRL_STORE_STATUS_OK or a reason. Returns its index or -1. */
int64_t store_writer_add_video(StoreWriter *w, const char *id, double fps, const char *status,
                               const uint8_t *frames, int32_t count, char *err, size_t errlen);
/* Appends one caption of video `video`; tokens (n). Returns its index or -1. */
int64_t store_writer_add_caption(StoreWriter *w, const char *text, int32_t video,
                                 const int32_t *tokens, int32_t n, char *err, size_t errlen);
/* Adds /splits/<name>/captions (n). */
int store_writer_add_split(StoreWriter *w, const char *name, const int64_t *captions, int64_t n,
                           char *err, size_t errlen);
/* Writes the metadata, sets complete = 1, closes and frees w (also on failure). */
int store_writer_finish(StoreWriter *w, char *err, size_t errlen);
/* Closes and frees without marking the store complete. */
void store_writer_abort(StoreWriter *w);

/* ---- reader ---------------------------------------------------------------- */
typedef struct Store Store;

typedef struct {
    int expect_resolution;               /* 0: any */
    const char *expect_tokenizer_sha256; /* NULL: any */
    int allow_incomplete;                /* accept complete = 0 */
} StoreOpenOptions;

/* Opens read-only and validates; opt may be NULL (no expectations). */
Store *store_open(const char *path, const StoreOpenOptions *opt, char *err, size_t errlen);
void store_close(Store *s);

const char *store_path(const Store *s);
int store_resolution(const Store *s);
double store_frame_rate(const Store *s);
const char *store_tokenizer_sha256(const Store *s);
const char *store_tool_version(const Store *s);
const char *store_dataset(const Store *s);
int store_complete(const Store *s);

int64_t store_num_videos(const Store *s);
int64_t store_num_frames(const Store *s);
int64_t store_num_captions(const Store *s);

const char *store_video_id(const Store *s, int64_t v);
const char *store_video_status(const Store *s, int64_t v);
int store_video_ok(const Store *s, int64_t v);
int32_t store_video_frame_count(const Store *s, int64_t v);
int64_t store_video_frame_offset(const Store *s, int64_t v);
double store_video_fps(const Store *s, int64_t v);
/* Number of videos whose status is not "ok". */
int64_t store_num_failed_videos(const Store *s);

/* Reads frames positions[0..n) (0-based within the video) of video v into
 * dst (n, R, R, 3). Thread-safe. */
int store_read_frames(const Store *s, int64_t v, const int32_t *positions, int n, uint8_t *dst,
                      char *err, size_t errlen);

const char *store_caption_text(const Store *s, int64_t c);
int32_t store_caption_video(const Store *s, int64_t c);
/* *ids points into the store (n returned). */
int32_t store_caption_tokens(const Store *s, int64_t c, const int32_t **ids);

int store_num_splits(const Store *s);
const char *store_split_name(const Store *s, int i);
/* The caption indices of split `name`; -1 (err set) when absent. */
int store_split(const Store *s, const char *name, const int64_t **captions, int64_t *n, char *err,
                size_t errlen);

#endif
