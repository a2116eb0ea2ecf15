# The README's two commands: `make demo` (set up and run the main job) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TEST_IMAGE := orchestra-test/busybox:1
NODE_IMAGE := orchestra-test/swarm-node:1
DEMO := examples/php-mysql

.PHONY: demo test bootstrap engine test-image example-base node-image lint unit bench bench-quick bench-noop clean docs

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

# The example's Dockerfiles start FROM debian:bookworm-slim: pulled where a registry answers,
# else built from Debian packages (debootstrap), once. Its tests build the images from it.
example-base: engine
	./scripts/bootstrap-debian-base.sh

# The swarm node image of the multi-node tests (tests/cluster): the Debian base plus Debian's
# docker.io and docker-registry, installed with apt in `docker build`, once (about 1 min).
node-image: example-base
	./scripts/build-node-image.sh $(NODE_IMAGE)

demo: bootstrap engine
	./scripts/demo.sh

lint: bootstrap
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: bootstrap test-image example-base node-image lint docs
	$(BIN)/pytest -q

# The docs site (mkdocs + mkdocstrings) into site/; --strict: a warning fails the build.
docs: bootstrap
	$(BIN)/mkdocs build --strict --quiet --site-dir site

unit: bootstrap
	$(BIN)/pytest -q tests/unit

# Benchmarks against `docker compose` and a raw docker-SDK client (bench/README.md); they write
# docs/benchmarks.md and docs/benchmarks.png. The full matrix takes over an hour on 2 cores.
bench: bootstrap test-image
	$(BIN)/python -m bench.driver

bench-quick: bootstrap test-image
	$(BIN)/python -m bench.driver --quick

# The commands that change nothing (no-op `up -d`, `ps`, `--help`), orchestra and compose
# alternately, 15 repetitions on stacks of 10 and 50 services brought up once (a few minutes).
bench-noop: bootstrap test-image
	$(BIN)/python -m bench.noop

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
