/* Three servers behind one name, each a separate `coil run` of
 * tests/cluster/node.yaml (the tally service, registered under `tally`),
 * and a client whose proxy finds them by name:
 *
 *   - calls spread over all three;
 *   - one node SIGKILLed during 1,000 idempotent calls: every call
 *     succeeds; restarted on its port, it receives calls again;
 *   - non-idempotent calls, with a node SIGKILLed among them, never run
 *     twice (counted in the nodes' journals, which survive the kill).
 *
 * Once with Coil's name server (itself a `coil run` of
 * samples/naming/naming.yaml) and once with etcd (tests/etcd_fixture.c). */
#define _GNU_SOURCE
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <coil/coil.h>

#include "etcd_fixture.h"
#include "tally.h"

extern char **environ;

/* ---- Processes ---------------------------------------------------------- */

typedef struct proc {
    pid_t pid;
    int out;            /* its stdout */
    char url[256];      /* from its endpoint line */
    char err_path[300]; /* its stderr */
} proc;

static char tmp[] = "/tmp/coil-cluster-XXXXXX";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *file_text(const char *path)
{
    static char text[8192];
    text[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
    }
    return text;
}

/* Starts `coil run CONTEXT --set ...` and waits for its endpoint line,
 * "OBJECT at URL". `sets` is NULL-terminated. */
static void start(proc *p, const char *tag, const char *context, const char *const *sets)
{
    int pipefd[2];
    cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
    snprintf(p->err_path, sizeof p->err_path, "%s/%s.err", tmp, tag);
    const char *argv[32];
    size_t n = 0;
    argv[n++] = COIL_CLI;
    argv[n++] = "run";
    argv[n++] = context;
    for (size_t i = 0; sets && sets[i]; i++) {
        argv[n++] = "--set";
        argv[n++] = sets[i];
    }
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, p->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int rc = posix_spawn(&p->pid, COIL_CLI, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    cr_assert_eq(rc, 0, "cannot start %s: %s", COIL_CLI, strerror(rc));
    p->out = pipefd[0];

    char line[512];
    size_t len = 0;
    double deadline = now_s() + 30;
    while (len < sizeof line - 1) {
        struct pollfd pfd = { p->out, POLLIN, 0 };
        int left = (int)((deadline - now_s()) * 1000);
        cr_assert(left > 0 && poll(&pfd, 1, left) == 1, "%s: no endpoint line within 30 s: %s",
                  tag, file_text(p->err_path));
        ssize_t r = read(p->out, line + len, 1);
        cr_assert_eq(r, 1, "%s exited before its endpoint line: %s", tag,
                     file_text(p->err_path));
        if (line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    const char *at = strstr(line, " at ");
    cr_assert_not_null(at, "%s: unexpected line '%s'", tag, line);
    snprintf(p->url, sizeof p->url, "%s", at + 4);
}

/* SIGTERM (a clean stop: exit status 0) or SIGKILL, and wait. */
static void stop(proc *p, int sig)
{
    if (!p->pid)
        return;
    kill(p->pid, sig);
    int status = 0;
    waitpid(p->pid, &status, 0);
    if (sig == SIGTERM)
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "coil run (%s) did not exit 0 after SIGTERM: %s", p->url,
                  file_text(p->err_path));
    close(p->out);
    p->pid = 0;
}

/* The port of an http://127.0.0.1:PORT/... URL. */
static unsigned port_of(const char *url)
{
    const char *colon = strrchr(url, ':');
    return colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 0;
}

/* ---- Journals ----------------------------------------------------------- */

static void journal_path(char *out, size_t size, int node)
{
    snprintf(out, size, "%s/node%d.journal", tmp, node);
}

/* How many lines of the node's journal are "METHOD ID" with ID starting
 * with `prefix`. */
static int journal_count(int node, const char *method, const char *prefix)
{
    char path[300], line[512];
    journal_path(path, sizeof path, node);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = 0;
    size_t mlen = strlen(method), plen = strlen(prefix);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, method, mlen) == 0 && line[mlen] == ' ' &&
            strncmp(line + mlen + 1, prefix, plen) == 0)
            n++;
    fclose(f);
    return n;
}

/* How many times "METHOD ID\n" appears across the three journals. */
static int runs_of(const char *method, const char *id)
{
    char want[256], line[512];
    snprintf(want, sizeof want, "%s %s\n", method, id);
    int n = 0;
    for (int node = 0; node < 3; node++) {
        char path[300];
        journal_path(path, sizeof path, node);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        while (fgets(line, sizeof line, f))
            n += strcmp(line, want) == 0;
        fclose(f);
    }
    return n;
}

/* ---- The scenario --------------------------------------------------------- */

static proc nodes[3];
static etcd_fixture etcd;
static proc names;

static void start_node(int i, const char *context, const char *naming_set, unsigned port)
{
    char node[32], listen[64], journal[320];
    snprintf(node, sizeof node, "NODE=node%d", i);
    snprintf(listen, sizeof listen, "NODE_LISTEN=127.0.0.1:%u", port);
    char path[300];
    journal_path(path, sizeof path, i);
    snprintf(journal, sizeof journal, "JOURNAL=%s", path);
    const char *sets[] = { node, listen, journal, naming_set, NULL };
    char tag[16];
    snprintf(tag, sizeof tag, "node%d", i);
    start(&nodes[i], tag, context, sets);
}

static void setup(void)
{
    cr_assert_not_null(mkdtemp(tmp));
}

static void teardown(void)
{
    for (int i = 0; i < 3; i++)
        stop(&nodes[i], SIGKILL);
    stop(&names, SIGKILL);
    etcd_fixture_stop(&etcd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        cr_log_warn("could not remove %s", tmp);
}

/* `naming_yaml`: the client proxy's naming: value. */
static void scenario(const char *node_context, const char *naming_set, const char *naming_yaml)
{
    for (int i = 0; i < 3; i++)
        start_node(i, node_context, naming_set, 0);

    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "objects:\n"
             "  - object: tally\n"
             "    class: coil.http-proxy\n"
             "    properties:\n"
             "      name: tally\n"
             "      naming: %s\n"
             "      interface: tally\n"
             "      refresh: 0.2\n"
             "      backoff: 0.1\n"
             "      connect-timeout: 2\n"
             "      timeout: 10\n",
             naming_yaml);
    coil_error *err = NULL;
    coil_context *client = coil_load_string(yaml, "client.yaml", NULL, &err);
    cr_assert_not_null(client, "%s", err ? err->message : "?");
    void *tally = coil_get(client, "tally", &tally_interface, &err);
    cr_assert_not_null(tally, "%s", err ? err->message : "?");

    /* Calls spread over all three. */
    char id[64];
    for (int i = 0; i < 300; i++) {
        snprintf(id, sizeof id, "spread-%d", i);
        char *node = NULL;
        cr_assert_eq(tally_ping(tally, id, &node, &err), COIL_OK, "call %d: %s", i,
                     err ? err->message : "?");
        free(node);
    }
    cr_log_info("300 calls: %d, %d and %d per node", journal_count(0, "ping", "spread-"),
                journal_count(1, "ping", "spread-"), journal_count(2, "ping", "spread-"));
    for (int i = 0; i < 3; i++)
        cr_expect_geq(journal_count(i, "ping", "spread-"), 50,
                      "node %d took %d of 300 calls", i, journal_count(i, "ping", "spread-"));

    /* A node killed during 1,000 idempotent calls: every call succeeds. */
    unsigned port1 = port_of(nodes[1].url);
    for (int i = 0; i < 1000; i++) {
        if (i == 300)
            stop(&nodes[1], SIGKILL);
        snprintf(id, sizeof id, "kill-%d", i);
        char *node = NULL;
        cr_assert_eq(tally_ping(tally, id, &node, &err), COIL_OK, "call %d: %s", i,
                     err ? err->message : "?");
        free(node);
    }
    int before = journal_count(1, "ping", "kill-");
    cr_log_info("1000 calls, node1 killed at the 300th: %d, %d and %d per node",
                journal_count(0, "ping", "kill-"), before, journal_count(2, "ping", "kill-"));
    cr_expect_leq(before, 300 / 3 + 5, "the killed node ran %d calls", before);
    cr_expect_geq(journal_count(0, "ping", "kill-") + journal_count(2, "ping", "kill-"),
                  1000 - before, "every call ran somewhere");

    /* Restarted on its port, it receives calls again. */
    start_node(1, node_context, naming_set, port1);
    int i = 0;
    double deadline = now_s() + 20;
    while (journal_count(1, "ping", "back-") == 0) {
        cr_assert_lt(now_s(), deadline, "the restarted node got no call in 20 s");
        snprintf(id, sizeof id, "back-%d", i++);
        char *node = NULL;
        cr_assert_eq(tally_ping(tally, id, &node, &err), COIL_OK, "%s", err ? err->message : "?");
        free(node);
    }
    cr_log_info("the restarted node took a call after %d", i);

    /* Non-idempotent calls, a node killed among them: none runs twice. */
    int failed = 0;
    for (int k = 0; k < 300; k++) {
        if (k == 100)
            stop(&nodes[2], SIGKILL);
        snprintf(id, sizeof id, "add-%d", k);
        int64_t count = 0;
        int rc = tally_add(tally, id, &count, &err);
        if (rc) {
            cr_expect(rc == COIL_ECONNECT || rc == COIL_ETIMEOUT,
                      "add %d: only a transport failure may fail it: %s", k, err->message);
            coil_error_free(err);
            err = NULL;
            failed++;
            cr_expect_leq(runs_of("add", id), 1, "%s ran twice", id);
        } else {
            cr_expect_eq(runs_of("add", id), 1, "%s succeeded and ran %d times", id,
                         runs_of("add", id));
        }
    }
    cr_log_info("300 adds, node2 killed at the 100th: %d, %d and %d per node, %d failed",
                journal_count(0, "add", "add-"), journal_count(1, "add", "add-"),
                journal_count(2, "add", "add-"), failed);
    cr_expect_leq(failed, 2, "%d non-idempotent calls failed (only those in flight may)",
                  failed);

    coil_close(client);
    stop(&nodes[0], SIGTERM);
    stop(&nodes[1], SIGTERM);
}

TestSuite(cluster, .init = setup, .fini = teardown, .timeout = 180);

Test(cluster, with_the_name_server) {
    const char *sets[] = { "NAMING_LISTEN=127.0.0.1:0", NULL };
    start(&names, "names", NAMING_YAML, sets);
    char naming_set[300], naming_yaml[300];
    snprintf(naming_set, sizeof naming_set, "NAMING_URL=%s", names.url);
    snprintf(naming_yaml, sizeof naming_yaml, "'%s'", names.url);
    scenario(CLUSTER_DIR "/node.yaml", naming_set, naming_yaml);
    stop(&names, SIGTERM);
}

Test(cluster, with_etcd) {
    etcd_fixture_start(&etcd);
    char naming_set[300], naming_yaml[300];
    snprintf(naming_set, sizeof naming_set, "ETCD_URL=%s", etcd.url);
    snprintf(naming_yaml, sizeof naming_yaml, "{etcd: '%s', prefix: /cluster-test/}", etcd.url);
    scenario(CLUSTER_DIR "/node-etcd.yaml", naming_set, naming_yaml);
}
