"""Module globals and shared fixture values mutated by a polluter → ``monkeypatch.setattr`` /
``monkeypatch.setitem`` (``delattr`` / ``delitem`` for deletions).

Rewritten: assignments, augmented assignments and deletions of an attribute or an item whose
base is something the module imports (``config.RATE = 0.1``, ``config.LIMITS["x"] = 1``,
``shop.config.RATE += 1``) or a wider-scoped fixture the audit saw changed (``settings["k"] = v``).
Mutating method calls (``config.ITEMS.append(x)``) have no monkeypatch form: they are left, and the
fix reports them.
"""

from __future__ import annotations

from collections.abc import Collection

import libcst as cst

from auditor.fix.names import Names, dotted
from auditor.fix.rewriter import MonkeypatchRewriter, apply
from auditor.fix.source import Outcome, Target, call, no_raise

_ENVIRON = "os.environ"  # the environ codemod's
#: methods that change a list, a dict or a set in place: monkeypatch has no form for them
_IN_PLACE = frozenset(
    {"append", "extend", "insert", "remove", "pop", "clear", "update", "setdefault", "add"}
    | {"discard", "popitem", "sort", "reverse"}
)


def rewrite(
    code: str,
    target: Target,
    fixtures: Collection[str] = (),
    absent: Collection[str] = (),
) -> Outcome:
    """Rewrite ``target``'s writes to imported globals and to the ``fixtures`` named;
    ``absent``: attributes that may not exist when the test starts (``raising=False``: set,
    then deleted when the test ends)."""
    return apply(code, lambda names: _Globals(target, names, frozenset(fixtures), absent))


class _Globals(MonkeypatchRewriter):
    what = "write to a module global or a shared fixture value"

    def __init__(
        self, target: Target, names: Names, fixtures: frozenset[str], absent: Collection[str]
    ) -> None:
        super().__init__(target, names)
        self.fixtures = fixtures
        self.absent = frozenset(absent)
        shared = f", nor of the fixture value {', '.join(sorted(fixtures))}" if fixtures else ""
        self.sought = f"write to an attribute or item of an imported name{shared}"

    def _shared(self, statement: cst.CSTNode, base: cst.BaseExpression) -> bool:
        """Does ``base`` outlive the test: imported, or a wider-scoped fixture's value? A name
        that nothing binds, or that the test module assigns itself, is noted as missed."""
        chain = dotted(base)
        if chain is None:
            return False
        if chain.split(".")[0] in self.fixtures:
            return True
        imports = self.names.imports(base)
        if _ENVIRON in imports:
            self.miss(statement, f"`{chain}` is os.environ, which the environ codemod rewrites")
        elif not imports and not self.names.own(base):
            self.miss(statement, self.names.why_not(base))
        return bool(imports) and _ENVIRON not in imports

    def statement(self, node: cst.BaseSmallStatement) -> list[cst.BaseSmallStatement] | None:
        mp = self.fixture
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            return self._set(node, node.targets[0].target, node.value)
        if isinstance(node, cst.AugAssign):
            current = node.target
            operator = _BINARY.get(type(node.operator))
            if operator is None or not isinstance(current, (cst.Attribute, cst.Subscript)):
                return None
            value = cst.BinaryOperation(current.deep_clone(), operator(), _operand(node.value))
            return self._set(node, node.target, value)
        if isinstance(node, cst.Del):
            where = node.target
            if isinstance(where, cst.Attribute) and self._shared(node, where.value):
                return [cst.Expr(call(f"{mp}.delattr", where.value, _string(where.attr.value)))]
            index = _index(where)
            if isinstance(where, cst.Subscript) and index and self._shared(node, where.value):
                return [cst.Expr(call(f"{mp}.delitem", where.value, index))]
        if isinstance(node, cst.Expr) and isinstance(node.value, cst.Call):
            self._in_place(node, node.value.func)
        return None

    def _set(
        self, statement: cst.CSTNode, where: cst.BaseExpression, value: cst.BaseExpression
    ) -> list[cst.BaseSmallStatement] | None:
        mp = self.fixture
        if isinstance(where, cst.Attribute) and self._shared(statement, where.value):
            attr = where.attr.value
            extra = [no_raise()] if attr in self.absent else []
            return [cst.Expr(call(f"{mp}.setattr", where.value, _string(attr), value, *extra))]
        index = _index(where)
        if isinstance(where, cst.Subscript) and index and self._shared(statement, where.value):
            return [cst.Expr(call(f"{mp}.setitem", where.value, index, value))]
        return None

    def _in_place(self, statement: cst.CSTNode, func: cst.BaseExpression) -> None:
        """Note a call that changes a shared value in place (``config.ITEMS.append(x)``)."""
        if not isinstance(func, cst.Attribute) or func.attr.value not in _IN_PLACE:
            return
        chain = dotted(func.value)
        shared = chain is not None and chain.split(".")[0] in self.fixtures
        if shared or self.names.imports(func.value) - {_ENVIRON}:
            why = f"`{chain}` changes in place, which monkeypatch cannot undo"
            self.miss(statement, why)


def _index(node: cst.BaseExpression) -> cst.BaseExpression | None:
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        element = node.slice[0].slice
        if isinstance(element, cst.Index):
            return element.value
    return None


def _operand(value: cst.BaseExpression) -> cst.BaseExpression:
    """``value`` as the right operand of a binary operation: ``x *= a + b`` is ``x * (a + b)``."""
    if value.lpar or isinstance(value, _ATOMS):
        return value
    if isinstance(value, cst.UnaryOperation) and not isinstance(value.operator, cst.Not):
        return value
    return value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


_ATOMS = (
    cst.Name,
    cst.Attribute,
    cst.Subscript,
    cst.Call,
    cst.BaseNumber,
    cst.BaseString,
    cst.BaseList,
    cst.BaseSet,
    cst.BaseDict,
    cst.GeneratorExp,
    cst.Ellipsis,
)


def _string(text: str) -> cst.SimpleString:
    return cst.SimpleString(f'"{text}"')


_BINARY: dict[type[cst.BaseAugOp], type[cst.BaseBinaryOp]] = {
    cst.AddAssign: cst.Add,
    cst.SubtractAssign: cst.Subtract,
    cst.MultiplyAssign: cst.Multiply,
    cst.DivideAssign: cst.Divide,
    cst.FloorDivideAssign: cst.FloorDivide,
    cst.ModuloAssign: cst.Modulo,
    cst.PowerAssign: cst.Power,
    cst.BitOrAssign: cst.BitOr,
    cst.BitAndAssign: cst.BitAnd,
    cst.BitXorAssign: cst.BitXor,
    cst.LeftShiftAssign: cst.LeftShift,
    cst.RightShiftAssign: cst.RightShift,
    cst.MatrixMultiplyAssign: cst.MatrixMultiply,
}
