"""Programmatic entry points: runners, the phase benchmark, inference."""
