/* Training curves of a run from its metrics.jsonl (cJSON), drawn with cairo:
 * loss per logged step, the learning rates (heads and CLIP) per step, and the
 * validation text-to-video and video-to-text R@1 per epoch.
 *   train lines: {"kind":"train","epoch","step","loss","lr","lr_clip"}
 *   eval lines:  {"kind":"eval","epoch","step","metrics":{"t2v":{"R@1",..},"v2t":{..}}}
 * Lines of other kinds are ignored; malformed lines are skipped with a
 * warning naming the file and line. */
#ifndef DRL_VIZ_CURVES_H
#define DRL_VIZ_CURVES_H

#include <stddef.h>

#define CURVES_WIDTH  1100
#define CURVES_HEIGHT 900

/* Writes png_path (CURVES_WIDTH x CURVES_HEIGHT). Returns 0, or -1 with a
 * message naming the file (unreadable, no train line, unwritable PNG). */
int curves_write_png(const char *metrics_jsonl, const char *png_path, char *err, size_t errlen);

#endif
