# rds-backupd — build, run, test, install.
SWIFT      ?= swift
# Where `make install` puts things. The unit's ExecStart= is generated from BINDIR, and every
# directory below is one systemd, man, bash, zsh and fish search for PREFIX=/usr/local and /usr.
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
UNITDIR    ?= $(PREFIX)/lib/systemd/system
CATALOGDIR ?= $(PREFIX)/lib/systemd/catalog
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/share/zsh/vendor-completions,$(PREFIX)/share/zsh/site-functions)
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
CONFDIR    ?= /etc/rds-backupd
# The binary `install-files` installs (`install` builds the release one first), and the generated
# rds-backupd(8) (`make man`; empty: installed without it).
BINARY     ?= .build/release/rds-backupd
# Which build `make deb` packages: release (what users install) or debug (CI only: the build `make
# test` already made, relinked with the Swift runtime linked in, so CI never builds twice).
DEB_FROM   ?= release
MANPAGE    ?= .build/man/rds-backupd.8
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libsystemd-dev pkg-config libsqlite3-dev systemd faketime
BIN        := .build/debug/rds-backupd
# The one version: RDSClientVersion.current (User-Agent, --version, build_info, the package).
VERSION    := $(shell sed -n 's/.*static let current = "\([^"]*\)".*/\1/p' Sources/RDSClient/Transport/HTTPTransport.swift)
INSTALLED_FILES := $(BINDIR)/rds-backupd $(UNITDIR)/rds-backupd.service $(CATALOGDIR)/rds-backupd.catalog \
	$(MANDIR)/man8/rds-backupd.8 $(MANDIR)/man5/rds-backupd.schedule.5 $(BASHCOMPDIR)/rds-backupd \
	$(ZSHCOMPDIR)/_rds-backupd $(FISHCOMPDIR)/rds-backupd.fish

# The Swift runtime linked in, so the binary runs where no toolchain is installed; no $ORIGIN run
# path and immediate binding (BIND_NOW), as Debian expects of a packaged binary.
STATIC_LINK := --static-swift-stdlib --disable-local-rpath -Xlinker -z -Xlinker now
# Objects compiled for the shared Swift runtime (the debug build) name Foundation but not the static
# archives Foundation's own archives need, so relinking them with --static-swift-stdlib fails with
# undefined ICU and CoreFoundation symbols; they are named here, in a group (any order).
FOUNDATION_STATIC_LIBS := $(foreach l,CoreFoundation _FoundationICU _FoundationCShims _FoundationCollections \
	FoundationEssentials dispatch BlocksRuntime stdc++,-Xlinker -l$(l))

.PHONY: deps build release run test install install-files uninstall man deb deb-from-checked peer-check fuzz test-sanitize bench clean help

help:
	@echo "make run      run the service on the embedded simulator with config/demo.yaml (Ctrl-C stops it)"
	@echo "make test     build once and run every test (root: also starts a journald for the journal tests)"
	@echo "make install  build a release binary and install it with the unit, catalog, man pages, completions, example schedule (PREFIX=/usr/local)"
	@echo "make uninstall  remove what make install installed (the schedule and the state stay)"
	@echo "make deb     build rds-backupd_VERSION_ARCH.deb (release build; checked with lintian when installed)"
	@echo "             DEB_FROM=debug: from the debug build instead (CI's package test; not for users)"
	@echo "make man     generate rds-backupd(8) with swift-argument-parser's generate-manual plugin"
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

# What `make install` and `make deb` install: optimised, the Swift runtime linked in (STATIC_LINK).
release: deps
	$(SWIFT) build -c release $(STATIC_LINK)

# The service against the embedded simulator with config/demo.yaml (slots every minute or two):
# backups are created, followed and completed within two minutes, and orders' files copied
# offsite (copy:). Ctrl-C stops it.
# The demo's state directory: one-shot commands given --simulate and --state-dir $(DEMO_STATE) use
# the demo's simulator (it writes simulator.json there); each make run starts an empty history.
DEMO_STATE ?= /tmp/rds-backupd-demo
run: build
	@mkdir -p $(DEMO_STATE) && cd $(DEMO_STATE) && rm -f state.sqlite state.sqlite-wal state.sqlite-shm simulator.json
	@echo "demo state in $(DEMO_STATE); try every command in a second terminal: README.md, \"Try it\""
	@echo "orders' offsite copies go to /tmp/rds-backupd-demo-copies: $(BIN) copies --schedule config/demo.yaml"
	@exec $(BIN) run --simulate --schedule config/demo.yaml --state-dir $(DEMO_STATE)

test: deps
	@if [ "$$(id -u)" = 0 ] && [ -x scripts/start-journald.sh ]; then scripts/start-journald.sh; fi
	$(SWIFT) build --build-tests
	@# A crash report of the crashed thread only: symbolicating all of the test process's
	@# few hundred threads in the debug build took minutes, which looked like a hang.
	SWIFT_BACKTRACE="$${SWIFT_BACKTRACE:-threads=crashed,images=none,symbolicate=fast}" $(SWIFT) test --skip-build

install: release man
	$(MAKE) install-files BINARY=.build/release/rds-backupd
	@if [ -z "$(DESTDIR)" ]; then journalctl --update-catalog && systemctl daemon-reload || true; fi

# Installs BINARY and everything around it, building nothing (make deb and the tests use it too).
# The unit's ExecStart= and ExecReload= name $(BINDIR)/rds-backupd; the completions come from the
# binary itself.
install-files:
	@[ -x "$(BINARY)" ] || { echo "no binary at $(BINARY): run make release, or pass BINARY=PATH"; exit 2; }
	install -D -m 0755 $(BINARY) $(DESTDIR)$(BINDIR)/rds-backupd
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/bin/rds-backupd|$(BINDIR)/rds-backupd|g' systemd/rds-backupd.service > $(DESTDIR)$(UNITDIR)/rds-backupd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/rds-backupd.service
	install -D -m 0644 systemd/rds-backupd.catalog $(DESTDIR)$(CATALOGDIR)/rds-backupd.catalog
	install -D -m 0644 packaging/man/rds-backupd.schedule.5 $(DESTDIR)$(MANDIR)/man5/rds-backupd.schedule.5
	@if [ -n "$(MANPAGE)" ]; then install -D -m 0644 $(MANPAGE) $(DESTDIR)$(MANDIR)/man8/rds-backupd.8; fi
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	@# bash-completion sources the file: no hashbang (lintian: bash-completion-with-hashbang).
	$(BINARY) --generate-completion-script bash | sed '1{/^#!/d}' > $(DESTDIR)$(BASHCOMPDIR)/rds-backupd
	$(BINARY) --generate-completion-script zsh > $(DESTDIR)$(ZSHCOMPDIR)/_rds-backupd
	$(BINARY) --generate-completion-script fish > $(DESTDIR)$(FISHCOMPDIR)/rds-backupd.fish
	chmod 0644 $(DESTDIR)$(BASHCOMPDIR)/rds-backupd $(DESTDIR)$(ZSHCOMPDIR)/_rds-backupd $(DESTDIR)$(FISHCOMPDIR)/rds-backupd.fish
	@if [ ! -e $(DESTDIR)$(CONFDIR)/schedule.yaml ]; then \
		install -D -m 0644 config/schedule.example.yaml $(DESTDIR)$(CONFDIR)/schedule.yaml; \
		echo "installed an example schedule at $(DESTDIR)$(CONFDIR)/schedule.yaml: edit it"; \
	else echo "kept the existing $(DESTDIR)$(CONFDIR)/schedule.yaml"; fi

# Removes what install-files installed with the same PREFIX (and directory variables); the
# schedule, the credentials and the state (/var/lib/rds-backupd) stay.
uninstall:
	@if [ -z "$(DESTDIR)" ] && command -v systemctl >/dev/null; then systemctl disable --now rds-backupd 2>/dev/null || true; fi
	rm -f $(addprefix $(DESTDIR),$(INSTALLED_FILES))
	@if [ -z "$(DESTDIR)" ]; then journalctl --update-catalog && systemctl daemon-reload || true; fi
	@echo "kept $(CONFDIR) and /var/lib/rds-backupd (rm -r them to remove the schedule, credentials and history)"

# rds-backupd(8) from the command-line definitions, by generate-manual: the tool of
# swift-argument-parser's generate-manual plugin, run directly on the debug build (the plugin,
# `swift package plugin generate-manual --section 8`, first rebuilds every product). Dated by
# the last commit.
man: build
	$(SWIFT) build --product generate-manual
	@mkdir -p $(dir $(MANPAGE))
	.build/debug/generate-manual $(BIN) --section 8 -o $(dir $(MANPAGE)) \
		--date "$$(git log -1 --format=%cs 2>/dev/null || date -u +%F)" --authors "rds-backupd developers"
	@# A blank line inside a help text is a paragraph break; mdoc wants .Pp (groff warns otherwise).
	sed -i 's/^$$/.Pp/' $(MANPAGE)

# The Debian package (see packaging/README.md): a release build with the Swift runtime linked in,
# staged by install-files with PREFIX=/usr, then dpkg-deb; lintian checks it when installed.
# DEB_FROM=debug packages the debug build instead, which `make test` has built: only the binary is
# relinked with the runtime linked in (about a minute, no compilation). CI tests the packaging with
# it (lintian, then install, start, reload and purge under systemd); users get the release one.
deb: deb-from-checked man $(if $(filter debug,$(DEB_FROM)),,release)
	@if [ "$(DEB_FROM)" = debug ]; then \
		echo "$(SWIFT) build --product rds-backupd $(STATIC_LINK) (relinks the debug build)"; \
		$(SWIFT) build --product rds-backupd $(STATIC_LINK) -Xlinker --start-group $(FOUNDATION_STATIC_LIBS) -Xlinker --end-group; \
	fi
	BINARY=.build/$(DEB_FROM)/rds-backupd scripts/build-deb.sh $(VERSION)

# Before anything is built: a misspelt DEB_FROM would otherwise start a release build.
deb-from-checked:
	@case "$(DEB_FROM)" in release|debug) ;; *) echo "DEB_FROM is release or debug, not '$(DEB_FROM)'"; exit 2;; esac

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
