/* What the library's two libcurl clients (the JSON-RPC client in
 * http_proxy.c and the etcd backend in naming_etcd.c) share. */
#ifndef COIL_REMOTING_CURL_UTIL_H
#define COIL_REMOTING_CURL_UTIL_H

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

#endif
