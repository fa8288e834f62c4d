#!/bin/bash
# guest-assets.sh [--arch=ppc64el|amd64] CACHE_DIR
#
# Fetch, once, what the functional tests boot: a Debian 12 kernel, a few of
# its modules with the modules they need, and a static busybox.
#
#   ppc64el (default): the pseries guest: vmlinux and the NVMe host modules;
#     in CACHE_DIR/guest/
#   amd64: the x86 VM that the nested test runs our QEMU in
#     (x86-nested-vfio.sh): vmlinuz and the VFIO modules (vfio-pci,
#     vfio_iommu_type1); in CACHE_DIR/guest-amd64/
#
# In that directory:
#
#   apt-state/   a private apt (sources.list, apt.conf, lists, cache)
#   debs/        the two .debs and MANIFEST (package version sha256 source)
#   assets       symlink to the published directory:
#                  vmlinux or vmlinuz  busybox  modules/*.ko  modules.load
#                  VERSIONS  SHA256SUMS
#
# On success the assets directory is printed on stdout; everything else
# goes to stderr.  GUEST_ASSETS_REFRESH=1 re-resolves the newest versions.
#
# Host packages (Debian): bash coreutils apt dpkg debian-archive-keyring
#   kmod (modinfo) xz-utils (only if modules are .xz) zstd (only if .zst)
#   util-linux (flock)
#
# The host's apt configuration is never touched: no dpkg
# --add-architecture, no /etc/apt edits; apt reads only the files below.

set -u -o pipefail

SUITE=bookworm
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
BUSYBOX=busybox-static
# Another mirror of the same archives can be named (e.g. a local one).
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

log() { echo "guest-assets: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

ARCH=ppc64el
case ${1:-} in --arch=*) ARCH=${1#*=}; shift ;; esac
# Per architecture: the kernel flavour (its metapackage is
# linux-image-FLAVOUR), the kernel file in /boot, the modules to keep (their
# dependencies come along), the cache subdirectory.
case $ARCH in
    ppc64el) FLAVOUR=powerpc64le KFILE=vmlinux MODULES="nvme-core nvme" SUBDIR=guest ;;
    amd64)   FLAVOUR=amd64 KFILE=vmlinuz MODULES="vfio_iommu_type1 vfio-pci" SUBDIR=guest-amd64 ;;
    *) die "--arch=$ARCH: ppc64el or amd64" ;;
esac
META=linux-image-$FLAVOUR

[ $# -eq 1 ] || die "usage: $0 [--arch=ppc64el|amd64] CACHE_DIR"
mkdir -p "$1/$SUBDIR" || die "cannot create $1/$SUBDIR"
GUEST=$(cd "$1/$SUBDIR" && pwd) || exit 1
STATE=$GUEST/apt-state
DEBS=$GUEST/debs
MANIFEST=$DEBS/MANIFEST

for tool in apt-get apt-cache dpkg-deb modinfo sha256sum flock; do
    command -v "$tool" >/dev/null || die "missing tool '$tool' (see the package list at the top of $0)"
done
[ -r "$KEYRING" ] || die "missing $KEYRING (apt-get install debian-archive-keyring)"

# One fetcher at a time per cache: two tests started together must not
# download into the same files.
exec 9>"$GUEST/.lock"
flock -w 900 9 || die "another guest-assets.sh has held $GUEST/.lock for 15 minutes"

# ---- fast path: a published, intact set of assets needs no network -------
assets_ok() {
    [ -f "$GUEST/assets/SHA256SUMS" ] &&
        (cd "$GUEST/assets" && sha256sum --quiet --strict -c SHA256SUMS >/dev/null 2>&1)
}
if [ -z "${GUEST_ASSETS_REFRESH:-}" ] && assets_ok; then
    log "using cached assets in $GUEST/assets ($(paste -sd ' ' "$GUEST/assets/VERSIONS"))"
    readlink -f "$GUEST/assets"
    exit 0
fi
[ -e "$GUEST/assets" ] && log "cached assets missing or corrupt: rebuilding"

# ---- private apt -----------------------------------------------------------
# apt reads APT_CONFIG before apt.conf.d, so pointing Dir::Etc::Parts at an
# empty directory keeps out the host's hooks (PackageKit, appstream) too.
mkdir -p "$STATE/empty" "$STATE/lists/partial" "$STATE/cache/archives/partial" \
         "$STATE/state" "$STATE/log" "$DEBS" || die "cannot create $STATE"
cat > "$STATE/sources.list" <<EOF
deb [arch=$ARCH signed-by=$KEYRING] $MIRROR $SUITE main
deb [arch=$ARCH signed-by=$KEYRING] $MIRROR $SUITE-updates main
deb [arch=$ARCH signed-by=$KEYRING] $SECURITY $SUITE-security main
EOF
cat > "$STATE/apt.conf" <<EOF
Dir::Etc::main "/dev/null";
Dir::Etc::Parts "$STATE/empty";
Dir::Etc::SourceList "$STATE/sources.list";
Dir::Etc::SourceParts "$STATE/empty";
Dir::Etc::Preferences "$STATE/empty/none";
Dir::Etc::PreferencesParts "$STATE/empty";
Dir::State "$STATE/state";
Dir::State::Lists "$STATE/lists";
Dir::State::status "/dev/null";
Dir::Cache "$STATE/cache";
Dir::Log "$STATE/log";
APT::Architecture "$ARCH";
APT::Architectures { "$ARCH"; };
APT::Sandbox::User "root";
Debug::NoLocking "1";
Acquire::Retries "2";
Acquire::http::Timeout "30";
EOF
export APT_CONFIG=$STATE/apt.conf
# -o options are applied after every configuration file: they pin the
# essentials whatever a configuration file might say.
APT_OPTS=(-o "Dir::Etc::SourceList=$STATE/sources.list"
          -o "Dir::Etc::SourceParts=$STATE/empty"
          -o "Dir::State::Lists=$STATE/lists"
          -o "Dir::Cache=$STATE/cache"
          -o "APT::Architecture=$ARCH" -o "APT::Architectures::=$ARCH"
          -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")

# Print the sources.list line(s) whose "URI SUITE" matches $1 and $2.
source_line() {
    grep -n -F " $1 $2 " "$STATE/sources.list" | sed 's/^\([0-9]*\):/sources.list line \1: /'
}

# Refresh the package lists; on failure name each source line that failed.
UPDATED=
apt_update() {
    log "apt-get update for $ARCH from:"
    sed 's/^/guest-assets:   /' "$STATE/sources.list" >&2
    if apt-get "${APT_OPTS[@]}" --error-on=any -q update > "$STATE/log/update.log" 2>&1; then
        UPDATED=1
        return 0
    fi
    log "apt-get update failed; apt said:"
    grep -E '^(Err|E|W):' "$STATE/log/update.log" | sed 's/^/guest-assets:   /' >&2
    local uri suite _
    # fields: deb [arch=..] signed-by=..] URI SUITE main
    while read -r _ _ _ uri suite _; do
        if grep -E '^(Err|E|W):' "$STATE/log/update.log" |
                grep -q -F -e "$uri $suite " -e "$uri/dists/$suite/"; then
            log "FAILED $(source_line "$uri" "$suite")"
        fi
    done < "$STATE/sources.list"
    return 1
}

# "URI SUITE" that apt would take version $2 of package $1 from.
origin_of() {
    apt-cache "${APT_OPTS[@]}" policy "$1" 2>/dev/null | awk -v v="$2" '
        /^ *(\*\*\* )?[^ ]+ -?[0-9]+$/ && NF <= 3 { want = ($(NF-1) == v); next }
        want && $2 ~ /^https?:/ { split($3, s, "/"); print $2, s[1]; exit }'
}

# Resolve the kernel ABI and both versions; write MANIFEST.
resolve() {
    local kpkg pkg ver sha origin
    kpkg=$(apt-cache "${APT_OPTS[@]}" show --no-all-versions "$META" 2>/dev/null |
           sed -n "s/^Depends:.*\\(linux-image-6\\.1\\.0-[0-9]*-$FLAVOUR\\)\\([ ,].*\\)\\{0,1\\}$/\\1/p" | head -n1)
    [ -n "$kpkg" ] || { log "cannot resolve the kernel from $META's Depends"; return 1; }
    log "$META ($ARCH) depends on $kpkg"
    : > "$MANIFEST.new"
    for pkg in "$kpkg" "$BUSYBOX"; do
        ver=$(apt-cache "${APT_OPTS[@]}" policy "$pkg" 2>/dev/null | sed -n 's/^  Candidate: //p')
        if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
            log "no $ARCH candidate for $pkg in any source line"; return 1
        fi
        sha=$(apt-cache "${APT_OPTS[@]}" show "$pkg=$ver" 2>/dev/null | sed -n 's/^SHA256: //p' | head -n1)
        origin=$(origin_of "$pkg" "$ver")
        if [ -z "$sha" ] || [ -z "$origin" ]; then
            log "no SHA256/origin for $pkg $ver"; return 1
        fi
        echo "$pkg $ver $sha $origin" >> "$MANIFEST.new"
    done
    mv "$MANIFEST.new" "$MANIFEST"
}

# A cached .deb is good if its SHA256 is the one apt's signed index gave
# and dpkg-deb can read it.
deb_ok() {
    [ -f "$1" ] && [ "$(sha256sum < "$1" | cut -d' ' -f1)" = "$2" ] &&
        dpkg-deb --info "$1" >/dev/null 2>&1
}

# Download package $1 version $2 (expected sha $3, origin "$4 $5") to debs/.
download() {
    local tmp f
    tmp=$(mktemp -d "$DEBS/dl.XXXXXX") || return 1
    log "downloading $1 $2 from $4 $5 ($(source_line "$4" "$5" | head -n1))"
    if ! (cd "$tmp" && apt-get "${APT_OPTS[@]}" -q download "$1=$2") > "$STATE/log/download.log" 2>&1; then
        log "download of $1 $2 FAILED from $(source_line "$4" "$5"); apt said:"
        grep -E '^(Err|E|W):' "$STATE/log/download.log" | sed 's/^/guest-assets:   /' >&2
        rm -rf "$tmp"; return 1
    fi
    f=$(find "$tmp" -name '*.deb' | head -n1)
    if [ -z "$f" ] || ! deb_ok "$f" "$3"; then
        log "downloaded $1 $2 does not match SHA256 $3 (source: $(source_line "$4" "$5"))"
        rm -rf "$tmp"; return 1
    fi
    mv "$f" "$DEBS/$1.deb" && rm -rf "$tmp"
}

if [ -n "${GUEST_ASSETS_REFRESH:-}" ] || [ ! -s "$MANIFEST" ]; then
    apt_update || die "network or archive failure: no package lists to find $META and $BUSYBOX (see above)"
    resolve || die "cannot resolve $META / $BUSYBOX for $ARCH"
fi

# Verify each cached .deb; fetch again what is missing or corrupt.
fetch_all() {
    local pkg ver sha uri suite
    while read -r pkg ver sha uri suite; do
        if deb_ok "$DEBS/$pkg.deb" "$sha"; then
            log "cached $pkg $ver (SHA256 ok)"; continue
        fi
        [ -e "$DEBS/$pkg.deb" ] && log "cached $pkg.deb is corrupt: downloading again"
        download "$pkg" "$ver" "$sha" "$uri" "$suite" || return 1
    done < "$MANIFEST"
}
# If the pinned versions vanished from the archive (or the lists are
# stale), refresh the lists once and try with the new versions.
if ! fetch_all; then
    [ -z "$UPDATED" ] || die "download failed (see above)"
    apt_update || die "network or archive failure: no package lists to find $META and $BUSYBOX (see above)"
    resolve || die "cannot resolve $META / $BUSYBOX for $ARCH"
    fetch_all || die "download failed (see above)"
fi

# ---- extract and publish ---------------------------------------------------
WORK=$(mktemp -d "$GUEST/build.XXXXXX") || die "cannot create a build dir"
trap 'rm -rf "$WORK"' EXIT
KPKG=$(awk 'NR == 1 { print $1 }' "$MANIFEST")
dpkg-deb -x "$DEBS/$KPKG.deb" "$WORK/x" || die "cannot extract $KPKG.deb"
dpkg-deb -x "$DEBS/$BUSYBOX.deb" "$WORK/x" || die "cannot extract $BUSYBOX.deb"
OUT=$WORK/out
mkdir -p "$OUT/modules"

VMLINUX=$(find "$WORK/x/boot" -name "$KFILE-*" | head -n1)
[ -n "$VMLINUX" ] || die "no boot/$KFILE-* in $KPKG"
cp "$VMLINUX" "$OUT/$KFILE"
KVER=${VMLINUX##*/"$KFILE"-}
cp "$WORK/x/bin/busybox" "$OUT/busybox" || die "no bin/busybox in $BUSYBOX"
MODDIR=$WORK/x/lib/modules/$KVER/kernel

# Find a module by name ('-' and '_' are the same to the kernel) and bring
# it out uncompressed: busybox insmod cannot read .ko.xz / .ko.zst.
mod_file() {
    local want=${1//-/_} f n
    while read -r f; do
        n=${f##*/}; n=${n%%.ko*}
        [ "${n//-/_}" = "$want" ] && { echo "$f"; return 0; }
    done < <(find "$MODDIR" -name '*.ko*')
    return 1
}
unpack() {   # unpack SRC DST.ko
    case $1 in
        *.ko)     cp "$1" "$2" ;;
        *.ko.xz)  xz -dc "$1" > "$2" ;;
        *.ko.zst) zstd -qdc "$1" > "$2" ;;
        *.ko.gz)  gzip -dc "$1" > "$2" ;;
        *)        return 1 ;;
    esac
}
# Depth-first: a module's dependencies come before it in modules.load.
add_module() {
    local src name dep
    src=$(mod_file "$1") || die "module $1 not found in $KPKG"
    name=${src##*/}; name=${name%%.ko*}
    grep -qx -F "$name" "$OUT/modules.load" && return 0
    unpack "$src" "$OUT/modules/$name.ko" || die "cannot decompress $src (xz-utils/zstd missing?)"
    for dep in $(modinfo -F depends "$OUT/modules/$name.ko" | tr ',' ' '); do
        add_module "$dep"
    done
    echo "$name" >> "$OUT/modules.load"
}
: > "$OUT/modules.load"
for m in $MODULES; do add_module "$m"; done

{
    echo "kernel=$KVER"
    while read -r pkg ver _ uri suite; do echo "$pkg=$ver from $uri $suite"; done < "$MANIFEST"
    echo "modules=$(paste -sd ' ' "$OUT/modules.load")"
} > "$OUT/VERSIONS"
(cd "$OUT" && find . -type f -printf '%P\n' | sort | xargs sha256sum > "$WORK/SHA256SUMS") ||
    die "cannot checksum $OUT"
mv "$WORK/SHA256SUMS" "$OUT/SHA256SUMS" || die "cannot move SHA256SUMS"

# Publish: a new directory, then an atomic rename of the 'assets' symlink,
# so a reader sees either the old complete set or the new complete set.
NEW=$(mktemp -d "$GUEST/assets.XXXXXX") || die "cannot create $GUEST/assets.*"
rmdir "$NEW" || die "cannot use $NEW"
mv "$OUT" "$NEW" || die "cannot move $OUT to $NEW"
ln -s "${NEW##*/}" "$GUEST/assets.lnk.$$" || die "cannot create a symlink in $GUEST"
mv -T "$GUEST/assets.lnk.$$" "$GUEST/assets" || die "cannot publish $NEW"
for old in "$GUEST"/assets.*; do
    [ "$old" = "$NEW" ] || rm -rf "$old"
done
log "published $GUEST/assets -> ${NEW##*/}: $(paste -sd ' ' "$NEW/VERSIONS")"
readlink -f "$GUEST/assets"
