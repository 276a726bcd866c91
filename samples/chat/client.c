/* A chat client for whatever room the context file defines:
 *
 *     client build/samples/chat/local.yaml ann            # the room in this process
 *     client build/samples/chat/client.yaml ann           # a room on a server
 *     client build/samples/chat/client.yaml ann --script talk.txt
 *
 * It knows the room only as an object `chat` that implements the `chat`
 * interface (chat.yaml), so the same binary talks to a room in its own
 * process or, through a proxy, to one in another.
 *
 * Interactive mode joins under NICK, then reads standard input: each line is
 * said; "/who" prints the members; "/quit" or end of input leaves and exits
 * 0. A second thread fetches new messages (`messages`, waiting up to 1 s at a
 * time) and prints each as "[from] text" — except the member's own lines,
 * which the terminal already shows as typed. Empty lines are skipped; a
 * line the room refuses (too long, a control character) is reported and
 * the client goes on; any other error ends it with status 1.
 *
 * Scripted mode (--script FILE, or - for standard input) runs a script
 * instead, one command a line, for tests; blank lines and lines starting
 * with '#' are skipped:
 *
 *     join                 joins under NICK (without a join line, the client
 *                          joins before the first line)
 *     say TEXT             says TEXT (the rest of the line)
 *     expect FROM TEXT     waits up to 5 s for a message from FROM ("*" for the
 *                          room's notices) whose text is TEXT
 *     wait-members N       waits up to 5 s until at least N members are in
 *                          the room (before joining too)
 *     who                  prints "members: A, B, ..."
 *     leave                leaves (the client leaves at the end anyway)
 *
 * A scripted client receives every message from its join on, its own
 * included. `expect` prints each received message as "[from] text" up to and
 * including the one it waits for; messages received after the last match
 * are not printed. So the output is the room's conversation from the join to
 * the last expected message, and two clients whose scripts wait for each
 * other (wait-members before saying anything, expect before answering)
 * print the same lines every run. No command sleeps: every wait ends when
 * what it waits for arrives. An expect or wait-members that times out, or a
 * call that fails, prints the reason on standard error and exits 1. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <coil/coil.h>

#include "chat.h"

enum {
    POLL_MS = 1000,        /* the longest one `messages` call waits */
    SCRIPT_WAIT_MS = 5000, /* how long expect and wait-members wait */
};

static const char *prog;

/* Prints every error of the chain as "PROG: [file:line:column: ]message [CODE]". */
static void print_errors(const coil_error *err)
{
    for (const coil_error *e = err; e; e = e->next) {
        char small[256];
        char *text = small;
        size_t len = coil_error_format(e, small, sizeof small);
        if (len >= sizeof small) {
            text = malloc(len + 1);
            if (text)
                coil_error_format(e, text, len + 1);
            else
                text = small;  /* print it cut rather than not at all */
        }
        fprintf(stderr, "%s: %s [%s]\n", prog, text, coil_error_name(e->code));
        if (text != small)
            free(text);
    }
}

/* Prints the errors and frees them. */
static void report(coil_error **err)
{
    print_errors(*err);
    coil_error_free(*err);
    *err = NULL;
}

static void print_message(const chat_message *m)
{
    printf("[%s] %s\n", m->from, m->text);
}

static void print_members(const chat_list_string *members)
{
    printf("members:");
    for (size_t i = 0; i < members->count; i++)
        printf("%s %s", i ? "," : "", members->items[i]);
    printf("\n");
    fflush(stdout);
}

/* ---- interactive mode ------------------------------------------------------- */

typedef struct reader {
    void *chat;
    const char *nick;
    int64_t since;         /* the last seq fetched */
    atomic_bool stop;      /* the main thread is leaving */
    atomic_bool failed;    /* the reader stopped on an error */
} reader;

static void *reader_main(void *arg)
{
    reader *r = arg;
    coil_error *err = NULL;
    while (!atomic_load(&r->stop)) {
        chat_list_message batch;
        if (chat_messages(r->chat, r->since, POLL_MS, &batch, &err) != 0) {
            if (!atomic_load(&r->stop)) {
                print_errors(err);
                atomic_store(&r->failed, true);
            }
            coil_error_free(err);
            return NULL;
        }
        if (batch.count)
            r->since = batch.items[batch.count - 1].seq;
        for (size_t i = 0; i < batch.count && !atomic_load(&r->stop); i++)
            if (strcmp(batch.items[i].from, r->nick) != 0)
                print_message(&batch.items[i]);
        fflush(stdout);
        chat_list_message_free(&batch);
    }
    return NULL;
}

static int interactive(void *chat, const char *nick)
{
    coil_error *err = NULL;
    reader r = { .chat = chat, .nick = nick };
    atomic_init(&r.stop, false);
    atomic_init(&r.failed, false);
    if (chat_join(chat, nick, &r.since, &err) != 0) {
        report(&err);
        return 1;
    }
    pthread_t thread;
    if (pthread_create(&thread, NULL, reader_main, &r) != 0) {
        fprintf(stderr, "%s: cannot start the reader thread\n", prog);
        chat_leave(chat, nick, &(bool){ false }, NULL);
        return 1;
    }

    int status = 0;
    char *line = NULL;
    size_t size = 0;
    while (getline(&line, &size, stdin) >= 0 && !atomic_load(&r.failed)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line)
            continue;
        if (strcmp(line, "/quit") == 0)
            break;
        if (strcmp(line, "/who") == 0) {
            chat_list_string members;
            if (chat_members(chat, &members, &err) != 0) {
                status = 1;
                break;
            }
            print_members(&members);
            chat_list_string_free(&members);
            continue;
        }
        if (line[0] == '/') {
            fprintf(stderr, "%s: unknown command %s (/who, /quit)\n", prog, line);
            continue;
        }
        int64_t seq;
        if (chat_say(chat, nick, line, &seq, &err) != 0) {
            if (err && err->code == COIL_EVALUE) {
                report(&err);      /* the room refused this line: the next may do */
                continue;
            }
            status = 1;
            break;
        }
    }
    free(line);
    if (err)
        report(&err);
    if (atomic_load(&r.failed))
        status = 1;

    /* Leaving adds "NICK left" to the room, which wakes the reader's wait. */
    atomic_store(&r.stop, true);
    bool was_in;
    if (chat_leave(chat, nick, &was_in, &err) != 0) {
        if (status == 0)
            report(&err);
        coil_error_free(err);
        status = 1;
    }
    pthread_join(thread, NULL);
    return status;
}

/* ---- scripted mode ---------------------------------------------------------- */

typedef enum verb { V_JOIN, V_SAY, V_EXPECT, V_WAIT_MEMBERS, V_WHO, V_LEAVE } verb;

typedef struct command {
    verb verb;
    unsigned line;       /* in the script */
    char *from, *text;   /* expect: both; say: text; point into `buf` */
    long count;          /* wait-members */
    char *buf;           /* the line, owned */
} command;

typedef struct script {
    command *cmds;
    size_t count;
    bool has_join;
} script;

static void script_free(script *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->cmds[i].buf);
    free(s->cmds);
}

/* Reads and checks the whole script before anything runs. Returns 0, or
 * prints what is wrong and returns 1. */
static int script_read(const char *path, script *s)
{
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!in) {
        fprintf(stderr, "%s: cannot open script %s\n", prog, path);
        return 1;
    }
    int status = 0;
    char *line = NULL;
    size_t size = 0;
    unsigned lineno = 0;
    while (status == 0 && getline(&line, &size, in) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line + strspn(line, " \t");
        if (!*p || *p == '#')
            continue;
        command c = { .line = lineno };
        size_t word = strcspn(p, " ");
        char *rest = p[word] ? p + word + 1 : p + word;
        if (word == 4 && strncmp(p, "join", 4) == 0 && !*rest) {
            c.verb = V_JOIN;
            s->has_join = true;
        } else if (word == 5 && strncmp(p, "leave", 5) == 0 && !*rest) {
            c.verb = V_LEAVE;
        } else if (word == 3 && strncmp(p, "who", 3) == 0 && !*rest) {
            c.verb = V_WHO;
        } else if (word == 3 && strncmp(p, "say", 3) == 0 && *rest) {
            c.verb = V_SAY;
        } else if (word == 6 && strncmp(p, "expect", 6) == 0 && strchr(rest, ' ') &&
                   rest[0] != ' ') {
            c.verb = V_EXPECT;
        } else if (word == 12 && strncmp(p, "wait-members", 12) == 0 && *rest) {
            char *end;
            c.count = strtol(rest, &end, 10);
            if (*end || c.count < 1) {
                fprintf(stderr, "%s: %s:%u: wait-members needs a number above 0, got '%s'\n",
                        prog, path, lineno, rest);
                status = 1;
                break;
            }
            c.verb = V_WAIT_MEMBERS;
        } else {
            fprintf(stderr,
                    "%s: %s:%u: expected join, say TEXT, expect FROM TEXT, wait-members N, "
                    "who or leave, got '%s'\n",
                    prog, path, lineno, p);
            status = 1;
            break;
        }
        if (!(c.buf = malloc(strlen(rest) + 1))) {
            status = 1;
            break;
        }
        strcpy(c.buf, rest);
        if (c.verb == V_SAY) {
            c.text = c.buf;
        } else if (c.verb == V_EXPECT) {
            c.from = c.buf;
            c.text = strchr(c.buf, ' ');
            *c.text++ = '\0';
        }
        command *grown = realloc(s->cmds, (s->count + 1) * sizeof *grown);
        if (!grown) {
            free(c.buf);
            status = 1;
            break;
        }
        s->cmds = grown;
        s->cmds[s->count++] = c;
    }
    free(line);
    if (in != stdin)
        fclose(in);
    return status;
}

/* What a scripted client has received and not printed yet. */
typedef struct inbox {
    chat_message *items;  /* owned; [head, count) not printed yet */
    size_t head, count, cap;
    int64_t since;        /* the last seq received */
} inbox;

static void inbox_free(inbox *in)
{
    for (size_t i = in->head; i < in->count; i++)
        chat_message_free(&in->items[i]);
    free(in->items);
    *in = (inbox){ .since = in->since };
}

static int64_t ms_left(const struct timespec *deadline)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(deadline->tv_sec - now.tv_sec) * 1000 +
           (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

static struct timespec deadline_in(int64_t ms)
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

/* Fetches what arrived after in->since, waiting up to `wait_ms`, into the
 * inbox (keep) or nowhere (!keep: only in->since moves). */
static int fetch(void *chat, inbox *in, int64_t wait_ms, bool keep, coil_error **err)
{
    chat_list_message batch;
    int rc = chat_messages(chat, in->since, wait_ms, &batch, err);
    if (rc != 0)
        return rc;
    if (batch.count)
        in->since = batch.items[batch.count - 1].seq;
    if (!keep || batch.count == 0) {
        chat_list_message_free(&batch);
        return 0;
    }
    if (in->count + batch.count > in->cap) {
        if (in->head) {  /* drop what was printed first */
            memmove(in->items, in->items + in->head, (in->count - in->head) * sizeof *in->items);
            in->count -= in->head;
            in->head = 0;
        }
        size_t cap = in->cap ? in->cap : 64;
        while (cap < in->count + batch.count)
            cap *= 2;
        chat_message *grown = realloc(in->items, cap * sizeof *grown);
        if (!grown) {
            chat_list_message_free(&batch);
            *err = coil_error_new(COIL_ENOMEM, "out of memory");
            return COIL_ENOMEM;
        }
        in->items = grown;
        in->cap = cap;
    }
    memcpy(in->items + in->count, batch.items, batch.count * sizeof *batch.items);
    in->count += batch.count;
    free(batch.items);  /* the strings now belong to the inbox */
    return 0;
}

/* Prints received messages up to and including one from `from` with `text`,
 * fetching more as needed, for up to 5 s. */
static int expect(void *chat, inbox *in, const command *c, coil_error **err)
{
    struct timespec deadline = deadline_in(SCRIPT_WAIT_MS);
    size_t seen = 0;
    char last[3][128];  /* the last few seen, for the error */
    for (;;) {
        while (in->head < in->count) {
            chat_message *m = &in->items[in->head++];
            bool match = strcmp(m->from, c->from) == 0 && strcmp(m->text, c->text) == 0;
            print_message(m);
            snprintf(last[seen % 3], sizeof last[0], "[%s] %s", m->from, m->text);
            seen++;
            chat_message_free(m);
            if (match) {
                fflush(stdout);
                return 0;
            }
        }
        fflush(stdout);
        int64_t left = ms_left(&deadline);
        if (left <= 0)
            break;
        int rc = fetch(chat, in, left < POLL_MS ? left : POLL_MS, true, err);
        if (rc != 0)
            return rc;
    }
    fprintf(stderr, "%s: line %u: expect %s %s: not seen within %d s; ", prog, c->line, c->from,
            c->text, SCRIPT_WAIT_MS / 1000);
    if (seen == 0) {
        fprintf(stderr, "nothing arrived\n");
    } else {
        fprintf(stderr, "%zu other message%s arrived, the last: ", seen, seen == 1 ? "" : "s");
        for (size_t i = seen > 3 ? seen - 3 : 0; i < seen; i++)
            fprintf(stderr, "%s%s", i == (seen > 3 ? seen - 3 : 0) ? "" : " | ", last[i % 3]);
        fprintf(stderr, "\n");
    }
    return COIL_ETIMEOUT;
}

/* Waits up to 5 s until the room has at least c->count members. Before the
 * client has joined, `watch` only tracks the latest seq to wait on. */
static int wait_members(void *chat, inbox *in, bool joined, const command *c, coil_error **err)
{
    struct timespec deadline = deadline_in(SCRIPT_WAIT_MS);
    if (!joined) {  /* start watching from the latest message */
        bool more;
        do {
            int64_t before = in->since;
            int rc = fetch(chat, in, 0, false, err);
            if (rc != 0)
                return rc;
            more = in->since != before;
        } while (more);
    }
    for (;;) {
        chat_list_string members;
        int rc = chat_members(chat, &members, err);
        if (rc != 0)
            return rc;
        if ((long)members.count >= c->count) {
            chat_list_string_free(&members);
            return 0;
        }
        int64_t left = ms_left(&deadline);
        if (left <= 0) {
            fprintf(stderr, "%s: line %u: wait-members %ld: %zu after %d s:", prog, c->line,
                    c->count, members.count, SCRIPT_WAIT_MS / 1000);
            for (size_t i = 0; i < members.count; i++)
                fprintf(stderr, "%s %s", i ? "," : "", members.items[i]);
            fprintf(stderr, "\n");
            chat_list_string_free(&members);
            return COIL_ETIMEOUT;
        }
        chat_list_string_free(&members);
        /* Joins and leaves are messages: wait for the next one. */
        if ((rc = fetch(chat, in, left < POLL_MS ? left : POLL_MS, joined, err)) != 0)
            return rc;
    }
}

static int scripted(void *chat, const char *nick, const char *path)
{
    script s = { 0 };
    if (script_read(path, &s) != 0) {
        script_free(&s);
        return 1;
    }
    coil_error *err = NULL;
    inbox in = { 0 };
    bool joined = false;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i <= s.count; i++) {
        const command *c = i < s.count ? &s.cmds[i] : NULL;
        if (!joined && !s.has_join && i == 0) {  /* an implicit join, first */
            if ((rc = chat_join(chat, nick, &in.since, &err)) != 0)
                break;
            joined = true;
        }
        if (!c)
            break;
        switch (c->verb) {
        case V_JOIN:
            inbox_free(&in);
            rc = chat_join(chat, nick, &in.since, &err);
            joined = rc == 0;
            break;
        case V_LEAVE: {
            bool was_in;
            rc = chat_leave(chat, nick, &was_in, &err);
            joined = false;
            inbox_free(&in);
            break;
        }
        case V_SAY: {
            int64_t seq;
            rc = chat_say(chat, nick, c->text, &seq, &err);
            break;
        }
        case V_EXPECT:
            if (!joined) {
                fprintf(stderr, "%s: line %u: expect before join\n", prog, c->line);
                rc = 1;
                break;
            }
            rc = expect(chat, &in, c, &err);
            break;
        case V_WAIT_MEMBERS:
            rc = wait_members(chat, &in, joined, c, &err);
            break;
        case V_WHO: {
            chat_list_string members;
            if ((rc = chat_members(chat, &members, &err)) == 0) {
                print_members(&members);
                chat_list_string_free(&members);
            }
            break;
        }
        }
    }
    if (err)
        report(&err);
    if (joined) {
        bool was_in;
        if (chat_leave(chat, nick, &was_in, &err) != 0) {
            report(&err);
            rc = 1;
        }
    }
    inbox_free(&in);
    script_free(&s);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    prog = argv[0];
    const char *script_path = NULL;
    if (argc == 5 && strcmp(argv[3], "--script") == 0)
        script_path = argv[4];
    else if (argc != 3) {
        fprintf(stderr, "usage: %s CONTEXT.yaml NICK [--script FILE|-]\n", prog);
        return 2;
    }

    coil_error *err = NULL;
    coil_context *ctx = coil_load_file(argv[1], NULL, &err);
    if (!ctx) {
        report(&err);
        return 1;
    }
    /* Anything that implements the interface will do: the room, or a proxy. */
    void *chat = coil_get(ctx, "chat", &chat_interface, &err);
    if (!chat) {
        report(&err);
        coil_close(ctx);
        return 1;
    }
    int status = script_path ? scripted(chat, argv[2], script_path) : interactive(chat, argv[2]);
    coil_close(ctx);
    return status;
}
