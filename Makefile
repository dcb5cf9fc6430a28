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

.PHONY: deps build release run test install peer-check clean help

help:
	@echo "make run      run the service on the embedded simulator with config/demo.yaml (Ctrl-C stops it)"
	@echo "make test     build once and run every test (root: also starts a journald for the journal tests)"
	@echo "make install  build a release binary and install it with the unit, catalog and example schedule"
	@echo "make peer-check  check the simulator with the real OpenStack CLI + OTC extensions (needs PyPI)"

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
	$(SWIFT) test --skip-build

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

clean:
	rm -rf .build
