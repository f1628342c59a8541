"""Benchmarks: scripts that measure speed and quality targets; results go to docs/BENCHMARKS.md."""
