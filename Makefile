# Benchmarks (not tests): see bench/ and docs/performance.md.
PYTHON ?= .venv/bin/python

.PHONY: bench
bench:
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PYTHON) bench/generate_orders.py
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PYTHON) bench/issue_invoices.py
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PYTHON) bench/bill_subscriptions.py
