# rds-backupd — build, run, test, install.
SWIFT      ?= swift
PREFIX     ?= /usr/local
DESTDIR    ?=
UNITDIR    ?= /etc/systemd/system
CATALOGDIR ?= /usr/lib/systemd/catalog
CONFDIR    ?= /etc/rds-backupd
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libsystemd-dev pkg-config libsqlite3-dev systemd
BIN        := .build/debug/rds-backupd

.PHONY: deps build release run test install peer-check fuzz test-sanitize bench clean help

help:
	@echo "make run      run the service on the embedded simulator with config/demo.yaml (Ctrl-C stops it)"
	@echo "make test     build once and run every test (root: also starts a journald for the journal tests)"
	@echo "make install  build a release binary and install it with the unit, catalog and example schedule"
	@echo "make peer-check  check the simulator with the real OpenStack CLI + OTC extensions (needs PyPI)"
	@echo "make bench    the benchmarks of BENCHMARKS.md (about 15 min)"
	@echo "make fuzz     bounded libFuzzer runs (FUZZ_SECONDS per target)"
	@echo "make test-sanitize  the tests under AddressSanitizer and ThreadSanitizer"

# Debian packages the build and tests need; installed only when missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

# The Swift runtime is linked in, so the installed binary runs where no toolchain is installed.
release: deps
	$(SWIFT) build -c release --static-swift-stdlib

# The service against the embedded simulator with config/demo.yaml (slots every minute or two):
# backups are created, followed and completed within two minutes. Ctrl-C stops it.
run: build
	@state=$$(mktemp -d /tmp/rds-backupd-demo.XXXXXX); \
	echo "demo state in $$state; in another terminal: $(BIN) status --schedule config/demo.yaml --state-dir $$state"; \
	exec $(BIN) run --simulate --schedule config/demo.yaml --state-dir $$state

test: deps
	@if [ "$$(id -u)" = 0 ] && [ -x scripts/start-journald.sh ]; then scripts/start-journald.sh; fi
	$(SWIFT) build --build-tests
	@# A crash report of the crashed thread only: symbolicating all of the test process's
	@# few hundred threads in the debug build took minutes, which looked like a hang.
	SWIFT_BACKTRACE="$${SWIFT_BACKTRACE:-threads=crashed,images=none,symbolicate=fast}" $(SWIFT) test --skip-build

install: release
	install -D -m 0755 .build/release/rds-backupd $(DESTDIR)$(PREFIX)/bin/rds-backupd
	install -D -m 0644 systemd/rds-backupd.service $(DESTDIR)$(UNITDIR)/rds-backupd.service
	install -D -m 0644 systemd/rds-backupd.catalog $(DESTDIR)$(CATALOGDIR)/rds-backupd.catalog
	@if [ ! -e $(DESTDIR)$(CONFDIR)/schedule.yaml ]; then \
		install -D -m 0644 config/schedule.example.yaml $(DESTDIR)$(CONFDIR)/schedule.yaml; \
		echo "installed an example schedule at $(DESTDIR)$(CONFDIR)/schedule.yaml: edit it"; \
	else echo "kept the existing $(DESTDIR)$(CONFDIR)/schedule.yaml"; fi
	@if [ -z "$(DESTDIR)" ]; then journalctl --update-catalog && systemctl daemon-reload || true; fi

peer-check: build
	scripts/peer-check.sh

# Benchmarks (about 15 min; never part of make test): micro (Benchmarks/ package), cost per
# backup against the OpenStack CLI, idle, start, fleet. Prints one summary table; see BENCHMARKS.md.
bench: deps
	scripts/bench.sh

# Bounded libFuzzer runs of the parsers (FUZZ_SECONDS per target, default 20; first build ~14 min).
fuzz:
	scripts/fuzz.sh

# The tests under AddressSanitizer, then ThreadSanitizer, each in its own scratch folder
# (~20 min each the first time). Leak detection is off: XCTest and Foundation leak at exit.
test-sanitize: deps
	@for s in asan tsan; do [ -d .build/$$s/checkouts ] || { mkdir -p .build/$$s && cp -r .build/checkouts .build/repositories .build/workspace-state.json .build/$$s/; }; done
	$(SWIFT) build --build-tests --scratch-path .build/asan --sanitize=address
	ASAN_OPTIONS=detect_leaks=0 RDS_BACKUPD_BINARY=$(CURDIR)/.build/asan/debug/rds-backupd $(SWIFT) test --skip-build --scratch-path .build/asan --sanitize=address
	$(SWIFT) build --build-tests --scratch-path .build/tsan --sanitize=thread
	TSAN_OPTIONS=halt_on_error=1 RDS_BACKUPD_BINARY=$(CURDIR)/.build/tsan/debug/rds-backupd $(SWIFT) test --skip-build --scratch-path .build/tsan --sanitize=thread

clean:
	rm -rf .build
