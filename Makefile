# Thin wrapper over CMake: `make test` and `make bench` do everything,
# installing missing dependencies first (scripts/install-deps).
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
BENCH_ARGS ?=
# nvcc lives outside PATH in NVIDIA's default install.
export PATH := $(PATH):/usr/local/cuda/bin

.PHONY: all deps build test bench sanitize tsan install clean

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

# The CPU backend and the emulated device code under ASan+UBSan, then TSan.
sanitize: deps
	cmake -S . -B build-asan -DBRIGADE_EMU=ON -DBRIGADE_SANITIZE=address,undefined \
	      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBRIGADE_BENCH=OFF
	cmake --build build-asan -j$(JOBS)
	ctest --test-dir build-asan --output-on-failure -j$(JOBS)

tsan: deps
	cmake -S . -B build-tsan -DBRIGADE_EMU=ON -DBRIGADE_SANITIZE=thread \
	      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBRIGADE_BENCH=OFF
	cmake --build build-tsan -j$(JOBS)
	ctest --test-dir build-tsan --output-on-failure -j$(JOBS)

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) build-asan build-tsan
