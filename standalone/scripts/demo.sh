#!/bin/sh
# make demo: run the demo program against the freshly built binary.
#   sh scripts/demo.sh [BUILDDIR]     (default: build)
set -eu
BUILD=${1:-build}
if [ ! -x "$BUILD/tests/demo/spapr-demo" ]; then
    echo "demo: $BUILD/tests/demo/spapr-demo is missing: run 'ninja -C $BUILD' first" >&2
    exit 1
fi
QTEST_QEMU_BINARY="$BUILD/qemu-system-ppc64"
export QTEST_QEMU_BINARY
exec "$BUILD/tests/demo/spapr-demo"
