# Thin wrapper over CMake: `make test` and `make bench` do everything,
# installing missing dependencies first (scripts/install-deps).
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
BENCH_ARGS ?=
# nvcc lives outside PATH in NVIDIA's default install.
export PATH := $(PATH):/usr/local/cuda/bin

.PHONY: all deps build test bench sanitize tsan fuzz valgrind gpu-kit install clean

all: build

deps:
	@scripts/install-deps $(DEPS_FLAGS)

# The main build: CPU, plus CUDA and HIP wherever their compilers are found,
# plus the emulated GPU, so the device code runs in the tests.
build: deps
	cmake -S . -B $(BUILD) -DBRIGADE_EMU=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

bench: build
	$(BUILD)/bench/bench $(BENCH_ARGS)

# The CPU backend, the emulated device code and the bench (its ctest cases:
# smoke runs with rounds, scripts/bench-compare, the results store) under ASan+UBSan,
# then TSan.
sanitize: deps
	cmake -S . -B build-asan -DBRIGADE_EMU=ON -DBRIGADE_SANITIZE=address,undefined \
	      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBRIGADE_BENCH=ON
	cmake --build build-asan -j$(JOBS)
	ctest --test-dir build-asan --output-on-failure -j$(JOBS)

tsan: deps
	cmake -S . -B build-tsan -DBRIGADE_EMU=ON -DBRIGADE_SANITIZE=thread \
	      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBRIGADE_BENCH=ON
	cmake --build build-tsan -j$(JOBS)
	ctest --test-dir build-tsan --output-on-failure -j$(JOBS)

# The CPU suites under valgrind memcheck: no error, no definite or indirect
# leak. Device suites run under ASan/TSan instead (fibers and valgrind do not
# mix), and so does the pool suite: valgrind runs its exit-time checks in
# every forked worker and changes its exit status, which the process pool
# rightly reports as a failed worker.
VALGRIND_SUITES ?= core mean topk reliability
valgrind: build
	@for t in $(VALGRIND_SUITES); do \
	  echo "valgrind: test_$$t cpu"; \
	  CK_FORK=no OPENBLAS_NUM_THREADS=1 valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect $(BUILD)/tests/test_$$t cpu || exit 1; \
	done

# libFuzzer harnesses (clang, ASan+UBSan): replay the kept corpus, then
# explore for FUZZ_SECONDS each from a scratch copy of it.
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/install-deps --fuzz
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -DBRIGADE_FUZZ=ON -DBRIGADE_EMU=ON \
	      -DBRIGADE_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBRIGADE_BENCH=OFF
	cmake --build build-fuzz -j$(JOBS)
	ctest --test-dir build-fuzz -L fuzz --output-on-failure
	@for h in helpers planner options; do \
	  work=$$(mktemp -d); cp tests/fuzz/corpus/$$h/* $$work/; \
	  echo "fuzz_$$h: $(FUZZ_SECONDS) s"; \
	  build-fuzz/tests/fuzz/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=build-fuzz/crash-$$h- $$work > build-fuzz/fuzz-$$h.log 2>&1; rc=$$?; \
	  tail -n 8 build-fuzz/fuzz-$$h.log; rm -rf $$work; \
	  [ $$rc -eq 0 ] || { echo "fuzz_$$h found a crash: build-fuzz/fuzz-$$h.log"; exit 1; }; \
	done

# The GPU proof kit (docs/gpu-results.md): the bundle for a lent GPU machine,
# then its dry run on emu:32 with Debian's libraries hidden.
gpu-kit: deps
	scripts/gpu-kit build build-gpu-kit/kit
	scripts/gpu-kit dry-run build-gpu-kit/kit

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz build-gpu-kit
