"""The checks: each registry-driven, over a subject (activation, cost, pair) or a network."""
