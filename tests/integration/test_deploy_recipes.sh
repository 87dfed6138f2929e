#!/usr/bin/env bash
# The recipes that cannot run here (deploy/container/Containerfile, deploy/kubernetes/
# worker-sidecar.yaml) and the systemd unit, checked for what can be checked:
#   - syntax: the manifest is YAML (python3-yaml), the Containerfile's exec-form instructions are
#     JSON arrays, its instructions are known ones;
#   - every absolute path they name under /usr exists in the package layout (an install with
#     DESTDIR and prefix /usr, as CPack does), and the socket path is the same everywhere;
#   - every COPY source exists in the repository, the build stage's Debian packages are all in
#     scripts/install-deps.sh, the runtime stage installs the package CPack names;
#   - the manifest: the worker and the plugin-host sidecar mount one emptyDir at /run/neosync, run as
#     non-root (the image's user id), with readOnlyRootFilesystem, no privilege escalation,
#     resources; the host listens on a socket inside that mount.
# The serve flags they pass are checked against `serve --help` by test_deploy_serve_flags.sh.
source "$(dirname "$0")/lib.sh"

tmp=$(nsp_tmpdir)
deploy=$NSP_SOURCE_DIR/deploy
containerfile=$deploy/container/Containerfile
manifest=$deploy/kubernetes/worker-sidecar.yaml
unit=$deploy/systemd/neosync-plugin-host.service
socket=unix:/run/neosync/plugin.sock

# Debian's python3 has python3-yaml (scripts/install-deps.sh); another python3 first in PATH may not.
python=
for p in /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import yaml' 2>/dev/null; then python=$p; break; fi
done
[[ -n $python ]] || nsp_fail "no python3 with the yaml module (Debian package python3-yaml; scripts/install-deps.sh installs it)"

# The package layout: what CPack would put under /usr.
root=$tmp/root
flock "$NSP_BUILD_DIR/.nsp-deploy-install.lock" env DESTDIR="$root" cmake --install "$NSP_BUILD_DIR" --prefix /usr >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; nsp_fail "cmake --install (DESTDIR, prefix /usr) failed"; }
expect_installed() { # PATH WHERE
  [[ -e $root$1 || -L $root$1 ]] || nsp_fail "$2 names $1, which the package does not install"
}

# --- paths used by all three -------------------------------------------------------------------------
for f in "$containerfile" "$manifest" "$unit"; do
  rel=${f#"$NSP_SOURCE_DIR"/}
  grep -qF "$socket" "$f" || nsp_fail "$rel does not use the socket $socket"
  while IFS= read -r path; do
    expect_installed "$path" "$rel"
  done < <(grep -v '^[[:space:]]*#' "$f" | grep -oE '/usr/(bin|lib|share|include)/[A-Za-z0-9_./-]+' | sed 's/[.]$//' | sort -u)
done
_nsp_log "ok: every /usr path of the recipes is in the package layout"

# --- Containerfile ---------------------------------------------------------------------------------
"$python" - "$containerfile" "$NSP_SOURCE_DIR" "$NSP_SOURCE_DIR/scripts/install-deps.sh" <<'PY' || nsp_fail "Containerfile checks failed"
import json, os, re, sys
path, srcdir, deps_script = sys.argv[1:4]
known = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
         "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
text = open(path).read()
# Join continuation lines, drop comments and blank lines.
lines, cur = [], ""
for raw in text.splitlines():
    if not cur and (raw.strip().startswith("#") or not raw.strip()):
        continue
    if raw.rstrip().endswith("\\"):
        cur += raw.rstrip()[:-1] + " "
        continue
    lines.append(cur + raw)
    cur = ""
errors = []
instr = []
for line in lines:
    word, _, rest = line.strip().partition(" ")
    if word.upper() not in known:
        errors.append(f"unknown instruction: {line.strip()[:60]}")
    instr.append((word.upper(), rest.strip()))
froms = [r for w, r in instr if w == "FROM"]
if not froms or not all(re.match(r"debian:(12|bookworm)(-slim)?(\s|$)", f) for f in froms):
    errors.append(f"every stage must be Debian 12: FROM {froms}")
for w, r in instr:
    if w in ("CMD", "ENTRYPOINT", "VOLUME") or (w == "HEALTHCHECK" and "CMD [" in r):
        arr = r[r.index("["):] if w == "HEALTHCHECK" else r
        try:
            v = json.loads(arr)
            assert isinstance(v, list) and all(isinstance(x, str) for x in v)
        except Exception:
            errors.append(f"{w} is not a JSON array of strings: {r}")
    if w == "COPY" and not r.startswith("--from"):
        for src in r.split()[:-1]:
            if not os.path.exists(os.path.join(srcdir, src)):
                errors.append(f"COPY source {src} does not exist in the repository")
users = [r for w, r in instr if w == "USER"]
if not users or users[-1].split(":")[0] in ("0", "root"):
    errors.append(f"the image must end as a non-root user: USER {users}")
# Build-stage packages are a subset of scripts/install-deps.sh.
deps = set()
in_list = False
for l in open(deps_script):
    if l.startswith("NSP_PACKAGES="):
        in_list = True
        continue
    if in_list and l.startswith("EOF"):
        break
    if in_list and l.strip():
        deps.add(l.split()[0])
stage = 0
for w, r in instr:
    if w == "FROM":
        stage += 1
    if w == "RUN" and stage == 1 and "apt-get install" in r:
        after = r.split("apt-get install", 1)[1].split("&&")[0]
        pkgs = [t for t in after.split() if not t.startswith("-")]
        missing = [p for p in pkgs if p not in deps]
        if missing:
            errors.append(f"build packages not in scripts/install-deps.sh: {missing}")
        if not pkgs:
            errors.append("no packages found in the build stage's apt-get install")
if not any(w == "RUN" and "neosync-schema-plugin_" in r and ".deb" in r for w, r in instr):
    errors.append("the runtime stage does not install the neosync-schema-plugin .deb")
if not any(w == "HEALTHCHECK" for w, r in instr):
    errors.append("no HEALTHCHECK")
for e in errors:
    print("FAIL:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
grep -q 'set(CPACK_PACKAGE_NAME "neosync-schema-plugin")' "$NSP_SOURCE_DIR/deploy/CMakeLists.txt" ||
  nsp_fail "the Containerfile installs neosync-schema-plugin_*.deb, but CPack names the package otherwise"
image_uid=$(sed -n 's/^USER \([0-9]*\).*/\1/p' "$containerfile" | tail -n1)
[[ -n $image_uid ]] || nsp_fail "the Containerfile's USER is not numeric (Kubernetes' runAsNonRoot needs a number)"
_nsp_log "ok: Containerfile (user $image_uid)"

# --- Kubernetes manifest ---------------------------------------------------------------------------
"$python" - "$manifest" "$image_uid" "$socket" <<'PY' || nsp_fail "Kubernetes manifest checks failed"
import sys, yaml
path, image_uid, socket = sys.argv[1], int(sys.argv[2]), sys.argv[3]
docs = [d for d in yaml.safe_load_all(open(path)) if d is not None]
errors = []
def need(cond, msg):
    if not cond:
        errors.append(msg)
need(len(docs) >= 1, "no YAML document")
pods = [d for d in docs if d.get("kind") in ("Deployment", "StatefulSet", "Pod")]
need(len(pods) == 1, f"expected one Deployment/StatefulSet/Pod, got {[d.get('kind') for d in docs]}")
for d in pods:
    need("apiVersion" in d and "metadata" in d, "apiVersion or metadata missing")
    spec = d["spec"] if d["kind"] == "Pod" else d["spec"]["template"]["spec"]
    if d["kind"] != "Pod":
        sel = d["spec"]["selector"]["matchLabels"]
        labels = d["spec"]["template"]["metadata"]["labels"]
        need(all(labels.get(k) == v for k, v in sel.items()), "selector does not match the template's labels")
    psc = spec.get("securityContext", {})
    need(psc.get("runAsNonRoot") is True, "pod securityContext.runAsNonRoot is not true")
    need(psc.get("runAsUser") == image_uid, f"pod runAsUser {psc.get('runAsUser')} is not the image's user {image_uid}")
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    containers = spec.get("containers", []) + spec.get("initContainers", [])
    names = [c["name"] for c in containers]
    need(len(set(names)) == len(names), f"duplicate container names {names}")
    shared = None
    hosts = [c for c in containers if "/usr/bin/neosync-plugin-host" in (c.get("command") or [])]
    need(len(hosts) == 1, "no (or more than one) container runs /usr/bin/neosync-plugin-host")
    for c in containers:
        sc = c.get("securityContext", {})
        need(sc.get("readOnlyRootFilesystem") is True, f"{c['name']}: readOnlyRootFilesystem is not true")
        need(sc.get("allowPrivilegeEscalation") is False, f"{c['name']}: allowPrivilegeEscalation is not false")
        need(sc.get("runAsUser", image_uid) != 0, f"{c['name']}: runs as root")
        res = c.get("resources", {})
        need("requests" in res and "limits" in res, f"{c['name']}: resources need requests and limits")
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        need("/run/neosync" in mounts, f"{c['name']}: does not mount /run/neosync")
        if "/run/neosync" in mounts:
            v = vols.get(mounts["/run/neosync"])
            need(v is not None and "emptyDir" in v, f"{c['name']}: /run/neosync is not an emptyDir volume")
            need(shared in (None, mounts["/run/neosync"]), "the containers mount different volumes at /run/neosync")
            shared = mounts["/run/neosync"]
        for m in c.get("volumeMounts", []):
            need(m["name"] in vols, f"{c['name']}: mounts undefined volume {m['name']}")
    need(len(containers) >= 2, "expected the worker and the plugin-host sidecar")
    for h in hosts:
        args = h.get("args", [])
        need(args[:1] == ["serve"], f"the sidecar does not run `serve`: {args}")
        if "--listen" in args:
            need(args[args.index("--listen") + 1] == socket, f"the sidecar listens on {args[args.index('--listen') + 1]}, not {socket}")
        else:
            errors.append("the sidecar has no --listen")
        need("--plugin" in args, "the sidecar has no --plugin")
        if h in spec.get("initContainers", []):
            need(h.get("restartPolicy") == "Always", "a sidecar in initContainers needs restartPolicy: Always")
for e in errors:
    print("FAIL:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
_nsp_log "ok: Kubernetes manifest"

# --- systemd unit: its paths (the /usr ones were checked above) ------------------------------------
grep -q '^ExecStart=/usr/bin/neosync-plugin-host serve ' "$unit" || nsp_fail "the unit does not run /usr/bin/neosync-plugin-host serve"
grep -q '^RuntimeDirectory=neosync$' "$unit" || nsp_fail "the unit's RuntimeDirectory is not neosync (/run/neosync)"
_nsp_log "ok: recipes"
