# Convenience wrapper: the real build is meson + ninja in build/.
BUILD ?= build
MESON = /usr/bin/python3 /usr/bin/meson

.PHONY: all deps check check-unit check-qtest bench demo clean distclean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@sh scripts/install-deps.sh

$(BUILD)/build.ninja:
	@sh scripts/install-deps.sh
	./configure --builddir=$(BUILD)

check: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)
	$(MESON) test -C $(BUILD) --print-errorlogs --num-processes 2

check-unit check-qtest: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)
	$(MESON) test -C $(BUILD) --print-errorlogs --suite $(subst check-,,$@)

bench: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)
	$(MESON) test -C $(BUILD) --benchmark --verbose

demo: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)
	@sh scripts/demo.sh $(BUILD)

clean:
	-ninja -C $(BUILD) clean

distclean:
	rm -rf $(BUILD)
