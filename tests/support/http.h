/* HTTP client helpers for the suites that talk to coil.http-exporter
 * endpoints on 127.0.0.1 (test_exporter.c, test_server_threading.c):
 * requests through libcurl, and raw sockets where the bytes on the wire
 * matter. Every failure (a connection refused, a send that fails, a body
 * that ends early) fails the calling test through criterion's asserts.
 * Built as the coil_test_http library (tests/CMakeLists.txt), which links
 * libcurl: suites that do not use it are not linked with it. */
#ifndef COIL_TEST_HTTP_H
#define COIL_TEST_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "coil/coil.h"

/* ---- Exporters ------------------------------------------------------------ */

/* The URL of the exporter `name` of `ctx` (fails the test when it is not an
 * exporter or has no URL). */
const char *http_url_of(coil_context *ctx, const char *name);

/* The port of a URL "http://host:PORT/..." (fails the test when there is none). */
unsigned http_port_of(const char *url);

/* ---- libcurl -------------------------------------------------------------- */

typedef struct http_reply {
    CURLcode rc;
    long status;             /* the HTTP status, 0 when none came */
    long connects;           /* new connections the request made */
    char *body;              /* NUL-terminated, NULL when none came: the caller frees it */
    size_t len;              /* of body */
    char content_type[128];  /* "" when none */
    char allow[64];          /* the Allow header's value, as sent (" POST\r\n") */
} http_reply;

/* POSTs `body` (NULL: a GET) with that content type (NULL: no Content-Type
 * header at all) to `url`, on handle `h` (kept open between calls:
 * keep-alive) or, when `h` is NULL, on a handle of its own. No proxy; the
 * request fails (rc CURLE_OPERATION_TIMEDOUT) after `timeout` seconds. */
http_reply http_request_timeout(CURL *h, const char *url, const char *content_type,
                                const char *body, long timeout);

/* The same with a 30-second timeout: a call held up fails the test. */
http_reply http_request(CURL *h, const char *url, const char *content_type, const char *body);

/* ---- Raw sockets ---------------------------------------------------------- */

/* A TCP connection to 127.0.0.1:port whose reads give up after 20 s (a
 * server that never answers fails the test). */
int http_connect(unsigned port);

/* Sends all of `data`, or fails the test. */
void http_send_all(int fd, const char *data);

typedef struct http_raw_reply {
    int status;             /* 0: the connection closed first */
    char headers[2048];     /* the status line and headers, up to the blank line */
    char body[4096];
} http_raw_reply;

/* Reads one response: headers, then Content-Length bytes of body. */
http_raw_reply http_read_reply(int fd);

/* The text of a request "METHOD PATH HTTP/1.1" to Host 127.0.0.1 with that
 * Content-Type (NULL: none), a Content-Length and `body`. In a static
 * buffer: valid until the next call. */
const char *http_request_text(const char *method, const char *path, const char *type,
                              const char *body);

#endif
