"""Benchmarks (not tests): each prints a table and compares against a floor in the same run."""
