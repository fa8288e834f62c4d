#!/bin/sh
# Lay this repository's QEMU-tree files into an unpacked QEMU source tree.
#
#   sh scripts/overlay.sh patch QEMU_SRC    apply patches/*.patch (fresh tree only)
#   sh scripts/overlay.sh files QEMU_SRC    copy our files in (every build)
#   sh scripts/overlay.sh hash QEMU_SRC     the hash 'patch' records
#
# The stock build (./configure --stock) gets the qtest 'hcall' command and
# nothing else of ours: patches/0002-* (more than one qtest command), the
# patches in patches/stock/ (building that one file) and STOCK_FILES:
#
#   sh scripts/overlay.sh stock-patch QEMU_SRC   apply those patches
#   sh scripts/overlay.sh stock-files QEMU_SRC   copy STOCK_FILES in
#   sh scripts/overlay.sh stock-hash QEMU_SRC    the hash 'stock-patch' records
#
# Our files keep QEMU's layout: every file under the folders in OVERLAY_DIRS
# goes to the same path in QEMU_SRC.  A file is copied only when its content
# differs, so an unchanged file keeps its time stamp and ninja rebuilds only
# what was edited.  QEMU_SRC/.vphb-overlay lists what we laid last time: a
# file removed from the repository is removed from the tree too.  A file of
# ours must never replace one of QEMU's: that is refused.
#
# The few lines that register our files with QEMU's build, and the changes
# QEMU itself needs, are patches/NNNN-*.patch, applied in order with
# 'patch -p1' to a freshly unpacked tree (docs/devel/build.rst lists them).
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
OVERLAY_DIRS="hw include tests/qtest tests/vfio-fake tests/functional"
MANIFEST=.vphb-overlay
STOCK_FILES="hw/ppc/vphb/qtest_hcall.c"

msg() { echo "overlay: $*" >&2; }
die() { msg "$*"; exit 1; }

# the patches, in the order they apply, and a hash of all of them
patch_list() { ls "$REPO"/patches/*.patch 2>/dev/null | LC_ALL=C sort; }
patches_hash() {
    # shellcheck disable=SC2046
    { echo v1; cat $(patch_list) /dev/null; } | sha256sum | cut -d' ' -f1
}

# the stock build's: the qtest command callback list and its registration
stock_patch_list() {
    ls "$REPO"/patches/0002-*.patch "$REPO"/patches/stock/*.patch | LC_ALL=C sort
}
stock_hash() {
    # shellcheck disable=SC2046
    { echo stock-v1 $STOCK_FILES; cat $(stock_patch_list) /dev/null; } |
        sha256sum | cut -d' ' -f1
}

apply_list() {
    tree=$1
    shift
    for p in "$@"; do
        if ! patch -p1 --forward --batch --quiet -d "$tree" < "$p" >&2; then
            die "$(basename "$p") does not apply to $tree"
        fi
    done
}

apply_patches() {
    # shellcheck disable=SC2046
    apply_list "$1" $(patch_list)
    patches_hash > "$1/.vphb-patches"
}

apply_stock_patches() {
    # shellcheck disable=SC2046
    apply_list "$1" $(stock_patch_list)
    echo "stock-$(stock_hash)" > "$1/.vphb-patches"
}

# the stock build's few files: copied when they differ, nothing else
lay_stock_files() {
    tree=$1
    [ -f "$tree/VERSION" ] || die "$tree is not an unpacked QEMU tree"
    for f in $STOCK_FILES; do
        if ! cmp -s "$REPO/$f" "$tree/$f"; then
            mkdir -p "$(dirname "$tree/$f")"
            cp "$REPO/$f" "$tree/$f.tmp" && mv "$tree/$f.tmp" "$tree/$f"
        fi
    done
}

our_files() {
    (cd "$REPO" && for d in $OVERLAY_DIRS; do
        [ -d "$d" ] && find "$d" -type f ! -name '*~' ! -name '.*'
    done) | LC_ALL=C sort
}

lay_files() {
    tree=$1
    [ -f "$tree/VERSION" ] || die "$tree is not an unpacked QEMU tree"
    new=$(mktemp)
    trap 'rm -f "$new"' EXIT
    our_files > "$new"
    old=$tree/$MANIFEST
    touch "$old"
    # files we laid before and no longer have
    LC_ALL=C sort "$old" | LC_ALL=C comm -23 - "$new" | while read -r f; do
        rm -f "$tree/$f"
    done
    while read -r f; do
        dst=$tree/$f
        if [ -e "$dst" ] && ! grep -qxF "$f" "$old"; then
            die "$f would replace QEMU's own file of that name: rename ours"
        fi
        if ! cmp -s "$REPO/$f" "$dst"; then
            mkdir -p "$(dirname "$dst")"
            cp "$REPO/$f" "$dst.tmp" && mv "$dst.tmp" "$dst"
        fi
    done < "$new"
    cp "$new" "$old"
    # where the repository is, for the tests of its own scripts
    # (tests/qtest/vphb/meson.build reads it)
    echo "$REPO" > "$tree/.vphb-repo"
}

usage="usage: overlay.sh patch|files|hash|stock-patch|stock-files|stock-hash QEMU_SRC"
[ $# -eq 2 ] || die "$usage"
case "$1" in
patch) apply_patches "$2" ;;
files) lay_files "$2" ;;
hash) patches_hash ;;
stock-patch) apply_stock_patches "$2" ;;
stock-files) lay_stock_files "$2" ;;
stock-hash) echo "stock-$(stock_hash)" ;;
*) die "$usage" ;;
esac
