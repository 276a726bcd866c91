/* Internal helpers shared by config/ and container/: an arena, a string
 * hash map, a growable buffer, and error-list building. Not public API. */
#ifndef COIL_UTIL_H
#define COIL_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coil/error.h"

#if defined(__GNUC__)
#define COIL__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define COIL__PRINTF(a, b)
#endif

/* ---- Arena: many small allocations freed at once ---------------------- */
typedef struct coil__arena_block coil__arena_block;
typedef struct coil__arena {
    coil__arena_block *head;
    char *cur, *end;
    size_t next_block;  /* size of the next block */
} coil__arena;

void coil__arena_init(coil__arena *a);
void coil__arena_free(coil__arena *a);
/* Zeroed memory, aligned for any type; NULL when out of memory. */
void *coil__arena_alloc(coil__arena *a, size_t size);
/* The same, not zeroed: for memory the caller fills at once. */
void *coil__arena_alloc_raw(coil__arena *a, size_t size);
char *coil__arena_strndup(coil__arena *a, const char *s, size_t n);
char *coil__arena_strdup(coil__arena *a, const char *s);
char *coil__arena_printf(coil__arena *a, const char *fmt, ...) COIL__PRINTF(2, 3);

/* ---- String map: open addressing, keys borrowed ----------------------- */
typedef struct coil__strmap_entry {
    const char *key;
    void *value;
    uint64_t hash;
} coil__strmap_entry;

typedef struct coil__strmap {
    coil__strmap_entry *slots;
    size_t cap, count;
} coil__strmap;

void coil__strmap_init(coil__strmap *m);
void coil__strmap_free(coil__strmap *m);
void *coil__strmap_get(const coil__strmap *m, const char *key);
/* Inserts or replaces. The key must outlive the map. Returns 0 or
 * COIL_ENOMEM. If `old` is non-NULL it receives the replaced value (or
 * NULL). */
int coil__strmap_put(coil__strmap *m, const char *key, void *value, void **old);
uint64_t coil__hash(const char *s);

/* ---- Growable byte buffer, always NUL-terminated ---------------------- */
typedef struct coil__buf {
    char *data;
    size_t len, cap;
    bool failed; /* an allocation failed: the content is incomplete */
} coil__buf;

void coil__buf_init(coil__buf *b);
void coil__buf_free(coil__buf *b);
void coil__buf_add(coil__buf *b, const char *s, size_t n);
void coil__buf_adds(coil__buf *b, const char *s);
void coil__buf_printf(coil__buf *b, const char *fmt, ...) COIL__PRINTF(2, 3);
/* Gives up the content (malloc'd, caller frees); the buffer is reset. */
char *coil__buf_take(coil__buf *b);

/* ---- Growable pointer vector ------------------------------------------ */
typedef struct coil__vec {
    void **items;
    size_t count, cap;
} coil__vec;

int coil__vec_push(coil__vec *v, void *item);
void coil__vec_free(coil__vec *v);

/* ---- Time ------------------------------------------------------------- */

/* Seconds on CLOCK_MONOTONIC: for deadlines and intervals. */
double coil__now_s(void);
/* Sleeps `s` seconds (nothing when s <= 0), going on after signals. */
void coil__pause_s(double s);

/* ---- Error lists ------------------------------------------------------ */
typedef struct coil__errors {
    coil_error *head, *tail;
    size_t count, max;   /* max 0: unlimited */
    bool truncated;      /* the cap was reached */
    bool oom;            /* an error could not be recorded */
} coil__errors;

void coil__errors_init(coil__errors *e, size_t max);
/* Appends an error; file may be NULL. Never fails visibly: out of memory
 * sets e->oom and the final result reports COIL_ENOMEM. */
void coil__errors_add(coil__errors *e, coil_code code, const char *file,
                      unsigned line, unsigned column, const char *fmt, ...)
    COIL__PRINTF(6, 7);
void coil__errors_addv(coil__errors *e, coil_code code, const char *file,
                       unsigned line, unsigned column, const char *fmt, va_list ap);
/* Appends a whole chain (takes ownership), adding a position to those
 * that have none. */
void coil__errors_adopt(coil__errors *e, coil_error *chain, const char *file,
                        unsigned line, unsigned column, const char *prefix);
bool coil__errors_full(const coil__errors *e);
/* Sorts by file (in order of first appearance is not kept: by name), line,
 * column, keeping the order of errors without position. */
void coil__errors_sort(coil__errors *e);
/* Hands the chain to *out (if out is non-NULL) or frees it. Returns the
 * first code, or COIL_OK when empty. */
coil_code coil__errors_finish(coil__errors *e, coil_error **out);
void coil__errors_clear(coil__errors *e);

/* Sets *out (when out is non-NULL and *out still NULL: a first error is
 * kept) to a new single error; returns code. */
coil_code coil__fail(coil_error **out, coil_code code, const char *fmt, ...)
    COIL__PRINTF(3, 4);
/* The same, with `data` (borrowed; NULL: none) as the new error's data: a
 * new reference. */
coil_code coil__fail_data(coil_error **out, coil_code code, json_t *data, const char *fmt, ...)
    COIL__PRINTF(4, 5);

#endif
