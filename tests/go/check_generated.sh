#!/usr/bin/env bash
# go.generated: the checked-in Go code of the contract (host-sim/go/pluginv1) is what
# protoc-gen-go and protoc-gen-go-grpc make of proto/ today. Regenerates into a temporary
# directory and diffs; on a difference, run host-sim/go/generate.sh and commit the result.
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
"$src/host-sim/go/generate.sh" "$tmp"
ls "$tmp"/pluginv1/*.pb.go >/dev/null
if ! diff -ru "$src/host-sim/go/pluginv1" "$tmp/pluginv1"; then
  echo "go.generated: host-sim/go/pluginv1 is stale: run host-sim/go/generate.sh and commit" >&2
  exit 1
fi
echo "go.generated: $(ls "$tmp"/pluginv1/*.pb.go | wc -l) generated files are up to date"
