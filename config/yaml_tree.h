/* The YAML reader: a libyaml event loop that builds a read-only tree of
 * nodes, each with its file, line and column. Nodes live in an arena. */
#ifndef COIL_YAML_TREE_H
#define COIL_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/util.h"

typedef enum coil__node_kind {
    COIL__SCALAR = 1,
    COIL__SEQ,
    COIL__MAP
} coil__node_kind;

typedef struct coil__node coil__node;
struct coil__node {          /* 40 bytes: a large context has millions */
    unsigned char kind;      /* coil__node_kind */
    bool plain;              /* scalars: plain style, typed by their text */
    bool single_line;        /* plain and on one line: columns map to text */
    unsigned line, column;   /* 1-based */
    union {
        uint32_t len;        /* scalars: bytes of text */
        uint32_t count;      /* collections: entries */
    };
    const char *file;        /* the file's display name (arena) */
    union {
        struct {             /* scalars */
            const char *text;   /* NUL-terminated (arena) */
            const char *tag;    /* explicit tag, or NULL */
        };
        struct {             /* sequences: items; mappings: keys[i] -> items[i] */
            coil__node **items;
            coil__node **keys;
        };
    };
};

/* Reads YAML text. Returns the root node (NULL for an empty document) and
 * adds any syntax error to `errs`; *ok is false when the text is not valid
 * YAML. `file` is copied into the arena. */
coil__node *coil__yaml_read(coil__arena *a, const char *text, size_t len,
                            const char *file, coil__errors *errs, bool *ok);

/* The same from an open file, read in chunks as the parse goes (the caller
 * keeps and closes `f`); a read error is reported as COIL_EIO. */
coil__node *coil__yaml_read_file(coil__arena *a, FILE *f, const char *file,
                                 coil__errors *errs, bool *ok);

/* Mapping lookup by key; NULL when absent. */
coil__node *coil__map_get(const coil__node *map, const char *key);

/* The types a scalar resolves to (YAML 1.1 as PyYAML reads plain scalars;
 * a quoted scalar is a string). */
typedef enum coil__scalar_type {
    COIL__S_NULL = 1,
    COIL__S_BOOL,
    COIL__S_INT,
    COIL__S_FLOAT,
    COIL__S_STRING
} coil__scalar_type;

typedef struct coil__scalar {
    coil__scalar_type type;
    bool b;
    int64_t i;
    double d;
    bool int_overflow; /* looked like an int but does not fit int64 */
} coil__scalar;

/* Resolves `text` as a scalar of the given style and explicit tag.
 * Returns false for an unsupported tag. */
bool coil__scalar_resolve(const char *text, bool plain, const char *tag,
                          coil__scalar *out);
bool coil__parse_int(const char *s, int64_t *out, bool *overflow);
bool coil__parse_float(const char *s, double *out);
bool coil__parse_bool(const char *s, bool *out);
bool coil__is_null(const char *s);

#endif
