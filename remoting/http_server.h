/* The HTTP server the exporters share: one libmicrohttpd daemon per listen
 * address, whatever number of endpoints (exporters) it routes to by path.
 * The first endpoint on an address starts the daemon, the last one closed
 * stops it. It speaks only HTTP: an endpoint's handler turns a POSTed body
 * into a reply body, and knows nothing of sockets.
 *
 * HTTP rules: POST only (405 with `Allow: POST`), an unknown path is 404, a
 * body over the endpoint's max_body is 413 (refused from Content-Length
 * before any of it is read; a chunked body is cut off once it is over),
 * Content-Type must be application/json or application/json-rpc (any
 * parameters, any case) else 415, a request line and headers over about
 * 15 KiB are 431 (libmicrohttpd's answer: they must fit in the memory each
 * connection has). Everything the handler answers is 200 with
 * `Content-Type: application/json`, an empty body included. HTTP/1.1
 * keep-alive.
 *
 * Threads: a daemon runs in one of two ways, chosen by its first endpoint.
 * In pool mode, `threads` epoll threads each serve a share of the
 * connections, and a call runs on the thread that read it: while it runs
 * (or waits), that thread's other connections are not served. In
 * per-connection mode, each connection has a thread of its own (up to
 * max_connections of them; a connection over that is closed at once): a
 * call that waits holds up only its own connection, and `threads` is not
 * used. */
#ifndef COIL_REMOTING_HTTP_SERVER_H
#define COIL_REMOTING_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "coil/error.h"

typedef struct coil__http_endpoint coil__http_endpoint;

/* Answers a request body: 0 with *reply (malloc'd; NULL for an empty
 * reply) and *reply_len, or non-zero for "out of memory" (a 500). */
typedef int (*coil__http_handler_fn)(void *arg, const char *body, size_t len, char **reply,
                                     size_t *reply_len);

typedef struct coil__http_config {
    const char *listen;        /* "host:port": localhost, IPv4 or [IPv6]; port 0 picks one */
    const char *path;          /* starts with '/' */
    size_t max_body;           /* bytes */
    unsigned max_connections;  /* daemon-wide; 0: libmicrohttpd's default */
    unsigned timeout;          /* seconds of inactivity per connection; 0: none */
    unsigned threads;          /* daemon-wide, pool mode; 0: one per core */
    bool per_connection;       /* daemon-wide: a thread per connection instead of a pool */
    coil__http_handler_fn handler;
    void *arg;                 /* passed to handler, then to release */
    void (*release)(void *arg);/* called once no call can reach arg any more; may be NULL */
} coil__http_config;

/* Starts serving `c->path` on `c->listen`, starting the daemon if the
 * address has none yet. Endpoints on port 0 of one host share one daemon
 * and its ephemeral port; an endpoint naming the port a daemon got shares
 * it too. Fails with COIL_EVALUE (a malformed listen address, a path taken
 * on that address, daemon settings other than the running daemon's),
 * COIL_ELISTEN ("cannot listen on 127.0.0.1:7766: Address already in use")
 * or COIL_ENOMEM. On failure `release` is not called. */
int coil__http_open(const coil__http_config *c, coil__http_endpoint **out, coil_error **err);

/* The endpoint's URL, with the port the daemon really listens on:
 * "http://127.0.0.1:43521/calc". Valid until coil__http_close. */
const char *coil__http_url(const coil__http_endpoint *e);

/* Stops routing to the endpoint (new requests to its path get 404), waits
 * up to `wait_seconds` for its calls in progress, and stops the daemon when
 * this was its last endpoint. Calls still running after the wait keep the
 * endpoint (and its arg) alive until they return; the daemon is then left
 * to them rather than stopped, since stopping it would wait for them. */
void coil__http_close(coil__http_endpoint *e, unsigned wait_seconds);

/* Stops every daemon from accepting connections; those open are still
 * served. For a process shutting down. */
void coil__http_quiesce_all(void);

#endif
