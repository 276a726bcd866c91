#!/usr/bin/env bash
# Installs, with scripts/setup.sh and only where missing, the Debian packages
# the remote-call benchmarks compare Coil against, besides what Coil needs to
# build. Silent when everything is already there. Coil's build and tests do
# not need these.
#   python3-pyro4      bench/remote_calls: the Pyro4 reference (server and client)
#   libjsonrpccpp-dev  bench/remote_calls: the libjson-rpc-cpp reference (its
#                      HttpServer and HttpClient; the procedure is bound by
#                      hand, so its stub generator, libjsonrpccpp-tools, is
#                      not needed)
#   g++                bench/remote_calls: the libjson-rpc-cpp reference is C++
#   wrk                bench/server_rps: the HTTP load generator
# Re-run cmake afterwards: bench/remote_jsonrpccpp is built only when
# libjson-rpc-cpp is found.
set -euo pipefail
exec "$(dirname "$0")/../scripts/setup.sh" python3-pyro4 libjsonrpccpp-dev g++ wrk
