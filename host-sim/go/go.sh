#!/usr/bin/env bash
# Run the go tool on this module offline, against Debian's Go packages, in GOPATH mode:
#
#   host-sim/go/go.sh WORKDIR build|test|vet ... neosync-schema-plugin/...
#
# Why GOPATH mode: Debian packages Go libraries as source trees under /usr/share/gocode/src, with
# no module versions or checksums (it builds its own Go packages this way, dh-golang). Module mode
# would need those versions in go.mod/go.sum and a module proxy or a vendor/ tree copied into the
# source directory; GOPATH mode uses the packaged trees as they are. So: GO111MODULE=off,
# GOPATH=WORKDIR/gopath (holding a link to this directory as neosync-schema-plugin) followed by
# /usr/share/gocode, GOPROXY=off and GOFLAGS=-mod= unset: no network, ever. The build cache lives
# in WORKDIR too (no $HOME needed).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(realpath -m "${1:?usage: go.sh WORKDIR GO-ARGS...}")
shift
mkdir -p "$work/gopath/src" "$work/cache"
link=$work/gopath/src/neosync-schema-plugin
[[ -L $link && $(readlink "$link") == "$here" ]] || ln -sfn "$here" "$link"
export GO111MODULE=off GOPROXY=off GOFLAGS= GOTOOLCHAIN=local CGO_ENABLED=0 \
  GOPATH="$work/gopath:${NSP_GOCODE:-/usr/share/gocode}" GOCACHE="$work/cache"
# Run from inside the GOPATH copy so that relative package paths resolve too.
cd "$link"
exec "${GO:-go}" "$@"
