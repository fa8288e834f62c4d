#!/bin/sh
# Fetch QEMU 10.0.x from Debian 13's source package into the cache, check
# it, and unpack it (with Debian's patches) into a build folder.
#
#   sh scripts/qemu-source.sh fetch           make sure the cache holds a good copy
#   sh scripts/qemu-source.sh unpack DEST     fetch, then unpack into DEST
#
# The cache is $QEMU_VPHB_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/qemu-spapr-vphb.
# Its qemu-src/ folder holds the .dsc, the +ds orig tarball and the debian
# tarball exactly as apt fetched them; apt-state/ is a private apt
# configuration (trixie's deb-src only), so the system's own apt sources are
# never touched.  apt checks the Release signatures and the file checksums
# when it downloads; this script checks the .dsc's SHA256 sums again every
# time it uses the cache, so a corrupt or truncated copy is fetched anew.
#
# DEST is made in a temporary folder next to it and renamed only once
# dpkg-source has finished, so a half-unpacked tree is never taken for a
# whole one.  An existing DEST is left alone.
set -eu

# The release we build on.  Any 10.0.x point release keeps the internal API
# we use; if Debian no longer serves this one, the newest 10.0.x is taken.
QEMU_DEB_VERSION=${QEMU_DEB_VERSION:-1:10.0.13+ds-0+deb13u1}
QEMU_SERIES=10.0

CACHE=${QEMU_VPHB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qemu-spapr-vphb}
# Another mirror of the same archives can be named (e.g. a local one).
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
SRC=$CACHE/qemu-src
APTDIR=$CACHE/apt-state

msg() { echo "qemu-source: $*" >&2; }
die() { msg "$*"; exit 1; }

apt_opts() {
    echo "-o Dir::Etc::SourceList=$APTDIR/sources.list" \
         "-o Dir::Etc::SourceParts=$APTDIR/sources.list.d" \
         "-o Dir::State::Lists=$APTDIR/lists" \
         "-o Dir::Cache=$APTDIR/cache" \
         "-o APT::Sandbox::User=root" \
         "-o Debug::NoLocking=1"
}

apt_setup() {
    mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial" \
             "$APTDIR/sources.list.d"
    cat > "$APTDIR/sources.list" <<EOF
deb-src [signed-by=$KEYRING] $MIRROR trixie main
deb-src [signed-by=$KEYRING] $SECURITY trixie-security main
EOF
}

# the .dsc in the cache, if exactly one 10.0.x is there
cached_dsc() {
    ls "$SRC"/qemu_"$QEMU_SERIES".*.dsc 2>/dev/null | tail -n 1
}

# check every file the .dsc lists against its SHA256; 0 if all match
verify() {
    dsc=$1
    dir=$(dirname "$dsc")
    sums=$(sed -n '/^Checksums-Sha256:/,/^[^ ]/p' "$dsc" | sed -n 's/^ \([0-9a-f]\{64\}\) [0-9]* \(.*\)$/\1  \2/p')
    [ -n "$sums" ] || return 1
    (cd "$dir" && echo "$sums" | sha256sum --check --quiet --strict) >/dev/null 2>&1
}

fetch() {
    dsc=$(cached_dsc)
    if [ -n "$dsc" ]; then
        if verify "$dsc"; then
            echo "$dsc"
            return 0
        fi
        msg "cached source in $SRC fails its .dsc checksums: fetching it again"
        rm -rf "$SRC"
    fi
    command -v apt-get >/dev/null || die "apt-get not found: this needs Debian"
    [ -r "$KEYRING" ] || die "$KEYRING is missing (package debian-archive-keyring)"
    apt_setup
    # shellcheck disable=SC2046
    # --error-on=any: an index that cannot be fetched is an error, not a
    # warning, so a missing network is reported here, naming the sources
    if ! apt-get $(apt_opts) -q update --error-on=any >&2; then
        die "apt-get update failed for 'deb-src $MIRROR trixie main'" \
            "and 'deb-src $SECURITY trixie-security main' (is the network up?)"
    fi
    # shellcheck disable=SC2046
    versions=$(apt-cache $(apt_opts) showsrc qemu 2>/dev/null | sed -n 's/^Version: //p' | sort -u)
    want=""
    for v in $versions; do
        [ "$v" = "$QEMU_DEB_VERSION" ] && want=$v
    done
    if [ -z "$want" ]; then
        # the newest 10.0.x that Debian serves
        for v in $versions; do
            case "$v" in
            1:"$QEMU_SERIES".*)
                if [ -z "$want" ] || dpkg --compare-versions "$v" gt "$want"; then
                    want=$v
                fi ;;
            esac
        done
    fi
    [ -n "$want" ] || die "Debian's trixie sources offer no qemu $QEMU_SERIES.x (found: $(echo $versions))"
    [ "$want" = "$QEMU_DEB_VERSION" ] || msg "qemu $QEMU_DEB_VERSION is gone from Debian; using $want"
    tmp="$SRC.tmp"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    # shellcheck disable=SC2046
    if ! (cd "$tmp" && apt-get $(apt_opts) -q source --download-only "qemu=$want" >&2); then
        rm -rf "$tmp"
        die "apt-get source qemu=$want (package qemu) failed from 'deb-src $MIRROR trixie main'"
    fi
    dsc=$(ls "$tmp"/qemu_*.dsc)
    verify "$dsc" || { rm -rf "$tmp"; die "downloaded qemu=$want fails its .dsc checksums"; }
    rm -rf "$SRC"
    mv "$tmp" "$SRC"
    cached_dsc
}

unpack() {
    dest=$1
    if [ -f "$dest/VERSION" ]; then
        return 0
    fi
    dsc=$(fetch)
    command -v dpkg-source >/dev/null || die "dpkg-source not found (package dpkg-dev)"
    tmp="$dest.unpacking"
    rm -rf "$tmp" "$dest"
    mkdir -p "$(dirname "$dest")"
    msg "unpacking $(basename "$dsc") into $dest"
    # dpkg-source checks the .dsc checksums once more and applies Debian's patches
    if ! dpkg-source --no-copy -x "$dsc" "$tmp" >/dev/null 2>"$tmp.log"; then
        cat "$tmp.log" >&2
        rm -rf "$tmp" "$tmp.log"
        die "dpkg-source -x $dsc failed"
    fi
    rm -f "$tmp.log"
    case "$(cat "$tmp/VERSION")" in
    "$QEMU_SERIES".*) ;;
    *) rm -rf "$tmp"; die "unpacked QEMU is $(cat "$tmp/VERSION"), not $QEMU_SERIES.x" ;;
    esac
    mv "$tmp" "$dest"
}

case "${1:-}" in
fetch) fetch >/dev/null ;;
unpack) [ $# -eq 2 ] || die "usage: qemu-source.sh unpack DEST"; unpack "$2" ;;
*) die "usage: qemu-source.sh fetch | unpack DEST" ;;
esac
