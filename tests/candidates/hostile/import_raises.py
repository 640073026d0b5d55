"""Hostile candidate: raises while being imported."""

LIMIT = 1 / 0
