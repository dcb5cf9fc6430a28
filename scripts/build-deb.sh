#!/bin/bash
# build-deb.sh VERSION: rds-backupd_VERSION_ARCH.deb from the release build (make deb runs it after
# `make release man`). The tree is staged by `make install-files PREFIX=/usr` (the same recipe as
# a source install), completed with packaging/deb/ (control, maintainer scripts, conffiles,
# copyright, changelog), and built by dpkg-deb; Depends: comes from dpkg-shlibdeps. Then lintian
# checks it when installed (LINTIAN=0 skips it, LINTIAN=required fails without it).
# Env: DEB_OUT (output directory, default .), BINARY (default .build/release/rds-backupd).
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: build-deb.sh VERSION}
binary=${BINARY:-.build/release/rds-backupd}
out=${DEB_OUT:-.}
arch=$(dpkg --print-architecture)
name=rds-backupd_${version}_${arch}
stage=$PWD/.build/deb/$name
doc=$stage/usr/share/doc/rds-backupd

rm -rf "$stage" && mkdir -p "$stage/DEBIAN"
make --no-print-directory install-files DESTDIR="$stage" PREFIX=/usr BINARY="$binary" MANPAGE=.build/man/rds-backupd.8 >/dev/null
# Debian ships binaries stripped (the Swift metadata sections stay; only symbol tables go).
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/rds-backupd"
gzip -9n "$stage"/usr/share/man/man*/*
install -D -m 0644 packaging/deb/copyright "$doc/copyright"
gzip -9n <packaging/deb/changelog >"$doc/changelog.gz" && chmod 0644 "$doc/changelog.gz"
install -D -m 0644 contrib/prometheus/rds-backupd.rules.yml "$doc/examples/rds-backupd.rules.yml"
install -m 0644 systemd/credentials.example "$doc/examples/credentials.example"
install -m 0644 contrib/systemd/rds-backupd-copies.conf "$doc/examples/rds-backupd-copies.conf"
# lintian reads a package's overrides from the package itself; each one says why.
if [ -f packaging/deb/lintian-overrides ]; then
    install -D -m 0644 packaging/deb/lintian-overrides "$stage/usr/share/lintian/overrides/rds-backupd"
fi

# Depends: the shared libraries the binary needs (libc6, libsqlite3-0, libsystemd0, ...).
shlibs=$(mktemp -d)
trap 'rm -rf "$shlibs"' EXIT
mkdir "$shlibs/debian"
printf 'Source: rds-backupd\n\nPackage: rds-backupd\nArchitecture: any\n' >"$shlibs/debian/control"
depends=$(cd "$shlibs" && dpkg-shlibdeps -O -e"$stage/usr/bin/rds-backupd" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/$depends/" \
    packaging/deb/control.in >"$stage/DEBIAN/control"
install -m 0644 packaging/deb/conffiles "$stage/DEBIAN/conffiles"
install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm "$stage/DEBIAN/"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"

mkdir -p "$out"
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)} \
    dpkg-deb --root-owner-group -Zxz --build "$stage" "$out/$name.deb" >/dev/null
echo "built $out/$name.deb"

case ${LINTIAN:-auto} in
0) ;;
*)
    if command -v lintian >/dev/null; then
        # Overrides, each with its reason, are in packaging/deb/lintian-overrides (shipped too).
        lintian --fail-on error,warning "$out/$name.deb"
        echo "lintian: no errors, no warnings"
    elif [ "${LINTIAN:-auto}" = required ]; then
        echo "build-deb: lintian is not installed (apt-get install lintian)" >&2; exit 1
    else
        echo "build-deb: lintian is not installed; the package was not checked (apt-get install lintian)"
    fi
    ;;
esac
