#!/usr/bin/env bash
# Installs the Debian packages Coil needs to build and test, and only those
# that are missing. Silent when everything is already there.
#   scripts/setup.sh [PACKAGE...]   also installs these (the benchmarks' references)
set -euo pipefail

packages=("$@"

  build-essential      # gcc, make, libc headers
  cmake
  pkg-config
  libyaml-dev          # context files
  libjansson-dev       # map/any property values, JSON-RPC
  libmicrohttpd-dev    # remoting: HTTP exporter
  libcurl4-openssl-dev # remoting: HTTP proxy
  libcriterion-dev     # tests
  python3              # tests: interoperability with Python's http.client, docs checks
  curl                 # tests: interoperability with the curl command
  etcd-server          # tests of the etcd naming backend (a local etcd per test)
)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup.sh: no dpkg-query: this script knows Debian only." >&2
  echo "setup.sh: install the equivalents of: ${packages[*]}" >&2
  exit 1
fi

installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

missing=()
for p in "${packages[@]}"; do
  if [[ $p == build-essential ]] && ! installed "$p" \
      && installed gcc && installed make && installed libc6-dev; then
    continue  # a compiler and make are all build-essential stands for here
  fi
  installed "$p" || missing+=("$p")
done

((${#missing[@]} == 0)) && exit 0

if ((EUID == 0)); then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "setup.sh: missing packages and not root (no sudo). As root, run:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "setup.sh: installing ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup.sh: done"
