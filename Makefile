# Two commands on a fresh machine: `make demo` and `make test`.
# Each creates .venv and installs everything the project needs on first use.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.install-stamp
REQS   := requirements.txt requirements/runtime.txt requirements/mminstall.txt \
          requirements/tests.txt setup.py

.PHONY: install demo test clean

install: $(STAMP)

$(STAMP): $(REQS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt -r requirements/tests.txt
	$(PY) -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: install
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-2} $(PY) tools/demo.py --work-dir work_dirs/demo

test: install
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-2} $(PY) -m pytest tests -q

clean:
	rm -rf $(VENV) build dist *.egg-info mmdistill/.mim work_dirs
