"""Environment writes in a polluter → ``monkeypatch.setenv`` / ``monkeypatch.delenv``.

``os.environ[K] = V``, ``os.putenv(K, V)``, ``os.environ.update({K: V})`` → ``setenv``;
``os.environ.setdefault(K, V)`` → ``setenv(K, os.environ.get(K, V))``; ``del os.environ[K]``,
``os.environ.pop(K)``, ``os.unsetenv(K)`` → ``delenv`` (``raising=False`` where the original
tolerated a missing variable). monkeypatch restores every variable when the test ends.
"""

from __future__ import annotations

import libcst as cst

from auditor.fix.imports import qualified
from auditor.fix.source import MonkeypatchRewriter, Outcome, Target, apply, call

ENVIRON = "os.environ"


def rewrite(code: str, target: Target) -> Outcome:
    """Rewrite the environment writes of ``target`` in ``code``."""
    return apply(code, lambda imports: _Environ(target, imports))


class _Environ(MonkeypatchRewriter):
    what = "environment write"

    def _environ(self, node: cst.BaseExpression) -> bool:
        return qualified(node, self.imports) == ENVIRON

    def _key(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        if isinstance(node, cst.Subscript) and self._environ(node.value) and len(node.slice) == 1:
            index = node.slice[0].slice
            if isinstance(index, cst.Index):
                return index.value
        return None

    def statement(self, node: cst.BaseSmallStatement) -> list[cst.BaseSmallStatement] | None:
        mp = self.fixture
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            key = self._key(node.targets[0].target)
            if key is not None:
                return [cst.Expr(call(f"{mp}.setenv", key, node.value))]
        if isinstance(node, cst.Del):
            key = self._key(node.target)
            if key is not None:
                return [cst.Expr(call(f"{mp}.delenv", key))]
        if isinstance(node, cst.Expr) and isinstance(node.value, cst.Call):
            return self._call(node.value)
        return None

    def _call(self, node: cst.Call) -> list[cst.BaseSmallStatement] | None:
        mp = self.fixture
        name = qualified(node.func, self.imports)
        args = [a for a in node.args if a.keyword is None and not a.star]
        if len(args) != len(node.args):
            return None  # keywords or *args: not a form this codemod knows
        values = [a.value for a in args]
        if name == "os.putenv" and len(values) == 2:
            return [cst.Expr(call(f"{mp}.setenv", *values))]
        if name == "os.unsetenv" and len(values) == 1:
            return [cst.Expr(call(f"{mp}.delenv", values[0], _no_raise()))]
        if name == f"{ENVIRON}.pop" and len(values) in (1, 2):
            extra = [_no_raise()] if len(values) == 2 else []
            return [cst.Expr(call(f"{mp}.delenv", values[0], *extra))]
        if name == f"{ENVIRON}.setdefault" and len(values) == 2:
            assert isinstance(node.func, cst.Attribute)
            current = cst.Call(
                func=cst.Attribute(node.func.value, cst.Name("get")),
                args=[cst.Arg(v) for v in values],
            )
            return [cst.Expr(call(f"{mp}.setenv", values[0], current))]
        if name == f"{ENVIRON}.update" and len(values) == 1:
            return self._update(values[0])
        return None

    def _update(self, mapping: cst.BaseExpression) -> list[cst.BaseSmallStatement] | None:
        if not isinstance(mapping, cst.Dict) or not mapping.elements:
            return None
        pairs = [e for e in mapping.elements if isinstance(e, cst.DictElement)]
        if len(pairs) != len(mapping.elements):
            return None  # **spread: the keys are not known here
        return [cst.Expr(call(f"{self.fixture}.setenv", e.key, e.value)) for e in pairs]


def _no_raise() -> cst.Arg:
    return cst.Arg(
        cst.Name("False"),
        keyword=cst.Name("raising"),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )
