/* The synthetic dataset (the project's built-in default data): coloured shapes
 * that move, appear or change colour, written as a small MSR-VTT-format
 * dataset of real MP4 files with captions that the content determines.
 *
 * DIR/videos/<video_id>.mp4        H.264 (libx264) or MPEG-4 part 2, yuv420p
 * DIR/anns/MSRVTT_data.json        {"videos": [{"video_id", ...}],
 *                                   "sentences": [{"caption", "video_id", "sen_id"}]}
 * DIR/anns/MSRVTT_train.9k.csv     header video_id, the training ids
 * DIR/anns/MSRVTT_JSFUSION_test.csv header key,vid_key,video_id,sentence, one
 *                                   caption per test video
 * DIR/anns/synth_meta.json         each video's attributes (for tests/demos) */
#ifndef DRL_VIDEO_SYNTH_H
#define DRL_VIDEO_SYNTH_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int videos;             /* total, ids video0 .. video<videos-1> */
    int test_videos;        /* the last ones are the test split */
    int captions_per_video; /* 2 .. 5 differently worded captions */
    int width, height;      /* even */
    double seconds;
    int fps;
    uint64_t seed;
} SynthOptions;

/* 240 videos (200 train, 40 test), 4 captions each, 64x48, 5 s at 8 fps, seed 0. */
void synth_default_options(SynthOptions *o);

/* Writes the dataset under dir (created if missing). Returns 0, or -1 with a
 * reason in err. Deterministic for given options on one FFmpeg build. */
int synth_write_dataset(const char *dir, const SynthOptions *o, char *err, size_t errlen);

#endif
