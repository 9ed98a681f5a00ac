# Two commands for a newcomer: `make demo` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow test-all fuzz lint format bench bench-quick clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/logistic train --plots demo-output -o demo-output/model.json
	$(BIN)/python -c "import pyarrow.csv as c; from logistic.tables import breast_cancer_table as t; \
		c.write_csv(t(), 'demo-output/breast_cancer.csv')"
	$(BIN)/logistic report demo-output/model.json demo-output/breast_cancer.csv \
		-o demo-output/report.html

# scikit-learn's own tests (tests/sklearn_suite) run for its global seeds 0 to 9
# The report's browser tests need a Chromium executable; without one they skip.
test: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		echo "note: no chromium, so tests/test_report_browser.py skips; install it with" \
		"'apt-get install chromium' (Debian) or set CHROMIUM=/path/to/chrome"
	SKLEARN_TESTS_GLOBAL_RANDOM_SEED=0-9 $(BIN)/python -m pytest -q -m "not slow"

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m "slow"

test-all: $(STAMP)
	$(BIN)/python -m pytest -q

# Thousands of mutated model files (the suite runs a few dozen): load, summary, predict and
# evaluate must answer each with a model or one line and exit 2 (docs/persistence.md).
FUZZ_EXAMPLES ?= 2500
# Thousands of mutated CSV files and random Parquet schemas, the same through the readers,
# train (in memory, --stream), predict and evaluate: a table or one line and exit 2, each
# command answering within FUZZ_TIMEOUT seconds (docs/reading.md).
READER_FUZZ_EXAMPLES ?= 3000
FUZZ_TIMEOUT ?= 10
fuzz: $(STAMP)
	LOGISTIC_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:cacheprovider \
		--hypothesis-show-statistics tests/test_model_file_fuzz.py
	LOGISTIC_FUZZ_EXAMPLES=$(READER_FUZZ_EXAMPLES) LOGISTIC_FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) \
		$(BIN)/python -m pytest -q -p no:cacheprovider --hypothesis-show-statistics \
		tests/test_reader_fuzz.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt -r benchmarks/requirements-dask.txt
	$(BIN)/python benchmarks/bench_vectorize.py
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/bench_stream.py --size-gb 3
	$(BIN)/python benchmarks/bench_dask.py
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/matrix.py

# A smoke test of the matrix (docs/solvers.md, "The matrix"): four small cells, about a minute.
bench-quick: $(STAMP)
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	$(BIN)/python benchmarks/matrix.py --quick

clean:
	rm -rf $(VENV) demo-output build dist src/*.egg-info .pytest_cache .ruff_cache
