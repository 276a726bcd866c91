/* The client side of remoting: class `coil.http-proxy` (libcurl; one
 * `url`, a list `urls`, or the endpoints registered under `name` in
 * `naming`, balanced and failed over: http_proxy.c's header comment), and
 * the JSON-level JSON-RPC 2.0 client it makes its calls with, for library
 * code that calls a JSON-RPC service without a generated interface (a
 * name-server client). */
#ifndef COIL_REMOTING_HTTP_PROXY_H
#define COIL_REMOTING_HTTP_PROXY_H

#include <jansson.h>

#include "coil/class.h"
#include "coil/error.h"

/* The module holding class `coil.http-proxy`; remoting/builtins.c lists it.
 * Not there when COIL_HTTP_PROXY_CLIENT_ONLY is defined (http_proxy.c). */
extern const coil_module coil__http_proxy_module;

/* ---- The JSON-RPC client ------------------------------------------------- */
/* A client of one JSON-RPC 2.0 endpoint over HTTP: the transport of every
 * coil.http-proxy, with the same behaviour (docs/remoting.md, "Reference:
 * coil.http-proxy" and "how the proxy reports failures"). It keeps a pool
 * of kept-alive connections, so any number of threads may call one client
 * at once, each call on a connection of its own, and sequential calls
 * reuse one. Nothing prints. */
typedef struct coil__rpc_client coil__rpc_client;

/* Opens a client of `url` (http:// or https://; copied). Connects nothing:
 * the first call does. `connect_timeout_s` bounds making a connection,
 * `timeout_s` a whole call, retries included (both > 0); `retries` is how
 * many more times a request that never reached the server (the connection
 * could not be made) is tried, 0.1 s apart, within the timeout.
 * Returns 0 with *out the caller's, released with coil__rpc_client_close;
 * or COIL_EVALUE (not an HTTP URL, a timeout not > 0), COIL_EINIT (libcurl
 * cannot start) or COIL_ENOMEM with *err set (when err is not NULL). */
int coil__rpc_client_open(const char *url, double connect_timeout_s, double timeout_s,
                          unsigned retries, coil__rpc_client **out, coil_error **err);

/* Calls `method` with `params` (borrowed: an array, an object, or NULL to
 * send none) as one request with an id of its own, and waits for the
 * reply. Returns 0 with *result set to a new reference to the reply's
 * "result" (JSON null included) when `result` is not NULL; the result is
 * dropped when it is NULL. On failure *result is left as it was and the
 * code is returned with *err set (when err is not NULL):
 *   COIL_ECONNECT   connection refused, not made in time, or lost
 *   COIL_ETIMEOUT   no complete reply within the timeout
 *   COIL_EHTTP      an HTTP status other than 200
 *   COIL_EPROTOCOL  not a JSON-RPC 2.0 response to this request, or an
 *                   error reply with a code JSON-RPC reserves
 *   COIL_ENOMETHOD  error -32601;  COIL_EPARAMS  error -32602
 *   COIL_EINVAL     a NULL argument, params neither array nor object, or a
 *                   method name that is not valid UTF-8
 *   COIL_ENOMEM
 *   any other code  an error reply's own code (a service's error): the
 *                   message is the server's, its "data" is in (*err)->data */
int coil__rpc_client_call(coil__rpc_client *c, const char *method, json_t *params,
                          json_t **result, coil_error **err);

/* Closes the client's connections and frees it. No call may be in
 * progress. NULL is ignored. */
void coil__rpc_client_close(coil__rpc_client *c);

#endif
