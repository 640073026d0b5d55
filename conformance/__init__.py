"""gradspec.conformance: checking implementations against the spec.

Layers, each importing only the ones before it: ``engine`` (error model, numeric
differences, results), ``targets`` (what is checked), ``checks``, ``diagnosis``; then the
front end: ``options``, ``runner`` (``run(target, options) -> Report``), ``api``, ``report``.
See docs/design.md.
"""
