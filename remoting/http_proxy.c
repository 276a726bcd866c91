/* coil.http-proxy — a factory whose product is a remote object: it
 * implements the interface named by its `interface` property generically
 * (query + forward), and every typed call becomes one JSON-RPC 2.0 request
 * POSTed with libcurl to the service's endpoint, which the proxy knows in
 * one of three ways (exactly one; init refuses any other combination):
 *
 *   - object: calc                       one endpoint
 *     class: coil.http-proxy
 *     properties: {url: "http://127.0.0.1:7766/calc", interface: calc, timeout: 5}
 *
 *     properties: {urls: [URL1, URL2], interface: calc}        a fixed list
 *     properties: {name: calc, naming: NAMING, interface: calc}
 *
 * where NAMING is what remoting/naming.h's coil__naming_open_property takes
 * (a name server's URL, {etcd: URL, prefix: P} or {ref: OBJECT}).
 *
 * Connections are kept alive in a pool of curl easy handles per endpoint: a
 * call takes an idle handle (or makes one), uses it alone, and puts it back,
 * so many threads call one proxy at once, each on its own connection, and
 * sequential calls reuse one. Every transport failure is an error within
 * `timeout` (which bounds the whole call, retries and failover included):
 *
 *   connection refused / not made  COIL_ECONNECT  "cannot connect to URL: ..."
 *   connection lost mid-call       COIL_ECONNECT  "connection to URL lost: ..."
 *   no complete reply in time      COIL_ETIMEOUT  "no reply from URL within N s"
 *   HTTP status other than 200     COIL_EHTTP     "HTTP status 500 from URL"
 *   not a matching JSON-RPC reply  COIL_EPROTOCOL "malformed reply from URL: ..."
 *
 * A JSON-RPC error reply becomes a coil_error: -32601 is COIL_ENOMETHOD,
 * -32602 COIL_EPARAMS, the rest of the reserved range -32768..-32000
 * COIL_EPROTOCOL, and a service's own code passes through as it is; the
 * message is the server's, and its "data" goes to coil_error.data.
 *
 * With one `url`, only a request that provably never reached the server
 * (the connection could not be made) is attempted again, `retries` times at
 * most, `retry-delay` apart. That path is what it was before several
 * endpoints: no lock or allocation beyond those of a coil__rpc_client call.
 *
 * With several endpoints (`urls`, or the endpoints registered under `name`)
 * a call goes through a coil__endpoints (remoting/endpoints.h): each attempt
 * picks an endpoint (`balance`: round-robin or random) that this call has
 * not tried yet, skipping those backing off after a failure (`backoff`
 * seconds, doubled per failure in a row up to 8 times). An answer — a
 * result, or an error reply: the server was reached and spoke — ends the
 * call and ends the endpoint's back-off. A transport failure (the codes
 * above) starts or lengthens the endpoint's back-off, and the call goes on
 * to the next endpoint only when that is safe: always when the request
 * never reached the server, after any other failure only when the method
 * is `idempotent: true` in the interface file (coil_method.idempotent);
 * otherwise the error comes back. When every endpoint has been tried, the
 * last error comes back, saying how many were. `retries` then means more
 * rounds over every endpoint, `retry-delay` apart.
 *
 * With `name` and `naming`, a coil__naming_resolver (naming_client.h) feeds
 * the endpoints: the first call looks the name up (init contacts nothing,
 * so a client may start before its servers), the result is used for
 * `refresh` seconds, and when every endpoint of a call failed the name is
 * looked up once more at once and the endpoints it adds are tried. While
 * the backend is unreachable the last list it gave stays in use.
 *
 * Each endpoint has its own coil__rpc_client (below), made at its first
 * call and shared by the threads that call it. With `name`, one that no
 * call has used for a while (twice the refresh period, 16 back-offs, at
 * least a second: by then a lookup has dropped it, or it is only backing
 * off) is freed, unless a call is using it right now (a count of users),
 * so servers that come and go on new ports for days leave nothing behind;
 * an endpoint still listed just gets a new client at its next call.
 *
 * All of that is built on the JSON-RPC client of remoting/http_proxy.h
 * (coil__rpc_client), which the proxy calls with the typed arguments
 * converted to JSON, and which other library code calls with JSON.
 *
 * What a call costs was measured (bench/remote_calls, under callgrind too),
 * and the code is shaped by it: everything about a connection that does not
 * change from call to call is set on its curl handle once; a connection
 * keeps its request and reply buffers; and the request body is written
 * around jansson's encoding of the method name and the parameters rather
 * than built as one JSON object and encoded.
 *
 * COIL_HTTP_PROXY_CLIENT_ONLY, defined by test suites that compile this
 * file in to reach the (unexported) coil__rpc_client, leaves the class out,
 * and with it the naming backends it links to. */
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coil/coil.h"
#include "remoting/curl_util.h"
#include "remoting/http_proxy.h"
#ifndef COIL_HTTP_PROXY_CLIENT_ONLY
#include "remoting/endpoints.h"
#include "remoting/naming.h"
#include "remoting/naming_client.h"
#endif

/* Idle connections a proxy keeps at most (more are closed when released). */
#define PROXY_MAX_IDLE 64
/* The largest reply body accepted. */
#define PROXY_MAX_REPLY ((size_t)64 << 20)

/* ---- Errors ------------------------------------------------------------- */

/* Stores a new error in *err (when the caller wants one) and returns code. */
__attribute__((format(printf, 4, 5)))
static int fail(coil_error **err, int code, json_t *data, const char *fmt, ...)
{
    if (err && !*err) {
        va_list ap;
        va_start(ap, fmt);
        char small[512];
        int n = vsnprintf(small, sizeof small, fmt, ap);
        va_end(ap);
        char *msg = small;
        if (n >= (int)sizeof small && (msg = malloc((size_t)n + 1)) != NULL) {
            va_start(ap, fmt);
            vsnprintf(msg, (size_t)n + 1, fmt, ap);
            va_end(ap);
        }
        *err = coil_error_new((coil_code)code, "%s", msg ? msg : small);
        if (msg != small)
            free(msg);
        if (*err && data)
            (*err)->data = json_incref(data);
    }
    return code;
}

/* ---- libcurl setup ------------------------------------------------------ */

/* A growable byte buffer: a request or a reply body. Kept by its
 * connection from call to call, so that a call allocates nothing once the
 * buffers are large enough. */
typedef struct byte_buf {
    char *data;
    size_t len, cap;
    bool too_big;   /* a reply over PROXY_MAX_REPLY was cut off */
} byte_buf;

/* Buffers larger than this are not kept after the call that needed them. */
#define KEEP_BUFFER ((size_t)64 << 10)

static bool buf_reserve(byte_buf *b, size_t extra)
{
    if (extra <= b->cap - b->len)
        return true;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap - b->len < extra)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d)
        return false;
    b->data = d;
    b->cap = cap;
    return true;
}

static bool buf_add(byte_buf *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n))
        return false;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return true;
}

/* Appends jansson's compact encoding of `j`, written straight into the
 * buffer. */
static bool buf_add_json(byte_buf *b, const json_t *j)
{
    const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    if (!buf_reserve(b, 64))
        return false;
    size_t n = json_dumpb(j, b->data + b->len, b->cap - b->len, flags);
    if (n == 0)
        return false;
    if (n > b->cap - b->len) {
        if (!buf_reserve(b, n) || json_dumpb(j, b->data + b->len, b->cap - b->len, flags) != n)
            return false;
    }
    b->len += n;
    return true;
}

static void buf_trim(byte_buf *b)
{
    if (b->cap > KEEP_BUFFER) {
        free(b->data);
        *b = (byte_buf){ 0 };
    }
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    byte_buf *b = userdata;
    size_t n = size * nmemb;
    if (n > PROXY_MAX_REPLY - b->len) {
        b->too_big = true;
        return 0;
    }
    return buf_add(b, ptr, n) ? n : 0;
}

/* One connection: a curl easy handle, which keeps its connection alive
 * between calls, and the buffers of its calls. Used by one call at a time. */
typedef struct rpc_conn {
    struct rpc_conn *next;      /* in the pool while idle */
    CURL *curl;
    CURLU *url;                 /* the client's URL, parsed once for this handle */
    byte_buf request, reply;
    /* The last method name written, and its JSON text (jansson's). */
    char *method;
    byte_buf method_json;
    long total_ms, connect_ms;  /* the timeouts set on the handle; -1: none yet */
    char errbuf[CURL_ERROR_SIZE];
} rpc_conn;

struct coil__rpc_client {
    char *url;
    double connect_timeout;
    double timeout;
    int64_t retries;
    double retry_delay;
    CURLU *parsed;              /* url, parsed once */
    struct curl_slist *headers;
    pthread_mutex_t lock;       /* guards idle, nidle */
    rpc_conn *idle;
    size_t nidle;
    _Atomic int64_t next_id;
};

static rpc_conn *conn_new(coil__rpc_client *p)
{
    rpc_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->total_ms = c->connect_ms = -1;
    c->curl = curl_easy_init();
    c->url = curl_url_dup(p->parsed);
    if (!c->curl || !c->url) {
        curl_easy_cleanup(c->curl);
        curl_url_cleanup(c->url);
        free(c);
        return NULL;
    }
    /* Everything that does not change from call to call is set once, here.
     * The URL is handed over parsed (CURLOPT_CURLU), and the User-Agent is
     * one of the headers, rather than CURLOPT_URL and CURLOPT_USERAGENT,
     * which libcurl would parse and format again for every request. */
    CURL *h = c->curl;
    bool ok = curl_easy_setopt(h, CURLOPT_CURLU, c->url) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_POST, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_HTTPHEADER, p->headers) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_WRITEDATA, &c->reply) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
              /* The endpoint is the context's to name: no web proxy from the
               * environment (http_proxy) comes between. */
              curl_easy_setopt(h, CURLOPT_NOPROXY, "*") == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L) == CURLE_OK;
    if (!ok) {
        curl_easy_cleanup(h);
        curl_url_cleanup(c->url);
        free(c);
        return NULL;
    }
    return c;
}

static void conn_free(rpc_conn *c)
{
    curl_easy_cleanup(c->curl);
    curl_url_cleanup(c->url);
    free(c->request.data);
    free(c->reply.data);
    free(c->method);
    free(c->method_json.data);
    free(c);
}

static rpc_conn *pool_take(coil__rpc_client *p)
{
    pthread_mutex_lock(&p->lock);
    rpc_conn *c = p->idle;
    if (c) {
        p->idle = c->next;
        p->nidle--;
    }
    pthread_mutex_unlock(&p->lock);
    if (c)
        c->next = NULL;
    return c ? c : conn_new(p);
}

static void pool_give(coil__rpc_client *p, rpc_conn *c)
{
    buf_trim(&c->request);
    buf_trim(&c->reply);
    pthread_mutex_lock(&p->lock);
    bool keep = p->nidle < PROXY_MAX_IDLE;
    if (keep) {
        c->next = p->idle;
        p->idle = c;
        p->nidle++;
    }
    pthread_mutex_unlock(&p->lock);
    if (!keep)
        conn_free(c);
}

/* ---- One HTTP exchange -------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds as whole milliseconds, rounded up, at least 1. */
static long to_ms(double s)
{
    double ms = s * 1000.0;
    if (!(ms < (double)LONG_MAX / 2))
        return LONG_MAX / 2;
    long n = (long)ms;
    if ((double)n < ms)
        n++;
    return n < 1 ? 1 : n;
}

static void pause_for(double s)
{
    if (s <= 0)
        return;
    time_t whole = (time_t)s;
    struct timespec ts = { whole, (long)((s - (double)whole) * 1e9) };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static const char *curl_text(rpc_conn *c, CURLcode rc)
{
    return coil__curl_error_text(c->curl, rc, c->errbuf, sizeof c->errbuf);
}

/* How one call through a client ended, for the proxy's failover. */
typedef enum rpc_outcome {
    RPC_OK,        /* a result, or a notification delivered */
    RPC_ANSWERED,  /* an error reply: the server was reached and answered */
    RPC_NOT_SENT,  /* a transport failure before the request reached the server */
    RPC_FAILED,    /* a transport failure after it may have reached it */
    RPC_LOCAL      /* a failure on this side before anything was sent */
} rpc_outcome;

/* POSTs the connection's request body; the reply body is then in
 * c->reply (empty when there was none), or a transport error is returned,
 * with *outcome RPC_NOT_SENT when the request provably never reached the
 * server, RPC_FAILED (or RPC_LOCAL: out of memory) otherwise. Attempts
 * again, while time remains before `deadline`, when the connection could
 * not be made. */
static int exchange(coil__rpc_client *p, rpc_conn *c, double deadline, bool notification,
                    rpc_outcome *outcome, coil_error **err)
{
    int64_t attempt = 0;
    CURL *h = c->curl;
    /* The body is where the last call left it only if it did not move. */
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->request.data);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->request.len);
    for (;;) {
        attempt++;
        c->reply.len = 0;
        c->reply.too_big = false;
        c->errbuf[0] = '\0';
        double remaining = deadline - now_s();
        if (remaining < 0.001)
            remaining = 0.001;
        long total_ms = to_ms(remaining);
        long connect_ms = to_ms(p->connect_timeout);
        bool connect_binds = connect_ms < total_ms;
        if (!connect_binds)
            connect_ms = total_ms;
        if (total_ms != c->total_ms) {
            curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
            c->total_ms = total_ms;
        }
        if (connect_ms != c->connect_ms) {
            curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
            c->connect_ms = connect_ms;
        }
        CURLcode res = curl_easy_perform(h);
        if (res == CURLE_OK) {
            long status = 0;
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
            /* 200, or for a notification also 204: many servers answer
             * notifications with no content. */
            if (status == 200 || (notification && status == 204))
                return COIL_OK;
            *outcome = RPC_FAILED;
            return fail(err, COIL_EHTTP, NULL, "HTTP status %ld from %s", status, p->url);
        }
        long sent = 0;
        curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent);
        bool never_sent = res == CURLE_COULDNT_CONNECT || res == CURLE_COULDNT_RESOLVE_HOST ||
                          (res == CURLE_OPERATION_TIMEDOUT && sent == 0 && connect_binds);
        if (never_sent) {
            double left = deadline - now_s();
            if (attempt <= p->retries && left > p->retry_delay) {
                pause_for(p->retry_delay);
                continue;
            }
            *outcome = RPC_NOT_SENT;
            if (attempt > 1)
                return fail(err, COIL_ECONNECT, NULL, "cannot connect to %s: %s (%lld attempts)",
                            p->url, curl_text(c, res), (long long)attempt);
            return fail(err, COIL_ECONNECT, NULL, "cannot connect to %s: %s", p->url,
                        curl_text(c, res));
        }
        *outcome = RPC_FAILED;
        if (res == CURLE_OPERATION_TIMEDOUT)
            return fail(err, COIL_ETIMEOUT, NULL, "no reply from %s within %g s", p->url,
                        p->timeout);
        if (res == CURLE_WRITE_ERROR && c->reply.too_big)
            return fail(err, COIL_EPROTOCOL, NULL, "malformed reply from %s: larger than %zu bytes",
                        p->url, PROXY_MAX_REPLY);
        if (res == CURLE_OUT_OF_MEMORY || res == CURLE_WRITE_ERROR) {
            *outcome = RPC_LOCAL;
            return fail(err, COIL_ENOMEM, NULL, "call to %s: out of memory", p->url);
        }
        if (res == CURLE_GOT_NOTHING || res == CURLE_RECV_ERROR || res == CURLE_SEND_ERROR ||
            res == CURLE_PARTIAL_FILE)
            return fail(err, COIL_ECONNECT, NULL, "connection to %s lost: %s", p->url,
                        curl_text(c, res));
        if (res == CURLE_WEIRD_SERVER_REPLY || res == CURLE_BAD_CONTENT_ENCODING)
            return fail(err, COIL_EPROTOCOL, NULL, "malformed reply from %s: %s", p->url,
                        curl_text(c, res));
        return fail(err, COIL_ECONNECT, NULL, "request to %s failed: %s", p->url,
                    curl_text(c, res));
    }
}

/* ---- JSON-RPC ----------------------------------------------------------- */

/* Writes the request body into c->request:
 *   {"jsonrpc":"2.0","method":M,"params":P,"id":N}
 * the members in that order, "params" left out when `params` is NULL and
 * "id" for a notification. The method name and the parameters are
 * jansson's encoding of them (the name's kept from the connection's last
 * call when it is the same name); the rest is fixed text and the id's
 * digits. The bytes are those of json_dumps(JSON_COMPACT) of the same
 * request object, without building it. */
static int write_request(rpc_conn *c, const char *method, const json_t *params,
                         bool notification, int64_t id)
{
    static const char head[] = "{\"jsonrpc\":\"2.0\",\"method\":";
    if (!c->method || strcmp(c->method, method) != 0) {
        free(c->method);
        c->method = NULL;
        c->method_json.len = 0;
        json_t *name = json_string(method);
        if (!name)
            return COIL_EINVAL; /* not UTF-8 */
        bool ok = buf_add_json(&c->method_json, name);
        json_decref(name);
        if (!ok || !(c->method = strdup(method)))
            return COIL_ENOMEM;
    }
    byte_buf *b = &c->request;
    b->len = 0;
    bool ok = buf_add(b, head, sizeof head - 1) &&
              buf_add(b, c->method_json.data, c->method_json.len);
    if (ok && params) {
        static const char key[] = ",\"params\":";
        ok = buf_add(b, key, sizeof key - 1) && buf_add_json(b, params);
    }
    if (ok && !notification) {
        char tail[40];
        int n = snprintf(tail, sizeof tail, ",\"id\":%lld}", (long long)id);
        ok = buf_add(b, tail, (size_t)n);
    } else if (ok) {
        ok = buf_add(b, "}", 1);
    }
    return ok ? COIL_OK : COIL_ENOMEM;
}

/* A JSON-RPC error object as a coil_error. */
static int rpc_error(const coil__rpc_client *p, const json_t *e, coil_error **err)
{
    json_t *code = json_object_get(e, "code");
    json_t *message = json_object_get(e, "message");
    if (!json_is_object(e) || !json_is_integer(code) || !json_is_string(message))
        return fail(err, COIL_EPROTOCOL, NULL,
                    "malformed reply from %s: an error without an integer code and a string "
                    "message",
                    p->url);
    json_int_t n = json_integer_value(code);
    int mapped;
    if (n == -32601)
        mapped = COIL_ENOMETHOD;
    else if (n == -32602)
        mapped = COIL_EPARAMS;
    else if ((n >= -32768 && n <= -32000) || n == 0 || n < INT32_MIN || n > INT32_MAX)
        mapped = COIL_EPROTOCOL;
    else
        mapped = (int)n;
    return fail(err, mapped, json_object_get(e, "data"), "%s", json_string_value(message));
}

static char *show(const json_t *j)
{
    char *s = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    return s ? s : strdup("nothing");
}

/* Checks a reply body to request `id`. On success returns 0 with *reply
 * the parsed reply (a new reference) and *result its "result" (borrowed
 * from it); a JSON-RPC error reply is returned as its coil_error, with
 * *outcome RPC_ANSWERED (RPC_FAILED for a malformed reply). */
static int read_reply(const coil__rpc_client *p, int64_t id, const byte_buf *body,
                      json_t **reply_out, json_t **result, rpc_outcome *outcome,
                      coil_error **err)
{
    *outcome = RPC_FAILED;
    if (!body->len)
        return fail(err, COIL_EPROTOCOL, NULL, "malformed reply from %s: an empty body", p->url);
    json_error_t je;
    json_t *reply = json_loadb(body->data, body->len, 0, &je);
    if (!reply)
        return fail(err, COIL_EPROTOCOL, NULL, "malformed reply from %s: not JSON (%s)",
                    p->url, je.text);
    int rc = COIL_OK;
    json_t *version = json_object_get(reply, "jsonrpc");
    json_t *res = json_object_get(reply, "result");
    json_t *error = json_object_get(reply, "error");
    json_t *rid = json_object_get(reply, "id");
    if (!json_is_object(reply) || !json_is_string(version) ||
        strcmp(json_string_value(version), "2.0") != 0 || !rid || !res == !error) {
        rc = fail(err, COIL_EPROTOCOL, NULL,
                  "malformed reply from %s: not a JSON-RPC 2.0 response object", p->url);
    } else if (!(json_is_integer(rid) && json_integer_value(rid) == id) &&
               !(error && json_is_null(rid))) {
        /* An error may come with id null: the server could not read ours. */
        char *shown = show(rid);
        rc = fail(err, COIL_EPROTOCOL, NULL,
                  "malformed reply from %s: its id %s does not match the request's id %lld",
                  p->url, shown, (long long)id);
        free(shown);
    } else if (error) {
        rc = rpc_error(p, error, err);
        if (json_is_integer(json_object_get(error, "code")) &&
            json_is_string(json_object_get(error, "message")))
            *outcome = RPC_ANSWERED; /* a well-formed error reply */
    }
    if (rc) {
        json_decref(reply);
        return rc;
    }
    *reply_out = reply;
    *result = res;
    *outcome = RPC_OK;
    return COIL_OK;
}

/* One call: the request on a connection of the pool, its reply checked,
 * all of it by `deadline` (now_s() time). A notification gets no reply to
 * read: *reply is then NULL. Otherwise, on success, *reply is the parsed
 * reply (a new reference) and *result its "result", borrowed from it.
 * *outcome says how it ended (always set). */
static int rpc_call(coil__rpc_client *p, const char *method, const json_t *params,
                    bool notification, double deadline, rpc_outcome *outcome, json_t **reply,
                    json_t **result, coil_error **err)
{
    *reply = NULL;
    *result = NULL;
    *outcome = RPC_LOCAL;
    rpc_conn *c = pool_take(p);
    if (!c)
        return fail(err, COIL_ENOMEM, NULL, "cannot make a connection handle for %s: out of memory",
                    p->url);
    int64_t id = notification ? 0 : (int64_t)atomic_fetch_add(&p->next_id, 1);
    int rc = write_request(c, method, params, notification, id);
    if (rc == COIL_EINVAL)
        rc = fail(err, rc, NULL, "call to %s: the method name is not valid UTF-8", p->url);
    else if (rc)
        rc = fail(err, rc, NULL, "out of memory");
    if (!rc)
        rc = exchange(p, c, deadline, notification, outcome, err);
    /* The reply is read before the connection (and its buffer) goes back. */
    if (!rc && !notification)
        rc = read_reply(p, id, &c->reply, reply, result, outcome, err);
    else if (!rc)
        *outcome = RPC_OK;
    pool_give(p, c);
    return rc;
}

/* ---- The client --------------------------------------------------------- */

/* Sets up `p` for `url`; on failure nothing is left to release. */
static int client_init(coil__rpc_client *p, const char *url, double connect_timeout,
                       double timeout, int64_t retries, double retry_delay, coil_error **err)
{
    *p = (coil__rpc_client){ 0 };
    if (!(timeout > 0) || !(connect_timeout > 0))
        return fail(err, COIL_EVALUE, NULL, "timeouts must be more than 0 seconds");
    CURLcode curl_init_result = coil__curl_init();
    if (curl_init_result != CURLE_OK)
        return fail(err, COIL_EINIT, NULL, "cannot initialize libcurl: %s",
                    curl_easy_strerror(curl_init_result));
    CURLU *u = curl_url();
    if (!u)
        return fail(err, COIL_ENOMEM, NULL, "out of memory");
    char *scheme = NULL, *host = NULL;
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
    bool http = uc == CURLUE_OK && (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);
    curl_free(scheme);
    curl_free(host);
    if (!http) {
        curl_url_cleanup(u);
        return fail(err, COIL_EVALUE, NULL,
                    "url '%s' is not an HTTP URL (http://host:port/path)%s%s", url,
                    uc != CURLUE_OK ? ": " : "", uc != CURLUE_OK ? curl_url_strerror(uc) : "");
    }

    struct curl_slist *h = NULL, *t;
    static const char *const headers[] = {
        "Content-Type: application/json", "Accept: application/json",
        "User-Agent: coil-http-proxy",
        "Expect:", /* no 100-continue round trip for larger bodies */
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        if (!(t = curl_slist_append(h, headers[i]))) {
            curl_slist_free_all(h);
            curl_url_cleanup(u);
            return fail(err, COIL_ENOMEM, NULL, "out of memory");
        }
        h = t;
    }
    char *copy = strdup(url);
    if (!copy || pthread_mutex_init(&p->lock, NULL) != 0) {
        free(copy);
        curl_slist_free_all(h);
        curl_url_cleanup(u);
        return copy ? fail(err, COIL_EINIT, NULL, "cannot create a mutex")
                    : fail(err, COIL_ENOMEM, NULL, "out of memory");
    }
    p->url = copy;
    p->connect_timeout = connect_timeout;
    p->timeout = timeout;
    p->retries = retries;
    p->retry_delay = retry_delay;
    p->parsed = u;
    p->headers = h;
    atomic_init(&p->next_id, 1);
    return COIL_OK;
}

static void client_fini(coil__rpc_client *p)
{
    while (p->idle) {
        rpc_conn *c = p->idle;
        p->idle = c->next;
        conn_free(c);
    }
    p->nidle = 0;
    pthread_mutex_destroy(&p->lock);
    curl_slist_free_all(p->headers);
    curl_url_cleanup(p->parsed);
    free(p->url);
    *p = (coil__rpc_client){ 0 };
}

int coil__rpc_client_open(const char *url, double connect_timeout_s, double timeout_s,
                          unsigned retries, coil__rpc_client **out, coil_error **err)
{
    if (!url || !out)
        return fail(err, COIL_EINVAL, NULL, "coil__rpc_client_open: %s is NULL",
                    url ? "out" : "url");
    coil__rpc_client *c = malloc(sizeof *c);
    if (!c)
        return fail(err, COIL_ENOMEM, NULL, "out of memory");
    int rc = client_init(c, url, connect_timeout_s, timeout_s, retries, 0.1, err);
    if (rc) {
        free(c);
        return rc;
    }
    *out = c;
    return COIL_OK;
}

int coil__rpc_client_call(coil__rpc_client *c, const char *method, json_t *params,
                          json_t **result, coil_error **err)
{
    if (!c || !method)
        return fail(err, COIL_EINVAL, NULL, "coil__rpc_client_call: %s is NULL",
                    c ? "method" : "client");
    if (params && !json_is_array(params) && !json_is_object(params))
        return fail(err, COIL_EINVAL, NULL, "%s: params must be an array or an object", method);
    json_t *reply, *res;
    rpc_outcome outcome;
    int rc = rpc_call(c, method, params, false, now_s() + c->timeout, &outcome, &reply, &res, err);
    if (rc == COIL_OK && result)
        *result = json_incref(res);
    json_decref(reply);
    return rc;
}

void coil__rpc_client_close(coil__rpc_client *c)
{
    if (!c)
        return;
    client_fini(c);
    free(c);
}

#ifndef COIL_HTTP_PROXY_CLIENT_ONLY

/* ---- Several endpoints -------------------------------------------------- */

/* The least time a client is kept idle (see idle_limit below). */
#define PROXY_KEEP_IDLE_CLIENT 1.0

/* One endpoint's client, shared by the calls to that URL. */
typedef struct endpoint_client {
    struct endpoint_client *next;
    coil__rpc_client rpc;
    unsigned users;          /* calls using it now: it is not freed while > 0 */
    double last_used;        /* when the last call ended */
} endpoint_client;

/* A proxy's endpoints when it has `urls`, or `name` and `naming`. */
typedef struct failover {
    coil__endpoints *eps;
    coil__naming *naming;            /* name + naming: the backend (owned) */
    coil__naming_resolver *resolver; /* ... and what looks the name up */
    char *where;                     /* the backend, for messages */
    pthread_mutex_t lock;            /* guards the fields below */
    endpoint_client *clients;
    double idle_limit;               /* clients unused this long are freed; 0: never */
    double next_sweep;
} failover;

typedef struct http_proxy http_proxy;

/* What coil_get returns: a part of the factory instance. */
typedef struct proxy_product {
    http_proxy *owner;
} proxy_product;

struct http_proxy {
    /* properties */
    char *url;
    coil_strings urls;
    char *name;
    coil_ref_or_value naming;
    char *balance;
    double backoff;
    double refresh;
    char *interface;
    double connect_timeout;
    double timeout;
    int64_t retries;
    double retry_delay;
    /* state, set up by init */
    coil__rpc_client client;  /* `url` */
    failover *multi;          /* `urls`, or `name` and `naming`; NULL with `url` */
    proxy_product product;
};

static void endpoint_client_free(endpoint_client *c)
{
    client_fini(&c->rpc);
    free(c);
}

static endpoint_client *endpoint_client_new(const http_proxy *p, const char *url,
                                            coil_error **err)
{
    endpoint_client *c = calloc(1, sizeof *c);
    if (!c) {
        fail(err, COIL_ENOMEM, NULL, "out of memory");
        return NULL;
    }
    /* No retries on one endpoint: the next endpoint is the retry. */
    if (client_init(&c->rpc, url, p->connect_timeout, p->timeout, 0, p->retry_delay, err)) {
        free(c);
        return NULL;
    }
    return c;
}

/* The client of `url`, made when there is none, counted as in use until
 * client_release. NULL (with *err) when it cannot be made. Frees the
 * clients no call has used for idle_limit seconds (at most every quarter
 * of it). */
static endpoint_client *client_acquire(const http_proxy *p, const char *url, double now,
                                       coil_error **err)
{
    failover *f = p->multi;
    endpoint_client *dropped = NULL;
    pthread_mutex_lock(&f->lock);
    endpoint_client *c = f->clients;
    while (c && strcmp(c->rpc.url, url) != 0)
        c = c->next;
    if (!c && (c = endpoint_client_new(p, url, err)) != NULL) {
        c->next = f->clients;
        f->clients = c;
    }
    if (c)
        c->users++;
    if (f->idle_limit > 0 && now >= f->next_sweep) {
        f->next_sweep = now + f->idle_limit / 4;
        for (endpoint_client **at = &f->clients; *at;) {
            endpoint_client *e = *at;
            if (e->users == 0 && now - e->last_used > f->idle_limit) {
                *at = e->next;
                e->next = dropped;
                dropped = e;
            } else {
                at = &e->next;
            }
        }
    }
    pthread_mutex_unlock(&f->lock);
    while (dropped) {
        endpoint_client *e = dropped;
        dropped = e->next;
        endpoint_client_free(e);
    }
    return c;
}

static void client_release(failover *f, endpoint_client *c, double now)
{
    pthread_mutex_lock(&f->lock);
    c->users--;
    c->last_used = now;
    pthread_mutex_unlock(&f->lock);
}

/* `e`'s code and data with " (SUFFIX)" after its message, in *err; `e` is
 * consumed. */
static int hand_over(coil_error *e, size_t attempts, size_t endpoints, coil_error **err)
{
    int code = (int)e->code;
    if (!err || *err) {
        coil_error_free(e);
        return code;
    }
    if (attempts > 1) {
        coil_error *n = endpoints == attempts
                            ? coil_error_new((coil_code)code, "%s (%zu endpoints tried)",
                                             e->message, endpoints)
                            : coil_error_new((coil_code)code, "%s (%zu attempts on %zu endpoints)",
                                             e->message, attempts, endpoints);
        if (n) {
            n->data = e->data;
            e->data = NULL;
            coil_error_free(e);
            e = n;
        }
    }
    *err = e;
    return code;
}

static bool transport_failure(rpc_outcome o)
{
    return o == RPC_NOT_SENT || o == RPC_FAILED;
}

/* A call through the endpoints: attempts on one endpoint after another
 * until one answers, one fails in a way that makes another attempt unsafe,
 * every endpoint has been tried, or the call's timeout is over. On success
 * (and on an error reply) *answered_by is the URL that answered (the
 * caller frees it). The rest is as for rpc_call. */
static int failover_call(const http_proxy *p, const coil_method *m, const json_t *params,
                         json_t **reply, json_t **result, char **answered_by, coil_error **err)
{
    failover *f = p->multi;
    const double deadline = now_s() + p->timeout;
    *reply = NULL;
    *result = NULL;
    *answered_by = NULL;
    if (f->resolver) {
        coil_error *e = NULL;
        int rc = coil__naming_resolver_update(f->resolver, now_s(), false, &e);
        if (rc) {
            fail(err, rc, NULL, "cannot look up the endpoints of '%s' (%s): %s", p->name,
                 f->where, e ? e->message : coil_strerror(rc));
            coil_error_free(e);
            return rc;
        }
    }
    /* The URLs this call has tried in this round (copies from the pick). */
    char *small[16];
    char **tried = small;
    size_t ntried = 0, cap = sizeof small / sizeof small[0];
    size_t attempts = 0, most_tried = 0;
    int64_t rounds_left = p->retries;
    bool looked_again = false;
    coil_error *last = NULL;   /* the last transport failure */
    int rc = COIL_OK;
    bool done = false;
    while (!done) {
        double now = now_s();
        if (now >= deadline)
            break;
        char *url = coil__endpoints_pick(f->eps, now, tried, ntried);
        if (!url) {
            /* Every endpoint tried, or none at all. */
            if (f->resolver && !looked_again) {
                /* The list may be out of date: once per call, look again
                 * now, and try the endpoints that adds. */
                looked_again = true;
                coil__naming_resolver_update(f->resolver, now, true, NULL);
                continue;
            }
            if (ntried && rounds_left > 0 && deadline - now > p->retry_delay) {
                rounds_left--;
                pause_for(p->retry_delay);
                while (ntried)
                    free(tried[--ntried]);
                continue;
            }
            break;
        }
        if (ntried == cap) {
            char **bigger = malloc(2 * cap * sizeof *bigger);
            if (!bigger) {
                free(url);
                rc = fail(err, COIL_ENOMEM, NULL, "out of memory");
                done = true;
                break;
            }
            memcpy(bigger, tried, ntried * sizeof *tried);
            if (tried != small)
                free(tried);
            tried = bigger;
            cap *= 2;
        }
        coil_error *e = NULL;
        rpc_outcome outcome = RPC_NOT_SENT;
        endpoint_client *c = client_acquire(p, url, now, &e);
        if (!c) {
            rc = e ? (int)e->code : COIL_ENOMEM;
            /* A URL no client can be made for is the endpoint's fault. */
            outcome = rc == COIL_ENOMEM ? RPC_LOCAL : RPC_NOT_SENT;
        } else {
            rc = rpc_call(&c->rpc, m->name, params, m->oneway, deadline, &outcome, reply, result,
                          &e);
            client_release(f, c, now_s());
        }
        if (!transport_failure(outcome)) {
            /* An answer (a result or an error reply), or a failure on this
             * side: the end of the call. */
            if (outcome != RPC_LOCAL)
                coil__endpoints_succeeded(f->eps, url);
            if (rc == COIL_OK || outcome == RPC_ANSWERED) {
                *answered_by = url;
                url = NULL;
            }
            free(url);
            coil_error_free(last);
            last = NULL;
            if (e) {
                if (err && !*err)
                    *err = e;
                else
                    coil_error_free(e);
            } else if (rc) {
                fail(err, rc, NULL, "out of memory");
            }
            done = true;
            break;
        }
        coil__endpoints_failed(f->eps, url, now_s());
        tried[ntried++] = url;
        attempts++;
        if (ntried > most_tried)
            most_tried = ntried;
        coil_error_free(last);
        last = e ? e : coil_error_new((coil_code)rc, "call to %s failed", url);
        if (outcome == RPC_FAILED && !m->idempotent)
            break; /* it may have run: not sent again */
        if (rc == COIL_ETIMEOUT)
            break; /* the attempt had all the time left: the call's is over */
    }
    while (ntried)
        free(tried[--ntried]);
    if (tried != small)
        free(tried);
    if (done)
        return rc;
    if (last)
        return hand_over(last, attempts, most_tried, err);
    if (now_s() >= deadline)
        return fail(err, COIL_ETIMEOUT, NULL, "no endpoint of '%s' answered within %g s",
                    p->name ? p->name : m->name, p->timeout);
    if (f->resolver)
        return fail(err, COIL_ECONNECT, NULL, "no endpoint of '%s' is registered (%s)", p->name,
                    f->where);
    return fail(err, COIL_ECONNECT, NULL, "no endpoint to call");
}

/* ---- Typed calls -------------------------------------------------------- */

static int proxy_forward(void *object, const coil_method *m, void *const *args, void *result,
                         coil_error **err)
{
    http_proxy *p = ((proxy_product *)object)->owner;
    json_t *params = json_array();
    if (!params)
        return fail(err, COIL_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; i < m->nparams; i++) {
        coil_error *e = NULL;
        json_t *v = coil_value_to_json(m->params[i].type, args[i], m->params[i].name, &e);
        if (!v || json_array_append_new(params, v) != 0) {
            int code = e ? (int)e->code : COIL_ENOMEM;
            fail(err, code, NULL, "%s: %s", m->name, e ? e->message : "out of memory");
            coil_error_free(e);
            json_decref(params);
            return code;
        }
    }
    /* Absent optional parameters at the end are left out rather than sent
     * as null, so a server that predates them still takes the call. */
    for (size_t n = json_array_size(params);
         n > 0 && m->params[n - 1].type->kind == COIL_K_OPTIONAL &&
         json_is_null(json_array_get(params, n - 1));
         n--)
        json_array_remove(params, n - 1);
    json_t *reply, *res;
    char *answered_by = NULL;
    int rc;
    if (!p->multi) {
        rpc_outcome outcome;
        rc = rpc_call(&p->client, m->name, params, m->oneway, now_s() + p->timeout, &outcome,
                      &reply, &res, err);
    } else {
        rc = failover_call(p, m, params, &reply, &res, &answered_by, err);
    }
    json_decref(params);
    if (rc == COIL_OK && !m->oneway && m->result) {
        /* On failure the caller's result stays untouched. */
        void *tmp = calloc(1, m->result->size ? m->result->size : 1);
        coil_error *e = NULL;
        if (!tmp) {
            rc = fail(err, COIL_ENOMEM, NULL, "out of memory");
        } else if ((rc = coil_value_from_json(m->result, res, tmp, m->name, &e)) != 0) {
            rc = rc == COIL_ENOMEM ? COIL_ENOMEM : COIL_EPROTOCOL;
            fail(err, rc, NULL, "malformed reply from %s: result of %s: %s",
                 answered_by ? answered_by : p->url, m->name,
                 e ? e->message : coil_strerror(rc));
        } else {
            memcpy(result, tmp, m->result->size);
        }
        coil_error_free(e);
        free(tmp);
    }
    free(answered_by);
    json_decref(reply);
    return rc;
}

/* ---- The class ---------------------------------------------------------- */

static const void *proxy_query(void *self, const coil_interface *iface)
{
    const http_proxy *p = self;
    return iface->name && p->interface && strcmp(iface->name, p->interface) == 0
               ? iface->forward_ops
               : NULL;
}

static void failover_free(failover *f)
{
    if (!f)
        return;
    coil__naming_resolver_free(f->resolver);
    if (f->naming)
        f->naming->ops->close(f->naming);
    coil__endpoints_free(f->eps);
    while (f->clients) {
        endpoint_client *c = f->clients;
        f->clients = c->next;
        endpoint_client_free(c);
    }
    pthread_mutex_destroy(&f->lock);
    free(f->where);
    free(f);
}

/* A new string, formatted; NULL when out of memory. */
__attribute__((format(printf, 1, 2)))
static char *format_new(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* The naming backend as messages name it. */
static char *describe_naming(const coil_ref_or_value *v)
{
    if (v->ref) {
        const char *id = NULL;
        coil_class_of(v->ref, &id);
        return id ? format_new("naming: object '%s'", id) : format_new("naming: an object");
    }
    if (json_is_string(v->value))
        return format_new("naming: %s", json_string_value(v->value));
    const char *prefix = json_string_value(json_object_get(v->value, "prefix"));
    return format_new("naming: etcd at %s, prefix %s",
                      json_string_value(json_object_get(v->value, "etcd")),
                      prefix ? prefix : "/coil/");
}

/* Which of url, urls, name and naming are given, checked: exactly one of
 * url, urls, or name with naming. */
static int check_endpoint_properties(const http_proxy *p, coil_error **err)
{
    const char *given[4];
    size_t ngiven = 0;
    if (p->url)
        given[ngiven++] = "url";
    if (p->urls.items)
        given[ngiven++] = "urls";
    bool has_name = p->name != NULL, has_naming = p->naming.ref || p->naming.value;
    if (has_name)
        given[ngiven++] = "name";
    if (has_naming)
        given[ngiven++] = "naming";
    static const char forms[] = "give url, urls, or name with naming";
    if (ngiven == 0)
        return fail(err, COIL_EVALUE, NULL, "%s: none is set", forms);
    if ((p->url || p->urls.items) && ngiven > 1)
        return fail(err, COIL_EVALUE, NULL, "%s, not both %s and %s", forms, given[0], given[1]);
    if (has_name && !has_naming)
        return fail(err, COIL_EVALUE, NULL,
                    "name needs naming: where to look up the endpoints of '%s' (a name "
                    "server's URL, {etcd: URL, prefix: P} or {ref: OBJECT})",
                    p->name);
    if (has_naming && !has_name)
        return fail(err, COIL_EVALUE, NULL,
                    "naming needs name: the service name to look up there");
    if (p->urls.items && p->urls.count == 0)
        return fail(err, COIL_EVALUE, NULL, "urls is empty: give at least one endpoint");
    if (has_name && !p->name[0])
        return fail(err, COIL_EVALUE, NULL, "name is empty");
    return COIL_OK;
}

static int failover_init(http_proxy *p, coil_error **err)
{
    failover *f = calloc(1, sizeof *f);
    if (!f)
        return fail(err, COIL_ENOMEM, NULL, "out of memory");
    if (pthread_mutex_init(&f->lock, NULL) != 0) {
        free(f);
        return fail(err, COIL_EINIT, NULL, "cannot create a mutex");
    }
    p->multi = f;
    coil__balance balance = strcmp(p->balance, "random") == 0 ? COIL__BALANCE_RANDOM
                                                               : COIL__BALANCE_ROUND_ROBIN;
    int rc = COIL_OK;
    if (!(f->eps = coil__endpoints_new(balance, p->backoff)))
        rc = fail(err, COIL_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; !rc && i < p->urls.count; i++) {
        /* Every URL checked now: a bad one is the context's mistake. Their
         * clients are kept as long as the proxy (idle_limit 0). */
        bool again = false;
        for (endpoint_client *c = f->clients; c && !again; c = c->next)
            again = strcmp(c->rpc.url, p->urls.items[i]) == 0;
        if (again)
            continue;
        endpoint_client *c = endpoint_client_new(p, p->urls.items[i], err);
        if (!c) {
            rc = err && *err ? (int)(*err)->code : COIL_ENOMEM;
            break;
        }
        c->next = f->clients;
        f->clients = c;
    }
    if (!rc && p->urls.items &&
        coil__endpoints_set(f->eps, (const char *const *)p->urls.items, p->urls.count) != 0)
        rc = fail(err, COIL_ENOMEM, NULL, "out of memory");
    if (!rc && p->name) {
        /* Nothing is contacted here: the first call looks the name up. */
        double t = p->connect_timeout < p->timeout ? p->connect_timeout : p->timeout;
        rc = coil__naming_open_property(&p->naming, t, &f->naming, err);
        if (!rc && (!(f->where = describe_naming(&p->naming)) ||
                    !(f->resolver = coil__naming_resolver_new(f->naming, p->name, p->refresh,
                                                              f->eps))))
            rc = fail(err, COIL_ENOMEM, NULL, "out of memory");
        double limit = PROXY_KEEP_IDLE_CLIENT;
        if (2 * p->refresh > limit)
            limit = 2 * p->refresh;
        if (16 * p->backoff > limit)
            limit = 16 * p->backoff;
        f->idle_limit = limit;
    }
    if (rc) {
        failover_free(f);
        p->multi = NULL;
    }
    return rc;
}

static int proxy_init(void *self, coil_error **err)
{
    http_proxy *p = self;
    p->multi = NULL;
    int rc = check_endpoint_properties(p, err);
    if (rc)
        return rc;
    if (!p->interface[0])
        return fail(err, COIL_EVALUE, NULL, "interface is empty");
    rc = p->url ? client_init(&p->client, p->url, p->connect_timeout, p->timeout, p->retries,
                              p->retry_delay, err)
                : failover_init(p, err);
    if (rc)
        return rc;
    p->product.owner = p;
    return 0;
}

static void *proxy_produce(void *self, coil_error **err)
{
    (void)err;
    return &((http_proxy *)self)->product;
}

static void proxy_destroy(void *self)
{
    http_proxy *p = self;
    if (p->multi)
        failover_free(p->multi);
    else
        client_fini(&p->client);
    p->multi = NULL;
}

static const coil_property proxy_properties[] = {
    { .name = "url", .type = COIL_T_STRING, .offset = offsetof(http_proxy, url),
      .doc = "the service's endpoint: http://host:port/path (or give urls, or name and "
             "naming)" },
    { .name = "urls", .type = COIL_T_STRINGS, .offset = offsetof(http_proxy, urls),
      .doc = "the service's endpoints, balanced and failed over" },
    { .name = "name", .type = COIL_T_STRING, .offset = offsetof(http_proxy, name),
      .doc = "the name the service's endpoints are registered under in naming" },
    { .name = "naming", .type = COIL_T_REF_OR_VALUE, .offset = offsetof(http_proxy, naming),
      .doc = "where to look name up: a name server's URL, {etcd: URL, prefix: P} or "
             "{ref: OBJECT} implementing interface naming" },
    { .name = "balance", .type = COIL_T_STRING, .offset = offsetof(http_proxy, balance),
      .check = COIL_ONE_OF("round-robin", "random"), .default_value = "round-robin",
      .doc = "how calls spread over several endpoints" },
    { .name = "backoff", .type = COIL_T_DOUBLE, .offset = offsetof(http_proxy, backoff),
      .check = COIL_FRANGE(0, 3600), .default_value = "1",
      .doc = "seconds an endpoint that failed is skipped, doubled per failure in a row up to "
             "8 times" },
    { .name = "refresh", .type = COIL_T_DOUBLE, .offset = offsetof(http_proxy, refresh),
      .check = COIL_FRANGE(0.001, 86400), .default_value = "5",
      .doc = "seconds a lookup of name is used before the next" },
    { .name = "interface", .type = COIL_T_STRING, .offset = offsetof(http_proxy, interface),
      .flags = COIL_REQUIRED, .doc = "the name of the interface the proxy implements" },
    { .name = "connect-timeout", .type = COIL_T_DOUBLE,
      .offset = offsetof(http_proxy, connect_timeout), .check = COIL_FRANGE(0.001, 3600),
      .default_value = "5", .doc = "seconds to make a connection (and to look name up)" },
    { .name = "timeout", .type = COIL_T_DOUBLE, .offset = offsetof(http_proxy, timeout),
      .check = COIL_FRANGE(0.001, 86400), .default_value = "30",
      .doc = "seconds for a whole call, retries and failover included" },
    { .name = "retries", .type = COIL_T_INT, .offset = offsetof(http_proxy, retries),
      .check = COIL_RANGE(0, 1000), .default_value = "0",
      .doc = "more attempts for a request that never reached the server (connection refused "
             "or not made); with several endpoints, more rounds over them" },
    { .name = "retry-delay", .type = COIL_T_DOUBLE, .offset = offsetof(http_proxy, retry_delay),
      .check = COIL_FRANGE(0, 60), .default_value = "0.1",
      .doc = "seconds between attempts (rounds)" },
    COIL_PROPERTIES_END
};

static const coil_class http_proxy_class = {
    .abi = COIL_ABI_VERSION,
    .name = "coil.http-proxy",
    .doc = "A remote object: implements `interface` by calling the JSON-RPC 2.0 service at "
           "`url` (or at `urls`, or at the endpoints registered under `name` in `naming`) over "
           "HTTP",
    .size = sizeof(http_proxy),
    .properties = proxy_properties,
    .init = proxy_init,
    .destroy = proxy_destroy,
    .produce = proxy_produce,
    .query = proxy_query,
    .forward = proxy_forward,
    .flags = COIL_CLASS_THREAD_SAFE,
};

static const coil_class *const http_proxy_classes[] = { &http_proxy_class, NULL };

const coil_module coil__http_proxy_module = {
    .abi = COIL_ABI_VERSION,
    .name = "coil.http-proxy",
    .version = "1.0",
    .classes = http_proxy_classes,
};

#endif /* COIL_HTTP_PROXY_CLIENT_ONLY */
