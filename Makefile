# The workbook's commands. Each target creates .venv from the repo's files when it is missing or out of date.
#   make report   set up, then run the demo client's full report (reports/demo/index.html)
#   make test     set up, then lint and run every test (unit, golden, property, notebooks, CLI); the long work units
#                 first, in tests/conftest.py's order (LONG_FIRST); the 25 slowest tests listed at the end
#   make lint     ruff over the code and the notebooks
#   make lab      set up with JupyterLab, then open the notebooks on CLIENT (LAB_ARGS="--no-browser --port 8890")
#   make bench    run the speed and memory benchmarks (SIZES="10k 100k 1m")
#   make solutions  write the solution notebooks (instructors) into solutions/ from instructor/
#   make student  write a clean student copy into $(STUDENT_DIR) (no instructor/, no solutions/)
#   make site     the course website in site/ from the demo report (runs it when reports/demo has none; REPORT=1
#                 runs it again); open site/index.html, no server needed

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
CLIENT ?= clients/demo.yaml
PYTEST_ARGS ?=
LAB_ARGS ?=
SIZES  ?= 10k 100k
STUDENT_DIR ?= ../dbmkit-student

.PHONY: browser-env dist setup report report-zh lint test test-fast lab lab-zh bench site notebooks-sync hooks clean solutions student

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# the core + test environment (no JupyterLab: it slows every notebook process)
$(VENV)/.core: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[test]"
	@touch $@

$(VENV)/.lab: pyproject.toml $(VENV)/.core
	$(PIP) install -e ".[notebooks,test]"
	@touch $@

$(VENV)/.bench: pyproject.toml $(VENV)/.core
	$(PIP) install -e ".[bench,test]"
	@touch $@

setup: $(VENV)/.core

report: $(VENV)/.core
	$(BIN)/dbmkit report $(CLIENT)

# JupyterLab for the JupyterLab browser test (tests/test_jupyterlab_browser.py), in a venv of their
# own (JupyterLab in the core env slows every notebook process); the core env's packages through a .pth line
LABVENV ?= .venv-lab
$(LABVENV)/.ok: pyproject.toml $(VENV)/.core
	$(PYTHON) -m venv $(LABVENV)
	$(LABVENV)/bin/python -m pip --disable-pip-version-check -q install "jupyterlab>=4.2" "ipywidgets>=8.1"
	core=$$($(BIN)/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])"); \
	  $(LABVENV)/bin/python -c "import sys, sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()['purelib'], \
	  'zz_dbmkit_core.pth').write_text(sys.argv[1] + chr(10))" "$$core"
	@touch $@

browser-env:
	-@$(MAKE) --no-print-directory $(LABVENV)/.ok || echo "note: JupyterLab could not be installed; \
	  the JupyterLab browser test will be skipped" >&2

lint: $(VENV)/.core
	$(BIN)/ruff check .

test: $(VENV)/.core lint browser-env
	$(BIN)/python -m pytest -n 2 --dist loadgroup --no-loadscope-reorder --durations=25 $(PYTEST_ARGS)

test-fast: $(VENV)/.core
	$(BIN)/python -m pytest -m "not notebooks and not slow" $(PYTEST_ARGS)

lab: $(VENV)/.lab hooks
	$(BIN)/dbmkit lab $(CLIENT) $(LAB_ARGS)

# 中文版: the Chinese edition (notebooks_zh/) on the Chinese demo client
lab-zh: $(VENV)/.lab hooks
	$(BIN)/dbmkit lab clients/demo_zh.yaml $(LAB_ARGS)

report-zh: $(VENV)/.core
	$(BIN)/dbmkit report clients/demo_zh.yaml

bench: $(VENV)/.bench
	$(BIN)/python benchmarks/run.py $(SIZES)

# the course site shows the demo client's outputs: the report is reused unless it is missing or REPORT is set
site: $(VENV)/.core
	@if [ -n "$(REPORT)" ] || [ ! -f reports/demo/status.json ]; then $(BIN)/dbmkit report clients/demo.yaml; fi
	$(BIN)/dbmkit site reports/demo --out site

# git keeps notebooks without outputs: the nbstripout filter named in .gitattributes (run once per clone)
hooks: $(VENV)/.core
	@if [ -d .git ]; then $(BIN)/nbstripout --install >/dev/null 2>&1 || true; fi

# the wheel, carrying the chapters, clients, data and docs (dbmkit/workbook_files, staged for the build only)
dist: $(VENV)/.core
	rm -rf dist build
	$(BIN)/python tools/stage_workbook.py
	$(BIN)/python -m pip wheel --no-deps -w dist . ; rc=$$?; \
	  $(BIN)/python tools/stage_workbook.py --clean; exit $$rc

notebooks-sync: $(VENV)/.core
	$(BIN)/python tools/notebooks.py sync

solutions: $(VENV)/.core
	$(BIN)/dbmkit solutions --out solutions

student: $(VENV)/.core
	$(BIN)/dbmkit student $(STUDENT_DIR)

clean:
	rm -rf work reports site .pytest_cache $(LABVENV)
