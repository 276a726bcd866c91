/* The shared HTTP server: a process-wide registry of libmicrohttpd daemons,
 * one per listen address, each routing requests by path to its endpoints.
 *
 * One mutex guards the registry, every daemon's endpoint list and the
 * endpoints' call counts. A request looks its endpoint up twice: when its
 * headers arrive (404, and the endpoint's body limit) and again when its
 * body is complete, to make the call. Only a call (until its reply is sent)
 * holds a reference to the endpoint, so closing an endpoint waits for calls
 * and their replies, not for slow uploads. */
#include "remoting/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

typedef struct daemon_ daemon_;

struct coil__http_endpoint {
    coil__http_endpoint *next;  /* in the daemon's list while routed to */
    daemon_ *d;
    char *path;
    char *url;
    size_t max_body;
    coil__http_handler_fn handler;
    void *arg;
    void (*release)(void *arg);
    unsigned refs;              /* 1 while open, + 1 per call in progress */
    bool closing;
    pthread_cond_t idle;        /* signalled when a call ends while closing */
};

/* A listen address, parsed. */
typedef struct address {
    struct sockaddr_storage sa;
    int family;
    char host[INET6_ADDRSTRLEN + 2]; /* "127.0.0.1" or "[::1]" */
    unsigned port;
} address;

struct daemon_ {
    daemon_ *next;
    address addr;               /* as asked for: port 0 for an ephemeral one */
    unsigned port;              /* the port it listens on */
    struct MHD_Daemon *mhd;
    unsigned threads, max_connections, timeout; /* as configured */
    bool per_connection;        /* as configured */
    coil__http_endpoint *endpoints;
    unsigned calls;             /* calls in progress, all endpoints */
    bool quiesced;
    MHD_socket quiesced_fd;     /* closed after MHD_stop_daemon */
};

/* libmicrohttpd's memory per connection (see start_daemon). */
#define CONNECTION_MEMORY ((size_t)16 << 10)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static daemon_ *daemons;
/* Daemons whose last endpoint closed while calls were still running in
 * them: stopping one would wait for those calls, so it is left to them. */
static daemon_ *abandoned;

/* ---- Addresses ----------------------------------------------------------- */

static int bad_listen(const char *listen, coil_error **err)
{
    if (err)
        *err = coil_error_new(COIL_EVALUE,
                              "listen address '%s': expected HOST:PORT, where HOST is "
                              "localhost, an IPv4 address or an IPv6 address in brackets and "
                              "PORT a number from 0 to 65535",
                              listen);
    return COIL_EVALUE;
}

static int parse_listen(const char *listen, address *a, coil_error **err)
{
    memset(a, 0, sizeof *a);
    char host[INET6_ADDRSTRLEN + 1];
    const char *port;
    size_t n;
    if (listen[0] == '[') {
        const char *end = strchr(listen, ']');
        if (!end || end[1] != ':')
            return bad_listen(listen, err);
        n = (size_t)(end - listen - 1);
        port = end + 2;
        a->family = AF_INET6;
    } else {
        const char *colon = strrchr(listen, ':');
        if (!colon)
            return bad_listen(listen, err);
        n = (size_t)(colon - listen);
        port = colon + 1;
        a->family = AF_INET;
    }
    if (n == 0 || n >= sizeof host)
        return bad_listen(listen, err);
    memcpy(host, listen + (a->family == AF_INET6), n);
    host[n] = '\0';
    if (a->family == AF_INET && strcmp(host, "localhost") == 0)
        strcpy(host, "127.0.0.1");

    unsigned long p = 0;
    if (!*port || strlen(port) > 5)
        return bad_listen(listen, err);
    for (const char *c = port; *c; c++) {
        if (*c < '0' || *c > '9')
            return bad_listen(listen, err);
        p = p * 10 + (unsigned long)(*c - '0');
    }
    if (p > 65535)
        return bad_listen(listen, err);
    a->port = (unsigned)p;

    char shown[INET6_ADDRSTRLEN];
    if (a->family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&a->sa;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)p);
        if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
            return bad_listen(listen, err);
        inet_ntop(AF_INET, &in->sin_addr, shown, sizeof shown);
        snprintf(a->host, sizeof a->host, "%s", shown);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->sa;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)p);
        if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
            return bad_listen(listen, err);
        inet_ntop(AF_INET6, &in6->sin6_addr, shown, sizeof shown);
        snprintf(a->host, sizeof a->host, "[%s]", shown);
    }
    return COIL_OK;
}

/* The running daemon serving `a`, if any (lock held). Port 0 finds the
 * daemon started with port 0 on that host; a port number finds the daemon
 * listening on it, however it was asked for. */
static daemon_ *find_daemon(const address *a)
{
    for (daemon_ *d = daemons; d; d = d->next) {
        if (d->quiesced || d->addr.family != a->family || strcmp(d->addr.host, a->host) != 0)
            continue;
        if (a->port == 0 ? d->addr.port == 0 : d->port == a->port)
            return d;
    }
    return NULL;
}

static coil__http_endpoint *find_endpoint(const daemon_ *d, const char *path)
{
    for (coil__http_endpoint *e = d->endpoints; e; e = e->next)
        if (strcmp(e->path, path) == 0)
            return e;
    return NULL;
}

/* ---- Requests -------------------------------------------------------------- */

/* A request whose headers were accepted: its body so far, then the
 * endpoint it called, held until the reply is sent. */
typedef struct request {
    char *body;
    size_t len, cap, max;
    daemon_ *d;
    coil__http_endpoint *e;
} request;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             char *body, size_t len, bool owned)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body ? (void *)body : (void *)"", owned ? MHD_RESPMEM_MUST_FREE
                                                      : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    enum MHD_Result ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (ok == MHD_YES && status == MHD_HTTP_METHOD_NOT_ALLOWED)
        ok = MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, MHD_HTTP_METHOD_POST);
    if (ok == MHD_YES)
        ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    return reply(c, status, "text/plain; charset=utf-8", (char *)text, strlen(text), false);
}

/* Refuses a body that went over the limit while it was arriving.
 * libmicrohttpd takes a response only before the body or after all of it,
 * and reading the rest is what the limit is there to avoid: so the 413 is
 * written to the socket directly, and the caller returns MHD_NO, which
 * closes the connection. MHD has nothing of its own to send on it (it
 * writes a response only once one is queued, and none is). */
static void too_large_midway(struct MHD_Connection *c)
{
    static const char text[] = "HTTP/1.1 413 Content Too Large\r\n"
                               "Content-Type: text/plain; charset=utf-8\r\n"
                               "Content-Length: 30\r\n"
                               "Connection: close\r\n\r\n"
                               "the request body is too large\n";
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!info)
        return;
    ssize_t sent = send(info->connect_fd, text, sizeof text - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent == (ssize_t)(sizeof text - 1))
        shutdown(info->connect_fd, SHUT_WR);
}

/* application/json or application/json-rpc, any case, any parameters. */
static bool json_content_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    return (n == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
           (n == 20 && strncasecmp(ct, "application/json-rpc", 20) == 0);
}

/* Drops a reference (lock held). Returns the endpoint when that was the
 * last one: the caller frees it after unlocking. */
static coil__http_endpoint *unref(coil__http_endpoint *e)
{
    if (--e->refs == 0)
        return e;
    if (e->closing && e->refs == 1)
        pthread_cond_broadcast(&e->idle);
    return NULL;
}

static void endpoint_free(coil__http_endpoint *e)
{
    if (!e)
        return;
    if (e->release)
        e->release(e->arg);
    pthread_cond_destroy(&e->idle);
    free(e->path);
    free(e->url);
    free(e);
}

/* The body is complete: makes the call. The endpoint stays referenced
 * until the request completes (on_completed), so that closing it waits
 * until the reply is sent, not only until the call returned. */
static enum MHD_Result call(daemon_ *d, struct MHD_Connection *c, const char *path, request *r)
{
    pthread_mutex_lock(&lock);
    coil__http_endpoint *e = find_endpoint(d, path);
    if (e) {
        e->refs++;
        d->calls++;
        r->d = d;
        r->e = e;
    }
    pthread_mutex_unlock(&lock);
    if (!e) /* closed while the body was on its way */
        return reply_text(c, MHD_HTTP_NOT_FOUND, "no service at this path\n");

    char *out = NULL;
    size_t out_len = 0;
    int rc = e->handler(e->arg, r->body ? r->body : "", r->len, &out, &out_len);
    free(r->body);
    r->body = NULL;
    if (rc)
        return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    return reply(c, MHD_HTTP_OK, "application/json", out, out ? out_len : 0, out != NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    daemon_ *d = cls;
    request *r = *con_cls;
    if (!r) {
        /* The headers: everything that can be refused is refused now,
         * before the body is read. */
        pthread_mutex_lock(&lock);
        const coil__http_endpoint *e = find_endpoint(d, url);
        size_t max = e ? e->max_body : 0;
        pthread_mutex_unlock(&lock);
        if (!e)
            return reply_text(c, MHD_HTTP_NOT_FOUND, "no service at this path\n");
        if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
            return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only POST is allowed\n");
        if (!json_content_type(
                MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE)))
            return reply_text(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                              "the content type must be application/json\n");
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        unsigned long long length = 0;
        if (cl) {
            errno = 0;
            char *end;
            length = strtoull(cl, &end, 10);
            if (errno || end == cl)
                length = ULLONG_MAX;
            if (length > max)
                return reply_text(c, MHD_HTTP_CONTENT_TOO_LARGE,
                                  "the request body is too large\n");
        }
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->max = max;
        /* Reserved with the first data: what was announced, up to a
         * size that an announcement alone should not make us take. */
        r->cap = length < 65536 ? (size_t)length : 65536;
        *con_cls = r;
        return MHD_YES;
    }

    size_t n = *upload_data_size;
    if (n) {
        *upload_data_size = 0;
        if (n > r->max - r->len) {
            /* A chunked body over the limit: answer at once and read no
             * more of it. */
            too_large_midway(c);
            return MHD_NO;
        }
        size_t need = r->len + n;
        if (!r->body || need > r->cap) {
            /* First the length announced (if any), then doubling, never
             * past the limit (need is within it). */
            size_t cap = r->body ? 2 * r->cap : r->cap;
            if (cap < need)
                cap = need;
            if (cap > r->max)
                cap = r->max;
            char *p = realloc(r->body, cap);
            if (!p)
                return MHD_NO;
            r->body = p;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload_data, n);
        r->len += n;
        return MHD_YES;
    }
    return call(d, c, url, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    request *r = *con_cls;
    if (!r)
        return;
    if (r->e) {
        pthread_mutex_lock(&lock);
        r->d->calls--;
        coil__http_endpoint *dead = unref(r->e);
        pthread_mutex_unlock(&lock);
        endpoint_free(dead);
    }
    free(r->body);
    free(r);
    *con_cls = NULL;
}

/* ---- Daemons --------------------------------------------------------------- */

static unsigned cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

/* Why listening on `a` fails: MHD does not say, so the address is tried
 * again with a socket of our own. */
static int listen_error(const address *a, coil_error **err)
{
    int e = 0;
    int fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        e = errno;
    } else {
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        socklen_t len = a->family == AF_INET ? sizeof(struct sockaddr_in)
                                             : sizeof(struct sockaddr_in6);
        if (bind(fd, (const struct sockaddr *)&a->sa, len) != 0 || listen(fd, 1) != 0)
            e = errno;
        close(fd);
    }
    char why[128] = "cannot start the HTTP server";
    if (e)
        strerror_r(e, why, sizeof why);
    if (err)
        *err = coil_error_new(COIL_ELISTEN, "cannot listen on %s:%u: %s", a->host, a->port, why);
    return COIL_ELISTEN;
}

/* Starts a daemon for `a` and registers it (lock held). */
static int start_daemon(const address *a, const coil__http_config *c, daemon_ **out,
                        coil_error **err)
{
    daemon_ *d = calloc(1, sizeof *d);
    if (!d) {
        if (err)
            *err = coil_error_new(COIL_ENOMEM, "out of memory");
        return COIL_ENOMEM;
    }
    d->addr = *a;
    d->threads = c->threads;
    d->max_connections = c->max_connections;
    d->timeout = c->timeout;
    d->per_connection = c->per_connection;
    d->quiesced_fd = MHD_INVALID_SOCKET;

    /* Pool mode: `threads` epoll threads share the connections, and a call
     * runs on the thread that read it. Per-connection mode: a listening
     * thread hands each connection to a thread of its own, which reads its
     * requests, makes its calls and writes the replies, so that a call
     * that waits holds up nobody else's; libmicrohttpd allows no pool
     * with it, and only poll() or select(): poll, since select cannot
     * watch a socket numbered FD_SETSIZE or above. With poll, a connection
     * over max_connections is accepted and closed at once, where the pool
     * leaves it waiting to be accepted. Both modes need MHD_USE_ITC for
     * MHD_quiesce_daemon. */
    unsigned threads = 1;
    unsigned flags = MHD_USE_ITC;
    if (c->per_connection) {
        flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
    } else {
        flags |= MHD_USE_EPOLL_INTERNAL_THREAD;
        threads = c->threads ? c->threads : cores();
        if (c->max_connections && threads > c->max_connections)
            threads = c->max_connections; /* each thread takes a share of the limit */
    }
    if (a->family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_OptionItem opts[8];
    size_t n = 0;
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, (void *)&d->addr.sa };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
                                         (intptr_t)on_completed, NULL };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, c->timeout, NULL };
    /* Each connection's memory: the request line and headers must fit in
     * it (about 15 KiB of them; more is HTTP 431), bodies only stream
     * through it. libmicrohttpd zeroes it (one and a half times its size)
     * for every request: its default of 32 KiB cost the server 0.3 us more
     * per request than this (bench/remote_calls --cpu 0, raw>coil). */
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY,
                                         NULL };
    if (threads > 1)
        opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, threads, NULL };
    if (c->max_connections)
        opts[n++] =
            (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, c->max_connections, NULL };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

    d->mhd = MHD_start_daemon(flags, (uint16_t)a->port, NULL, NULL, on_request, d,
                              MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!d->mhd) {
        free(d);
        return listen_error(a, err);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_BIND_PORT);
    d->port = info && info->port ? info->port : a->port;
    d->next = daemons;
    daemons = d;
    *out = d;
    return COIL_OK;
}

static void stop_daemon(daemon_ *d)
{
    MHD_stop_daemon(d->mhd);
    if (d->quiesced_fd != MHD_INVALID_SOCKET)
        close(d->quiesced_fd);
    free(d);
}

static void unlink_daemon(daemon_ *d)
{
    for (daemon_ **p = &daemons; *p; p = &(*p)->next)
        if (*p == d) {
            *p = d->next;
            return;
        }
}

/* Stops accepting. The listening socket may be closed only after
 * MHD_stop_daemon (libmicrohttpd's threads may still hold it), but it
 * stops listening now: shutdown() of a listening TCP socket resets the
 * connections queued on it and refuses new ones, which a client then
 * knows never reached the server (a proxy tries another endpoint), where
 * they would otherwise wait unanswered until the server stops. */
static void quiesce(daemon_ *d)
{
    if (!d->quiesced) {
        d->quiesced_fd = MHD_quiesce_daemon(d->mhd);
        d->quiesced = true;
        if (d->quiesced_fd != MHD_INVALID_SOCKET)
            shutdown(d->quiesced_fd, SHUT_RDWR);
    }
}

/* ---- Endpoints --------------------------------------------------------------- */

/* As the exporter's `threading` property says it. */
static const char *threading_name(bool per_connection)
{
    return per_connection ? "per-connection" : "pool";
}

int coil__http_open(const coil__http_config *c, coil__http_endpoint **out, coil_error **err)
{
    if (!c || !out || !c->listen || !c->path || !c->handler || c->path[0] != '/') {
        if (err)
            *err = coil_error_new(COIL_EINVAL, "coil__http_open: bad configuration");
        return COIL_EINVAL;
    }
    address a;
    int rc = parse_listen(c->listen, &a, err);
    if (rc)
        return rc;

    coil__http_endpoint *e = calloc(1, sizeof *e);
    pthread_condattr_t attr;
    bool attr_ok = pthread_condattr_init(&attr) == 0;
    if (!e || !attr_ok || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&e->idle, &attr) != 0) {
        if (attr_ok)
            pthread_condattr_destroy(&attr);
        free(e);
        if (err)
            *err = coil_error_new(COIL_ENOMEM, "out of memory");
        return COIL_ENOMEM;
    }
    pthread_condattr_destroy(&attr);
    e->path = strdup(c->path);
    e->max_body = c->max_body;
    e->handler = c->handler;
    e->arg = c->arg;
    e->refs = 1;
    if (!e->path) {
        endpoint_free(e);
        if (err)
            *err = coil_error_new(COIL_ENOMEM, "out of memory");
        return COIL_ENOMEM;
    }

    pthread_mutex_lock(&lock);
    daemon_ *d = find_daemon(&a);
    if (d) {
        if (d->threads != c->threads || d->max_connections != c->max_connections ||
            d->timeout != c->timeout || d->per_connection != c->per_connection) {
            if (err)
                *err = coil_error_new(
                    COIL_EVALUE,
                    "%s:%u is already served with threads %u, max-connections %u, timeout %u "
                    "and threading %s: every exporter on one listen address must use the same "
                    "(this one: %u, %u, %u and %s)",
                    a.host, d->port, d->threads, d->max_connections, d->timeout,
                    threading_name(d->per_connection), c->threads, c->max_connections,
                    c->timeout, threading_name(c->per_connection));
            rc = COIL_EVALUE;
        } else if (find_endpoint(d, c->path)) {
            if (err)
                *err = coil_error_new(COIL_EDUPLICATE,
                                      "path '%s' on %s:%u is already exported", c->path, a.host,
                                      d->port);
            rc = COIL_EDUPLICATE;
        }
    } else {
        rc = start_daemon(&a, c, &d, err);
    }
    if (!rc) {
        size_t n = strlen(d->addr.host) + strlen(c->path) + 32;
        e->url = malloc(n);
        if (e->url) {
            snprintf(e->url, n, "http://%s:%u%s", d->addr.host, d->port, c->path);
            e->d = d;
            e->next = d->endpoints;
            d->endpoints = e;
        } else {
            if (err)
                *err = coil_error_new(COIL_ENOMEM, "out of memory");
            rc = COIL_ENOMEM;
        }
    }
    /* A daemon that was started for this endpoint and is left without one. */
    bool stop = rc && d && !d->endpoints;
    if (stop)
        unlink_daemon(d);
    pthread_mutex_unlock(&lock);
    if (stop)
        stop_daemon(d);
    if (rc) {
        endpoint_free(e);
        return rc;
    }
    e->release = c->release; /* from now on, arg is the endpoint's */
    *out = e;
    return COIL_OK;
}

const char *coil__http_url(const coil__http_endpoint *e)
{
    return e ? e->url : NULL;
}

void coil__http_close(coil__http_endpoint *e, unsigned wait_seconds)
{
    if (!e)
        return;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += wait_seconds;

    pthread_mutex_lock(&lock);
    daemon_ *d = e->d;
    for (coil__http_endpoint **p = &d->endpoints; *p; p = &(*p)->next)
        if (*p == e) {
            *p = e->next;
            break;
        }
    e->closing = true;
    while (e->refs > 1)
        if (pthread_cond_timedwait(&e->idle, &lock, &deadline) == ETIMEDOUT)
            break;
    bool last = !d->endpoints;
    bool busy = d->calls > 0;
    if (last) {
        unlink_daemon(d);
        if (busy) {
            quiesce(d);
            d->next = abandoned;
            abandoned = d;
        }
    }
    coil__http_endpoint *dead = unref(e);
    pthread_mutex_unlock(&lock);
    endpoint_free(dead);
    if (last && !busy)
        stop_daemon(d);
}

void coil__http_quiesce_all(void)
{
    pthread_mutex_lock(&lock);
    for (daemon_ *d = daemons; d; d = d->next)
        quiesce(d);
    pthread_mutex_unlock(&lock);
}
