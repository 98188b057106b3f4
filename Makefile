# Benchmarks (not tests): see bench/ and docs/performance.md.
PYTHON ?= .venv/bin/python
BENCH = DJANGO_SETTINGS_MODULE=config.settings.dev $(PYTHON)

.PHONY: bench bench-generate bench-pages bench-stages bench-import bench-invoices bench-billing bench-sla bench-returns bench-repairs bench-dispatch
bench: bench-generate bench-pages bench-stages bench-import bench-invoices bench-billing bench-sla bench-returns bench-repairs bench-dispatch

bench-generate:
	$(BENCH) bench/generate_orders.py

bench-pages:
	$(BENCH) bench/order_pages.py

bench-stages:
	$(BENCH) bench/stage_changes.py

bench-import:
	$(BENCH) bench/import_data.py

bench-invoices:
	$(BENCH) bench/issue_invoices.py

bench-billing:
	$(BENCH) bench/bill_subscriptions.py

bench-sla:
	$(BENCH) bench/sla_sweep.py

bench-returns:
	$(BENCH) bench/return_pages.py

bench-repairs:
	$(BENCH) bench/repairs.py

bench-dispatch:
	$(BENCH) bench/dispatch_board.py
