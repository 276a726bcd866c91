#define _GNU_SOURCE /* unshare, CLONE_NEWNET */

#include "remote_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char bench_request_body[] =
    "{\"jsonrpc\":\"2.0\",\"method\":\"happy_birthday\",\"params\":[\"Greg\"],\"id\":1}";
const char bench_song_reply[] =
    "{\"jsonrpc\":\"2.0\",\"result\":[\"Happy Birthday to you!\",\"Happy Birthday to you!\","
    "\"Happy Birthday Dear Greg!\",\"Happy Birthday to you!\"],\"id\":1}";

unsigned bench_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

double bench_cpu_self(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* CPU time (user + system) of process `pid` so far, all its threads, in
 * seconds; from /proc, so in clock ticks (10 ms). -1 when unknown. */
double bench_cpu_of(pid_t pid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields 14 and 15, counted after the command name's closing ')'. */
    char *p = strrchr(buf, ')');
    unsigned long long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                     &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_cpu_model(char *buf, size_t size)
{
    snprintf(buf, size, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p) {
                p++;
                while (*p == ' ' || *p == '\t')
                    p++;
                p[strcspn(p, "\n")] = '\0';
                snprintf(buf, size, "%s", p);
            }
            break;
        }
    }
    fclose(f);
}

bool bench_executable(const char *path)
{
    struct stat st;
    return path && *path && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
           access(path, X_OK) == 0;
}

int bench_spawn(bench_proc *p, const char *name, char *const argv[], const char *log,
                char *msg, size_t msg_size)
{
    memset(p, 0, sizeof *p);
    p->out = -1;
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->log, sizeof p->log, "%s", log);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(msg, msg_size, "%s: pipe: %s", name, strerror(errno));
        return -1;
    }
    int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd < 0) {
        snprintf(msg, msg_size, "%s: %s: %s", name, log, strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(msg, msg_size, "%s: fork: %s", name, strerror(errno));
        close(fds[0]);
        close(fds[1]);
        close(logfd);
        return -1;
    }
    if (pid == 0) {
        /* Dies with the benchmark; the check covers a parent that died
         * before the prctl. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        dup2(fds[1], STDOUT_FILENO);
        dup2(logfd, STDERR_FILENO);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execvp(argv[0], argv);
        fprintf(stderr, "%s: cannot run %s: %s\n", name, argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    close(logfd);
    p->pid = pid;
    p->out = fds[0];
    return 0;
}

/* Waits for p without blocking; returns its status or -2 while it runs. */
static int reap(bench_proc *p, bool block)
{
    int status;
    pid_t r;
    do
        r = waitpid(p->pid, &status, block ? 0 : WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return -2;
    p->pid = 0;
    if (r < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int bench_read_word(bench_proc *p, const char *marker, double timeout_s, char *word,
                    size_t word_size, char *msg, size_t msg_size)
{
    char buf[8192];
    size_t len = 0;
    double deadline = bench_now() + timeout_s;
    for (;;) {
        buf[len] = '\0';
        char *line = buf;
        char *nl;
        while ((nl = strchr(line, '\n'))) {
            *nl = '\0';
            char *m = strstr(line, marker);
            if (m) {
                size_t n = strcspn(m, " \t\r");
                if (n >= word_size)
                    n = word_size - 1;
                memcpy(word, m, n);
                word[n] = '\0';
                return 0;
            }
            line = nl + 1;
        }
        len = strlen(line);
        memmove(buf, line, len + 1);
        if (len >= sizeof buf - 1)
            len = 0; /* an absurdly long line: forget it */
        double left = deadline - bench_now();
        if (left <= 0) {
            snprintf(msg, msg_size, "%s: no line with '%s' within %.0f s", p->name, marker,
                     timeout_s);
            return -1;
        }
        struct pollfd pfd = { .fd = p->out, .events = POLLIN };
        int r = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno != EINTR) {
            snprintf(msg, msg_size, "%s: poll: %s", p->name, strerror(errno));
            return -1;
        }
        if (r <= 0)
            continue;
        ssize_t k = read(p->out, buf + len, sizeof buf - 1 - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            int st = reap(p, true);
            snprintf(msg, msg_size, "%s: ended (status %d) before printing '%s'", p->name, st,
                     marker);
            return -1;
        }
        len += (size_t)k;
    }
}

int bench_collect(bench_proc *p, double timeout_s, char *out, size_t out_size)
{
    size_t len = 0;
    if (out_size)
        out[0] = '\0';
    double deadline = bench_now() + timeout_s;
    bool timed_out = false;
    while (p->out >= 0) {
        double left = deadline - bench_now();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd pfd = { .fd = p->out, .events = POLLIN };
        int r = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno != EINTR)
            break;
        if (r <= 0)
            continue;
        char buf[4096];
        ssize_t k = read(p->out, buf, sizeof buf);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        size_t n = (size_t)k;
        if (out_size && len + n >= out_size)
            n = out_size - 1 - len;
        memcpy(out + len, buf, n);
        len += n;
        if (out_size)
            out[len] = '\0';
    }
    if (p->out >= 0) {
        close(p->out);
        p->out = -1;
    }
    if (!p->pid)
        return -1;
    if (timed_out) {
        kill(p->pid, SIGKILL);
        reap(p, true);
        return -1;
    }
    return reap(p, true);
}

int bench_stop(bench_proc *p, double grace_s)
{
    if (!p->pid) {
        if (p->out >= 0)
            close(p->out);
        p->out = -1;
        return -1;
    }
    kill(p->pid, SIGTERM);
    double deadline = bench_now() + grace_s;
    int st;
    while ((st = reap(p, false)) == -2 && bench_now() < deadline) {
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    if (st == -2) {
        fprintf(stderr, "%s: still running %.0f s after SIGTERM: killed\n", p->name, grace_s);
        kill(p->pid, SIGKILL);
        st = reap(p, true);
    }
    if (p->out >= 0) {
        close(p->out);
        p->out = -1;
    }
    return st;
}

void bench_show_log(const bench_proc *p)
{
    FILE *f = fopen(p->log, "r");
    if (!f)
        return;
    /* The last 20 lines. */
    char lines[20][512];
    size_t n = 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        snprintf(lines[n % 20], sizeof lines[0], "%s", line);
        n++;
    }
    fclose(f);
    for (size_t i = n > 20 ? n - 20 : 0; i < n; i++) {
        const char *l = lines[i % 20];
        fprintf(stderr, "  [%s] %s%s", p->name, l, l[strlen(l) - 1] == '\n' ? "" : "\n");
    }
}

int bench_enter_loopback_netns(char *msg, size_t msg_size)
{
    if (unshare(CLONE_NEWNET) != 0) {
        snprintf(msg, msg_size, "unshare(CLONE_NEWNET): %s", strerror(errno));
        return -1;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    int rc = fd < 0 ? -1 : ioctl(fd, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    if (rc != 0)
        snprintf(msg, msg_size, "cannot bring up lo in the new network namespace: %s",
                 strerror(errno));
    if (fd >= 0)
        close(fd);
    /* There is no way back to the old namespace: the caller must stop. */
    return rc == 0 ? 0 : -2;
}

/* ---- The bare responder ------------------------------------------------- */

static struct MHD_Response *song_response;

static enum MHD_Result bare_request(void *cls, struct MHD_Connection *c, const char *url,
                                    const char *method, const char *version,
                                    const char *upload_data, size_t *upload_data_size,
                                    void **con_cls)
{
    (void)cls, (void)url, (void)method, (void)version, (void)upload_data;
    static int started;
    if (!*con_cls) { /* the headers */
        *con_cls = &started;
        return MHD_YES;
    }
    if (*upload_data_size) { /* the body: not even looked at */
        *upload_data_size = 0;
        return MHD_YES;
    }
    return MHD_queue_response(c, MHD_HTTP_OK, song_response);
}

int bench_bare_server(void)
{
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    /* One response for every request, shared by the threads. */
    song_response = MHD_create_response_from_buffer(
        strlen(bench_song_reply), (void *)bench_song_reply, MHD_RESPMEM_PERSISTENT);
    if (!song_response ||
        MHD_add_response_header(song_response, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "application/json") != MHD_YES)
        return 1;

    /* As remoting/http_server.c starts its daemon with the exporter's
     * defaults (threads 0: one per core; timeout 30 s). */
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned threads = bench_cores();
    struct MHD_OptionItem opts[4];
    size_t n = 0;
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &sa };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, 30, NULL };
    if (threads > 1)
        opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, threads, NULL };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC, 0,
                                            NULL, NULL, bare_request, NULL, MHD_OPTION_ARRAY,
                                            opts, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "bare responder: cannot start libmicrohttpd\n");
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("http://127.0.0.1:%u/birthday\n", info ? info->port : 0);
    fflush(stdout);
    int sig;
    while (sigwait(&stop, &sig) != 0)
        ;
    MHD_stop_daemon(d);
    MHD_destroy_response(song_response);
    return 0;
}

/* ---- The raw client --------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Reads one response into buf; returns its body (NUL-terminated in buf),
 * or NULL. */
static char *read_reply(int fd, char *buf, size_t size, int *status)
{
    size_t len = 0;
    char *body = NULL;
    size_t need = 0;
    for (;;) {
        if (body && len >= need)
            break;
        if (len + 1 >= size)
            return NULL;
        ssize_t k = recv(fd, buf + len, size - 1 - len, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return NULL;
        len += (size_t)k;
        buf[len] = '\0';
        if (!body) {
            char *end = strstr(buf, "\r\n\r\n");
            if (!end)
                continue;
            *end = '\0';
            const char *cl = strcasestr(buf, "\r\ncontent-length:");
            if (sscanf(buf, "HTTP/1.1 %d", status) != 1 || !cl)
                return NULL;
            need = (size_t)(end + 4 - buf) + strtoul(cl + 17, NULL, 10);
            body = end + 4;
        }
    }
    if (len != need) /* more than one reply: not what was asked */
        return NULL;
    return body;
}

double bench_raw_calls(const char *url, long calls, long warmup, double *cpu)
{
    unsigned port = 0;
    char path[256] = "/";
    if (sscanf(url, "http://127.0.0.1:%u%255s", &port, path) < 1 || !port) {
        fprintf(stderr, "raw client: cannot use URL %s\n", url);
        return -1;
    }
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     path, port, strlen(bench_request_body), bench_request_body);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    if (fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "raw client: cannot connect to %s: %s\n", url, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char buf[8192];
    double t0 = 0, c0 = 0, seconds = -1;
    for (long i = -warmup; i < calls; i++) {
        if (i == 0) {
            t0 = bench_now();
            c0 = bench_cpu_self();
        }
        int status = 0;
        char *body;
        if (write_all(fd, req, (size_t)n) != 0 ||
            !(body = read_reply(fd, buf, sizeof buf, &status)) || status != 200 ||
            !strstr(body, "Happy Birthday Dear Greg!")) {
            fprintf(stderr, "raw client: bad or no reply from %s\n", url);
            goto out;
        }
    }
    seconds = bench_now() - t0;
    *cpu = bench_cpu_self() - c0;
out:
    close(fd);
    return seconds;
}
