#!/usr/bin/env bash
# Install the Debian 12 (bookworm) packages this project needs to build, test and run its demo.
#
# Only what is missing is installed; when everything is present the script only checks (dpkg-query)
# and returns at once, without network access. Runs as root (plain apt-get) or, for any other user,
# through sudo. The "Requirements" list of docs/development.md mirrors NSP_PACKAGES below: change both
# together.
#
# Usage: scripts/install-deps.sh [--check]     (--check: list what is missing, exit 1 if anything is)
set -euo pipefail

# One package per line: "package  reason". This is the single list of the project's dependencies.
NSP_PACKAGES=$(cat <<'EOF'
build-essential       C compiler (gcc), make and libc headers
cmake                 the build system (CMake >= 3.25; bookworm ships 3.25)
pkg-config            how CMake finds libpq, protobuf-c, grpc, json-c and cmocka
git                   cloning and the version shown by the tools
libpq-dev             libpq: the PostgreSQL client library the plugin and host talk through
libssl-dev            OpenSSL libcrypto: HMAC-SHA256 of signed plans and constant-time comparison (libpq already loads it; never our own crypto)
postgresql-15         the PostgreSQL 15 server (initdb, pg_ctl, postgres in /usr/lib/postgresql/15/bin) for the throwaway test/demo cluster; includes the contrib modules (Debian's "postgresql-contrib-15" is a virtual package it provides)
postgresql-client-15  psql and pg_dump 15, used by the tests' parity oracles and the demo
libprotobuf-c-dev     protobuf-c: the C protobuf runtime the generated contract code links against
protobuf-c-compiler   protoc-c: compiles proto/ into C at build time
libgrpc-dev           gRPC C core (not C++): the host's gRPC plugin service and client
libcmocka-dev         cmocka: the unit-test framework (one executable per module)
libjson-c-dev         json-c: small, Debian-packaged C JSON library whose tokener reports error offsets (job config parsing with line/column)
clang                 second compiler for the warning-clean build, and the fuzz targets (libFuzzer)
libclang-rt-14-dev    clang's sanitizer and libFuzzer runtimes (ASan, UBSan, -fsanitize=fuzzer)
valgrind              leak checks of the plugin and host
util-linux            runuser: start the throwaway PostgreSQL as an unprivileged user when invoked as root
procps                ps and kill, used by the scripts to check on and stop the throwaway server
dpkg-dev              dpkg-shlibdeps: the Debian package's runtime dependencies (CPack), checked by the deploy tests
file                  used by CPack's DEB generator to find the ELF files it passes to dpkg-shlibdeps
systemd               systemd-analyze verify of the systemd unit, systemd-sysusers of the package's postinst (tests)
python3-yaml          YAML syntax and structure check of the Kubernetes manifest (tests)
groff-base            formats the generated man page with warnings on (tests)
golang-go             the Go toolchain (1.19): builds and tests the Go client and reference worker (host-sim/go) offline, in GOPATH mode
golang-google-grpc-dev  grpc-go (source in /usr/share/gocode): the Go client's transport
golang-google-protobuf-dev  google.golang.org/protobuf: the Go runtime of the generated contract code
golang-github-golang-protobuf-1-5-dev  github.com/golang/protobuf 1.5 (on the new runtime), which grpc-go imports; named because apt would otherwise pick the 1.3 alternative, which panics on new-style messages
protoc-gen-go         protoc plugin generating host-sim/go/pluginv1/*.pb.go (the staleness test regenerates them)
protoc-gen-go-grpc    protoc plugin generating the gRPC stubs (plugin_grpc.pb.go)
protobuf-compiler     protoc, which runs the two plugins above
golang-github-jackc-pgx-v4-dev  pgx: the PostgreSQL driver of the Go reference worker (COPY between source and destination)
debootstrap           makes minimal roots of other Debian releases whose PostgreSQL 13/17/18/19 servers the version tests run (scripts/pg-major.sh)
curl                  scripts/pg-major.sh: checks that the Debian mirror answers, reads experimental's package index (is there a postgresql-19?)
xz-utils              scripts/pg-major.sh: unpacks that index (Packages.xz)
EOF
)

packages() { printf '%s\n' "$NSP_PACKAGES" | awk 'NF { print $1 }'; }

missing=()
while IFS= read -r pkg; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
  # "ii " = installed and configured; anything else (absent, half-installed, removed) counts as missing.
  [[ $status == ii* ]] || missing+=("$pkg")
done < <(packages)

if [[ ${1:-} == --check ]]; then
  if ((${#missing[@]})); then
    printf 'missing: %s\n' "${missing[*]}"
    exit 1
  fi
  echo "all $(packages | wc -l) dependencies present"
  exit 0
fi

if ((${#missing[@]} == 0)); then
  echo "install-deps: all dependencies are installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps: missing packages (${missing[*]}) and not root, and sudo is not installed." >&2
  echo "install-deps: run this script as root, or install sudo." >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"

# Verify: a package that apt could not configure must not pass silently.
still=()
for pkg in "${missing[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
  [[ $status == ii* ]] || still+=("$pkg")
done
if ((${#still[@]})); then
  echo "install-deps: still missing after apt-get install: ${still[*]}" >&2
  exit 1
fi
echo "install-deps: done"
