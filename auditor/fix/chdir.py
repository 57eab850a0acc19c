"""A working-directory change in a polluter → ``monkeypatch.chdir``, undone when the test ends."""

from __future__ import annotations

import libcst as cst

from auditor.fix.imports import qualified
from auditor.fix.source import MonkeypatchRewriter, Outcome, Target, apply


def rewrite(code: str, target: Target) -> Outcome:
    """Rewrite the ``os.chdir(x)`` statements of ``target`` in ``code``."""
    return apply(code, lambda imports: _Chdir(target, imports))


class _Chdir(MonkeypatchRewriter):
    what = "os.chdir call"

    def statement(self, node: cst.BaseSmallStatement) -> list[cst.BaseSmallStatement] | None:
        if not (isinstance(node, cst.Expr) and isinstance(node.value, cst.Call)):
            return None
        change = node.value
        if qualified(change.func, self.imports) != "os.chdir" or len(change.args) != 1:
            return None
        # the call as written, comments and all: ``*parts`` and ``path=`` mean the same to
        # monkeypatch.chdir
        fixed = change.with_changes(func=cst.parse_expression(f"{self.fixture}.chdir"))
        return [node.with_changes(value=fixed)]
