"""Benchmarks and evaluation scripts; each prints its figures as ratios measured in one run."""
