/* Helpers of the value converter that remoting shares (value_util.h):
 * base64 and the words for JSON types. On their own, so that code using
 * them (the etcd backend, and tests that compile it in) needs nothing else
 * of value.c. */
#include <stdlib.h>
#include <string.h>

#include "container/value_util.h"

/* ---- Base64 (RFC 4648, with padding), for bytes ------------------------ */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *coil__base64_encode(const unsigned char *data, size_t len, size_t *out_len)
{
    size_t n = (len + 2) / 3 * 4;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)data[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)data[i + 1] << 8;
        if (i + 2 < len)
            v |= data[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? b64[v & 63] : '=';
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* False when `s` is not canonical padded base64. */
bool coil__base64_decode(const char *s, size_t len, unsigned char **out, size_t *out_len)
{
    if (len % 4 != 0)
        return false;
    size_t pad = 0;
    if (len && s[len - 1] == '=')
        pad++;
    if (len > 1 && s[len - 2] == '=')
        pad++;
    size_t n = len / 4 * 3 - pad;
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf)
        return false;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++) {
            bool padding = s[i + k] == '=' && i + 4 == len && k >= 4 - (int)pad;
            v[k] = padding ? 0 : b64_value(s[i + k]);
            if (v[k] < 0) {
                free(buf);
                return false;
            }
        }
        /* Canonical only: the bits a padded group leaves over must be zero
         * ("AB==" is not "AA=="). */
        bool last = i + 4 == len;
        if (last && ((pad == 2 && (v[1] & 0xf)) || (pad == 1 && (v[2] & 0x3)))) {
            free(buf);
            return false;
        }
        unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 |
                     (unsigned)v[3];
        buf[o++] = (unsigned char)(w >> 16);
        if (o < n)
            buf[o++] = (unsigned char)(w >> 8);
        if (o < n)
            buf[o++] = (unsigned char)w;
    }
    *out = buf;
    *out_len = n;
    return true;
}

const char *coil__json_words(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}
