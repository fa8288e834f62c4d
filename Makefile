# qemu-spapr-vphb: QEMU 10.0 with the vPHB extension, built in build/.
#
#   make            fetch (once) and build build/qemu-system-ppc64
#   make check      build, then run every test
#   make check-e2e  only the nested x86 end-to-end test (also in check)
#   make demo       boot a real ppc64el guest on build/qemu-system-ppc64
#   make bench      the TCE benchmark, our build against stock QEMU
#   make distclean  remove build/ (the download cache stays)
#
# The real work is in ./configure (unpack, patch, lay our files in,
# configure QEMU) and in QEMU's own meson/ninja build; docs/devel/build.rst
# explains it.
BUILD ?= build
MESON = /usr/bin/python3 /usr/bin/meson
CACHE ?= $(or $(QEMU_VPHB_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/qemu-spapr-vphb)

# ccache keyed on paths relative to the clone, so a fresh clone reuses it
export CCACHE_DIR ?= $(CACHE)/ccache
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
export QEMU_VPHB_CACHE := $(CACHE)

# QEMU's own ppc64 qtests, run against our build: they must keep passing.
# Among them the pseries ones: rtas-test, qos-test (which holds
# spapr-phb-test), device-plug-test, qmp-test, qom-test.  Left out:
# boot-serial-test, whose sam460ex case needs a U-Boot build that Debian 12
# does not ship (its other six cases pass).
QEMU_QTESTS = qos-test migration-test qom-test test-hmp qmp-cmd-test pxe-test \
    netdev-socket device-introspect-test pnv-xscom-test drive_del-test \
    prom-env-test display-vga-test boot-order-test endianness-test \
    device-plug-test pnv-host-i2c-test numa-test usb-hcd-xhci-test \
    ivshmem-test usb-hcd-uhci-test qmp-test test-filter-redirector rtas-test \
    pnv-xive2-test test-netfilter test-filter-mirror pnv-spi-seeprom-test \
    cpu-plug-test readconfig-test machine-none-test cdrom-test

.PHONY: all qemu deps check check-qemu check-vphb check-functional \
        check-e2e demo bench stock check-stock clean distclean

all: qemu

deps:
	@sh scripts/install-deps.sh

# configure is cheap when nothing changed, and lays our edited files in
qemu: deps
	@./configure --builddir=$(BUILD)
	ninja -C $(BUILD)/qemu-build

# Each set writes its own meson-logs/<logbase>.json; .ci/run adds them up.
QEMU_LOGS = $(BUILD)/qemu-build/meson-logs
TEST_LOGS = $(QEMU_LOGS)/testlog-vphb.json $(QEMU_LOGS)/testlog-qemu.json \
    $(QEMU_LOGS)/testlog-stock.json

check: all
	@rm -f $(TEST_LOGS)
	@status=0; \
	$(MAKE) --no-print-directory check-vphb || status=1; \
	$(MAKE) --no-print-directory check-qemu || status=1; \
	$(MAKE) --no-print-directory check-stock || status=1; \
	python3 scripts/test-summary.py $(TEST_LOGS) || status=1; \
	exit $$status

# ours: qtests, the fake VFIO kernel's unit tests, the real guest
check-vphb:
	$(MESON) test -C $(BUILD)/qemu-build --no-rebuild --print-errorlogs \
	    --num-processes 2 --logbase testlog-vphb --suite vphb

# QEMU's own
check-qemu:
	$(MESON) test -C $(BUILD)/qemu-build --no-rebuild --print-errorlogs \
	    --num-processes 2 --logbase testlog-qemu \
	    $(addprefix qtest-ppc64/,$(QEMU_QTESTS))

check-functional:
	$(MESON) test -C $(BUILD)/qemu-build --no-rebuild --print-errorlogs \
	    --logbase testlog-functional --suite vphb-functional --verbose

# the nested end-to-end test alone (also part of check-vphb)
check-e2e:
	$(MESON) test -C $(BUILD)/qemu-build --no-rebuild --print-errorlogs \
	    --logbase testlog-e2e --suite vphb-e2e --verbose

demo: qemu
	@sh scripts/demo.sh $(BUILD)

# Stock QEMU from the same source, with only the qtest 'hcall' command
# (./configure --stock), for the benchmark to compare with.  Built once;
# configure redoes the tree only when the stock patches change.
# tests/qtest/vphb/meson.build finds it there
STOCK_BUILD = $(BUILD)/stock
stock: deps
	@./configure --stock --builddir=$(STOCK_BUILD)
	ninja -C $(STOCK_BUILD)/qemu-build qemu-system-ppc64

# Our build against stock QEMU's (tests/qtest/vphb/meson.build, suite
# vphb-stock): the TCE tables' migration stream both ways, the recorded
# trace replayed on stock
check-stock: stock
	$(MESON) test -C $(BUILD)/qemu-build --no-rebuild --print-errorlogs \
	    --num-processes 2 --logbase testlog-stock --suite vphb-stock

# The benchmark (docs/devel/testing.rst): a few minutes, no assertion on
# times; the table is also in meson-logs/benchmarklog.txt
bench: qemu check-stock
	VPHB_BENCH_STOCK_QEMU=$(abspath $(STOCK_BUILD)/qemu-system-ppc64) \
	$(MESON) test -C $(BUILD)/qemu-build --benchmark --no-rebuild \
	    --suite vphb-bench --verbose

clean:
	-ninja -C $(BUILD)/qemu-build clean

distclean:
	rm -rf $(BUILD)
