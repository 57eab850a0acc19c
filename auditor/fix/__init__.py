"""Stage 6, fix: libcst rewrites of the tests an audit found, one codemod per module.

``plan`` turns findings into edits and the evidence that must pass; ``environ``, ``chdir``,
``module_globals``, ``tmp_path``, ``serial`` and ``fixture`` are the codemods, on ``source`` (the
test function a node id names, fixture parameters) and ``imports``; ``markers`` registers the
``serial`` marker; ``files`` writes atomically and asks git; ``workspace`` holds the files a fix
reads and writes; ``apply`` rewrites, proves and restores one fix (``auditor fix`` itself is
:mod:`auditor.commands.fix`).
"""
