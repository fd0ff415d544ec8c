"""Benchmarks of prsync-dagster: rate-limit cost, memory and end-to-end latency against the simulator.

Scripts here are run by hand (``uv run python -m benchmarks.cost`` etc.) and write their results to
``benchmarks/results/``; they are never part of the test suite, because timings on a shared 2-core
machine are too noisy to assert on. See ``benchmarks/README.md``.
"""
