# Benchmarks (not tests): see bench/ and docs/performance.md.
PYTHON ?= .venv/bin/python

.PHONY: bench bench-import
bench:
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PYTHON) bench/generate_orders.py

bench-import:
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PYTHON) bench/import_data.py
