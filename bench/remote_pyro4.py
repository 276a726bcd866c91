#!/usr/bin/env python3
"""The Pyro4 reference of bench/remote_calls: the Happy Birthday service of
the Spring Python article, as that article's Service class, on a Pyro4
daemon, called through a Pyro4 proxy. Pyro4's defaults throughout (the
serpent serializer, the thread-pool server).

  remote_pyro4.py server
      serves the service on 127.0.0.1 (a free port) and prints its URI
      ("PYRO:birthday@127.0.0.1:PORT"); runs until SIGTERM or SIGINT.
  remote_pyro4.py client URI N WARMUP
      makes WARMUP untimed calls, then N timed sequential calls on one
      proxy; checks every reply and prints "seconds S cpu C": the wall and
      the CPU time (user + system, this process) of the N calls.
  remote_pyro4.py version
      prints "Pyro4 VERSION, Python VERSION".

It needs Debian's python3-pyro4 (bench/setup-remote.sh), hence Debian's
/usr/bin/python3, which bench/remote_calls uses by default.
"""
import platform
import resource
import sys
import time

import Pyro4


@Pyro4.expose
class Service(object):
    def happy_birthday(self, name):
        results = []
        for i in range(4):
            if i == 2:
                results.append("Happy Birthday Dear %s!" % name)
            else:
                results.append("Happy Birthday to you!")
        return results


def serve():
    daemon = Pyro4.Daemon(host="127.0.0.1", port=0)
    uri = daemon.register(Service(), "birthday")
    print(uri, flush=True)
    daemon.requestLoop()


def cpu_time():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def client(uri, n, warmup):
    expected = Service().happy_birthday("Greg")
    with Pyro4.Proxy(uri) as service:
        for _ in range(warmup):
            song = service.happy_birthday("Greg")
            if song != expected:
                sys.exit("remote_pyro4.py: unexpected reply: %r" % (song,))
        t0 = time.perf_counter()
        c0 = cpu_time()
        for _ in range(n):
            song = service.happy_birthday("Greg")
            if len(song) != 4:
                sys.exit("remote_pyro4.py: unexpected reply: %r" % (song,))
        seconds = time.perf_counter() - t0
        cpu = cpu_time() - c0
    print("seconds %.9f cpu %.9f" % (seconds, cpu), flush=True)


def main(argv):
    if argv[1:] == ["server"]:
        serve()
    elif len(argv) == 5 and argv[1] == "client":
        client(argv[2], int(argv[3]), int(argv[4]))
    elif argv[1:] == ["version"]:
        print("Pyro4 %s, Python %s" % (Pyro4.__version__, platform.python_version()))
    else:
        sys.exit("usage: %s server | client URI N WARMUP | version" % argv[0])


if __name__ == "__main__":
    main(sys.argv)
