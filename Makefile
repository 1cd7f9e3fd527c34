# Everything a fresh machine needs: `make demo` and `make test` build the virtual environment themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HYPOTHESIS_PROFILE ?= ci

.PHONY: all demo test lint typecheck contracts pytest bench docs clean

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet --editable ".[all]" --group dev
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/educonnect demo --out demo-output

lint: $(STAMP)
	$(BIN)/ruff check src adapters tests bench docs/generate.py
	$(BIN)/ruff format --check src adapters tests bench docs/generate.py

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider --hypothesis-profile=$(HYPOTHESIS_PROFILE)

test: lint typecheck contracts pytest

docs: $(STAMP)
	$(BIN)/python docs/generate.py

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# The feed readers' fuzz test alone (issue 4); `make test` runs it too, with the same inputs.
.PHONY: fuzz
fuzz: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider --hypothesis-profile=$(HYPOTHESIS_PROFILE) tests/feed/test_feed_fuzz.py

# Documents (issue 5): DejaVu Sans is embedded in every PDF; install it where it is missing.
.PHONY: fonts pictures
fonts: $(STAMP)
	@$(BIN)/python -c "import educonnect_pdf.fonts as f; f.register_fonts()" 2>/dev/null \
		|| (apt-get update -qq && apt-get install -y -qq fonts-dejavu-core)

pytest: fonts

# Page 1 of a notification sheet and of the account list, as PNG in docs/images/.
pictures: $(STAMP) fonts
	@command -v pdftoppm >/dev/null || (apt-get update -qq && apt-get install -y -qq poppler-utils)
	mkdir -p docs/images
	$(BIN)/python -m educonnect_pdf.samples build/pictures
	pdftoppm -f 1 -l 1 -r 80 -png -singlefile build/pictures/notification-sheet.pdf docs/images/notification-sheet
	pdftoppm -f 1 -l 1 -r 80 -png -singlefile build/pictures/account-list.pdf docs/images/account-list

# Storage (issue 3): the PostgreSQL storage tests start a throwaway server from Debian's binaries;
# without them they are skipped (and fail under CI=true). `make postgres` installs them.
.PHONY: postgres bench-storage
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null \
		|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql)

bench-storage: $(STAMP)
	$(BIN)/python bench/storage.py

# Web console (issue 12): the browser tests drive Debian's chromium with Debian's chromium-driver
# (same version) and inject axe-core from the npm registry (project-local, build/node_modules).
# Under CI=true a skipped browser test fails; `make browser axe` installs what they need.
AXE_VERSION ?= 4.14.1
AXE := build/node_modules/axe-core/axe.min.js
.PHONY: browser axe screenshots

browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null \
		|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

$(AXE):
	@command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm)
	mkdir -p build
	npm install --prefix build --no-save --no-audit --no-fund --no-package-lock axe-core@$(AXE_VERSION)

axe: $(AXE)

pytest: browser axe

# Every screen of the console as PNG in docs/images/web-*.png (shown in docs/web.md).
screenshots: $(STAMP) browser axe
	mkdir -p docs/images
	EDUCONNECT_SCREENSHOTS=docs/images $(BIN)/pytest -q -p no:cacheprovider tests/web/test_browser.py

# Performance (issue 14): `make perfdoc` writes docs/performance.md from the figures of the last
# `make bench` (bench/results.json, copied to docs/performance.json); no figure is typed by hand.
.PHONY: perfdoc
perfdoc: $(STAMP)
	$(BIN)/python docs/perfdoc.py
