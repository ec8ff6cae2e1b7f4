"""Benchmarks of the client's shared state across processes: `python -m bench` (or `make bench`).

Runs against a sandbox emulator process and the local Redis, never in the
test suite; writes a Markdown table to bench/results/.
"""
