/* Internal: pieces shared by the loader's files. */
#ifndef DRL_CONFIG_INTERNAL_H
#define DRL_CONFIG_INTERNAL_H

#include "config/config.h"
#include "config/config_errors.h"

#include <stddef.h>

/* Where a setting got its value: file and line, or file NULL for a default. */
typedef struct {
    const char *file;
    int line;
} CfgSource;

/* One `@include "path"` directive of a file. */
typedef struct {
    int line;
    char *path; /* malloc'ed, as written in the file */
} CfgInclude;

/* Finds the @include directives of `text` (lines of their own, at the top
 * level), blanks them out in place (line numbers are kept) and returns them
 * (malloc'ed array, *count entries). A directive inside a group or malformed
 * is reported into `errors`. */
CfgInclude *cfg_strip_includes(char *text, const char *file, size_t *count, CfgErrors *errors);
void cfg_includes_free(CfgInclude *incs, size_t count);

/* Cross-field rules on the merged configuration (types and ranges were
 * checked setting by setting while loading). `sources` has one entry per
 * table field; `top_file` names defaults in messages. */
void cfg_validate(const DrlConfig *cfg, int world_size, const CfgSource *sources,
                  const char *top_file, CfgErrors *errors);

#endif
