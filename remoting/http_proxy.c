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
 * The calls go through the JSON-RPC client of remoting/rpc_client.h
 * (coil__rpc_client, rpc_client.c), which keeps connections alive in a pool
 * of curl easy handles per endpoint: a call takes an idle handle (or makes
 * one), uses it alone, and puts it back, so many threads call one proxy at
 * once, each on its own connection, and sequential calls reuse one. Every
 * transport failure is an error within `timeout` (which bounds the whole
 * call, retries and failover included):
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
 * The client is embedded (coil__rpc_client_init): in the proxy with one
 * `url`, in each endpoint's entry otherwise. A typed call is one
 * coil__rpc_client_invoke with the arguments converted to JSON, which also
 * says how the call ended, for the failover above; other library code
 * calls the same client with JSON (naming_remote.c). What a call costs was
 * measured (bench/remote_calls, under callgrind too), and the client is
 * shaped by it (rpc_client.c's header comment). */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coil/coil.h"
#include "remoting/endpoints.h"
#include "remoting/http_proxy.h"
#include "remoting/naming.h"
#include "remoting/naming_client.h"
#include "remoting/rpc_client.h"
#include "util/util.h"

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
    coil__rpc_client_fini(&c->rpc);
    free(c);
}

static endpoint_client *endpoint_client_new(const http_proxy *p, const char *url,
                                            coil_error **err)
{
    endpoint_client *c = calloc(1, sizeof *c);
    if (!c) {
        coil__fail(err, COIL_ENOMEM, "out of memory");
        return NULL;
    }
    /* No retries on one endpoint: the next endpoint is the retry. */
    if (coil__rpc_client_init(&c->rpc, url, p->connect_timeout, p->timeout, 0, p->retry_delay,
                              err)) {
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

static bool transport_failure(coil__rpc_outcome o)
{
    return o == COIL__RPC_NOT_SENT || o == COIL__RPC_FAILED;
}

/* A call through the endpoints: attempts on one endpoint after another
 * until one answers, one fails in a way that makes another attempt unsafe,
 * every endpoint has been tried, or the call's timeout is over. On success
 * (and on an error reply) *answered_by is the URL that answered (the
 * caller frees it). The rest is as for coil__rpc_client_invoke. */
static int failover_call(const http_proxy *p, const coil_method *m, const json_t *params,
                         json_t **reply, json_t **result, char **answered_by, coil_error **err)
{
    failover *f = p->multi;
    const double deadline = coil__now_s() + p->timeout;
    *reply = NULL;
    *result = NULL;
    *answered_by = NULL;
    if (f->resolver) {
        coil_error *e = NULL;
        int rc = coil__naming_resolver_update(f->resolver, coil__now_s(), false, &e);
        if (rc) {
            coil__fail(err, rc, "cannot look up the endpoints of '%s' (%s): %s", p->name, f->where,
                       e ? e->message : coil_strerror(rc));
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
        double now = coil__now_s();
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
                coil__pause_s(p->retry_delay);
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
                rc = coil__fail(err, COIL_ENOMEM, "out of memory");
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
        coil__rpc_outcome outcome = COIL__RPC_NOT_SENT;
        endpoint_client *c = client_acquire(p, url, now, &e);
        if (!c) {
            rc = e ? (int)e->code : COIL_ENOMEM;
            /* A URL no client can be made for is the endpoint's fault. */
            outcome = rc == COIL_ENOMEM ? COIL__RPC_LOCAL : COIL__RPC_NOT_SENT;
        } else {
            rc = coil__rpc_client_invoke(&c->rpc, m->name, params, m->oneway, deadline,
                                         &outcome, reply, result, &e);
            client_release(f, c, coil__now_s());
        }
        if (!transport_failure(outcome)) {
            /* An answer (a result or an error reply), or a failure on this
             * side: the end of the call. */
            if (outcome != COIL__RPC_LOCAL)
                coil__endpoints_succeeded(f->eps, url);
            if (rc == COIL_OK || outcome == COIL__RPC_ANSWERED) {
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
                coil__fail(err, rc, "out of memory");
            }
            done = true;
            break;
        }
        coil__endpoints_failed(f->eps, url, coil__now_s());
        tried[ntried++] = url;
        attempts++;
        if (ntried > most_tried)
            most_tried = ntried;
        coil_error_free(last);
        last = e ? e : coil_error_new((coil_code)rc, "call to %s failed", url);
        if (outcome == COIL__RPC_FAILED && !m->idempotent)
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
    if (coil__now_s() >= deadline)
        return coil__fail(err, COIL_ETIMEOUT, "no endpoint of '%s' answered within %g s",
                          p->name ? p->name : m->name, p->timeout);
    if (f->resolver)
        return coil__fail(err, COIL_ECONNECT, "no endpoint of '%s' is registered (%s)", p->name,
                          f->where);
    return coil__fail(err, COIL_ECONNECT, "no endpoint to call");
}

/* ---- Typed calls -------------------------------------------------------- */

static int proxy_forward(void *object, const coil_method *m, void *const *args, void *result,
                         coil_error **err)
{
    http_proxy *p = ((proxy_product *)object)->owner;
    json_t *params = json_array();
    if (!params)
        return coil__fail(err, COIL_ENOMEM, "out of memory");
    for (size_t i = 0; i < m->nparams; i++) {
        coil_error *e = NULL;
        json_t *v = coil_value_to_json(m->params[i].type, args[i], m->params[i].name, &e);
        if (!v || json_array_append_new(params, v) != 0) {
            int code = e ? (int)e->code : COIL_ENOMEM;
            coil__fail(err, code, "%s: %s", m->name, e ? e->message : "out of memory");
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
        coil__rpc_outcome outcome;
        rc = coil__rpc_client_invoke(&p->client, m->name, params, m->oneway,
                                     coil__now_s() + p->timeout, &outcome, &reply, &res, err);
    } else {
        rc = failover_call(p, m, params, &reply, &res, &answered_by, err);
    }
    json_decref(params);
    if (rc == COIL_OK && !m->oneway && m->result) {
        /* On failure the caller's result stays untouched. */
        void *tmp = calloc(1, m->result->size ? m->result->size : 1);
        coil_error *e = NULL;
        if (!tmp) {
            rc = coil__fail(err, COIL_ENOMEM, "out of memory");
        } else if ((rc = coil_value_from_json(m->result, res, tmp, m->name, &e)) != 0) {
            rc = rc == COIL_ENOMEM ? COIL_ENOMEM : COIL_EPROTOCOL;
            coil__fail(err, rc, "malformed reply from %s: result of %s: %s",
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
        return coil__fail(err, COIL_EVALUE, "%s: none is set", forms);
    if ((p->url || p->urls.items) && ngiven > 1)
        return coil__fail(err, COIL_EVALUE, "%s, not both %s and %s", forms, given[0], given[1]);
    if (has_name && !has_naming)
        return coil__fail(err, COIL_EVALUE,
                          "name needs naming: where to look up the endpoints of '%s' (a name "
                          "server's URL, {etcd: URL, prefix: P} or {ref: OBJECT})",
                          p->name);
    if (has_naming && !has_name)
        return coil__fail(err, COIL_EVALUE, "naming needs name: the service name to look up there");
    if (p->urls.items && p->urls.count == 0)
        return coil__fail(err, COIL_EVALUE, "urls is empty: give at least one endpoint");
    if (has_name && !p->name[0])
        return coil__fail(err, COIL_EVALUE, "name is empty");
    return COIL_OK;
}

static int failover_init(http_proxy *p, coil_error **err)
{
    failover *f = calloc(1, sizeof *f);
    if (!f)
        return coil__fail(err, COIL_ENOMEM, "out of memory");
    if (pthread_mutex_init(&f->lock, NULL) != 0) {
        free(f);
        return coil__fail(err, COIL_EINIT, "cannot create a mutex");
    }
    p->multi = f;
    coil__balance balance = strcmp(p->balance, "random") == 0 ? COIL__BALANCE_RANDOM
                                                               : COIL__BALANCE_ROUND_ROBIN;
    int rc = COIL_OK;
    if (!(f->eps = coil__endpoints_new(balance, p->backoff)))
        rc = coil__fail(err, COIL_ENOMEM, "out of memory");
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
        rc = coil__fail(err, COIL_ENOMEM, "out of memory");
    if (!rc && p->name) {
        /* Nothing is contacted here: the first call looks the name up. */
        double t = p->connect_timeout < p->timeout ? p->connect_timeout : p->timeout;
        rc = coil__naming_open_property(&p->naming, t, &f->naming, err);
        if (!rc && (!(f->where = describe_naming(&p->naming)) ||
                    !(f->resolver = coil__naming_resolver_new(f->naming, p->name, p->refresh,
                                                              f->eps))))
            rc = coil__fail(err, COIL_ENOMEM, "out of memory");
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
        return coil__fail(err, COIL_EVALUE, "interface is empty");
    rc = p->url ? coil__rpc_client_init(&p->client, p->url, p->connect_timeout, p->timeout,
                                        p->retries, p->retry_delay, err)
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
        coil__rpc_client_fini(&p->client);
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
