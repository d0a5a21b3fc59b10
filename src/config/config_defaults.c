/* Defaults, equality and enum names, all from the settings table. */
#include "config/config.h"
#include "config/config_table.h"

#include <string.h>

void config_defaults(DrlConfig *cfg) {
    memset(cfg, 0, sizeof *cfg);
    size_t n = 0;
    const CfgField *fields = cfg_fields(&n);
    for (size_t i = 0; i < n; i++) {
        const CfgField *f = &fields[i];
        void *p = cfg_ptr(cfg, f);
        switch (f->kind) {
        case CFG_INT:
        case CFG_ENUM:
            *(int *)p = (int)f->def_number;
            break;
        case CFG_FLOAT:
            *(double *)p = f->def_number;
            break;
        case CFG_BOOL:
            *(bool *)p = f->def_number != 0;
            break;
        case CFG_STRING:
            strncpy((char *)p, f->def_string, f->capacity - 1);
            break;
        }
    }
}

bool config_equal(const DrlConfig *a, const DrlConfig *b) {
    size_t n = 0;
    const CfgField *fields = cfg_fields(&n);
    for (size_t i = 0; i < n; i++) {
        const CfgField *f = &fields[i];
        const void *pa = cfg_cptr(a, f), *pb = cfg_cptr(b, f);
        bool same = true;
        switch (f->kind) {
        case CFG_INT:
        case CFG_ENUM:
            same = *(const int *)pa == *(const int *)pb;
            break;
        case CFG_FLOAT:
            same = memcmp(pa, pb, sizeof(double)) == 0; /* bit-identical */
            break;
        case CFG_BOOL:
            same = *(const bool *)pa == *(const bool *)pb;
            break;
        case CFG_STRING:
            same = strcmp((const char *)pa, (const char *)pb) == 0;
            break;
        }
        if (!same) return false;
    }
    return true;
}

void config_free(DrlConfig *cfg) {
    (void)cfg; /* strings are inline today */
}

const char *config_enum_name(const char *setting, int value) {
    const char *dot = strrchr(setting, '.');
    if (!dot) return NULL;
    char section[64];
    size_t len = (size_t)(dot - setting);
    if (len >= sizeof section) return NULL;
    memcpy(section, setting, len);
    section[len] = '\0';
    int idx = cfg_find_field(section, dot + 1);
    if (idx < 0) return NULL;
    const CfgField *f = &cfg_fields(&(size_t){0})[idx];
    if (f->kind != CFG_ENUM || value < 0 || value >= cfg_choice_count(f)) return NULL;
    return f->choices[value];
}
