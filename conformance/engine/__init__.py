"""The numerical core: the error model, natural scales, Ridders differences, check results,
running one property under hypothesis, and calling implementation code safely."""
