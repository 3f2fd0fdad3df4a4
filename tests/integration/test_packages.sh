#!/usr/bin/env bash
# test_packages.sh - `make install` and `make deb`: the install tree (DESTDIR, PREFIX,
# configs never overwritten), the two Debian packages (control fields, Depends from the
# linked libraries, conffiles, modes), lintian where it is installed, and the packages
# installed with dpkg -i into a throwaway copy of this machine (an overlay of / in a
# private mount namespace, entered with chroot; nothing of it outlives the test):
# users and state directories created, systemd-analyze verify on the installed units,
# the installed binaries started directly (no systemd here) on the installed default
# configs: the agent finds a target through a file in /etc/leakfleet/targets.d/ and its
# profile reaches the installed server; then dpkg -r and --purge.
set -euo pipefail
cd "$(dirname "$0")/../.."

T=$(mktemp -d "${TMPDIR:-/tmp}/lf-packages.XXXXXX")
FAKE_PID=
cleanup() {
    local rc=$?
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$T"
    exit "$rc"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
eq() { [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; echo "ok: $3 = $2"; }
has() { grep -qxF -- "$2" "$1" || fail "$3: no line '$2' in $1"; }

[ -x bin/leakfleet ] && [ -x bin/leakfleet-agent ] || fail "not built (make)"

# ---- make install -----------------------------------------------------------------------
make --no-print-directory -s install DESTDIR="$T/root" PREFIX=/opt/lf >"$T/install.log"
for f in bin/leakfleet bin/leakfleet-agent etc/leakfleet/leakfleet.yaml etc/leakfleet/agent.yaml \
    etc/leakfleet/agent.env lib/systemd/system/leakfleet.service \
    lib/systemd/system/leakfleet-agent.service share/doc/leakfleet/config.md; do
    [ -e "$T/root/opt/lf/$f" ] || fail "make install PREFIX=/opt/lf: no $f"
done
[ -d "$T/root/opt/lf/etc/leakfleet/targets.d" ] || fail "make install: no targets.d"
eq "$(stat -c %a "$T/root/opt/lf/etc/leakfleet/agent.env")" 600 "agent.env mode"
has "$T/root/opt/lf/lib/systemd/system/leakfleet-agent.service" \
    "ExecStart=/opt/lf/bin/leakfleet-agent --config /opt/lf/etc/leakfleet/agent.yaml" \
    "the unit names the installed paths"
grep -q '"/opt/lf/etc/leakfleet/targets.d/\*.json"' "$T/root/opt/lf/etc/leakfleet/agent.yaml" ||
    fail "agent.yaml's file_sd is not under the install's etc"
echo "# edited by the administrator" >>"$T/root/opt/lf/etc/leakfleet/agent.yaml"
make --no-print-directory -s install DESTDIR="$T/root" PREFIX=/opt/lf >"$T/install2.log"
grep -q "edited by the administrator" "$T/root/opt/lf/etc/leakfleet/agent.yaml" ||
    fail "a second make install overwrote an edited config"
grep -q "KEEP .*agent.yaml (exists" "$T/install2.log" || fail "make install does not say it kept the config"
echo "ok: make install: binaries, configs, units, docs; an edited config is kept"

# ---- make deb ---------------------------------------------------------------------------
make --no-print-directory -s deb >"$T/deb.log"
version=$(sed -n 's/^#define LEAKFLEET_VERSION "\(.*\)"$/\1/p' base/version.h)
arch=$(dpkg --print-architecture)
SERVER_DEB=build/deb/leakfleet_${version}_${arch}.deb
AGENT_DEB=build/deb/leakfleet-agent_${version}_${arch}.deb
for deb in "$SERVER_DEB" "$AGENT_DEB"; do [ -f "$deb" ] || fail "no $deb"; done
field() { dpkg-deb -f "$1" "$2"; }
eq "$(field "$SERVER_DEB" Package)" leakfleet "server package name"
eq "$(field "$AGENT_DEB" Package)" leakfleet-agent "agent package name"
for lib in libc6 libcurl4 libjansson4 libmicrohttpd12 libsqlite3-0 libsodium23 libyaml-0-2 zlib1g adduser; do
    field "$SERVER_DEB" Depends | tr ',' '\n' | grep -q "^ *$lib\b" || fail "leakfleet does not depend on $lib"
done
for lib in libc6 libcurl4 libjansson4 libyaml-0-2 zlib1g adduser; do
    field "$AGENT_DEB" Depends | tr ',' '\n' | grep -q "^ *$lib\b" || fail "leakfleet-agent does not depend on $lib"
done
for lib in libsqlite3-0 libmicrohttpd12 libsodium23; do
    field "$AGENT_DEB" Depends | grep -q "$lib" && fail "leakfleet-agent depends on $lib (the agent links no database or HTTP server)"
done
echo "ok: Depends: $(field "$AGENT_DEB" Depends)"
dpkg-deb --ctrl-tarfile "$SERVER_DEB" | tar -xO ./conffiles >"$T/server.conffiles"
dpkg-deb --ctrl-tarfile "$AGENT_DEB" | tar -xO ./conffiles >"$T/agent.conffiles"
eq "$(cat "$T/server.conffiles")" "/etc/leakfleet/leakfleet.yaml" "server conffiles"
eq "$(tr '\n' ' ' <"$T/agent.conffiles")" "/etc/leakfleet/agent.env /etc/leakfleet/agent.yaml " "agent conffiles"
dpkg-deb -c "$AGENT_DEB" >"$T/agent.list"
grep -q '^-rw------- root/root .* ./etc/leakfleet/agent.env$' "$T/agent.list" ||
    fail "agent.env is not 0600 root:root in the package"
grep -q '^-rwxr-xr-x root/root .* ./usr/bin/leakfleet-agent$' "$T/agent.list" || fail "agent binary"
grep -q './lib/systemd/system/leakfleet-agent.service$' "$T/agent.list" || fail "agent unit"
dpkg-deb --fsys-tarfile "$AGENT_DEB" | tar -xO ./usr/bin/leakfleet-agent >"$T/agent.bin"
readelf -S -W "$T/agent.bin" >"$T/sections"
readelf -d -W --dyn-syms "$T/agent.bin" >"$T/dynamic"
grep -q '\.symtab' "$T/sections" && fail "the packaged agent is not stripped"
grep -q 'BIND_NOW' "$T/dynamic" || fail "the packaged agent is not linked with -z now"
grep -q '__stack_chk_fail' "$T/dynamic" || fail "the packaged agent has no stack protector"
grep -q '__memcpy_chk' "$T/dynamic" || fail "the packaged agent is not built with _FORTIFY_SOURCE"
echo "ok: conffiles, modes and owners"
if command -v lintian >/dev/null; then
    lintian_rc=0
    lintian --fail-on error --tag-display-limit 0 "$SERVER_DEB" "$AGENT_DEB" >"$T/lintian.log" 2>&1 || lintian_rc=$?
    sed 's/^/lintian: /' "$T/lintian.log"
    eq "$lintian_rc" 0 "lintian --fail-on error"
else
    echo "SKIP: lintian is not installed (tools/deps.sh test installs it)"
fi

# ---- dpkg -i into a throwaway copy of this machine -----------------------------------
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
    echo "SKIP: installing the packages needs root and unshare"
    echo PASS
    exit 0
fi
mkdir -p "$T/fake" "$T/ovl/upper" "$T/ovl/work" "$T/ovl/root"
python3 tests/integration/agent_fake_server.py "$T/fake" &
FAKE_PID=$!
for _ in $(seq 1 100); do [ -s "$T/fake/port" ] && break; sleep 0.05; done
[ -s "$T/fake/port" ] || fail "stand-in target did not start"
cp "$SERVER_DEB" "$AGENT_DEB" "$T/"
cat >"$T/inside.sh" <<'INSIDE'
#!/bin/bash
# runs in the copy of the machine, as root
set -euo pipefail
fail() { echo "FAIL (installed): $*" >&2; exit 1; }
cd /
dpkg -i /pkgs/leakfleet_*.deb /pkgs/leakfleet-agent_*.deb >/pkgs/dpkg.log 2>&1 ||
    { cat /pkgs/dpkg.log; fail "dpkg -i"; }
echo "ok: dpkg -i of both packages"
dpkg -s leakfleet leakfleet-agent | grep -c '^Status: install ok installed$' | grep -qx 2 || fail "status"
for u in leakfleet leakfleet-agent; do
    getent passwd "$u" | grep -q ":/var/lib/$u:/usr/sbin/nologin$" || fail "user $u: $(getent passwd "$u")"
    [ "$(stat -c '%U %a' "/var/lib/$u")" = "$u 750" ] || fail "/var/lib/$u: $(stat -c '%U %a' "/var/lib/$u")"
done
echo "ok: system users leakfleet and leakfleet-agent, /var/lib/* owned by them, 0750"
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify /lib/systemd/system/leakfleet.service \
        /lib/systemd/system/leakfleet-agent.service >/pkgs/verify.log 2>&1 || {
        cat /pkgs/verify.log; fail "systemd-analyze verify"; }
    # only the lines about our units (the host's own units may have their own remarks)
    if grep -i 'leakfleet' /pkgs/verify.log; then fail "systemd-analyze verify has remarks"; fi
    echo "ok: systemd-analyze verify of both installed units"
    systemd-analyze security --offline=true /lib/systemd/system/leakfleet-agent.service \
        2>/dev/null | tail -n 1 | sed 's/^/ok: systemd-analyze security (agent): /' || true
    systemd-analyze security --offline=true /lib/systemd/system/leakfleet.service \
        2>/dev/null | tail -n 1 | sed 's/^/ok: systemd-analyze security (server): /' || true
else
    echo "SKIP: systemd-analyze is not installed"
fi

# the server on its installed config, as its user (only the port moved: 8080 may be taken)
setpriv --reuid=leakfleet --regid=leakfleet --init-groups --inh-caps=-all \
    bash -c 'cd /var/lib/leakfleet && exec /usr/bin/leakfleet serve --config /etc/leakfleet/leakfleet.yaml --listen 127.0.0.1:0' \
    2>/pkgs/server.log &
server=$!
port=
for _ in $(seq 1 200); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' /pkgs/server.log | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$server" 2>/dev/null || { cat /pkgs/server.log; fail "server exited"; }
    sleep 0.05
done
[ -n "$port" ] || fail "server did not start"
[ -f /var/lib/leakfleet/leakfleet.db ] || fail "no database in /var/lib/leakfleet"
[ "$(stat -c %U /var/lib/leakfleet/leakfleet.db)" = leakfleet ] || fail "database owner"
echo "ok: the installed server runs on the installed config as leakfleet (database in /var/lib/leakfleet)"

# a target for the agent, the way an administrator adds one
cat >/etc/leakfleet/targets.d/shop.yaml <<YAML
- targets: ["127.0.0.1:$TARGET_PORT"]
  labels: {service: shop, instance: packaged-1, __metrics_path__: none}
YAML
set -a; . /etc/leakfleet/agent.env; set +a
rc=0
setpriv --reuid=leakfleet-agent --regid=leakfleet-agent --init-groups --inh-caps=-all \
    /usr/bin/leakfleet-agent --config /etc/leakfleet/agent.yaml --server "http://127.0.0.1:$port" \
    --once 2>/pkgs/agent.log || rc=$?
[ "$rc" = 0 ] || { cat /pkgs/agent.log; fail "agent --once exit $rc"; }
grep -q "target added: 'shop' instance 'packaged-1'" /pkgs/agent.log || fail "agent did not find the target"
[ "$(stat -c %U /var/lib/leakfleet-agent/spool)" = leakfleet-agent ] || fail "spool owner"
services=$(curl -fsS "http://127.0.0.1:$port/api/v1/services")
echo "$services" | grep -q '"shop"' || fail "the server has no profile of shop: $services"
echo "ok: the installed agent (its user, its config, a targets.d file) pushed to the installed server"
kill -TERM "$server"; wait "$server" || fail "server exit status after SIGTERM"

dpkg -r leakfleet-agent leakfleet >/pkgs/dpkg-r.log 2>&1 || { cat /pkgs/dpkg-r.log; fail "dpkg -r"; }
[ ! -e /usr/bin/leakfleet ] && [ ! -e /lib/systemd/system/leakfleet-agent.service ] || fail "files left after -r"
[ -f /etc/leakfleet/agent.yaml ] || fail "dpkg -r removed a conffile"
dpkg --purge leakfleet-agent leakfleet >/pkgs/dpkg-p.log 2>&1 || { cat /pkgs/dpkg-p.log; fail "dpkg --purge"; }
[ ! -e /etc/leakfleet/agent.yaml ] && [ ! -e /etc/leakfleet/leakfleet.yaml ] || fail "conffiles left after --purge"
[ -f /var/lib/leakfleet/leakfleet.db ] || fail "--purge deleted the database (kept on purge by design)"
echo "ok: dpkg -r keeps the conffiles, --purge removes them and keeps the data"
INSIDE
chmod +x "$T/inside.sh"
unshare --mount --propagation private bash -c '
    set -e
    T=$1
    mount -t overlay overlay -o "lowerdir=/,upperdir=$T/ovl/upper,workdir=$T/ovl/work" "$T/ovl/root"
    mount -t proc proc "$T/ovl/root/proc"
    mount --rbind /dev "$T/ovl/root/dev"
    mount -t tmpfs tmpfs "$T/ovl/root/tmp"
    mount -t tmpfs tmpfs "$T/ovl/root/run"
    mkdir -p "$T/ovl/root/pkgs"
    mount --bind "$T" "$T/ovl/root/pkgs"
    TARGET_PORT=$2 chroot "$T/ovl/root" /pkgs/inside.sh
' inside "$T" "$(cat "$T/fake/port")"
echo PASS
