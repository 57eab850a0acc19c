"""The project's history: every ``run``, ``audit`` and ``scan``, per test, over time.

:mod:`~auditor.history.store` keeps it (SQLite, standard library); :mod:`~auditor.history.rates`
turns it into flake rates with confidence intervals; :mod:`~auditor.history.compare` says what a
scan found new, resolved or persisting since the last one.
"""
