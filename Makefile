# Thin wrapper around CMake and the dev stack scripts. See README.md.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
STATE      ?= .swb
CMAKE_FLAGS ?=

CLINC      ?= ../shared/data/clinc150

.PHONY: all build deps test test-fast test-asan demo up down status clean bench docs format model eval chaos

all: build

deps:
	@infra/scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DSWB_WERROR=ON $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DSWB_WERROR=ON -DSWB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)

build-asan: $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j$(JOBS)

# Every test, in the normal build and again under ASan + UBSan.
test: deps
	$(MAKE) test-fast
	$(MAKE) test-asan

test-fast: build
	cd $(BUILD) && ctest --output-on-failure --timeout 300

test-asan: build-asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 SWB_TEST_TIMEOUT_MULTIPLIER=3 \
	  ctest --output-on-failure --timeout 600

up: deps build
	infra/swb-stack up --state $(STATE) --bin $(BUILD)/bin

down:
	infra/swb-stack down --state $(STATE)

status:
	infra/swb-stack status --state $(STATE)

demo: deps build
	infra/swb-stack up --state $(STATE) --bin $(BUILD)/bin
	infra/scripts/demo.sh $(STATE) $(BUILD)/bin

bench: deps build
	infra/scripts/bench.sh $(BUILD)

# The chaos suite's short form (as ctest's chaos.short): process kills, broker,
# request-error and model faults during a steady stream; counts what was lost or
# duplicated. make chaos CHAOS_ARGS=--long: every scenario (leaders, PostgreSQL
# and Redis restarts too), 5,000 requests and >= 10 kills. runbooks/chaos.md.
chaos: deps build
	BUILD=$(BUILD) tests/chaos/run.sh $(CHAOS_ARGS)

# Rebuild the shipped routing model (deterministic, ~40 s) and evaluate it.
model: build
	$(BUILD)/bin/swb-train --clinc $(CLINC) --own data/intents --out models/router.swbm

eval: build
	$(BUILD)/bin/swb-classify --eval $(CLINC)/val.tsv $(CLINC)/oos_val.tsv

docs: build
	$(BUILD)/bin/swb-config --docs > docs/configuration.md

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
