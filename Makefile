# waba_exporter: `make test` runs everything CI runs, installing what it needs first.
GO        ?= go
PKGS      := ./...
FUZZTIME  ?= 5s
CACHE     := $(CURDIR)/.cache
export PATH := $(CACHE)/npm/node_modules/.bin:$(PATH)

.PHONY: test deps fmt-check vet unit fuzz promtool-metrics bench-smoke bench build clean

test: deps fmt-check vet unit fuzz promtool-metrics bench-smoke
	@echo "make test: all checks passed"

build:
	$(GO) build -o waba_exporter .

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

# Every fuzz target runs briefly, so they cannot rot.
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg >/dev/null || { $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; exit 1; }; \
	  done; \
	done

# promtool checks the names of the real exposition (a replay of the golden inputs and of
# a simulated log).
promtool-metrics: build
	@set -e; tmp=$$(mktemp -d); \
	./waba_exporter demo --demo.write-lines 20000 --demo.file $$tmp/sim.ndjson; \
	./waba_exporter replay --openmetrics $$tmp/out.txt exporter/testdata/*.ndjson $$tmp/sim.ndjson; \
	grep -v '^# EOF' $$tmp/out.txt | promtool check metrics; \
	echo "promtool check metrics: OK ($$(grep -vc '^#' $$tmp/out.txt) samples)"; rm -rf $$tmp

# Each benchmark once, so they cannot rot (figures come from `make bench`).
bench-smoke:
	$(GO) test -run '^$$' -bench . -benchtime 1x $(PKGS) >/dev/null

bench:
	bash bench/run.sh

clean:
	rm -rf waba_exporter $(CACHE)/bench
