#!/bin/bash
# Tests of the build's own scripts (scripts/qemu-source.sh, scripts/overlay.sh):
# a warm cache needs no network, a corrupt cached tarball is detected and
# fetched again, a failed download names the source line, a half-unpacked
# tree is never reused, laying our files in is idempotent and never
# replaces a file of QEMU's, and the stock build's tree has only the qtest
# hcall command.  TAP on stdout.
#
#   tests/buildsys/build-scripts-test.sh [REPO]
#
# It works on copies: the real cache ($QEMU_VPHB_CACHE or
# ~/.cache/qemu-spapr-vphb) is only read, and only to find the cached source
# package; without one the cache tests are skipped.  No network is used:
# where a download would start, the mirror is an address nothing listens on.
set -u -o pipefail
export LC_ALL=C

REPO=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CACHE=${QEMU_VPHB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qemu-spapr-vphb}
SRC=$CACHE/qemu-src
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vphb-build-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# nothing listens on port 9 of loopback: apt fails at once
export DEBIAN_MIRROR=http://127.0.0.1:9/debian
export DEBIAN_SECURITY_MIRROR=http://127.0.0.1:9/debian-security

N=0
FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }
skip() { N=$((N + 1)); echo "ok $N - $1 # SKIP $2"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

qemu_source() { QEMU_VPHB_CACHE=$1 sh "$REPO/scripts/qemu-source.sh" "${@:2}"; }

dsc=$(ls "$SRC"/qemu_10.0.*.dsc 2>/dev/null | tail -n 1)

# a cache holding the source package: the .dsc and the debian tarball
# copied, the big tarball linked (these tests never write to it)
make_cache() {
    mkdir -p "$1/qemu-src"
    for f in "$SRC"/*; do
        case $f in
        *.orig.tar.*) ln "$f" "$1/qemu-src/" 2>/dev/null || cp "$f" "$1/qemu-src/" ;;
        *) cp "$f" "$1/qemu-src/" ;;
        esac
    done
}

# --- qemu-source.sh --------------------------------------------------------------
if [ -z "$dsc" ]; then
    for t in "a warm cache needs no network" \
             "a corrupt cached tarball is detected and fetched again" \
             "a failed download names the source line" \
             "a half-unpacked tree is never reused" \
             "the stock tree changes only the qtest hcall command's files" \
             "the stock tree records its patches"; do
        skip "$t" "no cached source package in $SRC (run 'make' once)"
    done
else
    # 1. the cache is used as it is, with the mirror unreachable
    make_cache "$WORK/warm"
    check "a warm cache needs no network" \
        qemu_source "$WORK/warm" fetch

    # 2. a truncated tarball fails the .dsc's sums; the script fetches again,
    # and with no network it says which source line failed
    mkdir -p "$WORK/corrupt/qemu-src"
    for f in "$SRC"/*; do
        case $f in
        *.orig.tar.*) head -c 1000000 "$f" > "$WORK/corrupt/qemu-src/$(basename "$f")" ;;
        *) cp "$f" "$WORK/corrupt/qemu-src/" ;;
        esac
    done
    qemu_source "$WORK/corrupt" fetch 2> "$WORK/corrupt.err"
    status=$?
    check "a corrupt cached tarball is detected and fetched again" \
        grep -q "fails its .dsc checksums: fetching it again" "$WORK/corrupt.err"
    check "a failed download names the source line" \
        bash -c "[ $status -ne 0 ] && grep -q \"apt-get update failed for 'deb-src $DEBIAN_MIRROR trixie main'\" '$WORK/corrupt.err'"
    [ "$status" -ne 0 ] || sed 's/^/# /' "$WORK/corrupt.err"

    # 3. leftovers of an interrupted unpack: the temporary folder and a
    # destination without VERSION are both thrown away
    dest=$WORK/tree/qemu
    mkdir -p "$dest.unpacking/junk" "$dest/junk"
    if qemu_source "$WORK/warm" unpack "$dest" 2> "$WORK/unpack.err" &&
        grep -q '^10\.0\.' "$dest/VERSION" && [ ! -e "$dest/junk" ] &&
        [ ! -e "$dest.unpacking" ] && [ -f "$dest/hw/ppc/spapr_pci.c" ]; then
        ok "a half-unpacked tree is never reused"
    else
        not_ok "a half-unpacked tree is never reused"
        sed 's/^/# /' "$WORK/unpack.err"
    fi

    # 4. the stock build's tree (./configure --stock): QEMU's files with
    # only the qtest hcall command, and nothing else of ours
    touch "$WORK/before-stock"
    sleep 0.01
    if sh "$REPO/scripts/overlay.sh" stock-patch "$dest" 2> "$WORK/stock.err" &&
        sh "$REPO/scripts/overlay.sh" stock-files "$dest" 2>> "$WORK/stock.err"; then
        (cd "$dest" && find . -type f -newer "$WORK/before-stock" | sed 's|^\./||' |
            sort) > "$WORK/stock.changed"
        printf '%s\n' .vphb-patches hw/ppc/meson.build hw/ppc/vphb/qtest_hcall.c \
            include/system/qtest.h system/qtest.c > "$WORK/stock.want"
        check "the stock tree changes only the qtest hcall command's files" \
            cmp -s "$WORK/stock.want" "$WORK/stock.changed"
        cmp -s "$WORK/stock.want" "$WORK/stock.changed" ||
            diff "$WORK/stock.want" "$WORK/stock.changed" | sed 's/^/# /'
        check "the stock tree records its patches" \
            bash -c "[ \"\$(cat '$dest/.vphb-patches')\" = \"\$(sh '$REPO/scripts/overlay.sh' stock-hash '$dest')\" ] &&
                     grep -q '^stock-' '$dest/.vphb-patches'"
    else
        not_ok "the stock tree changes only the qtest hcall command's files"
        not_ok "the stock tree records its patches"
        sed 's/^/# /' "$WORK/stock.err"
    fi
fi

# --- overlay.sh --------------------------------------------------------------------
tree=$WORK/overlay
mkdir -p "$tree"
echo 10.0.0 > "$tree/VERSION"
overlay() { sh "$REPO/scripts/overlay.sh" files "$tree"; }

check "overlay lays our files in" \
    bash -c "sh '$REPO/scripts/overlay.sh' files '$tree' &&
             cmp -s '$REPO/hw/ppc/vphb/meson.build' '$tree/hw/ppc/vphb/meson.build'"

# a second run changes nothing: no file is rewritten, so ninja rebuilds nothing
find "$tree" -type f -newer "$tree/VERSION" -exec touch -d '2000-01-01' {} +
overlay
check "laying the same files again rewrites none" \
    bash -c "[ -z \"\$(find '$tree' -type f -newermt '2001-01-01' ! -name VERSION ! -name '.vphb-*')\" ]"

# an edited file is laid again
echo "# edited" >> "$tree/hw/ppc/vphb/meson.build"
overlay
check "an edited file is laid again" \
    cmp -s "$REPO/hw/ppc/vphb/meson.build" "$tree/hw/ppc/vphb/meson.build"

# a file we no longer have goes
echo "hw/ppc/vphb/dropped.c" >> "$tree/.vphb-overlay"
touch "$tree/hw/ppc/vphb/dropped.c"
overlay
check "a file removed from the repository leaves the tree" \
    test ! -e "$tree/hw/ppc/vphb/dropped.c"

# ours never replaces QEMU's: pretend QEMU has a file of the same name
grep -v '^hw/ppc/vphb/meson.build$' "$tree/.vphb-overlay" > "$WORK/manifest"
cp "$WORK/manifest" "$tree/.vphb-overlay"
echo "# QEMU's own" > "$tree/hw/ppc/vphb/meson.build"
if overlay 2> "$WORK/overlay.err"; then
    not_ok "a file of QEMU's is never replaced"
else
    check "a file of QEMU's is never replaced" \
        bash -c "grep -q \"would replace QEMU's own file\" '$WORK/overlay.err' &&
                 grep -q \"QEMU's own\" '$tree/hw/ppc/vphb/meson.build'"
fi

echo "1..$N"
[ "$FAILED" -eq 0 ]
