"""Benchmarks for the engine: ``python -m bench.engine_bench [--quick] [--db sqlite|postgresql|both]``."""
