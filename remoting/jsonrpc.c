/* The JSON-RPC 2.0 codec (https://www.jsonrpc.org/specification).
 *
 * Responses are written as text around the result's own encoding, not built
 * as one JSON tree: the id is then copied exactly as the client sent it,
 * fractional numbers included (jansson would print 0.1 as
 * 0.10000000000000001), and a batch is the concatenation of its answers. */
#include "remoting/jsonrpc.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Output: a growable text; an allocation failure sticks ------------- */

typedef struct out {
    char *data;
    size_t len, cap;
    bool failed;
} out;

/* Room for `n` more bytes and the NUL. */
static bool reserve(out *o, size_t n)
{
    if (o->failed)
        return false;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *p = realloc(o->data, cap);
        if (!p) {
            o->failed = true;
            return false;
        }
        o->data = p;
        o->cap = cap;
    }
    return true;
}

static void put(out *o, const char *s, size_t n)
{
    if (!reserve(o, n))
        return;
    memcpy(o->data + o->len, s, n);
    o->len += n;
    o->data[o->len] = '\0';
}

static void put_str(out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* Appends jansson's compact encoding of `j`, which it writes straight into
 * the output (json_dumpb: no copy of its own to allocate). */
static void put_json(out *o, const json_t *j)
{
    const size_t flags = JSON_ENCODE_ANY | JSON_COMPACT;
    if (!reserve(o, 64))
        return;
    size_t room = o->cap - o->len - 1;
    size_t n = json_dumpb(j, o->data + o->len, room, flags);
    if (n == 0 ||
        (n > room && (!reserve(o, n) || json_dumpb(j, o->data + o->len, n, flags) != n))) {
        o->failed = true;
        return;
    }
    o->len += n;
    o->data[o->len] = '\0';
}

/* A fractional id as the shortest text that reads back as the same double
 * (what the client most likely wrote), always with a '.' or an exponent so
 * that it stays a fractional number. */
static void put_real(out *o, double v)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    bool fractional = false;
    for (char *p = buf; *p; p++) {
        if (*p == 'e' || *p == 'E')
            fractional = true;
        else if ((*p < '0' || *p > '9') && *p != '-' && *p != '+') {
            *p = '.'; /* the locale's decimal separator */
            fractional = true;
        }
    }
    put_str(o, buf);
    if (!fractional)
        put_str(o, ".0");
}

static void put_id(out *o, const json_t *id)
{
    if (json_is_real(id)) {
        put_real(o, json_real_value(id));
    } else if (json_is_integer(id)) {
        /* The digits, as jansson writes them. */
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
        put(o, buf, (size_t)n);
    } else if (id)
        put_json(o, id);
    else
        put_str(o, "null");
}

/* {"jsonrpc":"2.0","KEY":VALUE,"id":ID}, VALUE being jansson's encoding
 * of `value`. When that cannot be written (jansson cannot encode it, or
 * memory ran out while it did), returns false with the output as it was. */
static bool put_response(out *o, const json_t *id, const char *key, const json_t *value)
{
    if (o->failed)
        return true;
    size_t mark = o->len;
    put_str(o, "{\"jsonrpc\":\"2.0\",\"");
    put_str(o, key);
    put_str(o, "\":");
    put_json(o, value);
    if (o->failed && o->data) {
        o->failed = false;
        o->data[o->len = mark] = '\0';
        return false;
    }
    put_str(o, ",\"id\":");
    put_id(o, id);
    put_str(o, "}");
    return true;
}

/* ---- Error objects ------------------------------------------------------- */

/* A JSON string of `s`, which a service may have filled with any bytes:
 * invalid UTF-8 becomes '?'. */
static json_t *text(const char *s)
{
    json_t *j = json_string(s ? s : "");
    if (j || !s)
        return j;
    char *copy = strdup(s);
    if (!copy)
        return NULL;
    for (unsigned char *p = (unsigned char *)copy; *p; p++)
        if (*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

/* {"code": code, "message": message, "data": data}; takes `data` (may be
 * NULL: no member). NULL when out of memory. */
static json_t *error_object(int code, const char *message, json_t *data)
{
    json_t *e = json_object();
    json_t *m = text(message);
    if (!e || !m || json_object_set_new(e, "code", json_integer(code)) ||
        json_object_set_new(e, "message", m)) {
        json_decref(e);
        json_decref(data);
        return NULL;
    }
    if (data && json_object_set_new(e, "data", data)) {
        json_decref(e);
        return NULL;
    }
    return e;
}

/* {"coil": "COIL_..."} for Coil's own codes; NULL for a service's own. */
static json_t *coil_name(int code)
{
    const char *name = coil_error_name(code);
    if (strncmp(name, "COIL_", 5) != 0)
        return NULL;
    return json_pack("{s:s}", "coil", name);
}

/* Coil's codes that JSON-RPC has its own code for map to it; a service's
 * code passes as it is, unless JSON-RPC reserves it: then the error is an
 * internal error carrying the original code (and data) in its data. */
json_t *coil__jsonrpc_error_of(const coil_error *e, int rc)
{
    int code = e && e->code ? (int)e->code : rc;
    const char *message = e ? e->message : coil_strerror(code);
    json_t *data = NULL;
    if (e && e->data) {
        data = json_deep_copy(e->data);
        if (!data)
            return NULL;
    }
    int rpc;
    switch (code) {
    case COIL_EPARAMS:
        rpc = COIL__RPC_INVALID_PARAMS;
        break;
    case COIL_ENOMETHOD:
        rpc = COIL__RPC_METHOD_NOT_FOUND;
        break;
    case COIL_OK:
    case COIL_ENOMEM:
    case COIL_EINVAL:
        rpc = COIL__RPC_INTERNAL_ERROR;
        break;
    default:
        if (code >= COIL__RPC_RESERVED_MIN && code <= COIL__RPC_RESERVED_MAX) {
            json_t *wrapped = json_pack("{s:i}", "code", code);
            if (!wrapped || (data && json_object_set_new(wrapped, "data", data))) {
                json_decref(wrapped);
                if (!wrapped)
                    json_decref(data);
                return NULL;
            }
            return error_object(COIL__RPC_INTERNAL_ERROR, message, wrapped);
        }
        rpc = code;
        break;
    }
    if (!data)
        data = coil_name(code);
    return error_object(rpc, message, data);
}

/* Writes an error response; takes `error`. Returns true (a response). */
static bool put_error(out *o, const json_t *id, json_t *error)
{
    if (!error || !put_response(o, id, "error", error))
        o->failed = true;
    json_decref(error);
    return true;
}

static bool put_protocol_error(out *o, const json_t *id, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool put_protocol_error(out *o, const json_t *id, int code, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return put_error(o, id, error_object(code, message, NULL));
}

static const char *kind(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* ---- Requests -------------------------------------------------------------- */

/* Answers one request (an element of a batch or the whole body). Returns
 * whether it wrote a response. */
static bool answer(const coil__rpc_target *t, const json_t *req, out *o)
{
    if (!json_is_object(req))
        return put_protocol_error(o, NULL, COIL__RPC_INVALID_REQUEST,
                                  "invalid request: expected an object, got %s", kind(req));
    /* The id first: every later error is answered with it, if it is one. */
    const json_t *id = json_object_get(req, "id");
    if (id && !json_is_string(id) && !json_is_number(id) && !json_is_null(id))
        return put_protocol_error(o, NULL, COIL__RPC_INVALID_REQUEST,
                                  "invalid request: 'id' must be a string, a number or null, "
                                  "got %s",
                                  kind(id));
    const json_t *version = json_object_get(req, "jsonrpc");
    if (!json_is_string(version) || strcmp(json_string_value(version), "2.0") != 0)
        return put_protocol_error(o, id, COIL__RPC_INVALID_REQUEST,
                                  "invalid request: 'jsonrpc' must be \"2.0\"");
    const json_t *method = json_object_get(req, "method");
    if (!json_is_string(method))
        return put_protocol_error(o, id, COIL__RPC_INVALID_REQUEST,
                                  "invalid request: 'method' must be a string, got %s",
                                  method ? kind(method) : "nothing");
    const json_t *params = json_object_get(req, "params");
    if (params && !json_is_array(params) && !json_is_object(params))
        return put_protocol_error(o, id, COIL__RPC_INVALID_REQUEST,
                                  "invalid request: 'params' must be an array or an object, "
                                  "got %s",
                                  kind(params));

    /* A valid request without an id is a notification: nothing is
     * answered, not even an error. */
    bool notification = !id;
    const char *name = json_string_value(method);
    bool reserved = strncmp(name, "rpc.", 4) == 0;
    const coil_method *m = reserved ? NULL : coil_method_find(t->iface, name);
    if (!m) {
        if (notification)
            return false;
        if (reserved)
            return put_error(o, id,
                             error_object(COIL__RPC_METHOD_NOT_FOUND,
                                          "method names beginning with 'rpc.' are reserved",
                                          coil_name(COIL_ENOMETHOD)));
        char message[512];
        snprintf(message, sizeof message, "interface '%s' has no method '%s'", t->iface->name,
                 name);
        return put_error(o, id,
                         error_object(COIL__RPC_METHOD_NOT_FOUND, message,
                                      coil_name(COIL_ENOMETHOD)));
    }

    json_t *result = NULL;
    coil_error *err = NULL;
    int rc = t->call(t->arg, m, params, &result, &err);
    if (notification || m->oneway) {
        json_decref(result);
        coil_error_free(err);
        return false;
    }
    if (rc) {
        json_decref(result);
        json_t *e = coil__jsonrpc_error_of(err, rc);
        coil_error_free(err);
        return put_error(o, id, e);
    }
    coil_error_free(err);
    if (result && put_response(o, id, "result", result)) {
        json_decref(result);
        return true;
    }
    /* A call that succeeded without a result, or one jansson cannot print
     * (or not in the memory left): the server's fault either way. */
    bool had = result != NULL;
    json_decref(result);
    return put_error(o, id,
                     error_object(COIL__RPC_INTERNAL_ERROR,
                                  had ? "cannot encode the result"
                                      : "the method returned no result",
                                  NULL));
}

int coil__jsonrpc_handle(const coil__rpc_target *t, const char *body, size_t len, char **out_,
                         size_t *out_len)
{
    out o = { 0 };
    json_error_t je;
    json_t *req = json_loadb(body ? body : "", body ? len : 0, JSON_DECODE_ANY, &je);
    if (!req) {
        put_protocol_error(&o, NULL, COIL__RPC_PARSE_ERROR,
                           "parse error: %s (line %d, column %d)", je.text, je.line,
                           je.column);
    } else if (!json_is_array(req)) {
        answer(t, req, &o);
    } else if (json_array_size(req) == 0) {
        /* Not a batch of nothing: one error, not an array of them. */
        put_protocol_error(&o, NULL, COIL__RPC_INVALID_REQUEST,
                           "invalid request: an empty batch");
    } else {
        bool any = false;
        put_str(&o, "[");
        for (size_t i = 0; i < json_array_size(req) && !o.failed; i++) {
            size_t mark = o.len;
            if (any)
                put_str(&o, ",");
            if (answer(t, json_array_get(req, i), &o))
                any = true;
            else if (!o.failed)
                o.data[o.len = mark] = '\0';
        }
        put_str(&o, "]");
        if (!any && !o.failed) {
            free(o.data);
            o = (out){ 0 };
        }
    }
    json_decref(req);
    if (o.failed) {
        free(o.data);
        return COIL_ENOMEM;
    }
    *out_ = o.data;
    *out_len = o.len;
    return COIL_OK;
}
