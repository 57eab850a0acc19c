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

from auditor.fix.imports import dotted, qualified
from auditor.fix.source import MonkeypatchRewriter, Outcome, Target, apply, call

_ENVIRON = "os.environ"  # the environ codemod's


def rewrite(code: str, target: Target, fixtures: Collection[str] = ()) -> Outcome:
    """Rewrite ``target``'s writes to imported globals and to the ``fixtures`` named."""
    return apply(code, lambda imports: _Globals(target, imports, frozenset(fixtures)))


class _Globals(MonkeypatchRewriter):
    what = "write to a module global or a shared fixture value"

    def __init__(self, target: Target, imports: dict[str, str], fixtures: frozenset[str]) -> None:
        super().__init__(target, imports)
        self.fixtures = fixtures

    def _shared(self, base: cst.BaseExpression) -> bool:
        """Does ``base`` outlive the test: imported, or a wider-scoped fixture's value?"""
        chain = dotted(base)
        if chain is None:
            return False
        if chain.split(".")[0] in self.fixtures:
            return True
        name = qualified(base, self.imports)
        return name is not None and name != _ENVIRON

    def statement(self, node: cst.BaseSmallStatement) -> list[cst.BaseSmallStatement] | None:
        mp = self.fixture
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            return self._set(node.targets[0].target, node.value)
        if isinstance(node, cst.AugAssign):
            current = node.target
            operator = _BINARY.get(type(node.operator))
            if operator is None or not isinstance(current, (cst.Attribute, cst.Subscript)):
                return None
            value = cst.BinaryOperation(current.deep_clone(), operator(), _operand(node.value))
            return self._set(node.target, value)
        if isinstance(node, cst.Del):
            where = node.target
            if isinstance(where, cst.Attribute) and self._shared(where.value):
                return [cst.Expr(call(f"{mp}.delattr", where.value, _string(where.attr.value)))]
            index = _index(where)
            if isinstance(where, cst.Subscript) and index and self._shared(where.value):
                return [cst.Expr(call(f"{mp}.delitem", where.value, index))]
        return None

    def _set(
        self, where: cst.BaseExpression, value: cst.BaseExpression
    ) -> list[cst.BaseSmallStatement] | None:
        mp = self.fixture
        if isinstance(where, cst.Attribute) and self._shared(where.value):
            return [cst.Expr(call(f"{mp}.setattr", where.value, _string(where.attr.value), value))]
        index = _index(where)
        if isinstance(where, cst.Subscript) and index and self._shared(where.value):
            return [cst.Expr(call(f"{mp}.setitem", where.value, index, value))]
        return None


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
