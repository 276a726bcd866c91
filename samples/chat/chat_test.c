/* The chat room (chat_service.c), loaded as a client would load it: through
 * local.yaml, called with the generated typed functions of chat.yaml — and,
 * for calls over HTTP, server.yaml and client.yaml in this one process.
 *
 * Nothing sleeps: a test that needs a `messages` call to be waiting asks
 * the room itself (chat_monitor's stats with at_least, which waits on the
 * room's condition variable), and timings are measured around calls that
 * either return at once or wait for their own deadline.
 *
 * Suites: room (the semantics, every error, concurrency, closing), remote
 * (the same room over HTTP), remote_blocking (what the exporter does with a
 * waiting call; see CMakeLists.txt). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <coil/coil.h>
#include <coil/remoting.h>

#include "chat.h"
#include "chat_monitor.h"

#ifdef COIL_TEST_LSAN
#include <sanitizer/lsan_interface.h>
/* Leaks are checked at the end of every test body: criterion ignores
 * LeakSanitizer's exit status. */
__attribute__((visibility("default"))) const char *__lsan_default_options(void);
__attribute__((visibility("default"))) const char *__lsan_default_options(void)
{
    return "leak_check_at_exit=0";
}
#endif

static void leak_check(void)
{
#ifdef COIL_TEST_LSAN
    cr_assert_eq(__lsan_do_recoverable_leak_check(), 0,
                 "memory leaked: see the LeakSanitizer report above");
#endif
}

/* CTEST(suite, name) { body }: a test whose body ends with a leak check;
 * CTEST_X(suite, name, criterion options...) with options. */
#define CTEST_X(suite, name, ...)                   \
    static void suite##__##name##__body(void);      \
    Test(suite, name, __VA_ARGS__)                  \
    {                                               \
        suite##__##name##__body();                  \
        leak_check();                               \
    }                                               \
    static void suite##__##name##__body(void)
#define CTEST(suite, name) CTEST_X(suite, name, .disabled = false)

/* ---- helpers ---------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double unix_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Loads CHAT_DIR/FILE with the placeholders given as NAME, VALUE, ...,
 * NULL; the environment is not read. */
static coil_context *load(const char *file, ...)
{
    coil_options *opts = coil_options_new();
    cr_assert(opts);
    coil_options_use_environment(opts, false);
    va_list ap;
    va_start(ap, file);
    for (const char *name; (name = va_arg(ap, const char *));)
        coil_options_set(opts, name, va_arg(ap, const char *));
    va_end(ap);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", CHAT_DIR, file);
    coil_error *err = NULL;
    coil_context *ctx = coil_load_file(path, opts, &err);
    coil_options_free(opts);
    cr_assert(ctx, "loading %s: %s", path, err ? err->message : "?");
    return ctx;
}

static void *room_of(coil_context *ctx)
{
    coil_error *err = NULL;
    void *chat = coil_get(ctx, "chat", &chat_interface, &err);
    cr_assert(chat, "coil_get: %s", err ? err->message : "?");
    return chat;
}

/* Asserts that a call failed with `code` and exactly `message`. */
#define assert_fails(call, want_code, want_message)                                     \
    do {                                                                               \
        coil_error *e_ = NULL;                                                         \
        coil_error **err = &e_;                                                        \
        int rc_ = (call);                                                              \
        cr_assert_eq(rc_, (want_code), "%s: got %d (%s), expected %s", #call, rc_,     \
                     e_ ? e_->message : "no error", #want_code);                       \
        cr_assert(e_, "%s: no error reported", #call);                                 \
        cr_assert_eq(e_->code, (want_code));                                           \
        cr_assert_str_eq(e_->message, (want_message));                                 \
        coil_error_free(e_);                                                           \
    } while (0)

#define assert_ok(call)                                                                \
    do {                                                                               \
        coil_error *e_ = NULL;                                                         \
        coil_error **err = &e_;                                                        \
        int rc_ = (call);                                                              \
        cr_assert_eq(rc_, 0, "%s: %s", #call, e_ ? e_->message : "no error message");  \
    } while (0)

static int64_t join(void *chat, const char *nick)
{
    int64_t since = -1;
    assert_ok(chat_join(chat, nick, &since, err));
    return since;
}

static int64_t say(void *chat, const char *nick, const char *text)
{
    int64_t seq = -1;
    assert_ok(chat_say(chat, nick, text, &seq, err));
    return seq;
}

static chat_list_message fetch(void *chat, int64_t since, int64_t wait_ms)
{
    chat_list_message list = { NULL, 0 };
    assert_ok(chat_messages(chat, since, wait_ms, &list, err));
    return list;
}

static void assert_message(const chat_message *m, int64_t seq, const char *from, const char *text)
{
    cr_assert_eq(m->seq, seq, "seq %lld, expected %lld", (long long)m->seq, (long long)seq);
    cr_assert_str_eq(m->from, from);
    cr_assert_str_eq(m->text, text);
}

/* The members, joined with commas. */
static char *members_of(void *chat)
{
    chat_list_string list;
    assert_ok(chat_members(chat, &list, err));
    static char out[512];
    out[0] = '\0';
    for (size_t i = 0; i < list.count; i++)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? "," : "",
                 list.items[i]);
    chat_list_string_free(&list);
    return out;
}

static chat_monitor_room_stats stats(coil_context *ctx, int64_t at_least, int64_t wait_ms)
{
    coil_error *e = NULL;
    void *mon = coil_get(ctx, "chat", &chat_monitor_interface, &e);
    cr_assert(mon, "coil_get chat_monitor: %s", e ? e->message : "?");
    chat_monitor_room_stats st;
    assert_ok(chat_monitor_stats(mon, at_least, wait_ms, &st, err));
    return st;
}

/* A `messages` call in a thread of its own. */
typedef struct waiter {
    pthread_t thread;
    void *chat;
    int64_t since, wait_ms;
    int rc;
    coil_error *err;
    chat_list_message got;
    double returned;  /* now_s() when the call returned */
} waiter;

static void *waiter_main(void *arg)
{
    waiter *w = arg;
    w->rc = chat_messages(w->chat, w->since, w->wait_ms, &w->got, &w->err);
    w->returned = now_s();
    return NULL;
}

static void waiter_start(waiter *w, void *chat, int64_t since, int64_t wait_ms)
{
    *w = (waiter){ .chat = chat, .since = since, .wait_ms = wait_ms };
    cr_assert_eq(pthread_create(&w->thread, NULL, waiter_main, w), 0);
}

static void waiter_join(waiter *w)
{
    cr_assert_eq(pthread_join(w->thread, NULL), 0);
}

static void waiter_free(waiter *w)
{
    chat_list_message_free(&w->got);
    coil_error_free(w->err);
    w->err = NULL;
}

/* ---- room: semantics -------------------------------------------------------- */

CTEST(room, join_say_messages_members)
{
    coil_context *ctx = load("local.yaml", NULL);
    void *chat = room_of(ctx);

    cr_assert_eq(join(chat, "ann"), 0, "join returns the seq before its own notice");
    double before = unix_s();
    cr_assert_eq(say(chat, "ann", "hello, room"), 2);
    double after = unix_s();

    chat_list_message l = fetch(chat, 0, 0);
    cr_assert_eq(l.count, 2);
    assert_message(&l.items[0], 1, "*", "ann joined");
    assert_message(&l.items[1], 2, "ann", "hello, room");
    cr_assert(l.items[1].at >= before - 0.001 && l.items[1].at <= after + 0.001,
              "at %.6f is not between %.6f and %.6f", l.items[1].at, before, after);
    chat_list_message_free(&l);

    cr_assert_eq(join(chat, "bo"), 2);
    cr_assert_str_eq(members_of(chat), "ann,bo");
    l = fetch(chat, 2, 0);
    cr_assert_eq(l.count, 1);
    assert_message(&l.items[0], 3, "*", "bo joined");
    chat_list_message_free(&l);

    /* Nothing new and no wait: an empty list at once. */
    l = fetch(chat, 3, 0);
    cr_assert_eq(l.count, 0);
    chat_list_message_free(&l);

    /* Nicks may be any UTF-8 up to 32 bytes. */
    cr_assert_eq(join(chat, "Zoë_42"), 3);
    char nick32[33];
    memset(nick32, 'n', 32);
    nick32[32] = '\0';
    cr_assert_eq(join(chat, nick32), 4);
    cr_assert_eq(stats(ctx, 0, 0).members, 4);
    coil_close(ctx);
}

CTEST(room, join_errors)
{
    coil_context *ctx = load("local.yaml", NULL);
    void *chat = room_of(ctx);
    int64_t since;
    assert_fails(chat_join(chat, "", &since, err), COIL_EVALUE, "join: the nick is empty");
    assert_fails(chat_join(chat, "abcdefghijklmnopqrstuvwxyz0123456", &since, err), COIL_EVALUE,
                 "join: the nick is 33 bytes long (at most 32)");
    assert_fails(chat_join(chat, "ann\n", &since, err), COIL_EVALUE,
                 "join: the nick contains a control character (0x0a)");
    assert_fails(chat_join(chat, "a\x7f", &since, err), COIL_EVALUE,
                 "join: the nick contains a control character (0x7f)");
    assert_fails(chat_join(chat, "ann bo", &since, err), COIL_EVALUE,
                 "join: the nick 'ann bo' contains a space");
    assert_fails(chat_join(chat, "*", &since, err), COIL_EVALUE,
                 "join: the nick '*' is reserved for the room's notices");
    assert_fails(chat_join(chat, "\xff", &since, err), COIL_EVALUE,
                 "join: the nick is not valid UTF-8");
    assert_fails(chat_join(chat, "\xc0\xae", &since, err), COIL_EVALUE,  /* overlong '.' */
                 "join: the nick is not valid UTF-8");
    assert_fails(chat_join(chat, "\xed\xa0\x80", &since, err), COIL_EVALUE,  /* a surrogate */
                 "join: the nick is not valid UTF-8");
    cr_assert_eq(stats(ctx, 0, 0).latest, 0, "refused joins leave no trace");

    join(chat, "ann");
    assert_fails(chat_join(chat, "ann", &since, err), COIL_EDUPLICATE,
                 "join: the nick 'ann' is already in the room");
    cr_assert_str_eq(members_of(chat), "ann");
    cr_assert_eq(stats(ctx, 0, 0).latest, 1);
    coil_close(ctx);
}

CTEST(room, leave)
{
    coil_context *ctx = load("local.yaml", NULL);
    void *chat = room_of(ctx);
    join(chat, "ann");
    join(chat, "bo");
    join(chat, "cy");
    bool was_in = false;
    assert_ok(chat_leave(chat, "bo", &was_in, err));
    cr_assert(was_in);
    cr_assert_str_eq(members_of(chat), "ann,cy", "the others keep their order");

    /* Idempotent: again, or someone who never joined, is false and silent. */
    assert_ok(chat_leave(chat, "bo", &was_in, err));
    cr_assert_not(was_in);
    assert_ok(chat_leave(chat, "nobody", &was_in, err));
    cr_assert_not(was_in);
    assert_ok(chat_leave(chat, "", &was_in, err));
    cr_assert_not(was_in);

    chat_list_message l = fetch(chat, 3, 0);
    cr_assert_eq(l.count, 1, "one notice for one leave");
    assert_message(&l.items[0], 4, "*", "bo left");
    chat_list_message_free(&l);

    int64_t seq;
    assert_fails(chat_say(chat, "bo", "still here?", &seq, err), COIL_ENOTFOUND,
                 "say: 'bo' has not joined the room");
    cr_assert_eq(join(chat, "bo"), 4, "who left may join again");
    cr_assert_str_eq(members_of(chat), "ann,cy,bo");
    coil_close(ctx);
}

CTEST(room, say_errors)
{
    coil_context *ctx = load("local.yaml", NULL);
    void *chat = room_of(ctx);
    int64_t seq;
    assert_fails(chat_say(chat, "ann", "hi", &seq, err), COIL_ENOTFOUND,
                 "say: 'ann' has not joined the room");
    join(chat, "ann");
    assert_fails(chat_say(chat, "ann", "", &seq, err), COIL_EVALUE, "say: the text is empty");
    char text[4098];
    memset(text, 'x', 4097);
    text[4097] = '\0';
    assert_fails(chat_say(chat, "ann", text, &seq, err), COIL_EVALUE,
                 "say: the text is 4097 bytes long (at most 4096)");
    assert_fails(chat_say(chat, "ann", "a\tb", &seq, err), COIL_EVALUE,
                 "say: the text contains a control character (0x09)");
    assert_fails(chat_say(chat, "ann", "line\nanother", &seq, err), COIL_EVALUE,
                 "say: the text contains a control character (0x0a)");
    assert_fails(chat_say(chat, "ann", "caf\xe9", &seq, err), COIL_EVALUE,
                 "say: the text is not valid UTF-8");
    cr_assert_eq(stats(ctx, 0, 0).latest, 1, "refused lines are not in the room");

    text[4096] = '\0';  /* 4096 bytes: the most */
    cr_assert_eq(say(chat, "ann", text), 2);
    cr_assert_eq(say(chat, "ann", "café ☕ 🎂"), 3);
    chat_list_message l = fetch(chat, 1, 0);
    cr_assert_eq(l.count, 2);
    cr_assert_eq(strlen(l.items[0].text), 4096);
    assert_message(&l.items[1], 3, "ann", "café ☕ 🎂");
    chat_list_message_free(&l);
    coil_close(ctx);
}

CTEST(room, messages_errors)
{
    coil_context *ctx = load("local.yaml", NULL);
    void *chat = room_of(ctx);
    chat_list_message l;
    assert_fails(chat_messages(chat, -1, 0, &l, err), COIL_EVALUE,
                 "messages: since is negative (-1)");
    assert_fails(chat_messages(chat, 0, -5, &l, err), COIL_EVALUE,
                 "messages: wait_ms is negative (-5)");
    join(chat, "ann");
    assert_fails(chat_messages(chat, 7, 1000, &l, err), COIL_EVALUE,
                 "messages: since is 7, after the latest message (1): was the room restarted?");
    chat_monitor_room_stats st;
    void *mon = coil_get(ctx, "chat", &chat_monitor_interface, NULL);
    assert_fails(chat_monitor_stats(mon, 1, -1, &st, err), COIL_EVALUE,
                 "stats: wait_ms is negative (-1)");
    coil_close(ctx);
}

/* At most 100 a call, oldest first; a client fetches on from the last seq. */
CTEST(room, messages_batches)
{
    coil_context *ctx = load("local.yaml", NULL);
    void *chat = room_of(ctx);
    join(chat, "ann");
    char text[32];
    for (int i = 1; i <= 250; i++) {
        snprintf(text, sizeof text, "line %d", i);
        say(chat, "ann", text);
    }
    int64_t since = 0;
    size_t sizes[4] = { 0 }, calls = 0;
    for (;;) {
        chat_list_message l = fetch(chat, since, 0);
        if (l.count == 0) {
            chat_list_message_free(&l);
            break;
        }
        cr_assert_lt(calls, 3);
        sizes[calls++] = l.count;
        for (size_t i = 0; i < l.count; i++) {
            cr_assert_eq(l.items[i].seq, since + 1, "oldest first, none missing");
            since = l.items[i].seq;
            if (since > 1) {
                snprintf(text, sizeof text, "line %lld", (long long)since - 1);
                assert_message(&l.items[i], since, "ann", text);
            }
        }
        chat_list_message_free(&l);
    }
    cr_assert_eq(sizes[0], 100);
    cr_assert_eq(sizes[1], 100);
    cr_assert_eq(sizes[2], 51);
    cr_assert_eq(since, 251);
    coil_close(ctx);
}

/* With nothing new, messages waits its wait_ms, then returns nothing; the
 * room's max-wait-ms caps what a caller asks. */
CTEST(room, messages_waits_then_returns_empty)
{
    coil_context *ctx = load("local.yaml", "CHAT_MAX_WAIT_MS", "300", NULL);
    void *chat = room_of(ctx);
    join(chat, "ann");
    double t0 = now_s();
    chat_list_message l = fetch(chat, 1, 150);
    double took = now_s() - t0;
    cr_assert_eq(l.count, 0);
    cr_assert(took >= 0.149 && took < 0.300 + 2.0, "waited %.3f s for 150 ms", took);
    chat_list_message_free(&l);

    t0 = now_s();
    l = fetch(chat, 1, 20000);  /* capped at 300 ms */
    took = now_s() - t0;
    cr_assert_eq(l.count, 0);
    cr_assert(took >= 0.299 && took < 2.3, "waited %.3f s with max-wait-ms 300", took);
    chat_list_message_free(&l);
    coil_close(ctx);
}

/* The heart of it: while a messages call waits, say goes through at once,
 * and the waiting call returns right after the say, with the message — not
 * at its deadline. The same for several waiters. */
CTEST(room, waiting_messages_does_not_delay_say)
{
    coil_context *ctx = load("local.yaml", NULL);
    void *chat = room_of(ctx);
    join(chat, "ann");
    join(chat, "bo");

    enum { N = 4, WAIT_MS = 4000 };
    waiter w[N];
    for (int i = 0; i < N; i++)
        waiter_start(&w[i], chat, 2, WAIT_MS);
    chat_monitor_room_stats st = stats(ctx, N, 10000);
    cr_assert_eq(st.waiting, N, "the waiters are waiting in the room");

    /* Other calls go on meanwhile. */
    double t0 = now_s();
    cr_assert_str_eq(members_of(chat), "ann,bo");
    cr_assert_eq(say(chat, "bo", "hi ann"), 3);
    double said = now_s() - t0;
    cr_assert_lt(said, 1.0, "say took %.3f s while %d calls waited %d ms", said, N, WAIT_MS);

    for (int i = 0; i < N; i++) {
        waiter_join(&w[i]);
        cr_assert_eq(w[i].rc, 0, "%s", w[i].err ? w[i].err->message : "");
        cr_assert_eq(w[i].got.count, 1);
        assert_message(&w[i].got.items[0], 3, "bo", "hi ann");
        double back = w[i].returned - t0;
        cr_assert_lt(back, 1.0, "a waiter returned %.3f s after the say, not at once", back);
        waiter_free(&w[i]);
    }
    cr_assert_eq(stats(ctx, 0, 0).waiting, 0);
    coil_close(ctx);
}

/* The room keeps its last `history` messages; seq keeps counting. */
CTEST(room, history_limit)
{
    coil_context *ctx = load("local.yaml", "CHAT_HISTORY", "10", NULL);
    void *chat = room_of(ctx);
    join(chat, "ann");  /* seq 1 */
    char text[32];
    for (int i = 2; i <= 26; i++) {
        snprintf(text, sizeof text, "m%d", i);
        cr_assert_eq(say(chat, "ann", text), i);
    }
    chat_monitor_room_stats st = stats(ctx, 0, 0);
    cr_assert_eq(st.latest, 26);
    cr_assert_eq(st.kept, 10);

    chat_list_message l = fetch(chat, 0, 0);  /* from the oldest kept */
    cr_assert_eq(l.count, 10);
    for (size_t i = 0; i < 10; i++) {
        snprintf(text, sizeof text, "m%zu", i + 17);
        assert_message(&l.items[i], (int64_t)i + 17, "ann", text);
    }
    chat_list_message_free(&l);
    l = fetch(chat, 21, 0);
    cr_assert_eq(l.count, 5);
    assert_message(&l.items[0], 22, "ann", "m22");
    chat_list_message_free(&l);
    coil_close(ctx);

    /* The property's range. */
    coil_options *opts = coil_options_new();
    coil_options_use_environment(opts, false);
    coil_options_set(opts, "CHAT_HISTORY", "9");
    coil_error *err = NULL;
    cr_assert_null(coil_load_file(CHAT_DIR "/local.yaml", opts, &err));
    cr_assert_eq(err->code, COIL_EVALUE);
    cr_assert(strstr(err->message, "property 'history' must be between 10 and 100000, got 9"),
              "%s", err->message);
    coil_error_free(err);
    coil_options_free(opts);
}

/* Many threads saying at once, while a reader long-polls: every seq once,
 * no gaps, each thread's lines in its own order, and the reader sees them
 * all. */
typedef struct sayer {
    pthread_t thread;
    void *chat;
    int id;
    int64_t seqs[250];
    int failures;
} sayer;

static void *sayer_main(void *arg)
{
    sayer *s = arg;
    char nick[16], text[32];
    snprintf(nick, sizeof nick, "t%d", s->id);
    for (int i = 0; i < 250; i++) {
        snprintf(text, sizeof text, "%d:%d", s->id, i);
        if (chat_say(s->chat, nick, text, &s->seqs[i], NULL) != 0)
            s->failures++;
    }
    return NULL;
}

typedef struct reader {
    pthread_t thread;
    void *chat;
    int64_t since, until;
    size_t got, calls;
    int failures;
} reader;

static void *reader_main(void *arg)
{
    reader *r = arg;
    while (r->since < r->until) {
        chat_list_message l;
        if (chat_messages(r->chat, r->since, 5000, &l, NULL) != 0 || l.count == 0) {
            r->failures++;
            return NULL;  /* an error, or 5 s without anything: stuck */
        }
        for (size_t i = 0; i < l.count; i++) {
            if (l.items[i].seq != r->since + 1)
                r->failures++;
            r->since = l.items[i].seq;
        }
        r->got += l.count;
        r->calls++;
        chat_list_message_free(&l);
    }
    return NULL;
}

CTEST_X(room, concurrent_says, .timeout = 120)
{
    enum { THREADS = 8, EACH = 250 };
    coil_context *ctx = load("local.yaml", "CHAT_HISTORY", "5000", NULL);
    void *chat = room_of(ctx);
    char nick[16];
    for (int t = 0; t < THREADS; t++) {
        snprintf(nick, sizeof nick, "t%d", t);
        join(chat, nick);
    }
    const int64_t first = THREADS + 1, last = THREADS + THREADS * EACH;
    reader r = { .chat = chat, .since = THREADS, .until = last };
    cr_assert_eq(pthread_create(&r.thread, NULL, reader_main, &r), 0);
    sayer s[THREADS];
    for (int t = 0; t < THREADS; t++) {
        s[t] = (sayer){ .chat = chat, .id = t };
        cr_assert_eq(pthread_create(&s[t].thread, NULL, sayer_main, &s[t]), 0);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(s[t].thread, NULL);
    pthread_join(r.thread, NULL);

    static char seen[THREADS + THREADS * EACH + 1];
    for (int t = 0; t < THREADS; t++) {
        cr_assert_eq(s[t].failures, 0);
        for (int i = 0; i < EACH; i++) {
            int64_t q = s[t].seqs[i];
            cr_assert(q >= first && q <= last, "seq %lld out of range", (long long)q);
            cr_assert_not(seen[q], "seq %lld given twice", (long long)q);
            seen[q] = 1;
            if (i)
                cr_assert_gt(q, s[t].seqs[i - 1], "a thread's lines out of order");
        }
    }
    cr_assert_eq(r.failures, 0, "the reader saw a gap, an error or a stall");
    cr_assert_eq(r.got, (size_t)(THREADS * EACH));

    /* And what the room kept matches what each say was told. */
    int64_t since = THREADS;
    while (since < last) {
        chat_list_message l = fetch(chat, since, 0);
        for (size_t i = 0; i < l.count; i++) {
            int id, n;
            cr_assert_eq(sscanf(l.items[i].text, "%d:%d", &id, &n), 2);
            cr_assert_eq(s[id].seqs[n], l.items[i].seq);
            snprintf(nick, sizeof nick, "t%d", id);
            cr_assert_str_eq(l.items[i].from, nick);
        }
        since = l.items[l.count - 1].seq;
        chat_list_message_free(&l);
    }
    coil_close(ctx);
}

/* Closing the context while a call waits inside the room (a local user that
 * did not stop its poller first): destroy wakes it, it returns COIL_ESTATE
 * at once, and destroy frees nothing before it has left (ASan would say).
 * A call made after the close finds no object. */
CTEST(room, close_while_waiting)
{
    coil_context *ctx = load("local.yaml", NULL);
    void *chat = room_of(ctx);
    join(chat, "ann");
    waiter w;
    waiter_start(&w, chat, 1, 20000);
    stats(ctx, 1, 10000);

    void *mon = coil_get(ctx, "chat", &chat_monitor_interface, NULL);
    chat_monitor_room_stats st;
    double t0 = now_s();
    coil_close(ctx);
    double closed = now_s() - t0;
    waiter_join(&w);
    cr_assert_lt(closed, 5.0, "close took %.3f s with a waiting call", closed);
    cr_assert_eq(w.rc, COIL_ESTATE);
    cr_assert_str_eq(w.err->message, "messages: the room is closing");
    cr_assert_lt(w.returned - t0, 5.0);
    waiter_free(&w);

    /* After the close: not an object any more. */
    int64_t since;
    coil_error *err = NULL;
    cr_assert_eq(chat_join(chat, "bo", &since, &err), COIL_ENOTFOUND);
    coil_error_free(err);
    err = NULL;
    cr_assert_eq(chat_monitor_stats(mon, 0, 0, &st, &err), COIL_ENOTFOUND);
    coil_error_free(err);
}

typedef struct stats_waiter {
    pthread_t thread;
    void *mon;
    int rc;
    coil_error *err;
} stats_waiter;

static void *stats_waiter_main(void *arg)
{
    stats_waiter *s = arg;
    chat_monitor_room_stats st;
    s->rc = chat_monitor_stats(s->mon, 100, 20000, &st, &s->err);
    return NULL;
}

/* The same for a stats call waiting for waiters. */
CTEST(room, close_while_stats_waits)
{
    coil_context *ctx = load("local.yaml", NULL);
    void *chat = room_of(ctx);
    join(chat, "ann");
    waiter w;
    waiter_start(&w, chat, 1, 20000);
    stats(ctx, 1, 10000);
    stats_waiter s = { .mon = coil_get(ctx, "chat", &chat_monitor_interface, NULL) };
    cr_assert_eq(pthread_create(&s.thread, NULL, stats_waiter_main, &s), 0);
    /* s waits for 100 waiters; the one there is makes it park. A second
     * messages call proves s is parked: stats with at_least 2 returns once
     * both messages calls wait, and s is still inside then or returns
     * COIL_ESTATE at the close — either way it must not be 0. */
    waiter w2;
    waiter_start(&w2, chat, 1, 20000);
    stats(ctx, 2, 10000);
    coil_close(ctx);
    waiter_join(&w);
    waiter_join(&w2);
    pthread_join(s.thread, NULL);
    cr_assert_eq(w.rc, COIL_ESTATE);
    cr_assert_eq(w2.rc, COIL_ESTATE);
    cr_assert(s.rc == COIL_ESTATE || s.rc == COIL_ENOTFOUND, "stats returned %d", s.rc);
    coil_error_free(s.err);
    waiter_free(&w);
    waiter_free(&w2);
}

/* ---- remote: the room over HTTP, in this process ---------------------------- */

typedef struct server {
    coil_context *ctx;
    char port[16];
} server;

static server server_start(const char *threads)
{
    server s = { .ctx = load("server.yaml", "PORT", "0", "CHAT_THREADS", threads, NULL) };
    const char *url = coil_http_exporter_url(coil_get(s.ctx, "chat_exporter", NULL, NULL));
    cr_assert(url);
    cr_assert_eq(sscanf(url, "http://127.0.0.1:%15[0-9]/chat", s.port), 1, "%s", url);
    return s;
}

static coil_context *client_load(const server *s)
{
    return load("client.yaml", "PORT", s->port, NULL);
}

CTEST(remote, conversation_and_errors)
{
    server srv = server_start("2");
    coil_context *ca = client_load(&srv), *cb = client_load(&srv);
    void *a = room_of(ca), *b = room_of(cb);

    cr_assert_eq(join(a, "ann"), 0);
    cr_assert_eq(join(b, "bo"), 1);
    double before = unix_s();
    cr_assert_eq(say(b, "bo", "hi ann ☕"), 3);
    chat_list_message l = fetch(a, 0, 1000);
    cr_assert_eq(l.count, 3);
    assert_message(&l.items[0], 1, "*", "ann joined");
    assert_message(&l.items[1], 2, "*", "bo joined");
    assert_message(&l.items[2], 3, "bo", "hi ann ☕");
    cr_assert(l.items[2].at > before - 1 && l.items[2].at < before + 60, "at %.3f", l.items[2].at);
    chat_list_message_free(&l);
    cr_assert_str_eq(members_of(a), "ann,bo");

    /* The room's errors arrive as they were raised. */
    int64_t n;
    assert_fails(chat_join(a, "bo", &n, err), COIL_EDUPLICATE,
                 "join: the nick 'bo' is already in the room");
    assert_fails(chat_join(a, "", &n, err), COIL_EVALUE, "join: the nick is empty");
    assert_fails(chat_say(a, "cy", "hi", &n, err), COIL_ENOTFOUND,
                 "say: 'cy' has not joined the room");
    assert_fails(chat_messages(a, 99, 0, &l, err), COIL_EVALUE,
                 "messages: since is 99, after the latest message (3): was the room restarted?");

    bool was_in;
    assert_ok(chat_leave(b, "bo", &was_in, err));
    cr_assert(was_in);
    coil_close(ca);
    coil_close(cb);
    coil_close(srv.ctx);
}

/* The exporter runs the room's calls concurrently (COIL_CLASS_THREAD_SAFE):
 * while one client's messages call waits on the server, another client
 * that connects now joins and says at once. (A client whose connection is
 * already open is not delayed either: see remote_blocking below.) */
CTEST(remote, new_client_not_delayed_by_waiting_call)
{
    server srv = server_start("2");
    coil_context *ca = client_load(&srv);
    void *a = room_of(ca);
    join(a, "ann");
    waiter w;
    waiter_start(&w, a, 1, 4000);
    cr_assert_eq(stats(srv.ctx, 1, 10000).waiting, 1);

    coil_context *cb = client_load(&srv);  /* a new connection */
    void *b = room_of(cb);
    double t0 = now_s();
    join(b, "bo");
    say(b, "bo", "hi");
    double took = now_s() - t0;
    waiter_join(&w);
    cr_assert_lt(took, 1.0, "join and say took %.3f s while messages waited 4 s", took);
    cr_assert_eq(w.rc, 0);
    cr_assert_geq(w.got.count, 1);  /* woken by the first new message */
    assert_message(&w.got.items[0], 2, "*", "bo joined");
    cr_assert_lt(w.returned - t0, 1.0, "the waiter returned %.3f s after", w.returned - t0);
    waiter_free(&w);
    coil_close(ca);
    coil_close(cb);
    coil_close(srv.ctx);
}

/* ---- remote_blocking: a waiting call and other clients' open connections --- */

/* What the issue asks for over HTTP: a waiting messages call does not
 * delay another client's say — also when that client's connection is
 * already open (as any client's is after its first call). Each round, two
 * clients join (opening a connection each), one waits, the other says.
 * server.yaml's exporter has `threading: per-connection`; with `pool` this
 * fails whenever both connections belong to the same libmicrohttpd worker
 * thread: the say is read only after the waiting call returns. */
CTEST_X(remote_blocking, open_connection_say_not_delayed, .timeout = 120)
{
    server srv = server_start("0");
    int delayed = 0;
    char report[1024] = "";
    for (int round = 0; round < 10; round++) {
        coil_context *ca = client_load(&srv), *cb = client_load(&srv);
        void *a = room_of(ca), *b = room_of(cb);
        char na[16], nb[16];
        snprintf(na, sizeof na, "a%d", round);
        snprintf(nb, sizeof nb, "b%d", round);
        join(a, na);
        join(b, nb);
        waiter w;
        waiter_start(&w, a, stats(srv.ctx, 0, 0).latest, 2000);
        stats(srv.ctx, 1, 10000);
        double t0 = now_s();
        say(b, nb, "hi");
        double took = now_s() - t0;
        waiter_join(&w);
        if (took > 0.5) {
            delayed++;
            snprintf(report + strlen(report), sizeof report - strlen(report),
                     " round %d: say %.3f s;", round, took);
        }
        waiter_free(&w);
        bool was_in;
        chat_leave(a, na, &was_in, NULL);
        chat_leave(b, nb, &was_in, NULL);
        coil_close(ca);
        coil_close(cb);
    }
    coil_close(srv.ctx);
    cr_assert_eq(delayed, 0, "%d of 10 says waited for another client's messages call:%s",
                 delayed, report);
}
