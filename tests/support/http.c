/* HTTP client helpers for the exporter suites: see http.h. */
#include "support/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <criterion/criterion.h>

#include "coil/remoting.h"

/* ---- Exporters ------------------------------------------------------------ */

const char *http_url_of(coil_context *ctx, const char *name) {
    void *x = coil_get(ctx, name, NULL, NULL);
    cr_assert(coil_is_http_exporter(x), "'%s' is an exporter", name);
    const char *url = coil_http_exporter_url(x);
    cr_assert_not_null(url, "'%s' has a URL", name);
    return url;
}

unsigned http_port_of(const char *url) {
    const char *colon = strrchr(url, ':');
    cr_assert_not_null(colon, "%s", url);
    unsigned port = (unsigned)atoi(colon + 1);
    cr_assert_gt(port, 0, "%s", url);
    return port;
}

/* ---- libcurl -------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *arg) {
    http_reply *r = arg;
    char *p = realloc(r->body, r->len + size * n + 1);
    cr_assert_not_null(p);
    memcpy(p + r->len, data, size * n);
    r->len += size * n;
    p[r->len] = '\0';
    r->body = p;
    return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg) {
    http_reply *r = arg;
    size_t len = size * n;
    if (len > 6 && strncasecmp(data, "Allow:", 6) == 0)
        snprintf(r->allow, sizeof r->allow, "%.*s", (int)(len - 6), data + 6);
    return len;
}

http_reply http_request_timeout(CURL *h, const char *url, const char *content_type,
                                const char *body, long timeout) {
    bool own = !h;
    if (own)
        h = curl_easy_init();
    cr_assert_not_null(h);
    http_reply r = { 0 };
    struct curl_slist *headers = NULL;
    char ct[160];
    if (content_type) {
        snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
        headers = curl_slist_append(headers, ct);
    } else {
        headers = curl_slist_append(headers, "Content-Type:"); /* none at all */
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    r.rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &r.connects);
    char *t = NULL;
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &t);
    snprintf(r.content_type, sizeof r.content_type, "%s", t ? t : "");
    curl_slist_free_all(headers);
    if (own)
        curl_easy_cleanup(h);
    return r;
}

http_reply http_request(CURL *h, const char *url, const char *content_type, const char *body) {
    return http_request_timeout(h, url, content_type, body, 30L);
}

/* ---- Raw sockets ---------------------------------------------------------- */

int http_connect(unsigned port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    struct timeval tv = { 20, 0 }; /* a server that never answers fails the test */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "%s", strerror(errno));
    return fd;
}

void http_send_all(int fd, const char *data) {
    size_t n = strlen(data);
    while (n) {
        ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
        cr_assert_gt(w, 0, "send: %s", strerror(errno));
        data += w;
        n -= (size_t)w;
    }
}

http_raw_reply http_read_reply(int fd) {
    http_raw_reply r = { 0 };
    char buf[8192];
    size_t n = 0;
    char *end = NULL;
    while (!end) {
        ssize_t got = recv(fd, buf + n, sizeof buf - 1 - n, 0);
        if (got <= 0)
            return r;
        n += (size_t)got;
        buf[n] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    size_t head = (size_t)(end - buf) + 4;
    snprintf(r.headers, sizeof r.headers, "%.*s", (int)head, buf);
    sscanf(buf, "HTTP/1.%*d %d", &r.status);
    size_t length = 0;
    for (char *h = r.headers; (h = strchr(h, '\n')); h++)
        if (strncasecmp(h + 1, "Content-Length:", 15) == 0)
            length = (size_t)atol(h + 16);
    cr_assert_lt(length, sizeof r.body);
    while (n - head < length) {
        ssize_t got = recv(fd, buf + n, sizeof buf - 1 - n, 0);
        cr_assert_gt(got, 0, "the body ended early");
        n += (size_t)got;
    }
    memcpy(r.body, buf + head, length);
    r.body[length] = '\0';
    return r;
}

const char *http_request_text(const char *method, const char *path, const char *type,
                              const char *body) {
    static char text[4096];
    snprintf(text, sizeof text,
             "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%sContent-Length: %zu\r\n\r\n%s", method,
             path, type ? "Content-Type: " : "", type ? type : "", type ? "\r\n" : "",
             strlen(body), body);
    return text;
}
