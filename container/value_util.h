/* Helpers of the value converter (value.c) that remoting shares. Not
 * public API.
 *
 * Base64 (RFC 4648, standard alphabet, with padding): the `bytes` type
 * uses it, and so does the etcd naming backend (remoting/naming_etcd.c),
 * whose JSON gateway carries keys and values in base64. */
#ifndef COIL_CONTAINER_VALUE_UTIL_H
#define COIL_CONTAINER_VALUE_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* `len` bytes as base64: a new NUL-terminated string (the caller frees it),
 * its length in *out_len; NULL when out of memory. */
char *coil__base64_encode(const unsigned char *data, size_t len, size_t *out_len);

/* Decodes `len` characters of canonical padded base64 into new memory
 * (*out, the caller frees it; never NULL on success, even for no bytes) of
 * *out_len bytes. False when `s` is not canonical padded base64 or out of
 * memory; the outputs are then untouched. */
bool coil__base64_decode(const char *s, size_t len, unsigned char **out, size_t *out_len);

/* What a JSON value is, for messages: "an object", "an integer", "null"...
 * (static strings). */
const char *coil__json_words(const json_t *j);

#endif
