/* Naming on etcd v3, through etcd's HTTP/JSON gateway (/v3/..., etcd 3.4 and
 * later) with libcurl.
 *
 * Keys. A registration of URL under NAME is the key
 *
 *     PREFIX + esc(NAME) + "/" + esc(URL)
 *
 * where esc() writes '%' as "%25" and '/' as "%2F" and keeps every other
 * byte: "/coil/calc/http:%2F%2F127.0.0.1:7766%2Fcalc". An escaped name has
 * no '/', so the keys of NAME are exactly those starting with
 * PREFIX + esc(NAME) + "/": a lookup of "a" sees neither "a/b"
 * ("a%2Fb/...") nor "ab" ("ab/..."). esc() replaces each byte on its own
 * by a code no other code begins with, so NAME starts with P exactly when
 * esc(NAME) starts with esc(P): list(P) is one range request over the keys
 * starting with PREFIX + esc(P). The prefix must end with '/' so that two
 * prefixes ("/coil/" and "/coil2/") never share keys. Every key under the
 * prefix must be one of these: anything else there is a malformed entry.
 *
 * Values. {"name": NAME, "url": URL, "metadata": {...}} as JSON text. The
 * gateway carries keys and values in base64 and int64 numbers as strings.
 *
 * Leases. Each registration has its own lease: register grants one with the
 * ttl asked for (etcd raises a ttl below its minimum, and answers with the
 * ttl granted) and puts the key attached to it. The handle remembers which
 * lease it granted for each key, so renew is a keepalive on that lease (a
 * keepalive answered without a ttl means the lease has ended:
 * COIL_ENOTFOUND), re-registering replaces the value and the lease (the key
 * moves to the new lease; the old one is revoked), and unregister deletes
 * the key and revokes its lease. Only leases this handle granted are ever
 * revoked. expires_in is -1: etcd tells a lease's remaining time only
 * through one more request per lease (/v3/lease/timetolive), in whole
 * seconds.
 *
 * Order. lookup and list give entries by name (byte order), then by the
 * key's create revision, which is the registration order: a put on an
 * existing key (a re-registration) keeps its create revision, and a key
 * created again after it expired or was deleted gets a new one.
 *
 * Errors, each naming etcd and its endpoint:
 *
 *   connection refused / not made  COIL_ECONNECT  "cannot connect to etcd at E: ..."
 *   connection lost mid-request    COIL_ECONNECT  "connection to etcd at E lost: ..."
 *   no reply within timeout_ms     COIL_ETIMEOUT  "no reply from etcd at E (PATH) within N ms"
 *   HTTP status other than 200     COIL_EHTTP     "HTTP status 400 from etcd at E (PATH): ..."
 *   not the reply expected         COIL_EPROTOCOL "malformed reply from etcd at E (PATH): ..."
 *   a value under the prefix that
 *   is not a registration          COIL_EPROTOCOL "malformed entry KEY in etcd at E: ..."
 *   a bad name, URL or metadata    COIL_EINVAL    "naming: ..."
 *
 * (PATH is the gateway's path, /v3/kv/range; after the HTTP status comes
 * etcd's own message when it gives one. An error in the keepalive stream,
 * which comes with status 200, is COIL_EHTTP too: "error from etcd at E
 * (PATH): ...".)
 *
 * Threads: every request takes a curl handle from a small pool (connections
 * are kept alive) and uses it alone; one mutex guards the pool and the
 * lease table, and is never held during a request. */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container/value_util.h"
#include "remoting/curl_util.h"
#include "remoting/naming.h"
#include "util/util.h"

#define ETCD_DEFAULT_PREFIX "/coil/"
#define ETCD_DEFAULT_TTL 10u
#define ETCD_MAX_NAME 255
/* Idle connections a handle keeps at most. */
#define ETCD_MAX_IDLE 8
/* The largest reply accepted. */
#define ETCD_MAX_REPLY ((size_t)64 << 20)

typedef struct etcd_conn {
    CURL *curl;
    struct etcd_conn *next;
    char errbuf[CURL_ERROR_SIZE];
} etcd_conn;

/* A lease this handle granted: the key attached to it, and the revision of
 * the put that attached it (the later put of a key wins). */
typedef struct etcd_lease {
    char *key;
    int64_t id;
    int64_t revision;
} etcd_lease;

typedef struct etcd_naming {
    coil__naming base;
    char *endpoint;     /* without a trailing '/' */
    char *prefix;
    long timeout_ms;
    struct curl_slist *headers;
    pthread_mutex_t lock;  /* guards idle, nidle, leases, nleases, cap */
    etcd_conn *idle;
    size_t nidle;
    etcd_lease *leases;
    size_t nleases, cap;
} etcd_naming;

/* ---- libcurl ------------------------------------------------------------ */

typedef struct reply_buf {
    coil__buf b;
    bool too_big;
} reply_buf;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    reply_buf *r = userdata;
    size_t n = size * nmemb;
    if (n > ETCD_MAX_REPLY - r->b.len) {
        r->too_big = true;
        return 0;
    }
    coil__buf_add(&r->b, ptr, n);
    return r->b.failed ? 0 : n;
}

static etcd_conn *conn_new(etcd_naming *n)
{
    etcd_conn *c = calloc(1, sizeof *c);
    if (!c || !(c->curl = curl_easy_init())) {
        free(c);
        return NULL;
    }
    CURL *h = c->curl;
    bool ok = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_POST, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_HTTPHEADER, n->headers) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
              /* etcd is the one named: no web proxy from the environment. */
              curl_easy_setopt(h, CURLOPT_PROXY, "") == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, n->timeout_ms) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, n->timeout_ms) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_USERAGENT, "coil-naming-etcd") == CURLE_OK;
    if (!ok) {
        curl_easy_cleanup(h);
        free(c);
        return NULL;
    }
    return c;
}

static void conn_free(etcd_conn *c)
{
    curl_easy_cleanup(c->curl);
    free(c);
}

static etcd_conn *pool_take(etcd_naming *n)
{
    pthread_mutex_lock(&n->lock);
    etcd_conn *c = n->idle;
    if (c) {
        n->idle = c->next;
        n->nidle--;
    }
    pthread_mutex_unlock(&n->lock);
    return c ? c : conn_new(n);
}

static void pool_give(etcd_naming *n, etcd_conn *c)
{
    pthread_mutex_lock(&n->lock);
    bool keep = n->nidle < ETCD_MAX_IDLE;
    if (keep) {
        c->next = n->idle;
        n->idle = c;
        n->nidle++;
    }
    pthread_mutex_unlock(&n->lock);
    if (!keep)
        conn_free(c);
}

static const char *curl_text(etcd_conn *c, CURLcode rc)
{
    return coil__curl_error_text(c->curl, rc, c->errbuf, sizeof c->errbuf);
}

/* ---- One request -------------------------------------------------------- */

/* etcd's own description of a failed request ({"error", "message",
 * "code"}), or "" when the body has none. */
static const char *etcd_message(const json_t *body)
{
    json_t *m = json_object_get(body, "message");
    if (!json_is_string(m))
        m = json_object_get(body, "error");
    return json_is_string(m) ? json_string_value(m) : "";
}

/* POSTs `req` (consumed, NULL meaning out of memory) to etcd's `path`; on
 * HTTP 200 *reply receives the reply, a JSON object, which the caller
 * releases. */
static int call(etcd_naming *n, const char *path, json_t *req, json_t **reply, coil_error **err)
{
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    etcd_conn *c = body ? pool_take(n) : NULL;
    if (!c) {
        free(body);
        return coil__fail(err, COIL_ENOMEM, "request to etcd at %s: out of memory", n->endpoint);
    }
    coil__buf url;
    coil__buf_init(&url);
    coil__buf_printf(&url, "%s%s", n->endpoint, path);
    reply_buf out = { 0 };
    coil__buf_init(&out.b);
    c->errbuf[0] = '\0';
    CURL *h = c->curl;
    CURLcode res = url.failed ? CURLE_OUT_OF_MEMORY : CURLE_OK;
    if (res == CURLE_OK) {
        curl_easy_setopt(h, CURLOPT_URL, url.data);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
        res = curl_easy_perform(h);
        /* The handle outlives these buffers. */
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
    }
    coil__buf_free(&url);
    free(body);

    int rc = COIL_OK;
    long status = 0;
    if (res == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    } else {
        switch (coil__curl_failure_of(res, out.too_big)) {
        case COIL__CURL_NOT_CONNECTED:
            rc = coil__fail(err, COIL_ECONNECT, "cannot connect to etcd at %s: %s", n->endpoint,
                            curl_text(c, res));
            break;
        case COIL__CURL_TIMED_OUT:
            rc = coil__fail(err, COIL_ETIMEOUT, "no reply from etcd at %s (%s) within %ld ms",
                            n->endpoint, path, n->timeout_ms);
            break;
        case COIL__CURL_TOO_BIG:
            rc = coil__fail(err, COIL_EPROTOCOL,
                            "malformed reply from etcd at %s (%s): larger than %zu bytes",
                            n->endpoint, path, ETCD_MAX_REPLY);
            break;
        case COIL__CURL_NO_MEMORY:
            rc = coil__fail(err, COIL_ENOMEM, "request to etcd at %s: out of memory",
                            n->endpoint);
            break;
        case COIL__CURL_LOST:
            rc = coil__fail(err, COIL_ECONNECT, "connection to etcd at %s lost: %s",
                            n->endpoint, curl_text(c, res));
            break;
        case COIL__CURL_MALFORMED:
            rc = coil__fail(err, COIL_EPROTOCOL, "malformed reply from etcd at %s (%s): %s",
                            n->endpoint, path, curl_text(c, res));
            break;
        default:
            rc = coil__fail(err, COIL_ECONNECT, "request to etcd at %s failed: %s", n->endpoint,
                            curl_text(c, res));
            break;
        }
    }
    pool_give(n, c);
    if (rc) {
        coil__buf_free(&out.b);
        return rc;
    }

    json_error_t je = { .text = "an empty body" };
    json_t *j = out.b.len ? json_loadb(out.b.data, out.b.len, 0, &je) : NULL;
    coil__buf_free(&out.b);
    if (status != 200) {
        const char *why = etcd_message(j);
        rc = coil__fail(err, COIL_EHTTP, "HTTP status %ld from etcd at %s (%s)%s%s", status,
                        n->endpoint, path, why[0] ? ": " : "", why);
        json_decref(j);
        return rc;
    }
    if (!json_is_object(j)) {
        rc = coil__fail(err, COIL_EPROTOCOL, "malformed reply from etcd at %s (%s): %s%s%s",
                        n->endpoint, path, j ? "not a JSON object" : "not JSON (",
                        j ? "" : je.text, j ? "" : ")");
        json_decref(j);
        return rc;
    }
    *reply = j;
    return COIL_OK;
}

/* ---- Reading replies ---------------------------------------------------- */

/* An int64 field, which the gateway writes as a string (and leaves out when
 * it is 0). False when present but not an integer. */
static bool get_i64(const json_t *o, const char *field, int64_t *out)
{
    json_t *v = json_object_get(o, field);
    if (!v) {
        *out = 0;
        return true;
    }
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return true;
    }
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (!s[0] || *end || errno)
        return false;
    *out = x;
    return true;
}

static int malformed(etcd_naming *n, const char *path, const char *what, coil_error **err)
{
    return coil__fail(err, COIL_EPROTOCOL, "malformed reply from etcd at %s (%s): %s",
                      n->endpoint, path, what);
}

/* The revision a write happened at (its reply's header.revision). */
static int header_revision(etcd_naming *n, const char *path, const json_t *reply, int64_t *rev,
                           coil_error **err)
{
    if (!get_i64(json_object_get(reply, "header"), "revision", rev) || *rev <= 0)
        return malformed(n, path, "no header.revision", err);
    return COIL_OK;
}

/* ---- Keys --------------------------------------------------------------- */

static void add_escaped(coil__buf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '%')
            coil__buf_adds(b, "%25");
        else if (*p == '/')
            coil__buf_adds(b, "%2F");
        else
            coil__buf_add(b, p, 1);
    }
}

/* PREFIX + esc(name), then "/" when `slash`, then esc(url) unless NULL:
 * a registration's key, the start of every key of a name, or (without the
 * slash) the start of every key of the names starting with `name`. NULL
 * when out of memory. */
static char *make_key(const etcd_naming *n, const char *name, const char *url, bool slash)
{
    coil__buf b;
    coil__buf_init(&b);
    coil__buf_adds(&b, n->prefix);
    add_escaped(&b, name);
    if (slash)
        coil__buf_adds(&b, "/");
    if (url)
        add_escaped(&b, url);
    if (b.failed) {
        coil__buf_free(&b);
        return NULL;
    }
    return coil__buf_take(&b);
}

static json_t *b64_string(const char *data, size_t len)
{
    size_t n;
    char *s = coil__base64_encode((const unsigned char *)data, len, &n);
    json_t *j = s ? json_stringn_nocheck(s, n) : NULL;
    free(s);
    return j;
}

/* The end of the range of keys starting with `key`: `key` with its last
 * byte below 0xff incremented and what follows dropped ("\0": no end). */
static json_t *b64_range_end(const char *key)
{
    size_t len = strlen(key);
    char *end = malloc(len + 1);
    if (!end)
        return NULL;
    memcpy(end, key, len + 1);
    while (len > 0 && (unsigned char)end[len - 1] == 0xff)
        len--;
    json_t *j;
    if (len == 0) {
        j = b64_string("", 1);
    } else {
        end[len - 1] = (char)((unsigned char)end[len - 1] + 1);
        j = b64_string(end, len);
    }
    free(end);
    return j;
}

static json_t *lease_id_json(int64_t id)
{
    char s[24];
    snprintf(s, sizeof s, "%" PRId64, id);
    return json_string(s);
}

/* ---- Arguments ---------------------------------------------------------- */

/* Checks a name, or with `prefix` a name prefix (which may be empty). */
static int check_name(const char *name, bool prefix, coil_error **err)
{
    const char *what = prefix ? "name prefix" : "service name";
    if (!name)
        return coil__fail(err, COIL_EINVAL, "naming: the %s is NULL", what);
    size_t len = strlen(name);
    if (!prefix && len == 0)
        return coil__fail(err, COIL_EINVAL, "naming: the service name is empty");
    if (len > ETCD_MAX_NAME)
        return coil__fail(err, COIL_EINVAL, "naming: the %s is longer than %d bytes", what,
                          ETCD_MAX_NAME);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return coil__fail(err, COIL_EINVAL, "naming: the %s has a control character", what);
    json_t *s = json_string(name);
    json_decref(s);
    if (!s)
        return coil__fail(err, COIL_EINVAL, "naming: the %s '%s' is not UTF-8", what, name);
    return COIL_OK;
}

/* True when `url` is an http:// or https:// URL with a host. */
static bool http_url(const char *url, const char **why)
{
    *why = "";
    CURLU *u = curl_url();
    if (!u) {
        *why = "out of memory";
        return false;
    }
    char *scheme = NULL, *host = NULL;
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
    bool ok = uc == CURLUE_OK && (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);
    if (uc != CURLUE_OK)
        *why = curl_url_strerror(uc);
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

static int check_url(const char *url, coil_error **err)
{
    const char *why;
    if (!url)
        return coil__fail(err, COIL_EINVAL, "naming: the endpoint URL is NULL");
    if (!http_url(url, &why))
        return coil__fail(err, COIL_EINVAL,
                          "naming: endpoint URL '%s' is not an http:// or https:// URL%s%s", url,
                          why[0] ? ": " : "", why);
    json_t *s = json_string(url);
    json_decref(s);
    if (!s)
        return coil__fail(err, COIL_EINVAL, "naming: endpoint URL '%s' is not UTF-8", url);
    return COIL_OK;
}

/* ---- The lease table ---------------------------------------------------- */

/* Under n->lock. */
static etcd_lease *lease_find(etcd_naming *n, const char *key)
{
    for (size_t i = 0; i < n->nleases; i++)
        if (strcmp(n->leases[i].key, key) == 0)
            return &n->leases[i];
    return NULL;
}

/* Under n->lock. Takes `key` on success. */
static bool lease_add(etcd_naming *n, char *key, int64_t id, int64_t revision)
{
    if (n->nleases == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 8;
        etcd_lease *l = realloc(n->leases, cap * sizeof *l);
        if (!l)
            return false;
        n->leases = l;
        n->cap = cap;
    }
    n->leases[n->nleases++] = (etcd_lease){ key, id, revision };
    return true;
}

/* Under n->lock. */
static void lease_remove(etcd_naming *n, etcd_lease *l)
{
    free(l->key);
    *l = n->leases[--n->nleases];
}

/* Ends a lease this handle granted, and with it any key still attached.
 * A lease that has already ended is fine; any other failure only means the
 * lease, which no key uses any more, runs out by itself. */
static void revoke(etcd_naming *n, int64_t id)
{
    json_t *reply = NULL;
    coil_error *ignored = NULL;
    json_t *req = json_pack("{s:o}", "ID", lease_id_json(id));
    if (call(n, "/v3/lease/revoke", req, &reply, &ignored) == COIL_OK)
        json_decref(reply);
    coil_error_free(ignored);
}

/* ---- Operations --------------------------------------------------------- */

static int etcd_register(coil__naming *base, const char *name, const char *url,
                         const json_t *metadata, unsigned *ttl, coil_error **err)
{
    etcd_naming *n = (etcd_naming *)base;
    int rc;
    if ((rc = check_name(name, false, err)) || (rc = check_url(url, err)))
        return rc;
    if (metadata && !json_is_object(metadata))
        return coil__fail(err, COIL_EINVAL, "naming: the metadata of '%s' is not a JSON object",
                          name);
    if (!ttl)
        return coil__fail(err, COIL_EINVAL, "naming: ttl is NULL");

    json_t *value = json_pack("{s:s, s:s, s:o}", "name", name, "url", url, "metadata",
                              metadata ? json_deep_copy(metadata) : json_object());
    char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;
    json_decref(value);
    char *key = make_key(n, name, url, true);
    if (!text || !key) {
        free(text);
        free(key);
        return coil__fail(err, COIL_ENOMEM, "naming: out of memory");
    }

    /* A lease, */
    const char *path = "/v3/lease/grant";
    json_t *reply = NULL;
    unsigned want = *ttl ? *ttl : ETCD_DEFAULT_TTL;
    int64_t id = 0, granted = 0, revision = 0;
    rc = call(n, path, json_pack("{s:I}", "TTL", (json_int_t)want), &reply, err);
    if (rc == COIL_OK) {
        if (!get_i64(reply, "ID", &id) || id == 0)
            rc = malformed(n, path, "no lease ID", err);
        else if (!get_i64(reply, "TTL", &granted) || granted <= 0 || granted > UINT_MAX)
            rc = malformed(n, path, "no TTL in range", err);
        json_decref(reply);
    }
    /* then the key attached to it. */
    if (rc == COIL_OK) {
        path = "/v3/kv/put";
        rc = call(n, path,
                  json_pack("{s:o, s:o, s:o}", "key", b64_string(key, strlen(key)), "value",
                            b64_string(text, strlen(text)), "lease", lease_id_json(id)),
                  &reply, err);
        if (rc == COIL_OK) {
            rc = header_revision(n, path, reply, &revision, err);
            json_decref(reply);
        }
        if (rc)
            revoke(n, id);
    }
    free(text);
    if (rc) {
        free(key);
        return rc;
    }

    /* The later put of a key wins: whichever of its leases is not the
     * key's any more is revoked. */
    int64_t stale = 0;
    bool stored = true;
    pthread_mutex_lock(&n->lock);
    etcd_lease *l = lease_find(n, key);
    if (!l) {
        if ((stored = lease_add(n, key, id, revision)))
            key = NULL;  /* the table's now */
    } else if (revision > l->revision) {
        stale = l->id;
        l->id = id;
        l->revision = revision;
    } else {
        stale = id;  /* a later registration of the key, in another thread, won */
    }
    pthread_mutex_unlock(&n->lock);
    free(key);
    if (!stored) {
        revoke(n, id);
        return coil__fail(err, COIL_ENOMEM, "naming: out of memory");
    }
    if (stale)
        revoke(n, stale);
    *ttl = (unsigned)granted;
    return COIL_OK;
}

static int etcd_renew(coil__naming *base, const char *name, const char *url, unsigned *ttl,
                      coil_error **err)
{
    etcd_naming *n = (etcd_naming *)base;
    int rc;
    if ((rc = check_name(name, false, err)) || (rc = check_url(url, err)))
        return rc;
    if (!ttl)
        return coil__fail(err, COIL_EINVAL, "naming: ttl is NULL");
    char *key = make_key(n, name, url, true);
    if (!key)
        return coil__fail(err, COIL_ENOMEM, "naming: out of memory");
    pthread_mutex_lock(&n->lock);
    etcd_lease *l = lease_find(n, key);
    int64_t id = l ? l->id : 0;
    pthread_mutex_unlock(&n->lock);
    if (!id) {
        free(key);
        return coil__fail(err, COIL_ENOTFOUND,
                          "'%s' at %s has no lease from this handle on etcd at %s", name, url,
                          n->endpoint);
    }

    const char *path = "/v3/lease/keepalive";
    json_t *reply = NULL;
    int64_t got = 0, left = 0;
    rc = call(n, path, json_pack("{s:o}", "ID", lease_id_json(id)), &reply, err);
    if (rc == COIL_OK) {
        /* A stream: each answer is {"result": ...} or {"error": ...}. */
        json_t *result = json_object_get(reply, "result");
        json_t *error = json_object_get(reply, "error");
        if (json_is_object(error))
            rc = coil__fail(err, COIL_EHTTP, "error from etcd at %s (%s): %s", n->endpoint, path,
                            etcd_message(error));
        else if (!json_is_object(result) || !get_i64(result, "ID", &got) ||
                 !get_i64(result, "TTL", &left))
            rc = malformed(n, path, "no result", err);
        else if (got != id)
            rc = malformed(n, path, "the result is for another lease", err);
        else if (left > UINT_MAX)
            rc = malformed(n, path, "TTL out of range", err);
        json_decref(reply);
    }
    if (rc == COIL_OK && left <= 0) {
        pthread_mutex_lock(&n->lock);
        if ((l = lease_find(n, key)) && l->id == id)
            lease_remove(n, l);
        pthread_mutex_unlock(&n->lock);
        rc = coil__fail(err, COIL_ENOTFOUND, "the lease of '%s' at %s on etcd at %s has ended",
                        name, url, n->endpoint);
    }
    free(key);
    if (rc == COIL_OK)
        *ttl = (unsigned)left;
    return rc;
}

static int etcd_unregister(coil__naming *base, const char *name, const char *url,
                           coil_error **err)
{
    etcd_naming *n = (etcd_naming *)base;
    int rc;
    if ((rc = check_name(name, false, err)) || (rc = check_url(url, err)))
        return rc;
    char *key = make_key(n, name, url, true);
    if (!key)
        return coil__fail(err, COIL_ENOMEM, "naming: out of memory");
    json_t *reply = NULL;
    rc = call(n, "/v3/kv/deleterange", json_pack("{s:o}", "key", b64_string(key, strlen(key))),
              &reply, err);
    if (rc) {
        free(key);
        return rc;
    }
    json_decref(reply);
    pthread_mutex_lock(&n->lock);
    etcd_lease *l = lease_find(n, key);
    int64_t id = l ? l->id : 0;
    if (l)
        lease_remove(n, l);
    pthread_mutex_unlock(&n->lock);
    free(key);
    if (id)
        revoke(n, id);
    return COIL_OK;
}

/* One key-value of a range reply as an entry, checked against its key. */
typedef struct ranked {
    coil__naming_entry e;
    int64_t created;
} ranked;

static int read_kv(etcd_naming *n, const json_t *kv, ranked *out, coil_error **err)
{
    const char *path = "/v3/kv/range";
    json_t *k = json_object_get(kv, "key");
    json_t *v = json_object_get(kv, "value");
    unsigned char *key = NULL, *value = NULL;
    size_t klen = 0, vlen = 0;
    int64_t created = 0;
    if (!json_is_string(k) || !json_is_string(v) ||
        !coil__base64_decode(json_string_value(k), json_string_length(k), &key, &klen) ||
        !coil__base64_decode(json_string_value(v), json_string_length(v), &value, &vlen) ||
        !get_i64(kv, "create_revision", &created)) {
        free(key);
        return malformed(n, path, "a key-value without a base64 key and value", err);
    }
    /* The key for the messages: printable, at most 300 bytes. */
    char shown[301];
    size_t s = 0;
    for (size_t i = 0; i < klen && s < sizeof shown - 1; i++)
        shown[s++] = key[i] >= 0x20 && key[i] < 0x7f ? (char)key[i] : '?';
    shown[s] = '\0';

    json_error_t je;
    json_t *j = json_loadb((const char *)value, vlen, 0, &je);
    free(value);
    json_t *name = json_object_get(j, "name");
    json_t *url = json_object_get(j, "url");
    json_t *meta = json_object_get(j, "metadata");
    int rc = COIL_OK;
    char *expected = NULL;
    if (!json_is_object(j) || !json_is_string(name) || !json_is_string(url) ||
        !json_is_object(meta)) {
        rc = coil__fail(err, COIL_EPROTOCOL,
                        "malformed entry %s in etcd at %s: not {\"name\", \"url\", \"metadata\"}",
                        shown, n->endpoint);
    } else if (!(expected = make_key(n, json_string_value(name), json_string_value(url), true))) {
        rc = coil__fail(err, COIL_ENOMEM, "naming: out of memory");
    } else if (strlen(expected) != klen || memcmp(expected, key, klen) != 0) {
        rc = coil__fail(err, COIL_EPROTOCOL,
                        "malformed entry %s in etcd at %s: its key is not that of '%s' at %s",
                        shown, n->endpoint, json_string_value(name), json_string_value(url));
    } else {
        out->e.name = strdup(json_string_value(name));
        out->e.url = strdup(json_string_value(url));
        out->e.metadata = json_incref(meta);
        out->e.expires_in = -1;
        out->created = created;
        if (!out->e.name || !out->e.url) {
            free(out->e.name);
            free(out->e.url);
            json_decref(meta);
            rc = coil__fail(err, COIL_ENOMEM, "naming: out of memory");
        }
    }
    free(expected);
    free(key);
    json_decref(j);
    return rc;
}

static int by_name_then_creation(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    int c = strcmp(x->e.name, y->e.name);
    if (c)
        return c;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->e.url, y->e.url);
}

/* Every entry whose key starts with `start`, ordered. */
static int range(etcd_naming *n, const char *start, coil__naming_entries *out, coil_error **err)
{
    const char *path = "/v3/kv/range";
    json_t *reply = NULL;
    int rc = call(n, path,
                  json_pack("{s:o, s:o}", "key", b64_string(start, strlen(start)), "range_end",
                            b64_range_end(start)),
                  &reply, err);
    if (rc)
        return rc;
    json_t *kvs = json_object_get(reply, "kvs");
    if (kvs && !json_is_array(kvs)) {
        json_decref(reply);
        return malformed(n, path, "kvs is not an array", err);
    }
    size_t count = json_array_size(kvs);
    ranked *r = count ? calloc(count, sizeof *r) : NULL;
    if (count && !r) {
        json_decref(reply);
        return coil__fail(err, COIL_ENOMEM, "naming: out of memory");
    }
    size_t got = 0;
    while (got < count && (rc = read_kv(n, json_array_get(kvs, got), &r[got], err)) == COIL_OK)
        got++;
    json_decref(reply);
    coil__naming_entry *items = count ? malloc(count * sizeof *items) : NULL;
    if (rc == COIL_OK && count && !items)
        rc = coil__fail(err, COIL_ENOMEM, "naming: out of memory");
    if (rc) {
        for (size_t i = 0; i < got; i++) {
            free(r[i].e.name);
            free(r[i].e.url);
            json_decref(r[i].e.metadata);
        }
        free(r);
        free(items);
        return rc;
    }
    if (count)
        qsort(r, count, sizeof *r, by_name_then_creation);
    for (size_t i = 0; i < count; i++)
        items[i] = r[i].e;
    free(r);
    out->count = count;
    out->items = items;
    return COIL_OK;
}

static int etcd_lookup(coil__naming *base, const char *name, coil__naming_entries *out,
                       coil_error **err)
{
    etcd_naming *n = (etcd_naming *)base;
    int rc = check_name(name, false, err);
    if (rc)
        return rc;
    if (!out)
        return coil__fail(err, COIL_EINVAL, "naming: out is NULL");
    char *start = make_key(n, name, NULL, true);
    if (!start)
        return coil__fail(err, COIL_ENOMEM, "naming: out of memory");
    rc = range(n, start, out, err);
    free(start);
    return rc;
}

static int etcd_list(coil__naming *base, const char *prefix, coil__naming_entries *out,
                     coil_error **err)
{
    etcd_naming *n = (etcd_naming *)base;
    int rc = check_name(prefix, true, err);
    if (rc)
        return rc;
    if (!out)
        return coil__fail(err, COIL_EINVAL, "naming: out is NULL");
    char *start = make_key(n, prefix, NULL, false);
    if (!start)
        return coil__fail(err, COIL_ENOMEM, "naming: out of memory");
    rc = range(n, start, out, err);
    free(start);
    return rc;
}

static void etcd_close(coil__naming *base)
{
    etcd_naming *n = (etcd_naming *)base;
    if (!n)
        return;
    while (n->idle) {
        etcd_conn *c = n->idle;
        n->idle = c->next;
        conn_free(c);
    }
    for (size_t i = 0; i < n->nleases; i++)
        free(n->leases[i].key);
    free(n->leases);
    curl_slist_free_all(n->headers);
    pthread_mutex_destroy(&n->lock);
    free(n->endpoint);
    free(n->prefix);
    free(n);
}

static const coil__naming_ops etcd_ops = {
    .register_endpoint = etcd_register,
    .renew = etcd_renew,
    .unregister = etcd_unregister,
    .lookup = etcd_lookup,
    .list = etcd_list,
    .close = etcd_close,
};

int coil__naming_open_etcd(const char *endpoint, const char *prefix, long timeout_ms,
                           coil__naming **out, coil_error **err)
{
    const char *why;
    if (!out)
        return coil__fail(err, COIL_EINVAL, "naming: out is NULL");
    if (!endpoint)
        return coil__fail(err, COIL_EVALUE, "etcd endpoint is NULL");
    if (!http_url(endpoint, &why))
        return coil__fail(err, COIL_EVALUE,
                          "etcd endpoint '%s' is not an http:// or https:// URL "
                          "(http://127.0.0.1:2379)%s%s",
                          endpoint, why[0] ? ": " : "", why);
    if (!prefix)
        prefix = ETCD_DEFAULT_PREFIX;
    size_t plen = strlen(prefix);
    if (plen == 0 || prefix[plen - 1] != '/')
        return coil__fail(err, COIL_EVALUE, "etcd key prefix '%s' does not end with '/'", prefix);
    for (const unsigned char *p = (const unsigned char *)prefix; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return coil__fail(err, COIL_EVALUE, "etcd key prefix has a control character");
    if (timeout_ms <= 0)
        return coil__fail(err, COIL_EVALUE, "etcd timeout %ld ms is not positive", timeout_ms);

    CURLcode curl_init_result = coil__curl_init();
    if (curl_init_result != CURLE_OK)
        return coil__fail(err, COIL_EINIT, "cannot initialize libcurl: %s",
                          curl_easy_strerror(curl_init_result));

    etcd_naming *n = calloc(1, sizeof *n);
    if (!n)
        return coil__fail(err, COIL_ENOMEM, "naming: out of memory");
    n->base.ops = &etcd_ops;
    n->timeout_ms = timeout_ms;
    n->endpoint = strdup(endpoint);
    n->prefix = strdup(prefix);
    if (n->endpoint) {
        size_t len = strlen(n->endpoint);
        while (len > 0 && n->endpoint[len - 1] == '/')
            n->endpoint[--len] = '\0';
    }
    struct curl_slist *t;
    static const char *const headers[] = {
        "Content-Type: application/json", "Accept: application/json",
        "Expect:", /* no 100-continue round trip */
    };
    bool ok = n->endpoint && n->prefix;
    for (size_t i = 0; ok && i < sizeof headers / sizeof headers[0]; i++) {
        if ((t = curl_slist_append(n->headers, headers[i])))
            n->headers = t;
        else
            ok = false;
    }
    if (!ok || pthread_mutex_init(&n->lock, NULL) != 0) {
        curl_slist_free_all(n->headers);
        free(n->endpoint);
        free(n->prefix);
        free(n);
        return coil__fail(err, COIL_ENOMEM, "naming: out of memory");
    }
    *out = &n->base;
    return COIL_OK;
}
