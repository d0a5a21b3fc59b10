/* Internal: the table of every setting (section, name, kind, where it lives in
 * DrlConfig, its range or choices, its default). The loader, the printer, the
 * defaults and the equality test all walk this one table. */
#ifndef DRL_CONFIG_TABLE_H
#define DRL_CONFIG_TABLE_H

#include "config/config.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum { CFG_INT, CFG_FLOAT, CFG_BOOL, CFG_STRING, CFG_ENUM } CfgKind;

/* Range flags for numeric settings. */
enum {
    CFG_HAS_MIN = 1 << 0,
    CFG_HAS_MAX = 1 << 1,
    CFG_MIN_EXCLUSIVE = 1 << 2,
    CFG_MAX_EXCLUSIVE = 1 << 3,
    CFG_NONEMPTY = 1 << 4, /* strings: "" is not allowed */
};

typedef struct {
    const char *section; /* "data", "model", "model.clip", ... */
    const char *name;
    CfgKind kind;
    size_t offset;   /* into DrlConfig */
    size_t capacity; /* strings: size of the char array */
    int flags;
    double min, max;            /* numeric range (see flags) */
    const char *const *choices; /* enums: NULL-terminated value names */
    double def_number;          /* default of INT/FLOAT/BOOL/ENUM (enum: index) */
    const char *def_string;     /* default of STRING */
    const char *help;           /* one line, used in base.cfg and --help */
} CfgField;

typedef struct {
    const char *path;   /* "model.clip" */
    const char *parent; /* "model", or NULL for a top-level section */
    const char *name;   /* "clip" */
} CfgSection;

const CfgField *cfg_fields(size_t *count);
const CfgSection *cfg_sections(size_t *count);

/* Field index by section path and name, or -1. */
int cfg_find_field(const char *section, const char *name);
/* Section by path, or NULL. */
const CfgSection *cfg_find_section(const char *path);
/* Child section of `parent` (NULL = top level) named `name`, or NULL. */
const CfgSection *cfg_find_child_section(const char *parent, const char *name);

/* Number of choices of an enum field. */
int cfg_choice_count(const CfgField *f);

/* Pointers into a configuration. */
static inline void *cfg_ptr(DrlConfig *cfg, const CfgField *f) {
    return (char *)cfg + f->offset;
}
static inline const void *cfg_cptr(const DrlConfig *cfg, const CfgField *f) {
    return (const char *)cfg + f->offset;
}

/* "an integer in 1..3", "a number > 0", "one of "dp", "ti"", ... */
void cfg_describe_expected(const CfgField *f, char *buf, size_t len);
/* True when the number is inside the field's range. */
bool cfg_in_range(const CfgField *f, double v);

#endif
