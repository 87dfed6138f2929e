#!/usr/bin/env bash
# A private, throwaway PostgreSQL cluster (15, the host's, unless --major) for the tests and the demo.
#
#   pg-throwaway.sh start [--tcp] [--major N] DIR   initdb into DIR/data, start the server, write
#                                       the connection URL to DIR/url and print it
#   pg-throwaway.sh stop DIR            stop the server (immediate) and remove DIR entirely
#   pg-throwaway.sh run [--tcp] [--major N] -- CMD  start a cluster in a fresh temporary directory,
#                                       run CMD with NSP_PG_URL, NSP_PG_HOST, NSP_PG_PORT,
#                                       NSP_PG_USER (and NSP_PG_DIR, NSP_PG_BINDIR, NSP_PG_MAJOR)
#                                       exported, then stop and remove everything (also when CMD
#                                       fails, on Ctrl-C and on SIGTERM); exits with CMD's status
#
# --major N (or NSP_PG_MAJOR=N): a server of PostgreSQL N (13, 17, 18, 19; 15 is the host's own and
# needs nothing more). It runs inside the cached Debian root of that major (scripts/pg-major.sh,
# which makes the root on first use, ~1.5 min), chrooted, as the root's own "postgres" user, in a
# private mount namespace holding /proc, /dev and the cluster directory (always under /tmp,
# bind-mounted at its own path): host clients (psql 15, the plugin) use its socket as usual, and the
# namespace and its mounts end with the server. NSP_PG_BINDIR (and DIR/env) then names DIR/bin,
# where psql, pg_dump, pg_restore, ... of that major run in its root (scripts/pg-major.sh exec N:
# file arguments under /tmp).
# Exit status 77: this machine cannot make that major's root (not root, no mirror): see the message.
#
# The cluster: trust authentication, superuser role "postgres", UTF8 encoding with the C locale,
# durability off (fsync, full_page_writes, synchronous_commit) because nothing in it must survive.
# It listens only on a Unix socket in a private directory (mode 0700) unless --tcp is given, in which
# case it also listens on 127.0.0.1. The port is picked at random in 20000-60000 until the server
# starts. The URL looks like  postgresql:///postgres?host=/tmp/nsp-pg.XXXX&port=PORT&user=postgres
#
# PostgreSQL refuses to run as root: when invoked as root, the server runs as the "postgres" system
# user if it exists, otherwise as a system user "nsp-pg" created for the purpose; the directories
# are handed to that user (NSP_PG_SERVER_USER names another one, created if absent). Callers (also
# root) connect over the socket: trust auth lets them in.
#
# DIR is normally the cluster's home. When the server user cannot reach DIR (e.g. under /root) or
# DIR is too long for a Unix socket path (107 bytes), the cluster lives in a short directory under
# /tmp instead; DIR then holds the URL, a "rundir" file naming that directory and a "data" symlink.
#
# `run` makes its directory under $NSP_PG_TMPROOT (default /tmp), e.g. /dev/shm for a cluster in
# memory (the benchmark's --in-memory).
#
# Binaries come from /usr/lib/postgresql/15/bin, or `pg_config --bindir` if that is absent
# (override with NSP_PG_BINDIR).
set -euo pipefail

PROG=${0##*/}
PG_MAJOR_SH=$(dirname -- "$(realpath -- "$0")")/pg-major.sh
HOST_MAJOR=15
MAJOR=${NSP_PG_MAJOR:-}
PG_SUPERUSER=postgres
MARKER=.nsp-pg-throwaway

die() { echo "$PROG: $*" >&2; exit 1; }
log() { [[ -n ${NSP_PG_QUIET:-} ]] || echo "$PROG: $*" >&2; }

usage() {
  sed -n '2,20s/^# \{0,1\}//p' "$0"
}

# A major other than the host's: its server lives in a root (see pg-major.sh).
in_root_major() { [[ -n $MAJOR && $MAJOR != "$HOST_MAJOR" ]]; }

# Psql of the host, to prove a server of any major accepts connections.
host_psql() {
  if [[ -x /usr/lib/postgresql/$HOST_MAJOR/bin/psql ]]; then echo "/usr/lib/postgresql/$HOST_MAJOR/bin/psql"
  else command -v psql; fi
}

find_bindir() {
  if in_root_major; then
    [[ $(id -u) -eq 0 ]] || { echo "$PROG: a PostgreSQL $MAJOR server runs chrooted in a private mount namespace: run this as root" >&2; exit 77; }
    # Make (or check) the root first: exit 77 passes on "cannot make one here".
    local rc=0
    MAJOR_ROOT=$("$PG_MAJOR_SH" root "$MAJOR") || rc=$?
    ((rc == 0)) || exit "$rc"
    BINDIR=$("$PG_MAJOR_SH" bindir "$MAJOR")
    [[ -x $MAJOR_ROOT$BINDIR/initdb && -x $MAJOR_ROOT$BINDIR/pg_ctl ]] ||
      die "no initdb/pg_ctl in $MAJOR_ROOT$BINDIR"
    return
  fi
  if [[ -n ${NSP_PG_BINDIR:-} ]]; then
    BINDIR=$NSP_PG_BINDIR
  elif [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
    BINDIR=/usr/lib/postgresql/15/bin
  elif command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir)/initdb" ]]; then
    BINDIR=$(pg_config --bindir)
  else
    die "PostgreSQL 15 server binaries not found (install postgresql-15: scripts/install-deps.sh)"
  fi
  [[ -x $BINDIR/initdb && -x $BINDIR/pg_ctl ]] || die "no initdb/pg_ctl in $BINDIR"
}

# Who runs the server. Sets SERVER_USER and the AS_SERVER prefix (empty when we are that user).
pick_server_user() {
  if in_root_major; then
    # The root's own postgres user (its uid need not exist on the host); RUNDIR set by the caller.
    SERVER_USER=postgres
    SERVER_IDS=$(awk -F: '$1 == "postgres" { print $3 ":" $4 }' "$MAJOR_ROOT/etc/passwd")
    [[ -n $SERVER_IDS ]] || die "no postgres user in $MAJOR_ROOT"
    AS_SERVER=("$PG_MAJOR_SH" in-root "$MAJOR" --bind "$RUNDIR" --user postgres --)
    return
  fi
  if [[ $(id -u) -ne 0 ]]; then
    SERVER_USER=$(id -un)
    AS_SERVER=()
    return
  fi
  if [[ -n ${NSP_PG_SERVER_USER:-} ]]; then
    SERVER_USER=$NSP_PG_SERVER_USER
  elif getent passwd postgres >/dev/null; then
    SERVER_USER=postgres
  else
    SERVER_USER=nsp-pg
  fi
  if ! getent passwd "$SERVER_USER" >/dev/null; then
    log "creating system user $SERVER_USER to run the server (PostgreSQL refuses to run as root)"
    # Another instance may create it at the same time: only its absence afterwards is an error.
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$SERVER_USER" 2>/dev/null || true
    getent passwd "$SERVER_USER" >/dev/null || die "could not create system user $SERVER_USER"
  fi
  command -v runuser >/dev/null 2>&1 || die "runuser not found (install util-linux)"
  AS_SERVER=(runuser -u "$SERVER_USER" --)
}

# Run a command as the server user, from a directory it can read (initdb and pg_ctl fail when the
# current directory is unreadable, e.g. /root).
as_server() { (cd / && "${AS_SERVER[@]}" "$@"); }

# Percent-encode a value for a libpq URI query parameter.
urlencode() {
  local LC_ALL=C s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [A-Za-z0-9/._~-]) out+=$c ;;
      *) printf -v c '%%%02X' "'$c"; out+=$c ;;
    esac
  done
  printf '%s' "$out"
}

# Absolute, normalised path; the directory need not exist yet.
abspath() { realpath -m -- "$1"; }

# Remove DIR only when it is ours (has the marker) or empty; never a user's random directory.
safe_remove_dir() {
  local d=$1
  [[ -e $d || -L $d ]] || return 0
  if [[ -e $d/$MARKER ]] || [[ -d $d && -z "$(ls -A "$d" 2>/dev/null)" ]]; then
    rm -rf -- "$d"
  else
    die "refusing to remove $d: not a throwaway cluster directory (no $MARKER)"
  fi
}

cmd_start() {
  local tcp=0
  while [[ $# -gt 0 ]]; do
    case $1 in
      --tcp) tcp=1; shift ;;
      --major) MAJOR=$2; shift 2 ;;
      -h|--help) usage; exit 0 ;;
      --) shift; break ;;
      -*) die "start: unknown option $1" ;;
      *) break ;;
    esac
  done
  [[ $# -eq 1 ]] || die "usage: $PROG start [--tcp] [--major N] DIR"
  local dir
  dir=$(abspath "$1")
  [[ $MAJOR == "$HOST_MAJOR" ]] && MAJOR=
  find_bindir
  RUNDIR=
  in_root_major || pick_server_user

  # A leftover from an earlier run (e.g. a killed test run) is stopped and replaced.
  if [[ -e $dir/$MARKER ]]; then
    log "replacing the earlier cluster in $dir"
    NSP_PG_QUIET=1 cmd_stop "$dir" || true
  elif [[ -e $dir && -n "$(ls -A "$dir" 2>/dev/null)" ]]; then
    die "$dir exists and is not empty"
  fi
  mkdir -p -- "$dir"
  : >"$dir/$MARKER"

  # Where the cluster lives: DIR itself when the server user can reach it and the socket path fits.
  local rundir=$dir
  if in_root_major; then
    # Only /tmp is mapped into a root's namespace (at the same path).
    rundir=$(mktemp -d /tmp/nsp-pg.XXXXXX)
    : >"$rundir/$MARKER"
    printf '%s\n' "$rundir" >"$dir/rundir"
    ln -s "$rundir/data" "$dir/data"
    RUNDIR=$rundir
    pick_server_user
  elif ((${#dir} > 90)) ||
     { ((${#AS_SERVER[@]})) && ! as_server test -x "$(dirname "$dir")"; }; then
    rundir=$(mktemp -d /tmp/nsp-pg.XXXXXX)
    : >"$rundir/$MARKER"
    printf '%s\n' "$rundir" >"$dir/rundir"
    ln -s "$rundir/data" "$dir/data"
    log "cluster directory $rundir (DIR is unreachable for $SERVER_USER or too long for a socket path)"
  fi
  chmod 0700 "$rundir"
  if in_root_major; then
    chown "$SERVER_IDS" "$rundir"
    chmod 0755 "$dir"
    printf '%s\n' "$MAJOR" >"$dir/major"
  elif ((${#AS_SERVER[@]})); then
    chown "$SERVER_USER:" "$rundir"
    # DIR (when separate) stays the invoker's, readable so that non-root test users find the URL.
    [[ $rundir == "$dir" ]] || chmod 0755 "$dir"
  fi

  local initlog=$rundir/initdb.log
  if ! as_server "$BINDIR/initdb" -D "$rundir/data" -A trust -U "$PG_SUPERUSER" \
         --encoding=UTF8 --locale=C --no-sync >"$initlog.tmp" 2>&1; then
    cat "$initlog.tmp" >&2 || true
    die "initdb failed"
  fi
  mv -f "$initlog.tmp" "$initlog" 2>/dev/null || true

  local listen="''"
  ((tcp)) && listen="'127.0.0.1'"
  as_server tee -a "$rundir/data/postgresql.conf" >/dev/null <<EOF

# --- throwaway cluster settings (scripts/pg-throwaway.sh) ---
listen_addresses = $listen
unix_socket_directories = '$rundir'
unix_socket_permissions = 0700
fsync = off
full_page_writes = off
synchronous_commit = off
max_connections = 100
logging_collector = off
log_min_messages = warning
include_if_exists = 'nsp-port.conf'
EOF

  local port='' started=0 _
  for _ in $(seq 1 30); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40001))
    [[ $port -eq 55432 ]] && continue   # a developer's own server often lives there
    echo "port = $port" | as_server tee "$rundir/data/nsp-port.conf" >/dev/null
    [[ -f $rundir/server.log ]] && : >"$rundir/server.log"   # only this attempt's messages
    if as_server "$BINDIR/pg_ctl" -D "$rundir/data" -l "$rundir/server.log" -w -t 60 start >/dev/null 2>&1; then
      started=1
      break
    fi
    if grep -q -e 'could not bind' -e 'could not create any TCP/IP sockets' -e 'already in use' \
            -e 'could not create lock file' "$rundir/server.log" 2>/dev/null; then
      log "port $port is taken, trying another"
      as_server "$BINDIR/pg_ctl" -D "$rundir/data" -m immediate -w stop >/dev/null 2>&1 || true
      continue
    fi
    tail -n 30 "$rundir/server.log" >&2 2>/dev/null || true
    die "the server did not start (log: $rundir/server.log)"
  done
  ((started)) || die "no free port found after 30 attempts"

  local url env_bindir=$BINDIR
  url="postgresql:///postgres?host=$(urlencode "$rundir")&port=$port&user=$PG_SUPERUSER"
  printf '%s\n' "$url" >"$dir/url"
  if in_root_major; then
    # The major's client tools, callable from the host: DIR/bin/psql etc. run them in the root
    # (pg-major.sh exec: file arguments under /tmp, working directory /tmp).
    mkdir -p "$dir/bin"
    local tool
    for tool in psql pg_dump pg_dumpall pg_restore pg_isready createdb dropdb vacuumdb; do
      printf '#!/bin/sh\nexec %q exec %q %q "$@"\n' "$PG_MAJOR_SH" "$MAJOR" "$tool" >"$dir/bin/$tool"
      chmod 0755 "$dir/bin/$tool"
    done
    env_bindir=$dir/bin
  fi
  cat >"$dir/env" <<EOF
NSP_PG_URL='$url'
NSP_PG_HOST='$rundir'
NSP_PG_PORT='$port'
NSP_PG_USER='$PG_SUPERUSER'
NSP_PG_BINDIR='$env_bindir'
NSP_PG_MAJOR='${MAJOR:-$HOST_MAJOR}'
EOF
  # Prove the URL works as written before anyone relies on it.
  local ok=0 i
  for i in $(seq 1 50); do
    if "$(host_psql)" -X -q -At -d "$url" -c 'select 1' >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.1
  done
  ((ok)) || die "server started but $url does not accept connections (log: $rundir/server.log)"
  local version
  version=$("$(host_psql)" -X -q -At -d "$url" -c 'show server_version' 2>/dev/null || echo '?')
  log "PostgreSQL $version running as $SERVER_USER in $rundir${MAJOR:+ (root $MAJOR_ROOT)}"
  printf '%s\n' "$url"
}

cmd_stop() {
  [[ $# -eq 1 ]] || die "usage: $PROG stop DIR"
  local dir rundir
  dir=$(abspath "$1")
  [[ -e $dir ]] || { log "$dir does not exist: nothing to stop"; return 0; }
  [[ -e $dir/$MARKER ]] || die "$dir is not a throwaway cluster directory (no $MARKER)"
  rundir=$dir
  [[ -f $dir/rundir ]] && rundir=$(<"$dir/rundir")
  MAJOR=
  [[ -f $dir/major ]] && MAJOR=$(<"$dir/major")
  RUNDIR=$rundir
  if [[ -f $rundir/data/postmaster.pid ]] && in_root_major; then
    # A server in a root: signal its postmaster as pg_ctl -m immediate would (no need for the
    # root, which may be gone), once sure the pid is that server (its -D is this cluster's).
    local pid
    pid=$(head -n 1 "$rundir/data/postmaster.pid" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
         grep -qF -- "-D $rundir/data"; then
      kill -QUIT "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  elif [[ -f $rundir/data/postmaster.pid ]]; then
    find_bindir
    pick_server_user
    local pid
    pid=$(head -n 1 "$rundir/data/postmaster.pid" 2>/dev/null || true)
    if ! as_server "$BINDIR/pg_ctl" -D "$rundir/data" -m immediate -w -t 30 stop >/dev/null 2>&1; then
      # pg_ctl failed (e.g. the server user vanished): signal the postmaster directly.
      if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
        kill -QUIT "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
  fi
  if [[ $rundir != "$dir" && -e $rundir/$MARKER ]]; then rm -rf -- "$rundir"; fi
  safe_remove_dir "$dir"
  log "stopped and removed $dir"
}

cmd_run() {
  local start_opts=()
  while [[ $# -gt 0 ]]; do
    case $1 in
      --tcp) start_opts+=(--tcp); shift ;;
      --major) start_opts+=(--major "$2"); shift 2 ;;
      --) shift; break ;;
      -h|--help) usage; exit 0 ;;
      *) break ;;
    esac
  done
  [[ $# -ge 1 ]] || die "usage: $PROG run [--tcp] [--major N] -- CMD [ARGS...]"

  local dir child='' status
  dir=$(mktemp -d "${NSP_PG_TMPROOT:-/tmp}/nsp-pg.XXXXXX")
  cleanup() {
    trap - EXIT INT TERM HUP
    if [[ -n $child ]] && kill -0 "$child" 2>/dev/null; then
      kill -TERM "$child" 2>/dev/null || true
      wait "$child" 2>/dev/null || true
    fi
    NSP_PG_QUIET=1 cmd_stop "$dir" || rm -rf -- "$dir"
  }
  # shellcheck disable=SC2317  # invoked by the traps below
  on_signal() { echo "$PROG: $1: stopping the server" >&2; cleanup; exit "$2"; }
  trap cleanup EXIT
  trap 'on_signal SIGINT 130' INT
  trap 'on_signal SIGTERM 143' TERM
  trap 'on_signal SIGHUP 129' HUP

  cmd_start "${start_opts[@]}" "$dir" >/dev/null
  # shellcheck disable=SC1091
  source "$dir/env"
  export NSP_PG_URL NSP_PG_HOST NSP_PG_PORT NSP_PG_USER NSP_PG_BINDIR NSP_PG_MAJOR
  export NSP_PG_DIR=$dir

  # CMD runs in the background so that a SIGTERM to this script is handled at once (bash defers
  # traps until a foreground child exits); stdin is passed on explicitly.
  set +e
  "$@" 0<&0 &
  child=$!
  wait "$child"
  status=$?
  set -e
  child=
  cleanup
  return "$status"
}

main() {
  [[ $# -ge 1 ]] || { usage >&2; exit 2; }
  local sub=$1; shift
  case $sub in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    run) cmd_run "$@" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"; exit  # (a script edited while it runs is not read further)
