#!/usr/bin/env bash
# Regenerate the Go code of the contract (proto/) with Debian's protoc, protoc-gen-go and
# protoc-gen-go-grpc into OUTDIR/pluginv1 (default: this directory, i.e. the checked-in copy).
# The test go.generated (tests/go/check_generated.sh) runs it into a temporary directory and diffs.
#
#   host-sim/go/generate.sh [OUTDIR]
#
# The .proto files carry no go_package option (they are the C contract too): the M options map
# each file to the Go package neosync-schema-plugin/pluginv1, and module= strips the module path.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
proto_root=$(cd "$here/../../proto" && pwd)
out=${1:-$here}
pkg=neosync-schema-plugin/pluginv1
files=(neosync/plugin/v1/options.proto neosync/plugin/v1/job.proto neosync/plugin/v1/plan.proto
       neosync/plugin/v1/plugin.proto)
maps=()
for f in "${files[@]}"; do maps+=("M$f=$pkg;pluginv1"); done
go_opts=$(IFS=,; echo "module=neosync-schema-plugin,${maps[*]}")
mkdir -p "$out/pluginv1"
rm -f "$out"/pluginv1/*.pb.go
protoc --proto_path="$proto_root" \
  --go_out="$out" --go_opt="$go_opts" \
  --go-grpc_out="$out" --go-grpc_opt="$go_opts" \
  "${files[@]}"
