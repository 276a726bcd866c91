/* The JSON-level JSON-RPC 2.0 client over HTTP (libcurl): the transport of
 * every coil.http-proxy (http_proxy.c), and what library code calls a
 * JSON-RPC service with when it has no generated interface (the name-server
 * backend, naming_remote.c). One client talks to one URL. It keeps a pool
 * of kept-alive connections, so any number of threads may call one client
 * at once, each call on a connection of its own, and sequential calls
 * reuse one. Its behaviour is the proxy's (docs/remoting.md, "Reference:
 * coil.http-proxy" and "how the proxy reports failures"; http_proxy.c's
 * header comment). Nothing prints.
 *
 * Two ways to hold one: opened (coil__rpc_client_open, a client the caller
 * owns and closes), or embedded in the caller's own struct
 * (coil__rpc_client_init / _fini, what a proxy does: no allocation of its
 * own, and calls with a deadline that report how they ended). */
#ifndef COIL_REMOTING_RPC_CLIENT_H
#define COIL_REMOTING_RPC_CLIENT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "coil/error.h"

typedef struct coil__rpc_client coil__rpc_client;

/* ---- Opened clients ------------------------------------------------------ */

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

/* ---- Embedded clients ---------------------------------------------------- */

/* A connection of a client's pool (rpc_client.c's own). */
typedef struct coil__rpc_conn coil__rpc_conn;

/* The layout is here so that a caller can embed a client in its own
 * struct. Every field is rpc_client.c's: a caller only reads `url`, and
 * only between coil__rpc_client_init and coil__rpc_client_fini. */
struct coil__rpc_client {
    char *url;
    double connect_timeout;
    double timeout;
    int64_t retries;
    double retry_delay;
    CURLU *parsed;              /* url, parsed once */
    struct curl_slist *headers;
    pthread_mutex_t lock;       /* guards idle, nidle */
    coil__rpc_conn *idle;
    size_t nidle;
    _Atomic int64_t next_id;
};

/* Sets up `p` (the caller's memory) as a client of `url` (copied), as
 * coil__rpc_client_open does, with `retry_delay` seconds between the
 * attempts of a request that never reached the server. Returns 0, to be
 * undone with coil__rpc_client_fini; or COIL_EVALUE, COIL_EINIT or
 * COIL_ENOMEM with *err set (when err is not NULL), and then nothing is
 * left to release. */
int coil__rpc_client_init(coil__rpc_client *p, const char *url, double connect_timeout,
                          double timeout, int64_t retries, double retry_delay,
                          coil_error **err);

/* Closes the connections of a client set up by coil__rpc_client_init and
 * frees what it holds, but not `p` itself (the caller's). No call may be in
 * progress. */
void coil__rpc_client_fini(coil__rpc_client *p);

/* How one call through a client ended: what a caller with several
 * endpoints needs to decide whether another endpoint may be tried. */
typedef enum coil__rpc_outcome {
    COIL__RPC_OK,        /* a result, or a notification delivered */
    COIL__RPC_ANSWERED,  /* an error reply: the server was reached and answered */
    COIL__RPC_NOT_SENT,  /* a transport failure before the request reached the server */
    COIL__RPC_FAILED,    /* a transport failure after it may have reached it */
    COIL__RPC_LOCAL      /* a failure on this side before anything was sent */
} coil__rpc_outcome;

/* One call: `method` with `params` (borrowed; NULL: none) on a connection
 * of the pool, its reply checked, all of it by `deadline` (seconds of
 * CLOCK_MONOTONIC), attempting again as the client's retries say. A
 * `notification` gets no reply to read: *reply is then NULL. Otherwise, on
 * success, *reply is the parsed reply (a new reference, the caller's) and
 * *result its "result", borrowed from it. On failure both are NULL and the
 * code is returned as for coil__rpc_client_call, with *err set (when err
 * is not NULL and *err is NULL). *outcome says how it ended (always set).
 * Nothing is checked about the arguments (coil__rpc_client_call does). */
int coil__rpc_client_invoke(coil__rpc_client *p, const char *method, const json_t *params,
                            bool notification, double deadline, coil__rpc_outcome *outcome,
                            json_t **reply, json_t **result, coil_error **err);

#endif
