# waba_exporter: `make test` runs everything CI runs, installing what it needs first.
GO        ?= go
PKGS      := ./...
FUZZTIME  ?= 5s
CACHE     := $(CURDIR)/.cache
export PATH := $(CACHE)/npm/node_modules/.bin:$(PATH)

# Release version (the VERSION file), shown by --version, `version`, the landing page and
# waba_exporter_build_info: prometheus/common's version variables, set through -ldflags.
VERSION    ?= $(shell cat $(CURDIR)/VERSION)
REVISION   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BRANCH     ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
BUILD_USER ?= $(shell id -un 2>/dev/null)@$(shell hostname 2>/dev/null)
BUILD_DATE ?= $(shell date -u +%Y%m%d-%H:%M:%S)
VERSION_PKG := github.com/prometheus/common/version
LDFLAGS    := -X $(VERSION_PKG).Version=$(VERSION) -X $(VERSION_PKG).Revision=$(REVISION) \
              -X $(VERSION_PKG).Branch=$(BRANCH) -X $(VERSION_PKG).BuildUser=$(BUILD_USER) \
              -X $(VERSION_PKG).BuildDate=$(BUILD_DATE)
BIN        ?= waba_exporter
# The image `make image` builds; deploy/kubernetes names the same tag (a test checks it).
IMAGE      ?= ghcr.io/waba-exporter/waba_exporter
IMAGE_TAG  := $(IMAGE):$(VERSION)

.PHONY: check test deps fmt-check vet unit fuzz promtool-metrics bench-smoke bench build image clean

test: deps fmt-check vet unit fuzz promtool-metrics bench-smoke
	@echo "make test: all checks passed"

# The fast loop, with nothing but Go: vet, then every test that needs no external tool
# nor the reference material outside the repository (those skip under -short). Under a
# minute on 2 vCPU (measured: README, Development).
check:
	$(GO) vet $(PKGS)
	$(GO) test -short -count=1 $(PKGS)

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) .

# The release image, tagged with the version (deploy/Dockerfile; needs a Docker engine).
image:
	docker build -f deploy/Dockerfile --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) \
	  --build-arg BRANCH=$(BRANCH) -t $(IMAGE_TAG) .

# Debian's prometheus (promtool), prometheus-alertmanager, and the npm type checker.
deps:
	bash scripts/install-test-deps.sh

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

unit:
	$(GO) test -race -count=1 -timeout 15m $(PKGS)

# Every fuzz target runs briefly, so they cannot rot. A failing input found by the fuzzer
# is written under testdata/fuzz and fails the build; a run that fails without leaving
# one (a worker lost under load) is shown and tried once more.
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	    before=$$(ls $$dir/testdata/fuzz/$$f 2>/dev/null | wc -l); \
	    if ! out=$$($(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg 2>&1); then \
	      echo "$$out"; \
	      if [ "$$(ls $$dir/testdata/fuzz/$$f 2>/dev/null | wc -l)" != "$$before" ]; then echo "fuzz: $$f found a failing input (see testdata/fuzz/$$f)"; exit 1; fi; \
	      echo "fuzz: $$f failed without a failing input; trying once more"; \
	      $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	    fi; \
	  done; \
	done

# promtool checks the real exposition, as Prometheus scrapes it: the demo served over HTTP
# (text format), and a replay of the golden inputs (checked for parse errors by the
# golden test; OpenMetrics families are named without _total, which promtool's text
# checker does not take).
promtool-metrics: build
	@set -e; tmp=$$(mktemp -d); \
	port=$$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'); \
	./waba_exporter demo --demo.fast --demo.file $$tmp/demo.ndjson --web.listen-address 127.0.0.1:$$port >$$tmp/demo.log 2>&1 & pid=$$!; \
	for i in $$(seq 1 100); do curl -sf http://127.0.0.1:$$port/-/ready >/dev/null && break; sleep 0.2; done; \
	curl -sf http://127.0.0.1:$$port/metrics >$$tmp/metrics.txt; kill $$pid; wait $$pid || true; \
	promtool check metrics <$$tmp/metrics.txt; \
	echo "promtool check metrics: OK ($$(grep -vc '^#' $$tmp/metrics.txt) samples from the demo)"; rm -rf $$tmp

# Each benchmark once, so they cannot rot (figures come from `make bench`).
bench-smoke:
	$(GO) test -run '^$$' -bench . -benchtime 1x $(PKGS) >/dev/null

bench:
	bash bench/run.sh

clean:
	rm -rf waba_exporter $(CACHE)/bench

# The long soak (not part of make test, which runs its short form): 1,000 SIGKILLs over a
# generated month with hourly rotations; see scripts/soak.sh and docs/reliability.md.
.PHONY: soak
soak:
	bash scripts/soak.sh
