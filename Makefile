# The README's two commands: `make demo` (set up and run the main job) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TEST_IMAGE := orchestra-test/busybox:1
DEMO := examples/php-mysql

.PHONY: demo test bootstrap engine test-image lint unit bench bench-quick clean

$(BIN)/orchestra: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]' --config-settings editable_mode=compat
	touch $@

bootstrap: $(BIN)/orchestra

engine:
	./scripts/ensure-docker.sh

test-image: engine
	./scripts/build-test-image.sh $(TEST_IMAGE)

demo: bootstrap engine
	./scripts/demo.sh

lint: bootstrap
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: bootstrap test-image lint
	$(BIN)/pytest -q

unit: bootstrap
	$(BIN)/pytest -q tests/unit

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
