/* What the library's two libcurl clients (the JSON-RPC client in
 * rpc_client.c and the etcd backend in naming_etcd.c) share. */
#ifndef COIL_REMOTING_CURL_UTIL_H
#define COIL_REMOTING_CURL_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

/* curl_global_init, once per process (thread-safe); its result. */
CURLcode coil__curl_init(void);

/* The text of a failed transfer on `curl`: the detailed message curl left
 * in `errbuf` (its CURLOPT_ERRORBUFFER, `size` bytes) or else curl's
 * generic one, with the system's reason appended when there is one
 * ("Couldn't connect to server (Connection refused)"). Written into
 * `errbuf`, which is returned. */
const char *coil__curl_error_text(CURL *curl, CURLcode rc, char *errbuf, size_t size);

/* What a failed transfer was, as both clients report it: each kind is
 * named with the code they return for it (the messages are their own). */
typedef enum coil__curl_failure {
    COIL__CURL_NOT_CONNECTED, /* COIL_ECONNECT: the connection could not be made */
    COIL__CURL_TIMED_OUT,     /* COIL_ETIMEOUT */
    COIL__CURL_TOO_BIG,       /* COIL_EPROTOCOL: a reply over the caller's limit */
    COIL__CURL_NO_MEMORY,     /* COIL_ENOMEM */
    COIL__CURL_LOST,          /* COIL_ECONNECT: the connection was lost mid-transfer */
    COIL__CURL_MALFORMED,     /* COIL_EPROTOCOL: a reply libcurl cannot read */
    COIL__CURL_OTHER          /* COIL_ECONNECT: any other failure */
} coil__curl_failure;

/* The kind of failure `rc` (not CURLE_OK) is; `too_big`: the caller's
 * write callback refused the reply for its size (a CURLE_WRITE_ERROR then
 * means that, not a lack of memory). */
coil__curl_failure coil__curl_failure_of(CURLcode rc, bool too_big);

#endif
