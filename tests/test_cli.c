/* The `coil` binary: `coil check` output, error reporting and exit codes. */
#include "support/support.h"

#include <errno.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

typedef struct run_result {
    int status;   /* exit status, or -1 when killed by a signal */
    char out[16384];
    char err[16384];
} run_result;

/* Runs the coil binary with `args` (NULL-terminated) in tests/data and
 * collects its stdout and stderr. */
static void run_coil(run_result *r, const char *const *args) {
    chdir_data();
    unsetenv("TESTBIN");
    unsetenv("NAME");
    const char *argv[32];
    size_t n = 0;
    argv[n++] = COIL_CLI;
    while (args[n - 1] && n < 31) {
        argv[n] = args[n - 1];
        n++;
    }
    argv[n] = NULL;

    int out[2], err[2];
    cr_assert_eq(pipe(out), 0);
    cr_assert_eq(pipe(err), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addclose(&fa, err[0]);
    posix_spawn_file_actions_addclose(&fa, out[1]);
    posix_spawn_file_actions_addclose(&fa, err[1]);
    pid_t pid;
    int rc = posix_spawn(&pid, COIL_CLI, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(rc, 0, "cannot run %s: %s", COIL_CLI, strerror(rc));
    close(out[1]);
    close(err[1]);

    size_t lens[2] = { 0, 0 };
    char *bufs[2] = { r->out, r->err };
    struct pollfd fds[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0) {
            cr_assert_eq(errno, EINTR);
            continue;
        }
        for (int k = 0; k < 2; k++) {
            if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char chunk[4096];
            ssize_t got = read(fds[k].fd, chunk, sizeof chunk);
            if (got <= 0) {
                close(fds[k].fd);
                fds[k].fd = -1;
                open_fds--;
                continue;
            }
            size_t room = sizeof r->out - 1 - lens[k];
            size_t take = (size_t)got < room ? (size_t)got : room;
            memcpy(bufs[k] + lens[k], chunk, take);
            lens[k] += take;
        }
    }
    r->out[lens[0]] = '\0';
    r->err[lens[1]] = '\0';
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The n-th line (0-based) of `text`, without its newline (static buffer). */
static const char *line_of(const char *text, int n) {
    static char line[2048];
    for (; n > 0 && text; n--) {
        text = strchr(text, '\n');
        if (text)
            text++;
    }
    if (!text || !*text)
        return NULL;
    size_t len = strcspn(text, "\n");
    if (len >= sizeof line)
        len = sizeof line - 1;
    memcpy(line, text, len);
    line[len] = '\0';
    return line;
}

/* The position of `line` as a whole line of `text`, or NULL. */
static const char *find_line(const char *text, const char *line) {
    size_t n = strlen(line);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
            return p;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return NULL;
}

#define SET_TESTBIN "--set", "TESTBIN=" COIL_TEST_BIN

CTEST(cli, check_lists_creation_order) {
    static run_result r;
    run_coil(&r, (const char *[]){ "check", "cli/ok.yaml", SET_TESTBIN, NULL });
    cr_assert_eq(r.status, 0, "exit %d\nstdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
    cr_assert_str_empty(r.err);
    /* The whole output: a summary, the eager singletons in creation order
     * with what each needs, then the others in file order with their kind. */
    cr_assert_str_eq(r.out,
                     "cli/ok.yaml: 7 objects, 4 created at load\n"
                     "  1. greeting (mod.greeter) cli/ok.yaml:3:5\n"
                     "  2. bottom (mod.node) cli/ok.yaml:10:5\n"
                     "  3. top (mod.node) cli/ok.yaml:5:5 <- bottom, greeting\n"
                     "  4. broken (mod.node) cli/ok.yaml:21:5\n"
                     "created on demand or never:\n"
                     "     later (mod.node, lazy) cli/ok.yaml:12:5\n"
                     "     each (mod.node, prototype) cli/ok.yaml:15:5\n"
                     "     template (mod.node, abstract) cli/ok.yaml:18:5\n");
}

CTEST(cli, check_reports_every_error) {
    static run_result r;
    run_coil(&r, (const char *[]){ "check", "cli/bad.yaml", SET_TESTBIN, NULL });
    cr_assert_eq(r.status, 1, "exit %d\nstderr:\n%s", r.status, r.err);
    cr_assert_str_empty(r.out);
    const char *want[] = {
        "cli/bad.yaml:4:12: error: object 'a': unknown class 'mod.nope'",
        "cli/bad.yaml:8:19: error: object 'b': property 'next' refers to undefined object 'ghost'",
        "cli/bad.yaml:9:7: error: object 'b': class 'mod.node' has no property 'colour'",
    };
    for (int k = 0; k < 3; k++) {
        const char *got = line_of(r.err, k);
        cr_assert_not_null(got, "line %d missing:\n%s", k + 1, r.err);
        cr_assert_str_eq(got, want[k], "line %d of:\n%s", k + 1, r.err);
    }
    /* Nothing else is reported as an error. */
    int errors = 0;
    for (const char *p = r.err; (p = strstr(p, ": error: ")) != NULL; p++)
        errors++;
    cr_assert_eq(errors, 3, "%s", r.err);
}

CTEST(cli, check_reports_a_dependency_cycle) {
    static run_result r;
    run_coil(&r, (const char *[]){ "check", "cli/cycle.yaml", SET_TESTBIN, NULL });
    cr_assert_eq(r.status, 1, "exit %d\nstderr:\n%s", r.status, r.err);
    cr_assert_str_eq(line_of(r.err, 0), "cli/cycle.yaml:3:5: error: dependency cycle: a (cli/cycle.yaml:3:5) "
                                        "-> b (cli/cycle.yaml:6:5) -> a");
}

CTEST(cli, run_with_a_broken_context_reports_every_error_and_exits_1) {
    static run_result r;
    run_coil(&r, (const char *[]){ "run", "cli/bad.yaml", SET_TESTBIN, NULL });
    cr_assert_eq(r.status, 1, "exit %d\nstderr:\n%s", r.status, r.err);
    cr_assert_str_empty(r.out, "no endpoint is printed");
    const char *want[] = {
        "cli/bad.yaml:4:12: error: object 'a': unknown class 'mod.nope'",
        "cli/bad.yaml:8:19: error: object 'b': property 'next' refers to undefined object 'ghost'",
        "cli/bad.yaml:9:7: error: object 'b': class 'mod.node' has no property 'colour'",
    };
    for (int k = 0; k < 3; k++) {
        const char *got = line_of(r.err, k);
        cr_assert_not_null(got, "line %d missing in:\n%s", k, r.err);
        cr_assert_str_eq(got, want[k]);
    }
}

CTEST(cli, set_fills_placeholders) {
    static run_result r;
    run_coil(&r, (const char *[]){ "check", "cli/named.yaml", SET_TESTBIN, "--set", "NAME=custom", NULL });
    cr_assert_eq(r.status, 0, "exit %d\nstderr:\n%s", r.status, r.err);
    cr_assert_not_null(find_line(r.out, "  1. custom (mod.greeter) cli/named.yaml:3:5"), "%s", r.out);

    run_coil(&r, (const char *[]){ "check", "cli/named.yaml", SET_TESTBIN, NULL });
    cr_assert_eq(r.status, 0, "exit %d\nstderr:\n%s", r.status, r.err);
    cr_assert_not_null(find_line(r.out, "  1. default_name (mod.greeter) cli/named.yaml:3:5"), "%s", r.out);
}

CTEST(cli, unresolved_placeholder) {
    static run_result r;
    run_coil(&r, (const char *[]){ "check", "cli/ok.yaml", NULL });
    cr_assert_eq(r.status, 1, "exit %d\nstdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
    const char *first = line_of(r.err, 0);
    cr_assert_not_null(first);
    cr_assert_str_eq(first, "cli/ok.yaml:1:11: error: unresolved placeholder '${TESTBIN}'");
}

CTEST(cli, missing_context_file) {
    static run_result r;
    run_coil(&r, (const char *[]){ "check", "cli/not-there.yaml", NULL });
    cr_assert_eq(r.status, 1, "exit %d\nstderr:\n%s", r.status, r.err);
    cr_assert_not_null(strstr(r.err, "not-there.yaml"), "%s", r.err);
}

CTEST(cli, usage_errors_exit_2) {
    const char *const *cases[] = {
        (const char *[]){ NULL },
        (const char *[]){ "check", NULL },
        (const char *[]){ "frobnicate", NULL },
        (const char *[]){ "check", "cli/ok.yaml", "--set", NULL },
        (const char *[]){ "check", "cli/ok.yaml", "--set", "NOEQUALS", NULL },
        (const char *[]){ "check", "cli/ok.yaml", "--bogus-option", NULL },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        static run_result r;
        run_coil(&r, cases[k]);
        cr_assert_eq(r.status, 2, "case %zu: exit %d\nstdout:\n%s\nstderr:\n%s", k, r.status, r.out, r.err);
        cr_assert_str_not_empty(r.err, "case %zu: a usage error says something on stderr", k);
    }
}

CTEST(cli, help_and_version) {
    static run_result r;
    run_coil(&r, (const char *[]){ "--help", NULL });
    cr_assert_eq(r.status, 0, "exit %d\n%s", r.status, r.err);
    cr_assert_not_null(strstr(r.out, "check"), "%s", r.out);
    run_coil(&r, (const char *[]){ "--version", NULL });
    cr_assert_eq(r.status, 0, "exit %d\n%s", r.status, r.err);
    cr_assert_not_null(strstr(r.out, "0.1.0"), "%s", r.out);
}
