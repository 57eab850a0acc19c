"""A working-directory change in a polluter → ``monkeypatch.chdir``, undone when the test ends."""

from __future__ import annotations

import libcst as cst

from auditor.fix.rewriter import MonkeypatchRewriter, apply
from auditor.fix.source import Outcome, Target


def rewrite(code: str, target: Target) -> Outcome:
    """Rewrite the ``os.chdir(x)`` statements of ``target`` in ``code``."""
    return apply(code, lambda names: _Chdir(target, names))


class _Chdir(MonkeypatchRewriter):
    what = "os.chdir call"

    def statement(self, node: cst.BaseSmallStatement) -> list[cst.BaseSmallStatement] | None:
        if not (isinstance(node, cst.Expr) and isinstance(node.value, cst.Call)):
            return None
        change = node.value
        if not self.means(node, change.func, "os.chdir"):
            return None
        if len(change.args) != 1:
            self.miss(node, "os.chdir takes one argument")
            return None
        # the call as written, comments and all: ``*parts`` and ``path=`` mean the same to
        # monkeypatch.chdir
        fixed = change.with_changes(func=cst.parse_expression(f"{self.fixture}.chdir"))
        return [node.with_changes(value=fixed)]
