"""Stage 6, fix: libcst rewrites of the tests an audit found, one codemod per module.

``plan`` turns findings into edits and the evidence that must pass. The codemods: ``environ``,
``chdir``, ``module_globals``, ``tmp_path``, ``serial`` and ``fixture`` (with ``setter``, the
state-setter's setup it moves, and ``closure``, the names that setup needs); ``restore``, which
saves and puts back the state the audit named wherever it is written (with ``state``, what a
state name means, ``library``, what the project's sources say of it, ``forms``, the statements
by kind of state, and ``spelling``, how the test module reaches a name). What they share:
``source`` (the test function a node id names, fixture parameters, decorators), ``rewriter``
(a transformer that visits only that function), ``names`` (what a name means, through libcst's
qualified names: local imports and imports under ``try:`` too) and ``imports`` (adding one where
isort would). ``markers`` registers the ``serial`` marker; ``files`` writes atomically and asks
git; ``workspace`` holds the files a fix reads and writes; ``apply`` rewrites, proves and
restores one fix (``auditor fix`` itself is :mod:`auditor.commands.fix`).
"""
