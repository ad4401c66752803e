# Syncer developer commands. See docs/testing.md.
#
#   make build        bin/syncer
#   make test         gofmt, go vet, all tests (real servers), fuzz and bench smoke
#   make fuzz         every fuzz target for FUZZTIME (default 60s)
#   make bench-data   generate a >=1M-row binlog into .bench/
#   make bench        decoder benchmarks (BENCH_BINLOG_DIR=.bench)
#   make bench-stream streaming vs file decoding on a 1M-row binlog
#   make bench-pipeline  syncer run end to end: catch-up vs the COPY floor, lag (docs/benchmarks.md)
#   make bench-snapshot  the initial snapshot of a 2M-row table vs a dump + COPY floor, peak RSS (docs/benchmarks.md)
#   make crashloop    schema-history stream killed and restarted under DDL (CRASHLOOP_SECONDS)
#   make demo         MariaDB → PostgreSQL with `syncer run`, a live workload and a checked result (DEMO_FLAGS=-keep)
#   make lint         gofmt + go vet (+ staticcheck when installed)
#   make charset-tables  regenerate the CJK charset overrides from MariaDB

SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

GO ?= go
FUZZTIME ?= 60s
# Per-target time of the fuzz smoke run by `make test`.
FUZZSMOKE ?= 5s
TESTTIMEOUT ?= 20m
BENCH_DIR ?= $(CURDIR)/.bench

.PHONY: all build test fmt-check vet unit fuzz-smoke fuzz bench bench-smoke bench-stream bench-data demo lint clean charset-tables crashloop

all: build

build:
	@mkdir -p bin
	@printf '*\n' > bin/.gitignore
	$(GO) build -o bin/syncer ./cmd/syncer

fmt-check:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then \
		echo "gofmt: these files need formatting (run gofmt -w):"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -count=1 -timeout $(TESTTIMEOUT) ./...

fuzz-smoke:
	FUZZTIME=$(FUZZSMOKE) GO=$(GO) scripts/fuzz.sh

# The short version of `make bench-data && make bench`: a 20,000-row binlog
# and one iteration of every benchmark, so the benchmarks cannot rot.
bench-smoke:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(GO) run ./scripts/genbench -out "$$tmp" -rows 20000 && \
	BENCH_BINLOG_DIR="$$tmp" $(GO) test -run='^$$' -bench=. -benchtime=1x -benchmem ./sources/mysql/... ./cmd/...

test: fmt-check vet unit fuzz-smoke bench-smoke bench-pipeline-smoke bench-snapshot-smoke

fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz.sh

bench-data:
	$(GO) run ./scripts/genbench -out $(BENCH_DIR)

bench:
	@if ! ls $(BENCH_DIR)/*.0* >/dev/null 2>&1; then \
		echo "bench: warning: no binlog in $(BENCH_DIR); run 'make bench-data' first (benchmarks that need it will skip)"; fi
	BENCH_BINLOG_DIR=$(BENCH_DIR) $(GO) test -run='^$$' -bench=. -benchmem ./sources/mysql/...

# Streaming over loopback vs decoding the same binlog from disk (issue 3's
# target: stream within 15% of file), on BENCH_STREAM_ROWS row changes.
BENCH_STREAM_ROWS ?= 1000000
bench-stream:
	BENCH_STREAM_ROWS=$(BENCH_STREAM_ROWS) $(GO) test -run='^$$' -bench=BenchmarkStreamVsFile -benchtime=3x -count=5 -benchmem ./sources/mysql/replication/

# The pipeline benchmark (docs/benchmarks.md, "Pipeline benchmark"):
# private MariaDB and PostgreSQL, 1M inserts + 200k updates + 100k deletes
# caught up by `syncer run` vs a binary COPY of the same rows, then 60 s of
# live lag at 5000 rows/s. BENCH_PIPELINE_FLAGS adds flags (-h lists them).
# The smoke version (about 20 s) checks the target's data all the same and
# fails when it differs.
.PHONY: bench-pipeline bench-pipeline-smoke
BENCH_PIPELINE_FLAGS ?=
bench-pipeline: build
	$(GO) run ./test/harness/cmd/pipelinebench -syncer bin/syncer $(BENCH_PIPELINE_FLAGS)

bench-pipeline-smoke: build
	$(GO) run ./test/harness/cmd/pipelinebench -syncer bin/syncer -rows 20000 -updates 4000 -deletes 2000 -lag-seconds 5

# The snapshot benchmark (docs/benchmarks.md, "Snapshot benchmark"):
# private MariaDB and PostgreSQL, a 2,000,000-row table of mixed types
# copied by `syncer run`'s initial snapshot vs SELECT ... INTO OUTFILE +
# COPY FROM STDIN of the same rows, and syncer's peak RSS.
# BENCH_SNAPSHOT_FLAGS adds flags (-h lists them: -chunk-rows, -parallel,
# -keep, ...). The smoke version (about 20 s) checks the target's data all
# the same and fails when it differs.
.PHONY: bench-snapshot bench-snapshot-smoke
BENCH_SNAPSHOT_FLAGS ?=
bench-snapshot: build
	$(GO) run ./test/harness/cmd/snapshotbench -syncer bin/syncer $(BENCH_SNAPSHOT_FLAGS)

bench-snapshot-smoke: build
	$(GO) run ./test/harness/cmd/snapshotbench -syncer bin/syncer -rows 20000

# The long version of TestStreamCrashLoop (make test runs it for 4 s):
# `syncer binlog stream --state-dir` SIGKILLed and restarted again and
# again while a table is altered and written for CRASHLOOP_SECONDS.
CRASHLOOP_SECONDS ?= 120
crashloop:
	SYNCER_CRASHLOOP_SECONDS=$(CRASHLOOP_SECONDS) $(GO) test -count=1 -timeout 60m -run '^TestStreamCrashLoop$$' -v ./test/e2e/

# The one-command demo: private MariaDB and PostgreSQL, `syncer run
# pipelines/examples/mysql-to-postgres.yaml`, a workload with an ALTER
# TABLE, then source and target compared table by table. DEMO_FLAGS are
# the demo's flags, e.g. DEMO_FLAGS='-duration 60s -keep' (see
# go run ./test/harness/cmd/demo -h).
DEMO_FLAGS ?=
demo: build
	$(GO) build -o bin/demo ./test/harness/cmd/demo
	bin/demo -syncer bin/syncer -pipeline pipelines/examples/mysql-to-postgres.yaml $(DEMO_FLAGS)

lint: fmt-check vet
	@if command -v staticcheck >/dev/null 2>&1; then staticcheck ./...; \
	else echo "lint: staticcheck not installed; ran gofmt and go vet only"; fi

charset-tables:
	$(GO) run ./scripts/gencharset -out sources/mysql/binlog/charset_overrides.go

clean:
	rm -rf bin
