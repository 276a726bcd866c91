/* Shared libcurl helpers; see curl_util.h. */
#define _DEFAULT_SOURCE 1 /* strerror_r (XSI) */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "remoting/curl_util.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

CURLcode coil__curl_init(void)
{
    pthread_once(&curl_once, curl_init_once);
    return curl_init_result;
}

const char *coil__curl_error_text(CURL *curl, CURLcode rc, char *errbuf, size_t size)
{
    if (!errbuf[0])
        snprintf(errbuf, size, "%s", curl_easy_strerror(rc));
    long os = 0;
    char reason[128];
    if (curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os) == CURLE_OK && os > 0 &&
        os <= INT_MAX && strerror_r((int)os, reason, sizeof reason) == 0 &&
        !strstr(errbuf, reason)) {
        size_t n = strlen(errbuf);
        snprintf(errbuf + n, size - n, " (%s)", reason);
    }
    return errbuf;
}

coil__curl_failure coil__curl_failure_of(CURLcode rc, bool too_big)
{
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
        return COIL__CURL_NOT_CONNECTED;
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return COIL__CURL_TIMED_OUT;
    if (rc == CURLE_WRITE_ERROR && too_big)
        return COIL__CURL_TOO_BIG;
    if (rc == CURLE_OUT_OF_MEMORY || rc == CURLE_WRITE_ERROR)
        return COIL__CURL_NO_MEMORY;
    if (rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
        rc == CURLE_PARTIAL_FILE)
        return COIL__CURL_LOST;
    if (rc == CURLE_WEIRD_SERVER_REPLY || rc == CURLE_BAD_CONTENT_ENCODING)
        return COIL__CURL_MALFORMED;
    return COIL__CURL_OTHER;
}
