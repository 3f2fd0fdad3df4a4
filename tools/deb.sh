#!/usr/bin/env bash
# deb.sh - builds the two Debian packages from bin/ (make deb): leakfleet (the server)
# and leakfleet-agent, into build/deb/. Each is `make install-server|install-agent
# PREFIX=/usr` into its own root, stripped, with its docs, copyright and changelog, the
# conffiles of /etc/leakfleet/, maintainer scripts from packaging/debian/*.in, md5sums,
# and Depends computed by dpkg-shlibdeps from the libraries the binary links. No
# debhelper: dpkg-deb and dpkg-shlibdeps (package dpkg-dev) are enough.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in dpkg-deb dpkg-shlibdeps strip; do
    command -v "$tool" >/dev/null || { echo "deb.sh: $tool is missing (apt-get install dpkg-dev binutils)" >&2; exit 1; }
done
version=$(sed -n 's/^#define LEAKFLEET_VERSION "\(.*\)"$/\1/p' base/version.h)
[ -n "$version" ] || { echo "deb.sh: no LEAKFLEET_VERSION in base/version.h" >&2; exit 1; }
changelog_version=$(sed -n '1s/^leakfleet (\(.*\)) .*/\1/p' packaging/debian/changelog)
[ "$version" = "$changelog_version" ] || {
    echo "deb.sh: version $version (base/version.h) is not the changelog's $changelog_version" >&2
    exit 1
}
arch=$(dpkg --print-architecture)
maintainer=$(sed -n 's/^ -- \(.*>\)  .*/\1/p' packaging/debian/changelog | head -n 1)
out=build/deb
rm -rf "$out"
mkdir -p "$out"

# package PKG PART USER GECOS STATE STOP SECTION SUMMARY DESCRIPTION
package() {
    local pkg=$1 part=$2 user=$3 gecos=$4 state=$5 stop=$6 section=$7 summary=$8 text=$9
    local root=$out/$pkg
    make --no-print-directory -s "install-$part" DESTDIR="$PWD/$root" PREFIX=/usr >/dev/null
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root"/usr/bin/*
    local doc=$root/usr/share/doc/$pkg
    find "$doc" -name '*.md' -size +4k -exec gzip -9n {} + # Debian policy 12.3
    gzip -9n "$root"/usr/share/man/man1/*.1
    install -m 0644 packaging/debian/copyright "$doc/copyright"
    gzip -9n <packaging/debian/changelog >"$doc/changelog.gz"
    chmod 0644 "$doc/changelog.gz"

    mkdir -m 0755 "$root/DEBIAN"
    for script in postinst prerm postrm; do
        sed -e "s|@PKG@|$pkg|g" -e "s|@USER@|$user|g" -e "s|@GECOS@|$gecos|g" \
            -e "s|@STATE@|$state|g" -e "s|@STOP@|$stop|g" \
            "packaging/debian/$script.in" >"$root/DEBIAN/$script"
        chmod 0755 "$root/DEBIAN/$script"
    done
    (cd "$root" && find etc -type f | sort | sed 's|^|/|') >"$root/DEBIAN/conffiles"
    (cd "$root" && find usr lib -type f | sort | xargs md5sum) >"$root/DEBIAN/md5sums"
    chmod 0644 "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

    # Depends: the libraries the binary links, from the dpkg database's shlibs/symbols
    local work depends
    work=$(mktemp -d)
    mkdir "$work/debian"
    printf 'Source: leakfleet\n\nPackage: %s\nArchitecture: any\n' "$pkg" >"$work/debian/control"
    local bins=() bin
    for bin in "$PWD/$root"/usr/bin/*; do bins+=("-e$bin"); done
    depends=$(cd "$work" && dpkg-shlibdeps -O "${bins[@]}" 2>"$work/err" |
        sed -n 's/^shlibs:Depends=//p') || true
    [ -s "$work/err" ] && sed 's/^/deb.sh: /' "$work/err" >&2
    rm -rf "$work"
    [ -n "$depends" ] || { echo "deb.sh: dpkg-shlibdeps found no dependencies for $pkg" >&2; exit 1; }
    local size
    size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
    {
        echo "Package: $pkg"
        echo "Source: leakfleet"
        echo "Version: $version"
        echo "Architecture: $arch"
        echo "Maintainer: $maintainer"
        echo "Installed-Size: $size"
        echo "Depends: adduser, $depends"
        echo "Section: $section"
        echo "Priority: optional"
        echo "Description: $summary"
        printf '%s\n' "$text" | fold -s -w 72 | sed -e 's/ *$//' -e 's/^/ /'
    } >"$root/DEBIAN/control"
    chmod 0644 "$root/DEBIAN/control"
    dpkg-deb --root-owner-group -Zxz --build "$root" "$out/${pkg}_${version}_${arch}.deb" >/dev/null
    echo "  DEB     $out/${pkg}_${version}_${arch}.deb (Depends: adduser, $depends)"
}

package leakfleet server leakfleet "leakfleet server" "the database" \
    "finish the requests in flight, drain the writer" net \
    "finds goroutine leaks across a fleet of Go services" \
    "The leakfleet server takes the goroutine profiles that leakfleet agents push, counts the goroutines blocked at each channel and lock operation's source location over time, and tells the owners of the locations in the organisation's own code that are large and growing. It serves a dashboard and an HTTP API, keeps its data in SQLite, and runs as a systemd service (leakfleet.service) under its own user, configured by /etc/leakfleet/leakfleet.yaml."
package leakfleet-agent agent leakfleet-agent "leakfleet agent" "the spool of profiles not yet pushed" \
    "the push in flight finishes, unsent profiles stay in the spool" net \
    "scrapes Go services' goroutine profiles for leakfleet" \
    "The leakfleet agent scrapes /debug/pprof/goroutine of the Go services on its host, with their process start time and version from their Prometheus metrics, and pushes the profiles to a leakfleet server, keeping them in an on-disk spool while the server is away. It finds its targets in Prometheus file_sd files (/etc/leakfleet/targets.d/), http_sd URLs or the Kubernetes pods of its node, and runs as a systemd service (leakfleet-agent.service) under its own user; systemctl reload reads its configuration again."
