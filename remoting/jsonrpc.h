/* The JSON-RPC 2.0 codec: a request body in, a response body out.
 * Independent of HTTP: the exporter hands it the bytes a client POSTed and
 * sends back what it returns. It parses, checks the envelope, finds the
 * method in an interface descriptor, has the caller run it, and writes the
 * response, for single requests, notifications and batches alike. */
#ifndef COIL_REMOTING_JSONRPC_H
#define COIL_REMOTING_JSONRPC_H

#include <stddef.h>

#include "coil/interface.h"

/* JSON-RPC 2.0's own error codes. */
#define COIL__RPC_PARSE_ERROR (-32700)
#define COIL__RPC_INVALID_REQUEST (-32600)
#define COIL__RPC_METHOD_NOT_FOUND (-32601)
#define COIL__RPC_INVALID_PARAMS (-32602)
#define COIL__RPC_INTERNAL_ERROR (-32603)
/* Codes a service may not use as they are (JSON-RPC reserves them). */
#define COIL__RPC_RESERVED_MIN (-32768)
#define COIL__RPC_RESERVED_MAX (-32000)

/* Runs method `m` with `params` (an array, an object, or NULL when the
 * request had none). Returns 0 with a new reference in *result, or a code
 * with *err set (coil_invoke_method's contract). */
typedef int (*coil__rpc_call_fn)(void *arg, const coil_method *m, const json_t *params,
                                 json_t **result, coil_error **err);

typedef struct coil__rpc_target {
    const coil_interface *iface;  /* where methods are looked up */
    coil__rpc_call_fn call;
    void *arg;                    /* passed to call */
} coil__rpc_target;

/* Answers one request body of `len` bytes. On success returns 0 and sets
 * *out to the response (malloc'd, NUL-terminated, *out_len bytes without
 * the NUL), or to NULL with *out_len 0 when there is nothing to answer
 * (notifications, oneway methods, a batch of only those). Every JSON-RPC
 * outcome, errors included, is a response; the only failure is
 * COIL_ENOMEM, with nothing allocated. */
int coil__jsonrpc_handle(const coil__rpc_target *t, const char *body, size_t len, char **out,
                         size_t *out_len);

/* The JSON-RPC error object for a failed call: code, message and data as
 * the exporter sends them (see jsonrpc.c). `rc` is the call's return code,
 * used when `e` is NULL. A new reference, or NULL when out of memory. */
json_t *coil__jsonrpc_error_of(const coil_error *e, int rc);

#endif
