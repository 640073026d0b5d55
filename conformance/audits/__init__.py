"""Audits of libraries' own public functions against the spec (``gradspec audit LIBRARY``).

One adapter module per library (:mod:`.torch`, :mod:`.jax`): data saying which library call
stands for which registry entry, with the spec's conventions passed explicitly.
:mod:`.audit` turns an adapter into an in-process FRAMEWORK target (derivatives by the
library's own autodiff), runs it through the one runner in every dtype the library supports,
and builds the conformance matrix and findings; :mod:`.render` writes them as a terminal
table, markdown and JSON.
"""
