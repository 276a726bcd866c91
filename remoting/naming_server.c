/* coil.naming-server: the built-in name server, an ordinary class that
 * implements interface `naming` (naming.yaml) and is served like any other
 * service, by a coil.http-exporter.
 *
 * A registration — a URL under a service name, with a JSON object of
 * metadata — is a lease of `lease` seconds that ends unless renewed.
 * Leases are kept on the monotonic clock, so a change of the wall clock
 * neither ends nor extends them. Ended registrations are dropped on every
 * call, before it looks at anything: a call never sees one, and memory
 * holds no more than what was live at the last call plus what registered
 * since (no call, no new registrations).
 *
 * With a `store` file, every change is written to it before the call
 * returns, atomically (a temporary file in the same directory, fsync,
 * rename, fsync of the directory), with each lease's end as a wall-clock
 * time so that a restarted server keeps the time left. A change whose
 * write fails is undone and reported (COIL_EIO): memory and file agree. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "coil/coil.h"
#include "container/value_util.h"
#include "remoting/naming_iface.h"
#include "remoting/naming_server.h"
#include "util/util.h"

#define STORE_VERSION 1

/* ---- Checks ---------------------------------------------------------------- */

static int bad_value(coil_error **err, const char *method, const char *param,
                     const char *fmt, const char *detail)
{
    if (err) {
        char what[160];
        if (method)
            snprintf(what, sizeof what, "%s: parameter '%s'", method, param);
        else
            snprintf(what, sizeof what, "'%s'", param);
        *err = coil_error_new(COIL_EVALUE, "%s %s%s", what, fmt, detail ? detail : "");
    }
    return COIL_EVALUE;
}

/* The first control character (or, with `no_space`, space) of `s`, or NULL. */
static const char *find_control(const char *s, bool no_space)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || (no_space && *p == ' '))
            return (const char *)p;
    return NULL;
}

/* jansson refuses to make a JSON string of invalid UTF-8. */
static bool is_utf8(const char *s)
{
    json_t *j = json_string(s);
    json_decref(j);
    return j != NULL;
}

int coil__naming_check_name(const char *method, const char *param, const char *name,
                            bool empty_ok, coil_error **err)
{
    char detail[64];
    size_t n = name ? strlen(name) : 0;
    if (!name)
        return bad_value(err, method, param, "is missing", NULL);
    if (!n && !empty_ok)
        return bad_value(err, method, param, "is empty", NULL);
    if (n > COIL__NAMING_NAME_MAX) {
        snprintf(detail, sizeof detail, " (%zu)", n);
        return bad_value(err, method, param, "is longer than 255 bytes", detail);
    }
    const char *c = find_control(name, false);
    if (c) {
        snprintf(detail, sizeof detail, " (0x%02x at byte %zu)", (unsigned char)*c,
                 (size_t)(c - name));
        return bad_value(err, method, param, "contains a control character", detail);
    }
    if (!is_utf8(name))
        return bad_value(err, method, param, "is not valid UTF-8", NULL);
    return 0;
}

int coil__naming_check_url(const char *method, const char *param, const char *url,
                           coil_error **err)
{
    char detail[64];
    if (!url)
        return bad_value(err, method, param, "is missing", NULL);
    size_t n = strlen(url);
    size_t scheme = strncasecmp(url, "http://", 7) == 0    ? 7
                    : strncasecmp(url, "https://", 8) == 0 ? 8
                                                           : 0;
    if (!scheme || n == scheme)
        return bad_value(err, method, param,
                         scheme ? "has nothing after the scheme"
                                : "must be an http:// or https:// URL",
                         NULL);
    if (n > COIL__NAMING_URL_MAX) {
        snprintf(detail, sizeof detail, " (%zu)", n);
        return bad_value(err, method, param, "is longer than 2048 bytes", detail);
    }
    const char *c = find_control(url, true);
    if (c) {
        snprintf(detail, sizeof detail, " (0x%02x at byte %zu)", (unsigned char)*c,
                 (size_t)(c - url));
        return bad_value(err, method, param, "contains a space or control character",
                         detail);
    }
    if (!is_utf8(url))
        return bad_value(err, method, param, "is not valid UTF-8", NULL);
    return 0;
}

static int check_metadata(const char *method, const json_t *metadata, coil_error **err)
{
    char detail[32];
    if (!metadata || json_is_object(metadata))
        return 0;
    snprintf(detail, sizeof detail, ", got %s", coil__json_words(metadata));
    return bad_value(err, method, "metadata", "must be a JSON object", detail);
}

static int no_memory(coil_error **err)
{
    if (err)
        *err = coil_error_new(COIL_ENOMEM, "out of memory");
    return COIL_ENOMEM;
}

/* ---- Time ---------------------------------------------------------------------- */

static double clock_seconds(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double mono_now(void)
{
    return clock_seconds(CLOCK_MONOTONIC);
}

static double wall_now(void)
{
    return clock_seconds(CLOCK_REALTIME);
}

/* ---- The registrations ------------------------------------------------------------ */

typedef struct reg {
    char *name;
    char *url;
    json_t *metadata;   /* an object */
    double expires;     /* CLOCK_MONOTONIC seconds */
} reg;

typedef struct server {
    /* properties */
    double lease;
    char *store;
    /* state */
    const char *path;   /* the store, or NULL: in memory only */
    pthread_mutex_t lock;
    reg *regs;          /* in registration order */
    size_t count, cap;
    unsigned long tmp_serial;   /* names temporary store files */
} server;

static void reg_free(reg *r)
{
    free(r->name);
    free(r->url);
    json_decref(r->metadata);
}

/* Drops the registrations whose lease ended by `now`. */
static void sweep(server *s, double now)
{
    size_t kept = 0;
    for (size_t i = 0; i < s->count; i++) {
        if (s->regs[i].expires > now)
            s->regs[kept++] = s->regs[i];
        else
            reg_free(&s->regs[i]);
    }
    s->count = kept;
    /* Give back most of the room of a crowd that has gone. */
    if (s->cap > 64 && kept < s->cap / 4) {
        reg *regs = realloc(s->regs, s->cap / 2 * sizeof *regs);
        if (regs) {
            s->regs = regs;
            s->cap /= 2;
        }
    }
}

static reg *find(server *s, const char *name, const char *url)
{
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->regs[i].name, name) == 0 && strcmp(s->regs[i].url, url) == 0)
            return &s->regs[i];
    return NULL;
}

/* Appends a registration, taking `metadata`; 0 or COIL_ENOMEM (nothing taken). */
static int append(server *s, const char *name, const char *url, json_t *metadata,
                  double expires)
{
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        reg *regs = realloc(s->regs, cap * sizeof *regs);
        if (!regs)
            return COIL_ENOMEM;
        s->regs = regs;
        s->cap = cap;
    }
    reg r = { strdup(name), strdup(url), metadata, expires };
    if (!r.name || !r.url) {
        free(r.name);
        free(r.url);
        return COIL_ENOMEM;
    }
    s->regs[s->count++] = r;
    return 0;
}

/* The lease as the methods report it: whole seconds, at least 1. */
static int64_t lease_seconds(const server *s)
{
    return s->lease < 1 ? 1 : (int64_t)floor(s->lease);
}

/* ---- The store file ------------------------------------------------------------------ */
/* {"version": 1, "registrations": [{"name": ..., "url": ..., "metadata": {...},
 *  "expires": UNIX_TIME}, ...]}, in registration order. */

static json_t *store_json(const server *s, double mono, double wall)
{
    json_t *list = json_array();
    json_t *root = json_pack("{s:i, s:o}", "version", STORE_VERSION, "registrations", list);
    if (!root)
        return NULL;
    for (size_t i = 0; i < s->count; i++) {
        const reg *r = &s->regs[i];
        json_t *e = json_pack("{s:s, s:s, s:O, s:f}", "name", r->name, "url", r->url,
                              "metadata", r->metadata, "expires", wall + (r->expires - mono));
        if (!e || json_array_append_new(list, e)) {
            json_decref(root);
            return NULL;
        }
    }
    return root;
}

static int io_error(coil_error **err, const char *what, const char *path, int errnum)
{
    if (err)
        *err = coil_error_new(COIL_EIO, "cannot %s store '%s': %s", what, path,
                              strerror(errnum));
    return COIL_EIO;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : EIO;
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Replaces the store with the registrations held now. Call with the lock
 * held (it names the temporary file). */
static int store_write(server *s, coil_error **err)
{
    json_t *root = store_json(s, mono_now(), wall_now());
    char *text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
    json_decref(root);
    if (!text)
        return no_memory(err);

    /* The temporary file sits next to the store (rename is atomic only
     * within a file system). O_EXCL with a fresh name, so that the
     * process's umask applies, as it does to files opened for writing. */
    const char *slash = strrchr(s->path, '/');
    size_t dirlen = slash ? (size_t)(slash - s->path) + 1 : 0;
    size_t n = strlen(s->path) + 64;
    char *tmp = malloc(n);
    if (!tmp) {
        free(text);
        return no_memory(err);
    }
    int fd = -1;
    for (int tries = 0; fd < 0 && tries < 100; tries++) {
        snprintf(tmp, n, "%.*s.%s.%ld.%lu.tmp", (int)dirlen, s->path, s->path + dirlen,
                 (long)getpid(), s->tmp_serial++);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        int e = errno;
        free(text);
        free(tmp);
        return io_error(err, "write", s->path, e);
    }
    struct stat st;
    int rc = 0;
    if (stat(s->path, &st) == 0 && fchmod(fd, st.st_mode & 07777) != 0)
        rc = errno;   /* keep the store's own permissions */
    if (!rc && !(rc = write_all(fd, text, strlen(text))))
        rc = write_all(fd, "\n", 1);
    if (!rc && fsync(fd) != 0)
        rc = errno;
    if (close(fd) != 0 && !rc)
        rc = errno;
    if (!rc && rename(tmp, s->path) != 0)
        rc = errno;
    free(text);
    if (rc) {
        unlink(tmp);
        free(tmp);
        return io_error(err, "write", s->path, rc);
    }
    free(tmp);
    /* The rename itself is durable once the directory is. */
    char *dir = dirlen ? strndup(s->path, dirlen) : strdup(".");
    int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    free(dir);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* An error about the store's content, naming the file, and positioned in it
 * when the position is known (line > 0). */
static int corrupt(coil_error **err, const char *path, int line, int column, const char *fmt,
                   ...) COIL__PRINTF(5, 6);
static int corrupt(coil_error **err, const char *path, int line, int column, const char *fmt,
                   ...)
{
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    coil_error *e = coil_error_new(COIL_EINIT, "store '%s': %s", path, what);
    if (e && line > 0 && (e->file = strdup(path))) {
        e->line = (unsigned)line;
        e->column = column > 0 ? (unsigned)column : 1;
    }
    *err = e;
    return COIL_EINIT;
}

/* What is wrong with the shape of a stored registration, or NULL. */
static const char *entry_shape(const json_t *e)
{
    static const struct {
        const char *key;
        json_type type;
        const char *expects;
    } fields[] = {
        { "name", JSON_STRING, "expects \"name\": a string" },
        { "url", JSON_STRING, "expects \"url\": a string" },
        { "metadata", JSON_OBJECT, "expects \"metadata\": an object" },
        { "expires", JSON_REAL, "expects \"expires\": a number (Unix time)" },
    };
    if (!json_is_object(e))
        return "expects an object";
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
        const json_t *v = json_object_get(e, fields[k].key);
        bool ok = fields[k].type == JSON_REAL ? json_is_number(v)
                                              : v && json_typeof(v) == fields[k].type;
        if (!ok)
            return fields[k].expects;
    }
    if (json_object_size(e) != sizeof fields / sizeof fields[0])
        return "has keys other than name, url, metadata and expires";
    return NULL;
}

/* Loads the registrations of the store; a missing file is an empty store.
 * Registrations whose lease ended while the server was away are left out. */
static int store_load(server *s, coil_error **err)
{
    FILE *f = fopen(s->path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        return io_error(err, "read", s->path, errno);
    }
    json_error_t jerr;
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    int read_errno = ferror(f) ? errno : 0;
    fclose(f);
    if (read_errno) {
        json_decref(root);
        return io_error(err, "read", s->path, read_errno);
    }
    if (!root)
        return corrupt(err, s->path, jerr.line, jerr.column, "not JSON: %s", jerr.text);

    const char *path = s->path;
    json_t *version = json_object_get(root, "version");
    json_t *list = json_object_get(root, "registrations");
    int rc = 0;
    if (!json_is_object(root))
        rc = corrupt(err, path, 0, 0, "expects a JSON object, got %s", coil__json_words(root));
    else if (!json_is_integer(version) || json_integer_value(version) != STORE_VERSION)
        rc = corrupt(err, path, 0, 0, "expects \"version\": %d", STORE_VERSION);
    else if (!json_is_array(list))
        rc = corrupt(err, path, 0, 0, "expects \"registrations\": a list");

    coil__strmap seen;
    coil__strmap_init(&seen);
    char **keys = calloc(json_array_size(list) + 1, sizeof *keys);
    if (!keys && !rc)
        rc = no_memory(err);
    double mono = mono_now(), wall = wall_now();
    for (size_t i = 0; !rc && i < json_array_size(list); i++) {
        json_t *e = json_array_get(list, i);
        char at[48];
        snprintf(at, sizeof at, "registrations[%zu]", i);
        const char *bad = entry_shape(e);
        if (bad) {
            rc = corrupt(err, path, 0, 0, "%s: %s", at, bad);
            break;
        }
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *url = json_string_value(json_object_get(e, "url"));
        json_t *metadata = json_object_get(e, "metadata");
        double expires = json_number_value(json_object_get(e, "expires"));
        coil_error *why = NULL;
        if (coil__naming_check_name(NULL, "name", name, false, &why) ||
            coil__naming_check_url(NULL, "url", url, &why)) {
            rc = corrupt(err, path, 0, 0, "%s: %s", at, why ? why->message : "out of memory");
            coil_error_free(why);
            break;
        }
        size_t klen = strlen(name) + strlen(url) + 2;
        if (!(keys[i] = malloc(klen))) {
            rc = no_memory(err);
            break;
        }
        snprintf(keys[i], klen, "%s\n%s", name, url);   /* names hold no newline */
        if (coil__strmap_get(&seen, keys[i])) {
            rc = corrupt(err, path, 0, 0, "%s: %s is registered under '%s' twice", at, url,
                         name);
            break;
        }
        if (coil__strmap_put(&seen, keys[i], e, NULL)) {
            rc = no_memory(err);
            break;
        }
        /* The time left, which a lease shorter now, or a wall clock set
         * back while the server was away, cannot make longer than a lease. */
        double left = expires - wall;
        if (left <= 0)
            continue;   /* ended while the server was away */
        if (left > s->lease)
            left = s->lease;
        if (append(s, name, url, json_incref(metadata), mono + left)) {
            json_decref(metadata);
            rc = no_memory(err);
        }
    }
    for (size_t i = 0; keys && i < json_array_size(list); i++)
        free(keys[i]);
    free(keys);
    coil__strmap_free(&seen);
    json_decref(root);
    return rc;
}

/* ---- The methods ----------------------------------------------------------------------- */

/* Makes a change durable, or reports why it cannot be (the caller undoes it). */
static int commit(server *s, coil_error **err)
{
    return s->path ? store_write(s, err) : 0;
}

static int srv_register(void *self, const char *name, const char *url, const json_t *metadata,
                        int64_t *result, coil_error **err)
{
    static const char *const m = "register";
    server *s = self;
    int rc;
    if ((rc = coil__naming_check_name(m, "name", name, false, err)) ||
        (rc = coil__naming_check_url(m, "url", url, err)) ||
        (rc = check_metadata(m, metadata, err)))
        return rc;
    json_t *copy = metadata ? json_deep_copy(metadata) : json_object();
    if (!copy)
        return no_memory(err);

    pthread_mutex_lock(&s->lock);
    double now = mono_now();
    sweep(s, now);
    reg *r = find(s, name, url);
    if (r) {
        /* Re-registration: a new lease and new metadata, same place. */
        json_t *old_metadata = r->metadata;
        double old_expires = r->expires;
        r->metadata = copy;
        r->expires = now + s->lease;
        if ((rc = commit(s, err))) {
            r->metadata = old_metadata;
            r->expires = old_expires;
            json_decref(copy);
        } else {
            json_decref(old_metadata);
        }
    } else if ((rc = append(s, name, url, copy, now + s->lease))) {
        json_decref(copy);
        no_memory(err);
    } else if ((rc = commit(s, err))) {
        reg_free(&s->regs[--s->count]);
    }
    pthread_mutex_unlock(&s->lock);
    if (!rc)
        *result = lease_seconds(s);
    return rc;
}

static int srv_renew(void *self, const char *name, const char *url, int64_t *result,
                     coil_error **err)
{
    static const char *const m = "renew";
    server *s = self;
    int rc;
    if ((rc = coil__naming_check_name(m, "name", name, false, err)) ||
        (rc = coil__naming_check_url(m, "url", url, err)))
        return rc;
    pthread_mutex_lock(&s->lock);
    double now = mono_now();
    sweep(s, now);
    reg *r = find(s, name, url);
    if (!r) {
        rc = COIL_ENOTFOUND;
        if (err)
            *err = coil_error_new(COIL_ENOTFOUND,
                                  "renew: %s is not registered under '%s' (or its lease "
                                  "ended): register it again",
                                  url, name);
    } else {
        double old_expires = r->expires;
        r->expires = now + s->lease;
        if ((rc = commit(s, err)))
            r->expires = old_expires;
    }
    pthread_mutex_unlock(&s->lock);
    if (!rc)
        *result = lease_seconds(s);
    return rc;
}

static int srv_unregister(void *self, const char *name, const char *url, bool *result,
                          coil_error **err)
{
    static const char *const m = "unregister";
    server *s = self;
    int rc;
    if ((rc = coil__naming_check_name(m, "name", name, false, err)) ||
        (rc = coil__naming_check_url(m, "url", url, err)))
        return rc;
    pthread_mutex_lock(&s->lock);
    sweep(s, mono_now());
    reg *r = find(s, name, url);
    bool found = r != NULL;
    if (r) {
        size_t at = (size_t)(r - s->regs);
        reg gone = *r;
        memmove(r, r + 1, (s->count - at - 1) * sizeof *r);
        s->count--;
        if ((rc = commit(s, err))) {
            /* Back in its place: the array has room, it held it a moment ago. */
            memmove(&s->regs[at + 1], &s->regs[at], (s->count - at) * sizeof *r);
            s->regs[at] = gone;
            s->count++;
        } else {
            reg_free(&gone);
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (!rc)
        *result = found;
    return rc;
}

/* The endpoints of the registrations `at`, in that order. */
static int endpoints(const reg *const *at, size_t n, double now, naming_list_endpoint *out,
                     coil_error **err)
{
    naming_list_endpoint list = { n ? calloc(n, sizeof *list.items) : NULL, 0 };
    if (n && !list.items)
        return no_memory(err);
    for (size_t i = 0; i < n; i++) {
        const reg *r = at[i];
        naming_endpoint *e = &list.items[list.count++];
        e->name = strdup(r->name);
        e->url = strdup(r->url);
        e->metadata = json_deep_copy(r->metadata);
        e->expires_in = r->expires - now;
        if (!e->name || !e->url || !e->metadata) {
            naming_list_endpoint_free(&list);
            return no_memory(err);
        }
    }
    *out = list;
    return 0;
}

/* By name, then registration order: their order in s->regs. */
static int by_name_then_order(const void *a, const void *b)
{
    const reg *ra = *(const reg *const *)a, *rb = *(const reg *const *)b;
    int c = strcmp(ra->name, rb->name);
    return c ? c : (ra > rb) - (ra < rb);
}

/* The live registrations of `name`, or with `prefix` sorted by name, as
 * endpoints. */
static int select_endpoints(server *s, const char *name, const char *prefix,
                            naming_list_endpoint *result, coil_error **err)
{
    size_t plen = prefix ? strlen(prefix) : 0;
    pthread_mutex_lock(&s->lock);
    double now = mono_now();
    sweep(s, now);
    const reg **at = malloc((s->count ? s->count : 1) * sizeof *at);
    size_t n = 0;
    int rc;
    if (!at) {
        rc = no_memory(err);
    } else {
        for (size_t i = 0; i < s->count; i++)
            if (name ? strcmp(s->regs[i].name, name) == 0
                     : strncmp(s->regs[i].name, prefix, plen) == 0)
                at[n++] = &s->regs[i];
        if (!name)
            qsort(at, n, sizeof *at, by_name_then_order);
        rc = endpoints(at, n, now, result, err);
    }
    pthread_mutex_unlock(&s->lock);
    free(at);
    return rc;
}

static int srv_lookup(void *self, const char *name, naming_list_endpoint *result,
                      coil_error **err)
{
    int rc = coil__naming_check_name("lookup", "name", name, false, err);
    return rc ? rc : select_endpoints(self, name, NULL, result, err);
}

static int srv_list(void *self, const char *prefix, naming_list_endpoint *result,
                    coil_error **err)
{
    int rc = coil__naming_check_name("list", "prefix", prefix, true, err);
    return rc ? rc : select_endpoints(self, NULL, prefix, result, err);
}

static const naming_ops server_ops = {
    .register_ = srv_register,
    .renew = srv_renew,
    .unregister = srv_unregister,
    .lookup = srv_lookup,
    .list = srv_list,
};

/* ---- The class ----------------------------------------------------------------------------- */

static void drop_all(server *s)
{
    for (size_t i = 0; i < s->count; i++)
        reg_free(&s->regs[i]);
    free(s->regs);
    s->regs = NULL;
    s->count = s->cap = 0;
}

static int server_init(void *self, coil_error **err)
{
    server *s = self;
    s->path = s->store && *s->store ? s->store : NULL;  /* "": an empty placeholder */
    int rc = pthread_mutex_init(&s->lock, NULL);
    if (rc) {
        *err = coil_error_new(COIL_EINIT, "cannot create a mutex: %s", strerror(rc));
        return COIL_EINIT;
    }
    /* Written at once: a store that cannot be written fails now, not at
     * the first registration, and ended leases leave the file. */
    if (s->path && ((rc = store_load(s, err)) || (rc = store_write(s, err)))) {
        drop_all(s);
        pthread_mutex_destroy(&s->lock);
        return rc;
    }
    return 0;
}

static void server_destroy(void *self)
{
    server *s = self;
    drop_all(s);
    pthread_mutex_destroy(&s->lock);
}

static const coil_implements server_implements[] = {
    { &naming_interface, &server_ops },
    COIL_IMPLEMENTS_END
};

static const coil_property server_properties[] = {
    { .name = "lease", .type = COIL_T_DOUBLE, .offset = offsetof(server, lease),
      .check = COIL_FRANGE(0.001, 604800), .default_value = "30",
      .doc = "seconds a registration lasts unless renewed (methods report it in whole "
             "seconds, at least 1)" },
    { .name = "store", .type = COIL_T_STRING, .offset = offsetof(server, store),
      .doc = "a JSON file that keeps the registrations across restarts, rewritten "
             "atomically on every change; relative to the working directory "
             "(${COIL_CONTEXT_DIR}/... for next to the context file); absent or empty: "
             "in memory only" },
    COIL_PROPERTIES_END
};

static const coil_class naming_server_class = {
    .abi = COIL_ABI_VERSION,
    .name = "coil.naming-server",
    .doc = "A name server: service names to the URLs of their live endpoints, "
           "registered as leases (interface naming).",
    .size = sizeof(server),
    .properties = server_properties,
    .init = server_init,
    .destroy = server_destroy,
    .implements = server_implements,
    .flags = COIL_CLASS_THREAD_SAFE,
};

static const coil_class *const naming_server_classes[] = { &naming_server_class, NULL };

const coil_module coil__naming_server_module = {
    .abi = COIL_ABI_VERSION,
    .name = "coil.naming-server",
    .version = "1",
    .classes = naming_server_classes,
};
