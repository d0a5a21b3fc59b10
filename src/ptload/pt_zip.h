/* The zip side of the .pt reader (libzip): open from a file or memory, find
 * `<archive>/data.pkl`, and read entries exactly, with size plausibility and
 * CRC checks. Internal to src/ptload/. */
#ifndef DRL_PTLOAD_PT_ZIP_H
#define DRL_PTLOAD_PT_ZIP_H

#include <stdint.h>
#include <zip.h>

#include "ptload/pt_error.h"

typedef struct {
    zip_t *za;
    char prefix[256];      // "<archive>/" or "" (the folder holding data.pkl)
    uint64_t archive_size; // bytes of the whole file
} PtZip;

int pt_zip_open_file(PtZip *z, const char *path, PtErr *e);
int pt_zip_open_memory(PtZip *z, const void *buf, size_t len, PtErr *e);

/* Finds the data.pkl entry and sets z->prefix. */
int pt_zip_find_root(PtZip *z, zip_uint64_t *index, uint64_t *size, PtErr *e);

/* Looks up "<prefix><rel>". Returns 0 if found, 1 if absent, -1 on error
 * (an implausible size: larger than the archive allows). */
int pt_zip_entry(PtZip *z, const char *rel, zip_uint64_t *index, uint64_t *size, PtErr *e);

/* Reads the first n bytes of an entry into buf (n <= the entry's size); when n
 * is the whole entry, its CRC is verified too. `rel` names it in messages. */
int pt_zip_read(PtZip *z, zip_uint64_t index, const char *rel, void *buf, uint64_t n, PtErr *e);

/* Sequential reading of one entry in pieces. */
typedef struct {
    zip_file_t *f;
    char name[512]; // full entry name, for messages
    uint64_t size;  // entry size
    uint64_t pos;   // bytes read so far
} PtZipStream;

int pt_zip_stream_open(PtZip *z, zip_uint64_t index, const char *rel, PtZipStream *s, PtErr *e);

/* Reads exactly n bytes (buf may be NULL to skip them). */
int pt_zip_stream_read(PtZipStream *s, void *buf, uint64_t n, PtErr *e);

/* Closes; when the whole entry was read, verifies its end and CRC. */
int pt_zip_stream_close(PtZipStream *s, PtErr *e);

void pt_zip_close(PtZip *z);

#endif
