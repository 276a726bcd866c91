/* Coil — errors.
 *
 * One error type for the whole API. A failing call returns NULL or a
 * non-zero code and, when the caller passed a `coil_error **err`, stores a
 * newly allocated error chain there. The chain belongs to the caller, who
 * frees it with coil_error_free(). Output parameters are written only on
 * failure; `*err` must be NULL on entry.
 *
 * A load that finds several problems reports all of them (up to a cap): the
 * first error is the head of the chain and `next` links the rest, in the
 * order they were found.
 */
#ifndef COIL_ERROR_H
#define COIL_ERROR_H

#include <stddef.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the library's public functions (the library hides everything else). */
#if defined(__GNUC__)
#define COIL_API __attribute__((visibility("default")))
#else
#define COIL_API
#endif

/* The codes, their names and their descriptions, in one append-only table.
 * Never renumber or remove a row: values are part of the ABI. */
#define COIL_ERROR_MAP(X)                                                            \
    X(COIL_OK, 0, "success")                                                         \
    X(COIL_EINVAL, 1, "invalid argument")                                            \
    X(COIL_ENOMEM, 2, "out of memory")                                               \
    X(COIL_EIO, 3, "cannot read file")                                               \
    X(COIL_ESYNTAX, 4, "YAML syntax error")                                          \
    X(COIL_EKEY, 5, "unknown key")                                                   \
    X(COIL_ECLASS, 6, "unknown class")                                               \
    X(COIL_EPROPERTY, 7, "unknown property")                                         \
    X(COIL_ETYPE, 8, "wrong type")                                                   \
    X(COIL_EREQUIRED, 9, "missing required value")                                   \
    X(COIL_EVALUE, 10, "value out of range or not allowed")                          \
    X(COIL_EREF, 11, "reference to an undefined object")                             \
    X(COIL_EDUPLICATE, 12, "duplicate definition")                                   \
    X(COIL_EPARENT, 13, "bad parent definition")                                     \
    X(COIL_ECYCLE, 14, "cycle")                                                      \
    X(COIL_EPLACEHOLDER, 15, "unresolved placeholder")                               \
    X(COIL_EMODULE, 16, "cannot load module")                                        \
    X(COIL_EABI, 17, "ABI version mismatch")                                         \
    X(COIL_ENOTFOUND, 18, "no such object")                                          \
    X(COIL_EINTERFACE, 19, "interface not implemented")                              \
    X(COIL_EINIT, 20, "object initialization failed")                                \
    X(COIL_ESTATE, 21, "operation not allowed in this state")                        \
    X(COIL_ETOOMANY, 22, "too many errors")                                          \
    X(COIL_EPARAMS, 23, "invalid parameters")                                        \
    X(COIL_ENOMETHOD, 24, "no such method")                                          \
    X(COIL_ECONNECT, 25, "cannot connect")                                           \
    X(COIL_ETIMEOUT, 26, "timed out")                                                \
    X(COIL_EHTTP, 27, "HTTP error status")                                           \
    X(COIL_EPROTOCOL, 28, "malformed or mismatched reply")                           \
    X(COIL_ELISTEN, 29, "cannot listen")

typedef enum coil_code {
#define COIL__ERROR_ENUM(name, value, text) name = value,
    COIL_ERROR_MAP(COIL__ERROR_ENUM)
#undef COIL__ERROR_ENUM
} coil_code;

typedef struct coil_error {
    coil_code code;         /* a coil_code, or a service's own code */
    char *message;          /* what went wrong, naming the thing; never NULL */
    char *file;             /* source file, or NULL when not from a file */
    unsigned line, column;  /* 1-based; 0 when file is NULL */
    struct coil_error *next;/* the next error of the same operation, or NULL */
    json_t *data;           /* more about it, or NULL (a JSON-RPC error's
                               "data"); owned by the error */
} coil_error;

/* A short description of `code` ("unknown class"); never NULL. Unknown codes
 * give "unknown error code". The string is static. */
COIL_API const char *coil_strerror(int code);

/* The code's identifier ("COIL_ECLASS"); never NULL, static. */
COIL_API const char *coil_error_name(int code);

/* Frees the whole chain. coil_error_free(NULL) is a no-op. */
COIL_API void coil_error_free(coil_error *err);

/* Number of errors in the chain (0 for NULL). */
COIL_API size_t coil_error_count(const coil_error *err);

/* Formats one error (not the chain) as "file:line:column: message", or just
 * "message" when it has no position, like snprintf: writes at most `size`
 * bytes including the terminating NUL and returns the full length. */
COIL_API size_t coil_error_format(const coil_error *err, char *buf, size_t size);

/* Creates an error for class hooks (init, produce) to report a failure.
 * printf-style. The result belongs to the caller (normally: handed to the
 * container through the hook's `err` parameter). Returns NULL only when out
 * of memory. */
COIL_API coil_error *coil_error_new(coil_code code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#ifdef __cplusplus
}
#endif

#endif
