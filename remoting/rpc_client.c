/* The JSON-RPC 2.0 client of rpc_client.h: one URL, a pool of libcurl easy
 * handles (one per connection, kept alive), each used by one call at a
 * time. Every transport failure is an error within the client's `timeout`
 * (which bounds the whole call, retries included):
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
 * Only a request that provably never reached the server (the connection
 * could not be made) is attempted again, `retries` times at most,
 * `retry-delay` apart.
 *
 * What a call costs was measured (bench/remote_calls, under callgrind too),
 * and the code is shaped by it: everything about a connection that does not
 * change from call to call is set on its curl handle once; a connection
 * keeps its request and reply buffers; and the request body is written
 * around jansson's encoding of the method name and the parameters rather
 * than built as one JSON object and encoded. */
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
#include "remoting/rpc_client.h"
#include "util/util.h"

/* Idle connections a client keeps at most (more are closed when released). */
#define RPC_MAX_IDLE 64
/* The largest reply body accepted. */
#define RPC_MAX_REPLY ((size_t)64 << 20)

/* ---- libcurl setup ------------------------------------------------------ */

/* A growable byte buffer: a request or a reply body. Kept by its
 * connection from call to call, so that a call allocates nothing once the
 * buffers are large enough. */
typedef struct byte_buf {
    char *data;
    size_t len, cap;
    bool too_big;   /* a reply over RPC_MAX_REPLY was cut off */
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
    if (n > RPC_MAX_REPLY - b->len) {
        b->too_big = true;
        return 0;
    }
    return buf_add(b, ptr, n) ? n : 0;
}

/* One connection: a curl easy handle, which keeps its connection alive
 * between calls, and the buffers of its calls. Used by one call at a time. */
typedef struct coil__rpc_conn {
    struct coil__rpc_conn *next; /* in the pool while idle */
    CURL *curl;
    CURLU *url;                 /* the client's URL, parsed once for this handle */
    byte_buf request, reply;
    /* The last method name written, and its JSON text (jansson's). */
    char *method;
    byte_buf method_json;
    long total_ms, connect_ms;  /* the timeouts set on the handle; -1: none yet */
    char errbuf[CURL_ERROR_SIZE];
} rpc_conn;

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
    bool keep = p->nidle < RPC_MAX_IDLE;
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


static const char *curl_text(rpc_conn *c, CURLcode rc)
{
    return coil__curl_error_text(c->curl, rc, c->errbuf, sizeof c->errbuf);
}

/* POSTs the connection's request body; the reply body is then in
 * c->reply (empty when there was none), or a transport error is returned,
 * with *outcome COIL__RPC_NOT_SENT when the request provably never reached
 * the server, COIL__RPC_FAILED (or COIL__RPC_LOCAL: out of memory)
 * otherwise. Attempts again, while time remains before `deadline`, when
 * the connection could not be made. */
static int exchange(coil__rpc_client *p, rpc_conn *c, double deadline, bool notification,
                    coil__rpc_outcome *outcome, coil_error **err)
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
        double remaining = deadline - coil__now_s();
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
            *outcome = COIL__RPC_FAILED;
            return coil__fail(err, COIL_EHTTP, "HTTP status %ld from %s", status, p->url);
        }
        long sent = 0;
        curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent);
        coil__curl_failure why = coil__curl_failure_of(res, c->reply.too_big);
        bool never_sent = why == COIL__CURL_NOT_CONNECTED ||
                          (why == COIL__CURL_TIMED_OUT && sent == 0 && connect_binds);
        if (never_sent) {
            double left = deadline - coil__now_s();
            if (attempt <= p->retries && left > p->retry_delay) {
                coil__pause_s(p->retry_delay);
                continue;
            }
            *outcome = COIL__RPC_NOT_SENT;
            if (attempt > 1)
                return coil__fail(err, COIL_ECONNECT, "cannot connect to %s: %s (%lld attempts)",
                                  p->url, curl_text(c, res), (long long)attempt);
            return coil__fail(err, COIL_ECONNECT, "cannot connect to %s: %s", p->url,
                              curl_text(c, res));
        }
        *outcome = COIL__RPC_FAILED;
        switch (why) {
        case COIL__CURL_TIMED_OUT:
            return coil__fail(err, COIL_ETIMEOUT, "no reply from %s within %g s", p->url,
                              p->timeout);
        case COIL__CURL_TOO_BIG:
            return coil__fail(err, COIL_EPROTOCOL, "malformed reply from %s: larger than %zu bytes",
                              p->url, RPC_MAX_REPLY);
        case COIL__CURL_NO_MEMORY:
            *outcome = COIL__RPC_LOCAL;
            return coil__fail(err, COIL_ENOMEM, "call to %s: out of memory", p->url);
        case COIL__CURL_LOST:
            return coil__fail(err, COIL_ECONNECT, "connection to %s lost: %s", p->url,
                              curl_text(c, res));
        case COIL__CURL_MALFORMED:
            return coil__fail(err, COIL_EPROTOCOL, "malformed reply from %s: %s", p->url,
                              curl_text(c, res));
        default:
            return coil__fail(err, COIL_ECONNECT, "request to %s failed: %s", p->url,
                              curl_text(c, res));
        }
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
        return coil__fail(err, COIL_EPROTOCOL,
                          "malformed reply from %s: an error without an integer code and a "
                          "string message", p->url);
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
    return coil__fail_data(err, mapped, json_object_get(e, "data"), "%s",
                           json_string_value(message));
}

static char *show(const json_t *j)
{
    char *s = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    return s ? s : strdup("nothing");
}

/* Checks a reply body to request `id`. On success returns 0 with *reply
 * the parsed reply (a new reference) and *result its "result" (borrowed
 * from it); a JSON-RPC error reply is returned as its coil_error, with
 * *outcome COIL__RPC_ANSWERED (COIL__RPC_FAILED for a malformed reply). */
static int read_reply(const coil__rpc_client *p, int64_t id, const byte_buf *body,
                      json_t **reply_out, json_t **result, coil__rpc_outcome *outcome,
                      coil_error **err)
{
    *outcome = COIL__RPC_FAILED;
    if (!body->len)
        return coil__fail(err, COIL_EPROTOCOL, "malformed reply from %s: an empty body", p->url);
    json_error_t je;
    json_t *reply = json_loadb(body->data, body->len, 0, &je);
    if (!reply)
        return coil__fail(err, COIL_EPROTOCOL, "malformed reply from %s: not JSON (%s)", p->url,
                          je.text);
    int rc = COIL_OK;
    json_t *version = json_object_get(reply, "jsonrpc");
    json_t *res = json_object_get(reply, "result");
    json_t *error = json_object_get(reply, "error");
    json_t *rid = json_object_get(reply, "id");
    if (!json_is_object(reply) || !json_is_string(version) ||
        strcmp(json_string_value(version), "2.0") != 0 || !rid || !res == !error) {
        rc = coil__fail(err, COIL_EPROTOCOL,
                        "malformed reply from %s: not a JSON-RPC 2.0 response object", p->url);
    } else if (!(json_is_integer(rid) && json_integer_value(rid) == id) &&
               !(error && json_is_null(rid))) {
        /* An error may come with id null: the server could not read ours. */
        char *shown = show(rid);
        rc = coil__fail(err, COIL_EPROTOCOL,
                        "malformed reply from %s: its id %s does not match the request's id %lld",
                        p->url, shown, (long long)id);
        free(shown);
    } else if (error) {
        rc = rpc_error(p, error, err);
        if (json_is_integer(json_object_get(error, "code")) &&
            json_is_string(json_object_get(error, "message")))
            *outcome = COIL__RPC_ANSWERED; /* a well-formed error reply */
    }
    if (rc) {
        json_decref(reply);
        return rc;
    }
    *reply_out = reply;
    *result = res;
    *outcome = COIL__RPC_OK;
    return COIL_OK;
}

/* One call: the request on a connection of the pool, its reply checked,
 * all of it by `deadline` (coil__now_s() time). A notification gets no reply to
 * read: *reply is then NULL. Otherwise, on success, *reply is the parsed
 * reply (a new reference) and *result its "result", borrowed from it.
 * *outcome says how it ended (always set). */
int coil__rpc_client_invoke(coil__rpc_client *p, const char *method, const json_t *params,
                            bool notification, double deadline, coil__rpc_outcome *outcome,
                            json_t **reply, json_t **result, coil_error **err)
{
    *reply = NULL;
    *result = NULL;
    *outcome = COIL__RPC_LOCAL;
    rpc_conn *c = pool_take(p);
    if (!c)
        return coil__fail(err, COIL_ENOMEM, "cannot make a connection handle for %s: out of memory",
                          p->url);
    int64_t id = notification ? 0 : (int64_t)atomic_fetch_add(&p->next_id, 1);
    int rc = write_request(c, method, params, notification, id);
    if (rc == COIL_EINVAL)
        rc = coil__fail(err, rc, "call to %s: the method name is not valid UTF-8", p->url);
    else if (rc)
        rc = coil__fail(err, rc, "out of memory");
    if (!rc)
        rc = exchange(p, c, deadline, notification, outcome, err);
    /* The reply is read before the connection (and its buffer) goes back. */
    if (!rc && !notification)
        rc = read_reply(p, id, &c->reply, reply, result, outcome, err);
    else if (!rc)
        *outcome = COIL__RPC_OK;
    pool_give(p, c);
    return rc;
}

/* ---- The client --------------------------------------------------------- */

/* Sets up `p` for `url`; on failure nothing is left to release. */
int coil__rpc_client_init(coil__rpc_client *p, const char *url, double connect_timeout,
                          double timeout, int64_t retries, double retry_delay,
                          coil_error **err)
{
    *p = (coil__rpc_client){ 0 };
    if (!(timeout > 0) || !(connect_timeout > 0))
        return coil__fail(err, COIL_EVALUE, "timeouts must be more than 0 seconds");
    CURLcode curl_init_result = coil__curl_init();
    if (curl_init_result != CURLE_OK)
        return coil__fail(err, COIL_EINIT, "cannot initialize libcurl: %s",
                          curl_easy_strerror(curl_init_result));
    CURLU *u = curl_url();
    if (!u)
        return coil__fail(err, COIL_ENOMEM, "out of memory");
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
        return coil__fail(err, COIL_EVALUE,
                          "url '%s' is not an HTTP URL (http://host:port/path)%s%s", url,
                          uc != CURLUE_OK ? ": " : "",
                          uc != CURLUE_OK ? curl_url_strerror(uc) : "");
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
            return coil__fail(err, COIL_ENOMEM, "out of memory");
        }
        h = t;
    }
    char *copy = strdup(url);
    if (!copy || pthread_mutex_init(&p->lock, NULL) != 0) {
        free(copy);
        curl_slist_free_all(h);
        curl_url_cleanup(u);
        return copy ? coil__fail(err, COIL_EINIT, "cannot create a mutex")
                    : coil__fail(err, COIL_ENOMEM, "out of memory");
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

void coil__rpc_client_fini(coil__rpc_client *p)
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
        return coil__fail(err, COIL_EINVAL, "coil__rpc_client_open: %s is NULL",
                          url ? "out" : "url");
    coil__rpc_client *c = malloc(sizeof *c);
    if (!c)
        return coil__fail(err, COIL_ENOMEM, "out of memory");
    int rc = coil__rpc_client_init(c, url, connect_timeout_s, timeout_s, retries, 0.1, err);
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
        return coil__fail(err, COIL_EINVAL, "coil__rpc_client_call: %s is NULL",
                          c ? "method" : "client");
    if (params && !json_is_array(params) && !json_is_object(params))
        return coil__fail(err, COIL_EINVAL, "%s: params must be an array or an object", method);
    json_t *reply, *res;
    coil__rpc_outcome outcome;
    int rc = coil__rpc_client_invoke(c, method, params, false, coil__now_s() + c->timeout, &outcome,
                                     &reply, &res, err);
    if (rc == COIL_OK && result)
        *result = json_incref(res);
    json_decref(reply);
    return rc;
}

void coil__rpc_client_close(coil__rpc_client *c)
{
    if (!c)
        return;
    coil__rpc_client_fini(c);
    free(c);
}
