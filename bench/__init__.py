"""Benchmarks: run one with `python -m bench.<name>` (see each folder's README)."""
