// remote_jsonrpccpp — the libjson-rpc-cpp reference of bench/remote_calls:
// the Happy Birthday service on libjson-rpc-cpp's own HttpServer, called
// through its own HttpClient.
//
//   remote_jsonrpccpp server
//       serves happy_birthday(name) and prints its URL
//       ("http://127.0.0.1:PORT/") on stdout; stops on SIGTERM or SIGINT.
//   remote_jsonrpccpp client URL N WARMUP
//       makes WARMUP untimed calls, then N timed sequential calls, on one
//       HttpClient; checks every reply and prints "seconds S cpu C": the
//       wall and the CPU time (user + system, this process) of the N calls.
//
// The service does what samples/birthday/birthday_service.c does (and the
// Spring Python article's Service): four lines, the third naming the
// birthday child. The procedure is bound the way jsonrpcstub's generated
// AbstractStubServer binds it (a spec with a positional string parameter).
//
// libjson-rpc-cpp 0.7.0 (Debian 12) has no way to bind its HttpServer to one
// address: it listens on every interface, on a port the caller picks. So the
// port is one the kernel just handed out on 127.0.0.1, and bench/remote_calls
// runs everything in a network namespace with only a loopback interface
// when it can (see there).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <jsonrpccpp/client.h>
#include <jsonrpccpp/client/connectors/httpclient.h>
#include <jsonrpccpp/server.h>
#include <jsonrpccpp/server/connectors/httpserver.h>

namespace {

class BirthdayServer : public jsonrpc::AbstractServer<BirthdayServer> {
public:
    explicit BirthdayServer(jsonrpc::AbstractServerConnector &connector)
        : jsonrpc::AbstractServer<BirthdayServer>(connector)
    {
        this->bindAndAddMethod(jsonrpc::Procedure("happy_birthday", jsonrpc::PARAMS_BY_POSITION,
                                                  jsonrpc::JSON_ARRAY, "name",
                                                  jsonrpc::JSON_STRING, NULL),
                               &BirthdayServer::happy_birthdayI);
    }

    void happy_birthdayI(const Json::Value &request, Json::Value &response)
    {
        response = happy_birthday(request[0u].asString());
    }

    // The song, line by line; the last line but one names the birthday child.
    static Json::Value happy_birthday(const std::string &name)
    {
        Json::Value results(Json::arrayValue);
        for (int i = 0; i < 4; i++) {
            if (i == 2)
                results.append("Happy Birthday Dear " + name + "!");
            else
                results.append("Happy Birthday to you!");
        }
        return results;
    }
};

// A port that is free on 127.0.0.1 right now (0 on failure).
int free_port()
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    sockaddr_in a;
    std::memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

int serve()
{
    // Blocked before any thread starts, so that the server's threads
    // inherit the mask and only sigwait() below takes them.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    // The port may be taken between free_port() and the bind: try again.
    for (int attempt = 0; attempt < 20; attempt++) {
        int port = free_port();
        if (!port)
            continue;
        jsonrpc::HttpServer http(port); // its defaults: 50 threads
        BirthdayServer server(http);
        if (!server.StartListening())
            continue;
        std::printf("http://127.0.0.1:%d/\n", port);
        std::fflush(stdout);
        int sig = 0;
        while (sigwait(&stop, &sig) != 0)
            ;
        server.StopListening();
        return 0;
    }
    std::fprintf(stderr, "remote_jsonrpccpp: cannot start the HttpServer\n");
    return 1;
}

double now_s()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double cpu_s()
{
    rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int run_client(const char *url, long n, long warmup)
{
    try {
        jsonrpc::HttpClient http(url);
        jsonrpc::Client client(http);
        Json::Value params(Json::arrayValue);
        params.append("Greg");
        const Json::Value expected = BirthdayServer::happy_birthday("Greg");
        double t0 = 0, c0 = 0;
        for (long i = -warmup; i < n; i++) {
            if (i == 0) {
                t0 = now_s();
                c0 = cpu_s();
            }
            Json::Value song = client.CallMethod("happy_birthday", params);
            if (song.size() != 4 || (i < 0 && song != expected)) {
                std::fprintf(stderr, "remote_jsonrpccpp: unexpected reply: %s\n",
                             song.toStyledString().c_str());
                return 1;
            }
        }
        double seconds = now_s() - t0, cpu = cpu_s() - c0;
        std::printf("seconds %.9f cpu %.9f\n", seconds, cpu);
        return 0;
    } catch (const jsonrpc::JsonRpcException &e) {
        std::fprintf(stderr, "remote_jsonrpccpp: %s\n", e.what());
        return 1;
    }
}

} // namespace

int main(int argc, char **argv)
{
    if (argc == 2 && std::strcmp(argv[1], "server") == 0)
        return serve();
    if (argc == 5 && std::strcmp(argv[1], "client") == 0) {
        long n = std::atol(argv[3]), warmup = std::atol(argv[4]);
        if (n > 0 && warmup >= 0)
            return run_client(argv[2], n, warmup);
    }
    std::fprintf(stderr, "usage: %s server\n       %s client URL N WARMUP\n", argv[0], argv[0]);
    return 2;
}
