#!/usr/bin/env bash
# PostgreSQL servers and client tools of other majors than the host's own, from Debian's packages.
#
#   pg-major.sh root N            make (once) the cached root of major N and print its path
#   pg-major.sh check N           exit 0 if a root of N exists or can be made here, else print why
#                                 and exit 77 (no root privileges, no debootstrap, mirror unreachable)
#   pg-major.sh exec N PROG ARGS  run PostgreSQL client/server program PROG (psql, pg_dump, ...) of
#                                 major N: the host's own for 15, otherwise inside N's root (see below)
#   pg-major.sh in-root N [--bind DIR]... [--user USER] -- CMD ARGS
#                                 run CMD inside N's root (used by pg-throwaway.sh --major N)
#   pg-major.sh bindir N          print N's binary directory as seen inside its root
#   pg-major.sh list              the majors known here, their suites and cache state
#
# Majors and the Debian release that packages each (docs/versions.md, issue 13):
#   13  bullseye (Debian 11)      15  the host's own (Debian 12 bookworm, no root needed)
#   17  trixie (Debian 13)        18  sid (unstable)
#   19  sid + experimental (a release candidate; only while experimental carries postgresql-19)
#
# The roots live in ${NSP_PG_ROOTS:-/var/cache/nsp-pg-roots}/<suite>-pg<N>, made with
# `debootstrap --variant=minbase --include=postgresql-N SUITE ROOT MIRROR` (about 1.5 minutes each,
# ~250 MB) from the mirror apt already uses (the first Debian URI of /etc/apt/sources.list.d/*.sources
# or /etc/apt/sources.list; NSP_DEBIAN_MIRROR overrides). A root is complete when its marker file
# .nsp-pg-root exists and its postgres binary reports major N; a root that fails that check is
# removed and made again. Concurrent callers wait for one maker (flock).
#
# Nothing is mounted on the host: every command inside a root runs in a private mount namespace
# (unshare --mount) holding /proc, /dev, a private /tmp and the bind-mounted directories, all of
# which vanish with the namespace's last process. A server started this way keeps its namespace
# while it runs; its socket directory is a host directory bind-mounted at the same path, so host
# clients (the plugin, psql 15) connect to it as to any other server. `exec` bind-mounts the host's
# /tmp instead (at /tmp), so the tool reaches any server whose socket directory is under /tmp
# (every --major server of pg-throwaway.sh, and a 15 one started with a DIR under /tmp) or any
# TCP address, and passes stdin and stdout through: give file arguments under /tmp, or use
# redirections.
#
# Needs root: `root` and `in-root` re-run themselves through password-less sudo when not root, but
# pg-throwaway.sh --major runs only as root, so `check` (what the tests ask) wants root. Exit
# status 77 means "this machine cannot make roots or run their servers" (for tests: skip).
set -euo pipefail

PROG=${0##*/}
SELF=$(realpath -- "$0")
ROOTS=${NSP_PG_ROOTS:-/var/cache/nsp-pg-roots}
ROOT_MARKER=.nsp-pg-root
HOST_MAJOR=15
KNOWN_MAJORS="13 15 17 18 19"

die() { echo "$PROG: $*" >&2; exit 1; }
log() { [[ -n ${NSP_PG_QUIET:-} ]] || echo "$PROG: $*" >&2; }
cannot() { echo "$PROG: CANNOT MAKE A POSTGRESQL $1 ROOT HERE: $2" >&2; exit 77; }

usage() { sed -n '2,14s/^# \{0,1\}//p' "$0"; }

suite_of() {
  case $1 in
    13) echo bullseye ;;
    17) echo trixie ;;
    18) echo sid ;;
    19) echo sid ;;          # + experimental
    *) return 1 ;;
  esac
}

check_major() {
  [[ $1 =~ ^[0-9]+$ ]] || die "not a major version: $1"
  [[ $1 == "$HOST_MAJOR" ]] && return 0
  suite_of "$1" >/dev/null || die "PostgreSQL $1 is not one of the majors known here ($KNOWN_MAJORS)"
}

root_of() { echo "$ROOTS/$(suite_of "$1")-pg$1"; }

# Not root: re-run this very command through sudo (non-interactive), or report that we cannot.
need_root() {
  [[ $(id -u) -eq 0 ]] && return 0
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    exec sudo -n --preserve-env=NSP_PG_ROOTS,NSP_DEBIAN_MIRROR,NSP_PG_QUIET "$SELF" "${ORIG_ARGS[@]}"
  fi
  cannot "${MAJOR:-N}" "not root and no password-less sudo (debootstrap, chroot and mounts need root)"
}

# The Debian mirror apt already uses: first URI of a non-security Debian source.
mirror() {
  if [[ -n ${NSP_DEBIAN_MIRROR:-} ]]; then echo "$NSP_DEBIAN_MIRROR"; return; fi
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/ && $i ~ /debian\/?$/) { print $i; exit } }' "$f")
    [[ -n $uri ]] && { echo "${uri%/}"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) { if ($i !~ /security/ && $i ~ /debian\/?$/) { print $i; exit } else break } }' "$f")
    [[ -n $uri ]] && { echo "${uri%/}"; return; }
  done
  return 1
}

# A root is healthy when its marker exists and its postgres binary is of major N.
root_ok() {
  local major=$1 root
  root=$(root_of "$major")
  [[ -f $root/$ROOT_MARKER && -x $root/usr/lib/postgresql/$major/bin/postgres ]] || return 1
  chroot "$root" "/usr/lib/postgresql/$major/bin/postgres" --version 2>/dev/null |
    grep -Eq "\(PostgreSQL\) $major(\.|beta|rc|devel)"
}

# Anything of ours mounted under DIR (there should never be: we mount only in private namespaces)?
mounted_under() { awk -v d="$1/" 'index($2 "/", d) == 1 { found = 1 } END { exit !found }' /proc/self/mounts; }

# postgresql-N (and its client) from experimental into a sid root, with apt inside it (in a
# private mount namespace: /proc and /dev for the maintainer scripts; no service is started).
experimental_install() {
  local tmp=$1 m=$2 major=$3
  echo "deb $m experimental main" >"$tmp/etc/apt/sources.list.d/experimental.list"
  cp -L /etc/resolv.conf "$tmp/etc/resolv.conf" 2>/dev/null || true
  printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
  chmod 0755 "$tmp/usr/sbin/policy-rc.d"
  # shellcheck disable=SC2016
  unshare --mount --propagation private -- bash -c '
    set -e
    mount -t proc proc "$1/proc"
    mount --rbind /dev "$1/dev"
    # The mirror may serve sid with an expired Valid-Until (debootstrap does not check it).
    chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Check-Valid-Until=false \
      update -q
    chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      -t experimental "postgresql-$2" "postgresql-client-$2"
    chroot "$1" apt-get clean
  ' nsp-experimental "$tmp" "$major" || return 1
  rm -f -- "$tmp/usr/sbin/policy-rc.d"
  rm -rf -- "$tmp/var/lib/apt/lists/"*
}

make_root() {
  local major=$1 suite root tmp m t0
  suite=$(suite_of "$major")
  root=$(root_of "$major")
  command -v debootstrap >/dev/null 2>&1 ||
    cannot "$major" "debootstrap is not installed (scripts/install-deps.sh installs it)"
  m=$(mirror) || cannot "$major" "no Debian mirror in apt's sources (set NSP_DEBIAN_MIRROR)"
  curl -fsS -m 30 -o /dev/null "$m/dists/$suite/Release" 2>/dev/null ||
    wget -q -T 30 -O /dev/null "$m/dists/$suite/Release" 2>/dev/null ||
    cannot "$major" "the mirror $m is unreachable (fetching dists/$suite/Release failed)"
  local pkgs="postgresql-$major,postgresql-client-$major"
  if [[ $major == 19 ]]; then
    # 19 exists only as a release candidate in experimental, on top of sid.
    # (grep reads the whole index: with -q, xz would die of SIGPIPE and pipefail say "none")
    if ! { curl -fsS -m 60 "$m/dists/experimental/main/binary-$(dpkg --print-architecture)/Packages.xz" 2>/dev/null ||
           true; } | { xz -dc 2>/dev/null || true; } | grep -x "Package: postgresql-19" >/dev/null; then
      echo "$PROG: ******************************************************************" >&2
      echo "$PROG: Debian experimental has no postgresql-19 package (today): no 19 root" >&2
      echo "$PROG: ******************************************************************" >&2
      exit 77
    fi
    # debootstrap --extra-suites takes each package from the first suite that has it (libpq5
    # of sid, too old for postgresql-client-19): a sid root first, then apt from experimental.
    pkgs=postgresql-common
  fi
  if [[ -e $root ]]; then
    mounted_under "$root" && die "$root has something mounted under it: not removing it"
    log "the root $root is incomplete or broken: making it again"
    rm -rf -- "$root"
  fi
  mkdir -p -- "$ROOTS"
  tmp="$root.making.$$"
  rm -rf -- "$tmp"
  log "making the PostgreSQL $major root ($suite, $m) in $root: about 1.5 minutes, once"
  t0=$(date +%s)
  # In a private mount namespace too: debootstrap mounts /proc (and more) in the new root, and a
  # failed run must not leave those on the host.
  if ! unshare --mount --propagation private -- \
       debootstrap --variant=minbase --include="$pkgs" "$suite" "$tmp" "$m" \
         >"$ROOTS/$suite-pg$major.debootstrap.log" 2>&1; then
    tail -n 20 "$ROOTS/$suite-pg$major.debootstrap.log" >&2 || true
    mounted_under "$tmp" || rm -rf -- "$tmp"
    die "debootstrap of $suite with postgresql-$major failed (log: $ROOTS/$suite-pg$major.debootstrap.log)"
  fi
  if [[ $major == 19 ]] && ! experimental_install "$tmp" "$m" "$major" \
       >>"$ROOTS/$suite-pg$major.debootstrap.log" 2>&1; then
    tail -n 20 "$ROOTS/$suite-pg$major.debootstrap.log" >&2 || true
    mounted_under "$tmp" || rm -rf -- "$tmp"
    die "installing postgresql-$major from experimental failed (log: $ROOTS/$suite-pg$major.debootstrap.log)"
  fi
  # Only what the servers need: the package's default cluster is never used.
  rm -rf -- "$tmp/var/lib/postgresql/$major/main" "$tmp/etc/postgresql/$major/main" \
            "$tmp/var/cache/apt/archives/"*.deb
  chroot "$tmp" "/usr/lib/postgresql/$major/bin/postgres" --version >/dev/null ||
    die "the new root's postgres $major does not run"
  printf 'major=%s\nsuite=%s\nmirror=%s\nmade=%s\nversion=%s\nseconds=%s\n' "$major" "$suite" "$m" \
    "$(date -u +%FT%TZ)" "$(chroot "$tmp" "/usr/lib/postgresql/$major/bin/postgres" --version)" \
    "$(($(date +%s) - t0))" >"$tmp/$ROOT_MARKER"
  mv -- "$tmp" "$root"
  log "made $root in $(($(date +%s) - t0)) s: $(sed -n 's/^version=//p' "$root/$ROOT_MARKER")"
}

cmd_root() {
  [[ $# -eq 1 ]] || die "usage: $PROG root N"
  MAJOR=$1
  check_major "$1"
  [[ $1 == "$HOST_MAJOR" ]] && { echo /; return; }
  root_ok "$1" 2>/dev/null && { root_of "$1"; return; }
  need_root
  mkdir -p -- "$ROOTS"
  exec 9>"$ROOTS/.lock-pg$1"
  flock 9
  root_ok "$1" || make_root "$1"
  exec 9>&-
  root_of "$1"
}

cmd_check() {
  [[ $# -eq 1 ]] || die "usage: $PROG check N"
  MAJOR=$1
  check_major "$1"
  [[ $1 == "$HOST_MAJOR" ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    # pg-throwaway.sh runs the server chrooted in a mount namespace as root would; only making a
    # root (`pg-major.sh root N`) goes through password-less sudo by itself.
    cannot "$1" "not root: a server of another major runs chrooted in a private mount namespace, which needs root (run the tests as root)"
  fi
  root_ok "$1" && return 0
  command -v debootstrap >/dev/null 2>&1 ||
    cannot "$1" "debootstrap is not installed (scripts/install-deps.sh installs it)"
  local m suite
  suite=$(suite_of "$1")
  m=$(mirror) || cannot "$1" "no Debian mirror in apt's sources (set NSP_DEBIAN_MIRROR)"
  curl -fsS -m 30 -o /dev/null "$m/dists/$suite/Release" 2>/dev/null ||
    cannot "$1" "the mirror $m is unreachable (fetching dists/$suite/Release failed)"
}

cmd_bindir() {
  [[ $# -eq 1 ]] || die "usage: $PROG bindir N"
  check_major "$1"
  echo "/usr/lib/postgresql/$1/bin"
}

# in-root N [--bind DIR]... [--host-tmp] [--user USER] -- CMD...
cmd_in_root() {
  [[ $# -ge 1 ]] || die "usage: $PROG in-root N [--bind DIR]... [--user USER] -- CMD"
  local major=$1; shift
  MAJOR=$major
  check_major "$major"
  local binds=() user='' host_tmp=0
  while [[ $# -gt 0 ]]; do
    case $1 in
      --bind) binds+=("$(realpath -m -- "$2")"); shift 2 ;;
      --user) user=$2; shift 2 ;;
      --host-tmp) host_tmp=1; shift ;;
      --) shift; break ;;
      *) die "in-root: unknown option $1" ;;
    esac
  done
  [[ $# -ge 1 ]] || die "in-root: no command"
  local root
  root=$(cmd_root "$major")
  need_root
  local as=() ids
  if [[ -n $user ]]; then
    # Numeric ids from the root's own passwd (the host's may differ or lack the user).
    ids=$(awk -F: -v u="$user" '$1 == u { print $3 ":" $4; found = 1 } END { exit !found }' \
            "$root/etc/passwd") || die "no user $user in $root"
    as=(--userspec="$ids" --groups="${ids#*:}")
  fi
  # The namespace: private propagation, so nothing mounted here is seen by (or left on) the host.
  # Its root is a tmpfs (over the root's empty /mnt, in the namespace only) holding the root's own
  # directories bind-mounted read-only, /proc, /dev, /run, /tmp (a private tmpfs, or the host's
  # with --host-tmp) and the host directories to bind at their own paths: a directory made for
  # those lands in the tmpfs, never in the cached root.
  # shellcheck disable=SC2016
  exec unshare --mount --propagation private -- bash -c '
    set -e
    root=$1 host_tmp=$2; shift 2
    binds=()
    while [[ $1 != -- ]]; do binds+=("$1"); shift; done
    shift
    new=$root/mnt
    mount -t tmpfs -o mode=0755 nsp-root "$new"
    for e in "$root"/* "$root"/.nsp-pg-root; do
      n=${e##*/}
      case $n in mnt|proc|dev|sys|tmp|run) continue ;; esac
      if [[ -L $e ]]; then cp -P -- "$e" "$new/$n"
      elif [[ -d $e ]]; then mkdir "$new/$n"; mount --bind -o ro "$e" "$new/$n"
      elif [[ -f $e ]]; then cp -p -- "$e" "$new/$n"
      fi
    done
    mkdir -p "$new/proc" "$new/dev" "$new/tmp" "$new/run" "$new/mnt"
    mount -t proc proc "$new/proc"
    mount --rbind /dev "$new/dev"
    mount -t tmpfs -o mode=0755,size=16m nsp-run "$new/run"
    if ((host_tmp)); then
      mount --rbind /tmp "$new/tmp"
    else
      mount -t tmpfs -o mode=1777,size=64m nsp-tmp "$new/tmp"
    fi
    for b in "${binds[@]}"; do
      [[ -d $b ]] || continue
      ((host_tmp)) && [[ $b == /tmp/* ]] && continue
      top=${b#/}; top=/${top%%/*}
      if [[ $b != /tmp/* && ( -e $root$top || -L $root$top ) ]]; then
        echo "pg-major.sh: $b is not visible in the root (its $top is the root'"'"'s own)" >&2
        continue
      fi
      mkdir -p -- "$new$b"
      mount --bind "$b" "$new$b"
    done
    exec chroot "$@"
  ' nsp-in-root "$root" "$host_tmp" "${binds[@]}" -- "${as[@]}" "$root/mnt" env HOME=/ "$@"
}

cmd_exec() {
  [[ $# -ge 2 ]] || die "usage: $PROG exec N PROG [ARGS...]"
  local major=$1 prog=$2; shift 2
  MAJOR=$major
  check_major "$major"
  if [[ $major == "$HOST_MAJOR" ]]; then
    exec "/usr/lib/postgresql/$HOST_MAJOR/bin/$prog" "$@"
  fi
  # The host's /tmp, the working directory and the directories of absolute paths among the
  # arguments (psql -f /x/y.sql, pg_dump --file=/x/out) are visible at their own paths.
  local binds=() a p cwd
  cwd=$(pwd -P)
  [[ $cwd != / ]] && binds+=(--bind "$cwd")
  for a in "$@"; do
    p=$a
    [[ $p == --*=/* ]] && p=${p#*=}
    [[ $p == /* ]] || continue
    if [[ -d $p ]]; then binds+=(--bind "$p")
    elif [[ -d $(dirname -- "$p") ]]; then binds+=(--bind "$(dirname -- "$p")")
    fi
  done
  # shellcheck disable=SC2016
  cmd_in_root "$major" --host-tmp "${binds[@]}" -- \
    sh -c 'cd "$1" 2>/dev/null || cd /tmp; shift; exec "$@"' nsp-exec "$cwd" \
    "/usr/lib/postgresql/$major/bin/$prog" "$@"
}

cmd_list() {
  local n
  for n in $KNOWN_MAJORS; do
    if [[ $n == "$HOST_MAJOR" ]]; then
      printf '%-3s %-10s %s\n' "$n" bookworm "the host's own (/usr/lib/postgresql/$n/bin)"
    elif root_ok "$n" 2>/dev/null; then
      printf '%-3s %-10s %s (%s)\n' "$n" "$(suite_of "$n")" "$(root_of "$n")" \
        "$(sed -n 's/^version=//p' "$(root_of "$n")/$ROOT_MARKER")"
    else
      printf '%-3s %-10s %s\n' "$n" "$(suite_of "$n")" "not made yet ($(root_of "$n"))"
    fi
  done
}

main() {
  ORIG_ARGS=("$@")
  [[ $# -ge 1 ]] || { usage >&2; exit 2; }
  local sub=$1; shift
  case $sub in
    root) cmd_root "$@" ;;
    check) cmd_check "$@" ;;
    exec) cmd_exec "$@" ;;
    in-root) cmd_in_root "$@" ;;
    bindir) cmd_bindir "$@" ;;
    list) cmd_list ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"; exit  # (a script edited while it runs is not read further)
