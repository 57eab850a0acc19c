"""Environment writes in a polluter → ``monkeypatch.setenv`` / ``monkeypatch.delenv``.

``os.environ[K] = V``, ``os.putenv(K, V)``, ``os.environ.update({K: V})`` → ``setenv``;
``os.environ.setdefault(K, V)`` → ``setenv(K, os.environ.get(K, V))``; ``del os.environ[K]``,
``os.environ.pop(K)``, ``os.unsetenv(K)`` → ``delenv`` (``raising=False`` where the original
tolerated a missing variable). monkeypatch restores every variable when the test ends.
"""

from __future__ import annotations

import libcst as cst

from auditor.fix.rewriter import MonkeypatchRewriter, apply
from auditor.fix.source import Outcome, Target, call, no_raise

ENVIRON = "os.environ"
#: the methods of os.environ rewritten, by the numbers of arguments they may take
_METHODS = {"pop": (1, 2), "setdefault": (2,), "update": (1,)}
_WRITES = {"putenv", "unsetenv", "clear", "popitem", *_METHODS}


def rewrite(code: str, target: Target) -> Outcome:
    """Rewrite the environment writes of ``target`` in ``code``."""
    return apply(code, lambda names: _Environ(target, names))


class _Environ(MonkeypatchRewriter):
    what = "environment write"
    sought = "write to os.environ nor call of os.putenv or os.unsetenv"

    def _key(self, statement: cst.CSTNode, node: cst.BaseExpression) -> cst.BaseExpression | None:
        """``K`` of ``os.environ[K]``."""
        if not (isinstance(node, cst.Subscript) and len(node.slice) == 1):
            return None
        index = node.slice[0].slice
        if isinstance(index, cst.Index) and self.means(statement, node.value, ENVIRON):
            return index.value
        return None

    def statement(self, node: cst.BaseSmallStatement) -> list[cst.BaseSmallStatement] | None:
        mp = self.fixture
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            key = self._key(node, node.targets[0].target)
            if key is not None:
                return [cst.Expr(call(f"{mp}.setenv", key, node.value))]
        if isinstance(node, cst.Del):
            key = self._key(node, node.target)
            if key is not None:
                return [cst.Expr(call(f"{mp}.delenv", key))]
        if isinstance(node, cst.Expr) and isinstance(node.value, cst.Call):
            return self._call(node, node.value)
        return None

    def _name(self, statement: cst.CSTNode, func: cst.BaseExpression) -> str | None:
        """What a call writing the environment calls: ``putenv``, ``unsetenv``, or a method of
        os.environ (``update``)."""
        for name in ("putenv", "unsetenv"):
            if self.means(statement, func, f"os.{name}"):
                return name
        if isinstance(func, cst.Attribute) and self.means(statement, func.value, ENVIRON):
            return func.attr.value
        return None

    def _call(self, statement: cst.Expr, node: cst.Call) -> list[cst.BaseSmallStatement] | None:
        name = self._name(statement, node.func)
        if name not in _WRITES:
            return None  # not a write, or not to the environment
        args = [a for a in node.args if a.keyword is None and not a.star]
        if len(args) != len(node.args):
            self.miss(statement, "monkeypatch.setenv and delenv take no keyword or * arguments")
            return None
        replaced = self._replaced_call(name, node, [a.value for a in args])
        if replaced is None:
            self.miss(statement, "monkeypatch.setenv and delenv need each key spelled out")
        return replaced

    def _replaced_call(
        self, name: str, node: cst.Call, values: list[cst.BaseExpression]
    ) -> list[cst.BaseSmallStatement] | None:
        mp = self.fixture
        if name == "putenv" and len(values) == 2:
            return [cst.Expr(call(f"{mp}.setenv", *values))]
        if name == "unsetenv" and len(values) == 1:
            return [cst.Expr(call(f"{mp}.delenv", values[0], no_raise()))]
        if len(values) not in _METHODS.get(name, ()):
            return None
        if name == "pop":
            extra = [no_raise()] if len(values) == 2 else []
            return [cst.Expr(call(f"{mp}.delenv", values[0], *extra))]
        if name == "setdefault":
            assert isinstance(node.func, cst.Attribute)
            current = cst.Call(
                func=cst.Attribute(node.func.value, cst.Name("get")),
                args=[cst.Arg(v) for v in values],
            )
            return [cst.Expr(call(f"{mp}.setenv", values[0], current))]
        return self._update(values[0])

    def _update(self, mapping: cst.BaseExpression) -> list[cst.BaseSmallStatement] | None:
        if not isinstance(mapping, cst.Dict) or not mapping.elements:
            return None
        pairs = [e for e in mapping.elements if isinstance(e, cst.DictElement)]
        if len(pairs) != len(mapping.elements):
            return None  # **spread: the keys are not known here
        return [cst.Expr(call(f"{self.fixture}.setenv", e.key, e.value)) for e in pairs]
