# Set-up is part of every target: a fresh clone needs only `make demo` or `make test`.
PYTHON ?= python3
VENV ?= .venv
# CPU wheel by default (found locally here); GPU users: make TORCH_SPEC='torch==2.13.0' PIP_EXTRA='--index-url ...'
TORCH_SPEC ?= torch==2.13.0
PIP_EXTRA ?=
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# llama.cpp: a portable build (no -march=native, no AMX: a native build dies with SIGILL on VMs
# that do not enable AMX), cached outside the clone so it is compiled once per machine.
WHEEL_CACHE ?= $(HOME)/.cache/evalharness/wheels
LLAMA_VERSION ?= 0.3.36
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF \
	-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF

.PHONY: demo test install llama-cpp clean-venv bench lint

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(PIP_EXTRA) "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e '.[dev,quant,ray]'
	touch $(STAMP)

install: $(STAMP)

llama-cpp: $(STAMP)
	@if $(PY) -c "import llama_cpp, llama_cpp.server.app" 2>/dev/null; then echo "llama-cpp-python already installed"; \
	else \
	  mkdir -p $(WHEEL_CACHE); \
	  if ! ls $(WHEEL_CACHE)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
	    echo "building llama-cpp-python $(LLAMA_VERSION) once (~6 min on 2 cores) into $(WHEEL_CACHE)"; \
	    CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
	      $(PY) -m pip wheel -q --no-deps --no-binary llama-cpp-python -w $(WHEEL_CACHE) \
	      "llama-cpp-python==$(LLAMA_VERSION)" || echo "llama-cpp-python did not build: gguf-native variants will be skipped"; \
	  fi; \
	  $(PY) -m pip install -q "$$(ls $(WHEEL_CACHE)/llama_cpp_python-$(LLAMA_VERSION)-*.whl | head -1)[server]" \
	    || echo "llama-cpp-python not installed: gguf-native variants will be skipped"; \
	fi

# the default suite needs no llama.cpp: `make llama-cpp` (or `make test`) builds it when wanted
demo: $(STAMP)
	$(VENV)/bin/evalharness run suites/default.yaml --summary results/default-summary.html
	@echo "next: $(VENV)/bin/evalharness dashboard          (the runs, comparisons and trade-offs in a browser)"
	@echo "      open results/default-summary.html              (this run on one page: table, chart, choice)"
	@echo "      $(VENV)/bin/evalharness run suites/quantization-matrix.yaml   (every scheme; make llama-cpp first for gguf-native)"

test: llama-cpp
	$(PY) -m pytest -q -ra

bench: $(STAMP)
	$(PY) benchmarks/overhead.py

lint: $(STAMP)
	$(VENV)/bin/ruff check evalharness tests benchmarks dashboards

clean-venv:
	rm -rf $(VENV)
