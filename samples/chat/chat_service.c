/* The chat module: one class, chat_service, a chat room that implements
 * the `chat` interface (chat.yaml) and, for operators and tests,
 * `chat_monitor` (chat_monitor.yaml). A context file loads it with
 * `modules: [libchat.so]`.
 *
 * Many calls run at once. The class is COIL_CLASS_THREAD_SAFE, so an
 * exporter does not serialize its calls: the room guards its state with
 * its own mutex, held only for the short time a call reads or changes the
 * state. `messages` waits for new messages on a condition variable
 * (CLOCK_MONOTONIC, with a deadline), which releases the mutex while it
 * waits, so a waiting call never holds up `say` or anything else.
 *
 * Closing. `destroy` marks the room closing, wakes every waiting call —
 * each returns COIL_ESTATE ("the room is closing") at once — and waits until
 * all of them have left the object before it frees anything. So a call that
 * is waiting when the context closes (an exporter whose drain timed out, or
 * a local thread still polling) never touches freed memory; and the module
 * is linked with -z nodelete, so the code such a call returns through stays
 * mapped after coil_close() has unloaded the module. What no object
 * can guard against is a call that starts after destroy has begun: as with
 * any Coil object, callers stop calling before they close the context. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <coil/coil.h>

#include "chat.h"
#include "chat_monitor.h"

enum {
    NICK_MAX = 32,     /* bytes in a nick */
    TEXT_MAX = 4096,   /* bytes in a message's text */
    BATCH_MAX = 100,   /* messages one `messages` call returns */
};

typedef struct chat_service {
    int64_t history;      /* property: messages kept */
    int64_t max_wait_ms;  /* property: the longest a `messages` call waits */

    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t changed; /* CLOCK_MONOTONIC; broadcast on every change below */
    chat_message *ring;   /* `history` slots; the oldest kept message at `first` */
    size_t first, kept;
    int64_t latest;       /* the seq of the latest message; 0 before the first */
    char **members;       /* nicks, in the order they joined */
    size_t nmembers, members_cap;
    int64_t waiting;      /* `messages` calls waiting for something new */
    int64_t parked;       /* calls waiting on `changed` (messages and stats) */
    bool closing;         /* destroy has begun */
} chat_service;

/* ---- helpers ---------------------------------------------------------------- */

/* Reports a failure: *err is set only when the caller asked for errors. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(coil_error **err, coil_code code, const char *fmt, ...);

static int fail(coil_error **err, coil_code code, const char *fmt, ...)
{
    if (err) {
        char text[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        *err = coil_error_new(code, "%s", text);
    }
    return code;
}

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c)
        memcpy(c, s, n);
    return c;
}

/* The CLOCK_MONOTONIC time `ms` milliseconds from now. */
static struct timespec monotonic_after(int64_t ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += (time_t)(ms / 1000);
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static double unix_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Whether s[0..n) is well-formed UTF-8 (no overlong forms, no surrogates,
 * nothing above U+10FFFF): JSON carries only that, so a message that is not
 * could not be sent to a remote member. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

/* The first control character (C0 or DEL) in s, or -1. */
static int control_char(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return *p;
    return -1;
}

/* Checks a nick: 1 to 32 bytes of UTF-8, no control characters, no spaces,
 * not "*" (the room's own notices come from "*"). */
static int check_nick(const char *nick, coil_error **err)
{
    size_t n = strlen(nick);
    int c;
    if (n == 0)
        return fail(err, COIL_EVALUE, "join: the nick is empty");
    if (n > NICK_MAX)
        return fail(err, COIL_EVALUE, "join: the nick is %zu bytes long (at most %d)", n,
                    NICK_MAX);
    if ((c = control_char(nick)) >= 0)
        return fail(err, COIL_EVALUE, "join: the nick contains a control character (0x%02x)",
                    (unsigned)c);
    if (!utf8_valid((const unsigned char *)nick, n))
        return fail(err, COIL_EVALUE, "join: the nick is not valid UTF-8");
    if (strchr(nick, ' '))
        return fail(err, COIL_EVALUE, "join: the nick '%s' contains a space", nick);
    if (strcmp(nick, "*") == 0)
        return fail(err, COIL_EVALUE, "join: the nick '*' is reserved for the room's notices");
    return 0;
}

/* Checks a message's text: 1 to 4096 bytes of UTF-8, no control characters
 * (a message is one printable line). */
static int check_text(const char *text, coil_error **err)
{
    size_t n = strlen(text);
    int c;
    if (n == 0)
        return fail(err, COIL_EVALUE, "say: the text is empty");
    if (n > TEXT_MAX)
        return fail(err, COIL_EVALUE, "say: the text is %zu bytes long (at most %d)", n,
                    TEXT_MAX);
    if ((c = control_char(text)) >= 0)
        return fail(err, COIL_EVALUE, "say: the text contains a control character (0x%02x)",
                    (unsigned)c);
    if (!utf8_valid((const unsigned char *)text, n))
        return fail(err, COIL_EVALUE, "say: the text is not valid UTF-8");
    return 0;
}

/* The index in `members` of `nick`, or -1. Lock held. */
static ptrdiff_t member_index(const chat_service *s, const char *nick)
{
    for (size_t i = 0; i < s->nmembers; i++)
        if (strcmp(s->members[i], nick) == 0)
            return (ptrdiff_t)i;
    return -1;
}

/* Appends a message, dropping the oldest when the history is full, and
 * wakes the waiting calls. Returns its seq, or 0 when out of memory. Lock
 * held. `text2` is appended to `text` (for the notices). */
static int64_t append(chat_service *s, const char *from, const char *text, const char *text2)
{
    size_t n1 = strlen(text), n2 = text2 ? strlen(text2) : 0;
    char *f = copy_string(from);
    char *t = malloc(n1 + n2 + 1);
    if (!f || !t) {
        free(f);
        free(t);
        return 0;
    }
    memcpy(t, text, n1);
    if (n2)
        memcpy(t + n1, text2, n2);
    t[n1 + n2] = '\0';

    size_t cap = (size_t)s->history;
    if (s->kept == cap) {
        chat_message_free(&s->ring[s->first]);
        s->first = (s->first + 1) % cap;
        s->kept--;
    }
    chat_message *m = &s->ring[(s->first + s->kept) % cap];
    m->seq = ++s->latest;
    m->from = f;
    m->text = t;
    m->at = unix_now();
    s->kept++;
    pthread_cond_broadcast(&s->changed);
    return m->seq;
}

/* Locks the room; fails with COIL_ESTATE when it is closing. */
static int enter(chat_service *s, const char *method, coil_error **err)
{
    pthread_mutex_lock(&s->lock);
    if (s->closing) {
        pthread_mutex_unlock(&s->lock);
        return fail(err, COIL_ESTATE, "%s: the room is closing", method);
    }
    return 0;
}

/* Waits on `changed` until `deadline`. Returns false on timeout. Counts
 * the call as parked, for destroy. Lock held. */
static bool park(chat_service *s, const struct timespec *deadline)
{
    s->parked++;
    int rc = pthread_cond_timedwait(&s->changed, &s->lock, deadline);
    s->parked--;
    if (s->closing)
        pthread_cond_broadcast(&s->changed); /* destroy waits for parked == 0 */
    return rc != ETIMEDOUT;
}

/* ---- chat ------------------------------------------------------------------- */

static int room_join(void *self, const char *nick, int64_t *result, coil_error **err)
{
    chat_service *s = self;
    int rc = check_nick(nick, err);
    if (rc || (rc = enter(s, "join", err)))
        return rc;
    if (member_index(s, nick) >= 0) {
        pthread_mutex_unlock(&s->lock);
        return fail(err, COIL_EDUPLICATE, "join: the nick '%s' is already in the room", nick);
    }
    if (s->nmembers == s->members_cap) {
        size_t cap = s->members_cap ? 2 * s->members_cap : 8;
        char **grown = realloc(s->members, cap * sizeof *grown);
        if (!grown)
            goto nomem;
        s->members = grown;
        s->members_cap = cap;
    }
    char *copy = copy_string(nick);
    if (!copy)
        goto nomem;
    int64_t before = s->latest;
    if (!append(s, "*", nick, " joined")) {
        free(copy);
        goto nomem;
    }
    s->members[s->nmembers++] = copy;
    pthread_mutex_unlock(&s->lock);
    *result = before;  /* so the new member's first message is its own "joined" */
    return 0;

nomem:
    pthread_mutex_unlock(&s->lock);
    return fail(err, COIL_ENOMEM, "join: out of memory");
}

static int room_leave(void *self, const char *nick, bool *result, coil_error **err)
{
    chat_service *s = self;
    int rc = enter(s, "leave", err);
    if (rc)
        return rc;
    ptrdiff_t i = member_index(s, nick);
    if (i >= 0) {
        /* The notice first: if it cannot be stored, the member stays. */
        if (!append(s, "*", nick, " left")) {
            pthread_mutex_unlock(&s->lock);
            return fail(err, COIL_ENOMEM, "leave: out of memory");
        }
        free(s->members[i]);
        memmove(&s->members[i], &s->members[i + 1],
                (s->nmembers - (size_t)i - 1) * sizeof *s->members);
        s->nmembers--;
    }
    pthread_mutex_unlock(&s->lock);
    *result = i >= 0;
    return 0;
}

static int room_say(void *self, const char *nick, const char *text, int64_t *result,
                    coil_error **err)
{
    chat_service *s = self;
    int rc = check_text(text, err);
    if (rc || (rc = enter(s, "say", err)))
        return rc;
    if (member_index(s, nick) < 0) {
        pthread_mutex_unlock(&s->lock);
        return fail(err, COIL_ENOTFOUND, "say: '%s' has not joined the room", nick);
    }
    int64_t seq = append(s, nick, text, NULL);
    pthread_mutex_unlock(&s->lock);
    if (!seq)
        return fail(err, COIL_ENOMEM, "say: out of memory");
    *result = seq;
    return 0;
}

static int room_messages(void *self, int64_t since, int64_t wait_ms, chat_list_message *result,
                         coil_error **err)
{
    chat_service *s = self;
    if (since < 0)
        return fail(err, COIL_EVALUE, "messages: since is negative (%lld)", (long long)since);
    if (wait_ms < 0)
        return fail(err, COIL_EVALUE, "messages: wait_ms is negative (%lld)", (long long)wait_ms);
    int rc = enter(s, "messages", err);
    if (rc)
        return rc;
    if (since > s->latest) {
        long long latest = s->latest;
        pthread_mutex_unlock(&s->lock);
        return fail(err, COIL_EVALUE,
                    "messages: since is %lld, after the latest message (%lld): "
                    "was the room restarted?",
                    (long long)since, latest);
    }

    /* Nothing new yet: wait for a message, the deadline, or the end. The
     * wait releases the lock, so every other call goes on meanwhile. */
    if (since == s->latest && wait_ms > 0) {
        struct timespec deadline =
            monotonic_after(wait_ms < s->max_wait_ms ? wait_ms : s->max_wait_ms);
        s->waiting++;
        pthread_cond_broadcast(&s->changed); /* for stats(at_least) */
        while (since == s->latest && !s->closing)
            if (!park(s, &deadline))
                break;
        s->waiting--;
        pthread_cond_broadcast(&s->changed);
        if (s->closing) {
            pthread_mutex_unlock(&s->lock);  /* destroy may free the room from here on */
            return fail(err, COIL_ESTATE, "messages: the room is closing");
        }
    }

    /* Everything after `since` that is still kept, oldest first. */
    int64_t oldest = s->latest - (int64_t)s->kept + 1;
    int64_t from = since + 1 > oldest ? since + 1 : oldest;
    size_t n = s->latest >= from ? (size_t)(s->latest - from + 1) : 0;
    if (n > BATCH_MAX)
        n = BATCH_MAX;
    chat_list_message list = { n ? calloc(n, sizeof *list.items) : NULL, 0 };
    if (n && !list.items)
        goto nomem;
    size_t start = (s->first + (size_t)(from - oldest)) % (size_t)s->history;
    for (size_t i = 0; i < n; i++) {
        const chat_message *m = &s->ring[(start + i) % (size_t)s->history];
        chat_message *c = &list.items[list.count];
        c->seq = m->seq;
        c->at = m->at;
        c->from = copy_string(m->from);
        c->text = copy_string(m->text);
        list.count++;
        if (!c->from || !c->text)
            goto nomem;
    }
    pthread_mutex_unlock(&s->lock);
    *result = list;
    return 0;

nomem:
    pthread_mutex_unlock(&s->lock);
    chat_list_message_free(&list);
    return fail(err, COIL_ENOMEM, "messages: out of memory");
}

static int room_members(void *self, chat_list_string *result, coil_error **err)
{
    chat_service *s = self;
    int rc = enter(s, "members", err);
    if (rc)
        return rc;
    chat_list_string list = { calloc(s->nmembers ? s->nmembers : 1, sizeof(char *)), 0 };
    if (!list.items)
        goto nomem;
    for (size_t i = 0; i < s->nmembers; i++) {
        if (!(list.items[i] = copy_string(s->members[i])))
            goto nomem;
        list.count++;
    }
    pthread_mutex_unlock(&s->lock);
    *result = list;
    return 0;

nomem:
    pthread_mutex_unlock(&s->lock);
    chat_list_string_free(&list);
    return fail(err, COIL_ENOMEM, "members: out of memory");
}

/* ---- chat_monitor ----------------------------------------------------------- */

static int room_stats(void *self, int64_t at_least, int64_t wait_ms,
                      chat_monitor_room_stats *result, coil_error **err)
{
    chat_service *s = self;
    if (wait_ms < 0)
        return fail(err, COIL_EVALUE, "stats: wait_ms is negative (%lld)", (long long)wait_ms);
    int rc = enter(s, "stats", err);
    if (rc)
        return rc;
    if (s->waiting < at_least && wait_ms > 0) {
        struct timespec deadline =
            monotonic_after(wait_ms < s->max_wait_ms ? wait_ms : s->max_wait_ms);
        while (s->waiting < at_least && !s->closing)
            if (!park(s, &deadline))
                break;
        if (s->closing) {
            pthread_mutex_unlock(&s->lock);
            return fail(err, COIL_ESTATE, "stats: the room is closing");
        }
    }
    *result = (chat_monitor_room_stats){
        .latest = s->latest,
        .kept = (int64_t)s->kept,
        .members = (int64_t)s->nmembers,
        .waiting = s->waiting,
    };
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* ---- life cycle ------------------------------------------------------------- */

static int room_init(void *self, coil_error **err)
{
    chat_service *s = self;
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0) {
        *err = coil_error_new(COIL_EINIT, "cannot create a condition variable");
        return COIL_EINIT;
    }
    int rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(&s->changed, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0) {
        *err = coil_error_new(COIL_EINIT, "cannot create a condition variable");
        return COIL_EINIT;
    }
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        pthread_cond_destroy(&s->changed);
        *err = coil_error_new(COIL_EINIT, "cannot create a mutex");
        return COIL_EINIT;
    }
    s->ring = calloc((size_t)s->history, sizeof *s->ring);
    if (!s->ring) {
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->changed);
        *err = coil_error_new(COIL_ENOMEM, "out of memory");
        return COIL_ENOMEM;
    }
    return 0;
}

static void room_destroy(void *self)
{
    chat_service *s = self;
    pthread_mutex_lock(&s->lock);
    s->closing = true;
    pthread_cond_broadcast(&s->changed);
    /* Every parked call wakes now, sees `closing` and leaves; none waits for
     * anything else, so this wait ends as soon as they have run. */
    while (s->parked > 0)
        pthread_cond_wait(&s->changed, &s->lock);
    pthread_mutex_unlock(&s->lock);

    for (size_t i = 0; i < s->kept; i++)
        chat_message_free(&s->ring[(s->first + i) % (size_t)s->history]);
    free(s->ring);
    for (size_t i = 0; i < s->nmembers; i++)
        free(s->members[i]);
    free(s->members);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->changed);
}

static const chat_ops room_chat_ops = {
    .join = room_join,
    .leave = room_leave,
    .say = room_say,
    .messages = room_messages,
    .members = room_members,
};

static const chat_monitor_ops room_monitor_ops = {
    .stats = room_stats,
};

static const coil_implements room_implements[] = {
    { &chat_interface, &room_chat_ops },
    { &chat_monitor_interface, &room_monitor_ops },
    COIL_IMPLEMENTS_END
};

static const coil_property room_properties[] = {
    { "history", COIL_T_INT, offsetof(chat_service, history),
      .check = COIL_RANGE(10, 100000), .default_value = "1000",
      .doc = "messages kept; older ones are dropped (seq keeps counting)" },
    { "max-wait-ms", COIL_T_INT, offsetof(chat_service, max_wait_ms),
      .check = COIL_RANGE(0, 3600000), .default_value = "30000",
      .doc = "the longest a messages call waits, whatever it asks for" },
    COIL_PROPERTIES_END
};

static const coil_class chat_service_class = {
    .abi = COIL_ABI_VERSION,
    .name = "chat_service",
    .doc = "A chat room.",
    .size = sizeof(chat_service),
    .properties = room_properties,
    .init = room_init,
    .destroy = room_destroy,
    .implements = room_implements,
    .flags = COIL_CLASS_THREAD_SAFE,
};

COIL_MODULE("chat", "1.0", &chat_service_class);
