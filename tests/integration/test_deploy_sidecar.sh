#!/usr/bin/env bash
# The plugin host as the recipes start it, from an install: the Containerfile's ENTRYPOINT + CMD
# (the same command line as the Kubernetes sidecar and the systemd unit), with /usr replaced by a
# scratch install prefix and /run/neosync by a scratch directory, as the image's user would see it.
# Then deploy/examples/job-remote-hook.json, with its databases pointed at the test server and its
# address at that socket, runs through the host: a Neosync worker's view of the sidecar. Checks:
# the socket appears with mode 0600, the job succeeds and the destination gets the schema and the
# rows, SIGTERM stops the host with exit status 0.
source "$(dirname "$0")/lib.sh"

tmp=$(nsp_tmpdir)
prefix=$tmp/prefix
rundir=$tmp/run/neosync
mkdir -p "$rundir"
chmod 0750 "$rundir"
flock "$NSP_BUILD_DIR/.nsp-deploy-install.lock" cmake --install "$NSP_BUILD_DIR" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; nsp_fail "cmake --install failed"; }


# The image's command line: ENTRYPOINT ["..."] followed by CMD [...], JSON arrays.
containerfile=$NSP_SOURCE_DIR/deploy/container/Containerfile
entry=$(sed -n 's/^ENTRYPOINT \(\[.*\]\)$/\1/p' "$containerfile")
cmd=$(sed -n 's/^CMD \(\[.*\]\)$/\1/p' "$containerfile")
[[ -n $entry && -n $cmd ]] || nsp_fail "no exec-form ENTRYPOINT and CMD in the Containerfile"
mapfile -t argv < <(printf '%s\n%s\n' "$entry" "$cmd" |
  sed -e 's/^\[//; s/\]$//' | tr ',' '\n' | sed -e 's/^[[:space:]]*"//; s/"[[:space:]]*$//' |
  sed -e "s#^/usr/#$prefix/#" -e "s#/run/neosync/#$rundir/#")
[[ ${argv[1]:-} == serve ]] || nsp_fail "the image does not run serve: ${argv[*]}"
socket=$rundir/plugin.sock
printf '%s\n' "${argv[@]}" | grep -qx "unix:$socket" || nsp_fail "the command line does not listen on the socket: ${argv[*]}"
_nsp_log "starting: ${argv[*]}"

"${argv[@]}" 2>"$tmp/host.log" &
host_pid=$!
nsp_on_exit "kill -KILL $host_pid 2>/dev/null || true"
for _ in $(seq 1 200); do
  [[ -S $socket ]] && break
  kill -0 "$host_pid" 2>/dev/null || { cat "$tmp/host.log" >&2; nsp_fail "the host exited before listening"; }
  sleep 0.05
done
[[ -S $socket ]] || { cat "$tmp/host.log" >&2; nsp_fail "no socket at $socket"; }
[[ $(stat -c %a "$socket") == 600 ]] || nsp_fail "socket mode $(stat -c %a "$socket"), expected 600"

# The remote-hook example, aimed at two databases and this host.
src=$(nsp_createdb sidecar_src)
dst=$(nsp_createdb sidecar_dst)
nsp_psql "$src" <<'SQL'
CREATE TABLE public.author (id int PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE public.book (id int PRIMARY KEY, author_id int NOT NULL REFERENCES public.author ON DELETE CASCADE, title text);
CREATE INDEX book_author ON public.book (author_id);
INSERT INTO public.author SELECT g, 'a' || g FROM generate_series(1, 50) g;
INSERT INTO public.book SELECT g, 1 + g % 50, 't' || g FROM generate_series(1, 200) g;
SQL
example=$NSP_SOURCE_DIR/deploy/examples/job-remote-hook.json
# Replace the example's two URLs (source first, destination second) and its address.
# (awk's sub() would read the URLs' "&" as "the match": replace by position instead.)
awk -v src="$src" -v dst="$dst" -v addr="unix:$socket" '
  function put(key, value,   i, rest, j) {
    i = index($0, "\"" key "\":"); if (i == 0) return
    rest = substr($0, i + length(key) + 3); j = index(rest, "\""); rest = substr(rest, j + 1)
    $0 = substr($0, 1, i - 1) "\"" key "\": \"" value "\"" substr(rest, index(rest, "\"") + 1)
  }
  /"url":/ { n++; put("url", n == 1 ? src : dst) }
  /"address":/ { put("address", addr) }
  { print }' "$example" >"$tmp/job.json"
grep -qF "unix:$socket" "$tmp/job.json" || nsp_fail "could not aim $example at the socket"
set +e
"$prefix/bin/neosync-host-sim" run --config "$tmp/job.json" >"$tmp/run.out" 2>"$tmp/run.err"
status=$?
set -e
((status == 0)) || { cat "$tmp/run.out" "$tmp/run.err" >&2; tail -20 "$tmp/host.log" >&2; nsp_fail "the job through the sidecar exited $status"; }
[[ $(nsp_query "$dst" "SELECT count(*) FROM public.book") == 200 ]] || nsp_fail "rows not copied"
[[ $(nsp_query "$dst" "SELECT count(*) FROM pg_constraint WHERE conrelid = 'public.book'::regclass AND contype = 'f'") == 1 ]] ||
  nsp_fail "post-sync did not create the foreign key"
[[ $(nsp_query "$dst" "SELECT count(*) FROM pg_indexes WHERE indexname = 'book_author'") == 1 ]] ||
  nsp_fail "post-sync did not create the index"
_nsp_log "ok: job-remote-hook.json ran through the sidecar"

kill -TERM "$host_pid"
set +e
wait "$host_pid"
rc=$?
set -e
((rc == 0)) || { tail -20 "$tmp/host.log" >&2; nsp_fail "the host exited $rc after SIGTERM"; }
_nsp_log "ok: the host stopped on SIGTERM"
