/* What bench/remote_calls and bench/server_rps share: starting and stopping
 * the processes they measure, and a few numbers. */
#ifndef COIL_BENCH_REMOTE_UTIL_H
#define COIL_BENCH_REMOTE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A process started by the benchmark, its standard output on a pipe. */
typedef struct bench_proc {
    pid_t pid;    /* 0: not running */
    int out;      /* read end of its stdout, or -1 */
    char name[64];
    char log[4096]; /* where its stderr goes */
} bench_proc;

/* Starts argv[0] (looked up in PATH) with stdout on a pipe and stderr
 * appended to `log`. The child dies with the benchmark (PR_SET_PDEATHSIG),
 * so nothing is left behind even when the benchmark is killed. Returns 0,
 * or -1 with a message in `msg`. */
int bench_spawn(bench_proc *p, const char *name, char *const argv[], const char *log,
                char *msg, size_t msg_size);

/* Reads p's stdout until a line containing `marker`, and copies the word
 * that starts there into `word`. Returns 0, or -1 (timeout, EOF, the process
 * exited) with a message in `msg`. */
int bench_read_word(bench_proc *p, const char *marker, double timeout_s, char *word,
                    size_t word_size, char *msg, size_t msg_size);

/* Reads p's stdout to the end (or the timeout: the process is then killed)
 * and waits for it. Returns the exit status (0..255), 128 + signal, or -1
 * on timeout. */
int bench_collect(bench_proc *p, double timeout_s, char *out, size_t out_size);

/* SIGTERM, then SIGKILL after `grace_s`; waits for the process. Returns
 * what bench_collect returns. A process not running is left alone. */
int bench_stop(bench_proc *p, double grace_s);

/* Prints the last lines of p's log to stderr, each prefixed with its name. */
void bench_show_log(const bench_proc *p);

/* Moves this process into a new network namespace whose only interface is
 * a loopback interface, and brings it up. Needs CAP_SYS_ADMIN (root).
 * Returns 0; -1 with the reason in `msg` when nothing changed; -2 when the
 * process is in a new namespace whose loopback could not be brought up
 * (it can only stop then). */
int bench_enter_loopback_netns(char *msg, size_t msg_size);

/* ---- The Happy Birthday call as bytes ---------------------------------- */

/* The JSON-RPC request body every load sends (happy_birthday("Greg"), id 1)
 * and the reply a server gives it, byte for byte as Coil's exporter
 * writes it. */
extern const char bench_request_body[];
extern const char bench_song_reply[];

/* The bare responder: libmicrohttpd with the thread model of Coil's
 * exporter (epoll, an internal pool of one thread per core, 30 s timeout)
 * on 127.0.0.1, a free port, answering every POST with bench_song_reply
 * without reading the request. Prints its URL on stdout and runs until
 * SIGTERM or SIGINT. For `PROGRAM --bare-server`. */
int bench_bare_server(void);

/* The least an HTTP client can do: `warmup` untimed, then `calls` timed
 * sequential POSTs of bench_request_body to `url` (http://127.0.0.1:PORT/
 * PATH) on one keep-alive connection, reading each reply by its
 * Content-Length; the reply must be 200 and contain the song. Returns
 * the seconds of the timed calls (their CPU time in *cpu), or -1 with a
 * message on stderr. */
double bench_raw_calls(const char *url, long calls, long warmup, double *cpu);

unsigned bench_cores(void); /* online CPUs, 1..256 */
double bench_cpu_self(void); /* user + system seconds of this process */
/* User + system seconds of process `pid` so far, all its threads (from
 * /proc, in clock ticks of 10 ms); -1 when unknown. */
double bench_cpu_of(pid_t pid);
double bench_now(void);
double bench_median(double *v, size_t n); /* sorts v */
void bench_cpu_model(char *buf, size_t size);

/* Whether `path` names an executable file. */
bool bench_executable(const char *path);

#endif
