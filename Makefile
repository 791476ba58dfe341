# make test   what CI runs (.ci/run): dependencies, vet, unit tests, fuzzing,
#             the vulnerability check, then the e2e suite (root)
# make fuzz   every Fuzz target for FUZZTIME (default 10s) each
# make vulncheck  govulncheck against the Go vulnerability database (see scripts/vulncheck);
#             fails when the database cannot be reached
# make lab    boot station-01 against pxed in a private network namespace (root);
#             LAB_FLAGS=--arm64 boots an arm64 machine instead,
#             LAB_FLAGS=--ipv6 station-01 from examples/ipv6.yaml (UEFI PXE, IPv6 only)
# make build  one static binary in bin/pxed (BIN=FILE elsewhere), its
#             version from scripts/version (or VERSION=...)
# make packages  the .deb and .rpm in dist/ (PKGDIR=DIR elsewhere): the binary,
#             systemd unit, user, config, man page, completions (scripts/packages)
# make cross  vet the tree and compile the portable packages' tests for macOS and FreeBSD

.PHONY: test lab build packages deps e2e fuzz vulncheck cross

# The vulnerability step's gate is scripts/vulncheck --self-test, which
# proves govulncheck reports a planted vulnerability. The real check runs
# after it: a finding or an error fails the suite; where the database cannot
# be reached (status 69) the log says NOT CHECKED in a banner and the suite
# goes on, since that run checked nothing and passed nothing.
# The diskless tests' Debian root (scripts/diskless-root) takes minutes to
# build the first time on a machine: it starts in the background here, while
# vet, unit tests and fuzzing run; the e2e suite's first diskless test waits
# for it (the script holds a lock) or builds it if this start failed.
test: deps
	mkdir -p /var/cache/pxed && (scripts/diskless-root >/var/cache/pxed/diskless-root.log 2>&1 &)
	go vet ./...
	$(MAKE) cross
	go test ./...
	scripts/fuzz
	scripts/vulncheck --self-test
	scripts/vulncheck || test $$? -eq 69
	go test -tags e2e -count=1 -v -timeout 40m ./test/e2e/

# Just the e2e suite, without installing dependencies first.
e2e:
	go test -tags e2e -count=1 -v -timeout 40m ./test/e2e/

fuzz:
	scripts/fuzz

# pxed serves on Linux only (internal/app.Run says why), but it builds
# elsewhere, and the decision packages compile their tests there too.
CROSS_OS = darwin freebsd
CROSS_PKGS = ./internal/dhcp/ ./internal/lease/ ./internal/pxe/ ./internal/draft/
cross:
	for os in $(CROSS_OS); do \
		GOOS=$$os go vet ./... && \
		for p in $(CROSS_PKGS); do GOOS=$$os go test -c -o /dev/null $$p || exit 1; done || exit 1; \
		echo "cross: $$os ok"; \
	done

vulncheck:
	scripts/vulncheck

lab: deps
	scripts/lab $(LAB_FLAGS)

VERSION ?= $(shell scripts/version)
BIN ?= bin/pxed
build:
	CGO_ENABLED=0 go build -trimpath -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/pxed

PKGDIR ?= dist
packages:
	VERSION=$(VERSION) scripts/packages $(PKGDIR)

deps:
	scripts/deps
