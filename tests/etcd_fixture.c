/* A private etcd per test (etcd_fixture.h). */
#include "etcd_fixture.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#define START_DEADLINE_S 20.0
#define STOP_DEADLINE_S 10.0
#define START_ATTEMPTS 3

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The pause between two polls of a condition. */
static void poll_pause(void)
{
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    nanosleep(&ts, NULL);
}

/* etcd from PATH, into `out`; false when it is not there. */
static bool find_etcd(char *out, size_t size)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        size_t len = strcspn(path, ":");
        if (len > 0 && (size_t)snprintf(out, size, "%.*s/etcd", (int)len, path) < size &&
            access(out, X_OK) == 0)
            return true;
        path += len;
        if (*path == ':')
            path++;
    }
    return false;
}

/* Two distinct free ports of 127.0.0.1, from the system (bound to port 0,
 * then released for etcd: a start that loses the port to someone else is
 * tried again with others). */
static void free_ports(int ports[2])
{
    int fds[2];
    for (int i = 0; i < 2; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        cr_assert_geq(fds[i], 0, "socket: %s", strerror(errno));
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t alen = sizeof a;
        cr_assert_eq(bind(fds[i], (struct sockaddr *)&a, sizeof a), 0, "bind: %s", strerror(errno));
        cr_assert_eq(getsockname(fds[i], (struct sockaddr *)&a, &alen), 0);
        ports[i] = ntohs(a.sin_port);
    }
    close(fds[0]);
    close(fds[1]);
}

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    char *buf = userdata;
    size_t have = strlen(buf), n = size * nmemb;
    size_t room = 255 - have;
    memcpy(buf + have, ptr, n < room ? n : room);
    buf[have + (n < room ? n : room)] = '\0';
    return n;
}

/* True when etcd answers GET /health with {"health":"true"}. */
static bool healthy(const char *url)
{
    char target[128], body[256] = "";
    snprintf(target, sizeof target, "%s/health", url);
    CURL *h = curl_easy_init();
    cr_assert_not_null(h, "curl_easy_init failed");
    curl_easy_setopt(h, CURLOPT_URL, target);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, (void *)body);
    long status = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    return status == 200 && strstr(body, "\"health\":\"true\"");
}

/* The last part of etcd's log, for failure messages (static buffer). */
static const char *log_tail(const etcd_fixture *f)
{
    static char tail[2048];
    char path[300];
    snprintf(path, sizeof path, "%s/etcd.log", f->dir);
    tail[0] = '\0';
    FILE *in = fopen(path, "r");
    if (!in)
        return "(no log)";
    if (fseek(in, -(long)(sizeof tail - 1), SEEK_END) != 0)
        rewind(in);
    size_t n = fread(tail, 1, sizeof tail - 1, in);
    tail[n] = '\0';
    fclose(in);
    return tail;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static void remove_dir(etcd_fixture *f)
{
    if (f->dir[0])
        nftw(f->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    f->dir[0] = '\0';
}

/* The directory for the temporary directories: $TMPDIR or /tmp. */
static const char *tmp_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    return tmp && tmp[0] ? tmp : "/tmp";
}

/* Removes the directories of tests that crashed before stopping their etcd
 * (which died with them): those whose `owner` file names a process that no
 * longer exists. */
static void remove_orphans(void)
{
    DIR *d = opendir(tmp_dir());
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "coil-etcd-", 10) != 0)
            continue;
        etcd_fixture old = { 0 };
        char owner[300];
        if ((size_t)snprintf(old.dir, sizeof old.dir, "%s/%s", tmp_dir(), de->d_name) >=
                sizeof old.dir ||
            (size_t)snprintf(owner, sizeof owner, "%s/owner", old.dir) >= sizeof owner)
            continue;
        FILE *in = fopen(owner, "r");
        long pid = 0;
        if (in) {
            if (fscanf(in, "%ld", &pid) != 1)
                pid = 0;
            fclose(in);
        }
        if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            remove_dir(&old);
    }
    closedir(d);
}

/* Ends the child: SIGTERM, then SIGKILL after the deadline; waits for it. */
static void end_child(etcd_fixture *f)
{
    if (f->pid <= 0)
        return;
    kill(f->pid, SIGTERM);
    double deadline = now_s() + STOP_DEADLINE_S;
    bool killed = false;
    for (;;) {
        pid_t r = waitpid(f->pid, NULL, WNOHANG);
        if (r == f->pid || (r < 0 && errno != EINTR))
            break;
        if (!killed && now_s() > deadline) {
            kill(f->pid, SIGKILL);
            killed = true;
        }
        poll_pause();
    }
    f->pid = 0;
}

/* One attempt: true when etcd came up; false when it exited (a port was
 * taken meanwhile, say). Fails the test when it neither exits nor answers
 * in time. */
static bool try_start(etcd_fixture *f, const char *etcd)
{
    int ports[2];
    free_ports(ports);
    snprintf(f->dir, sizeof f->dir, "%s/coil-etcd-XXXXXX", tmp_dir());
    cr_assert_not_null(mkdtemp(f->dir), "mkdtemp %s: %s", f->dir, strerror(errno));
    char owner[300];
    snprintf(owner, sizeof owner, "%s/owner", f->dir);
    FILE *out = fopen(owner, "w");
    cr_assert_not_null(out, "%s: %s", owner, strerror(errno));
    fprintf(out, "%ld\n", (long)getpid());
    fclose(out);
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d", ports[0]);
    char peer[64], cluster[96], data[300], log[300];
    snprintf(peer, sizeof peer, "http://127.0.0.1:%d", ports[1]);
    snprintf(cluster, sizeof cluster, "coil-test=%s", peer);
    snprintf(data, sizeof data, "%s/data", f->dir);
    snprintf(log, sizeof log, "%s/etcd.log", f->dir);
    char *const argv[] = {
        (char *)etcd,
        "--name", "coil-test",
        "--data-dir", data,
        "--listen-client-urls", f->url,
        "--advertise-client-urls", f->url,
        "--listen-peer-urls", peer,
        "--initial-advertise-peer-urls", peer,
        "--initial-cluster", cluster,
        "--initial-cluster-state", "new",
        /* Elected at once; leases down to 1 s (etcd_fixture.h). */
        "--heartbeat-interval", "10",
        "--election-timeout", "50",
        "--logger", "zap",
        "--log-level", "warn",
        NULL,
    };

    pid_t parent = getpid();
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        /* Dies with the test, however the test ends. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(126);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int null = open("/dev/null", O_RDONLY);
        if (fd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        execv(etcd, argv);
        _exit(127);
    }
    f->pid = pid;

    double deadline = now_s() + START_DEADLINE_S;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            f->pid = 0;
            return false;
        }
        if (healthy(f->url))
            return true;
        if (now_s() > deadline) {
            end_child(f);
            const char *tail = log_tail(f);
            remove_dir(f);
            cr_assert_fail("etcd (%s) did not answer at %s within %g s; its log ends:\n%s",
                           etcd, f->url, START_DEADLINE_S, tail);
        }
        poll_pause();
    }
}

void etcd_fixture_start(etcd_fixture *f)
{
    memset(f, 0, sizeof *f);
    char etcd[512];
    cr_assert(find_etcd(etcd, sizeof etcd),
              "etcd is not installed (no etcd in PATH): the etcd naming tests need it. "
              "scripts/setup.sh installs it (Debian package etcd-server).");
    remove_orphans();
    char last_log[2048] = "";
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
        if (try_start(f, etcd))
            return;
        snprintf(last_log, sizeof last_log, "%s", log_tail(f));
        remove_dir(f);
    }
    cr_assert_fail("etcd (%s) exited at start %d times; its last log ends:\n%s", etcd,
                   START_ATTEMPTS, last_log);
}

void etcd_fixture_stop(etcd_fixture *f)
{
    end_child(f);
    remove_dir(f);
}
