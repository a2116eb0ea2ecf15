"""Benchmarks of orchestra against ``docker compose`` and a raw docker-SDK lower bound.

Run with ``make bench`` / ``make bench-quick`` (see bench/README.md). Not part of the
installed package: nothing under ``orchestra/`` may import ``bench``.
"""
