"""The state an audit named, saved when a polluter starts and put back when it ends, wherever the
polluter writes it (through the library under test, most often) → statements at the start of
the test (:func:`rewrite`); or, when the polluter cannot be changed, the victim resetting that
state to the value it had before any test ran (:func:`defend`).

Where they go: a pytest test's first statements (after its docstring), the fixtures they use
(``monkeypatch``, ``request``) added as parameters; a ``unittest.TestCase`` method's first
statements, or its class's ``setUp`` when the class defines one (a leak in ``setUp`` happens
before the method starts); with ``whole_class``, its class's ``setUpClass``, through
``cls.addClassCleanup`` (a leak there happens before any ``setUp``; config-better's
``setUpClass`` sets environment variables no test puts back). The forms, by kind of state,
are :mod:`auditor.fix.forms`'s. A victim's values are taken when pytest imports its module,
before any test runs: module constants (``_INITIAL_…``) after the imports.

Names are spelled as the test module imports them (``from lib import factory`` gives
``factory.FACTORY``); ``import lib.factory`` is added only when nothing reaches the module. A
rewrite recognises its own statements: applied twice, it reports ``already``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from auditor.fix import forms, state
from auditor.fix.imports import with_import, with_pytest
from auditor.fix.library import Library
from auditor.fix.names import Names, names_of, short, spelling
from auditor.fix.source import (
    Found,
    Outcome,
    Target,
    annotated,
    docstring,
    find,
    param_names,
    parse,
    set_up,
    with_param,
)
from auditor.fix.spelling import Speller, Unspellable, meaning

_SAVE_NOTE = "# put back what this test changes, when it ends (auditor fix)"
_CLASS_NOTE = "# put back what this class changes, when its tests end (auditor fix)"
_RESET_NOTE = "# start from the state as it was before any test ran (auditor fix)"
_CAPTURE_NOTE = "# the state before any test ran, which {test} starts from (auditor fix)"
_ANNOTATIONS = {"monkeypatch": "MonkeyPatch", "request": "FixtureRequest"}


def rewrite(
    code: str,
    target: Target,
    names: Sequence[str],
    library: Library,
    absent: frozenset[str] = frozenset(),
    whole_class: bool = False,
) -> Outcome:
    """Make the polluter ``target`` save the state ``names`` (``TYPE:NAME``) when it starts and
    put it back when it ends; ``absent``: attributes that may not exist yet as it starts (their
    absence saved too: :func:`~auditor.fix.forms.save`); ``whole_class``: in its TestCase's
    ``setUpClass``, for the whole class."""
    return _Restore(code, target, names, library, False, absent, whole_class).run()


def defend(
    code: str, target: Target, names: Sequence[str], library: Library, whole_class: bool = False
) -> Outcome:
    """Make the victim ``target`` reset the state ``names`` to the values it had when pytest
    imported its module (and put back the values it replaced when it ends); ``whole_class``:
    in its TestCase's ``setUpClass``, before the class sets anything up from that state."""
    return _Restore(code, target, names, library, True, whole_class=whole_class).run()


@dataclass
class _Group:
    """The statements for one slot, and for a victim the constant holding its first value."""

    slot: state.Slot
    statements: list[str]
    needs: set[str]
    constant: tuple[str, str] | None = None  #: (name, expression)


class _Restore:
    def __init__(
        self,
        code: str,
        target: Target,
        names: Sequence[str],
        library: Library,
        victim: bool,
        absent: frozenset[str] = frozenset(),
        whole_class: bool = False,
    ) -> None:
        self.code, self.target, self.names, self.library = code, target, names, library
        self.victim, self.absent, self.whole_class = victim, absent, whole_class
        self.why: list[str] = []  #: the names left out, and why
        self.style = forms.Style(unittest=False)

    def run(self) -> Outcome:
        module = parse(self.code)
        if isinstance(module, Outcome):
            return module
        found = find(module, self.target)
        if found is None:
            return Outcome(self.code, "unfixable", self._absent())
        names = names_of(module)
        unittest = found.testcase(names)
        host = (set_up(found) or found.function) if unittest else found.function
        if self.whole_class:
            if not unittest:
                why = f"{self.target} is no unittest.TestCase method: it has no setUpClass"
                return Outcome(self.code, "unfixable", why)
            if set_up(found, "setUpClass") is None:  # inherited, or none: one of its own
                module = _with_set_up_class(module, found.classes[-1])
                found = find(module, self.target)
                assert found is not None
            setup = set_up(found, "setUpClass")
            if setup is None or not param_names(setup):
                why = f"the class of {self.target} defines a setUpClass without cls"
                return Outcome(self.code, "unfixable", why)
            host = setup
        speller = Speller(module, self.target, host)
        style = self.style = forms.Style(
            unittest,
            me=param_names(host)[0] if unittest and param_names(host) else "self",
            cleanup="addClassCleanup" if self.whole_class else "addCleanup",
            partial=speller.partial(),
            indent=module.default_indent,
        )
        groups = [g for g in (self._group(n, speller, style) for n in self.names) if g]
        if not groups:
            why = "; ".join(self.why) or "no state named"
            return Outcome(self.code, "unfixable", f"nothing to restore in {self.target}: {why}")
        return self._insert(module, names, found, host, speller, groups)

    def _absent(self) -> str:
        if self.victim:
            return f"{self.target} is not in the file (changed since the audit?)"
        return (
            f"{self.target} is not a function of its file (inherited, generated, or changed "
            "since the audit): the victim resets the state instead"
        )

    def _group(self, name: str, speller: Speller, style: forms.Style) -> _Group | None:
        slot = state.slot(name)
        if isinstance(slot, str):
            self.why.append(slot)
            return None
        try:
            slot, o, m = self._spelled(slot, speller)
        except Unspellable as exc:
            self.why.append(f"{name}: {exc}")
            return None
        # what is restored, spelled on its own (``ROUTES`` after ``from lib.router import
        # ROUTES``, though its module is spelled ``lib.router``)
        path = (*slot.path, slot.attr)
        target = "" if slot.owner or not slot.attr else speller.chain(slot.module, path)
        if not self.victim:
            made = forms.save(slot, o, m, style, target, absent=slot.attr in self.absent)
            return _Group(slot, made.statements, made.needs)
        expression = forms.capture(slot, o, m, target)
        if expression is None:
            self.why.append(f"{name}: its value before any test ran is not known")
            return None
        constant = speller.constant(slot, expression)
        made = forms.reset(slot, o, m, style, constant, target)
        return _Group(slot, made.statements, made.needs, (constant, expression))

    def _spelled(self, slot: state.Slot, speller: Speller) -> tuple[state.Slot, str, str]:
        """The slot, its owner and its module as the test spells them (the module only for the
        standard library's state, whose code names it)."""
        if slot.fixture:  # the test reaches the file through the fixture, which it requests
            if self.style.unittest:
                raise Unspellable(
                    "the file of a fixture, which a unittest.TestCase method cannot request"
                )
            return slot, slot.fixture, ""
        if slot.module:
            m = speller.chain(slot.module, ())
            return slot, forms.fill(slot.owner or "{m}", m), m
        # a project's name: find its module, and whether it is a container or a logger
        chain = slot.chain
        module = self.library.module_of(chain) or speller.imported_prefix(chain)
        if module is None:
            raise Unspellable(
                f"cannot tell which part of {chain} is a module (not found under the project, "
                "not imported by the test module); import it in the test module"
            )
        slot = slot.split(module)
        kind = self.library.containers.get(chain)
        if kind:
            slot = slot.as_container(kind)
        if chain.rsplit(".", 1)[0] in self.library.loggers:
            slot = slot.as_logger()
        return slot, speller.chain(slot.module, slot.path), ""

    def _insert(
        self,
        module: cst.Module,
        names: Names,
        found: Found,
        host: cst.FunctionDef,
        speller: Speller,
        groups: list[_Group],
    ) -> Outcome:
        present = _statements(host)
        new = [g for g in groups if not all(meaning(s) in present for s in g.statements)]
        constants = [g.constant for g in groups if g.constant]
        missing = [c for c in constants if speller.constants.get(c[0]) != meaning(c[1])]
        if not new and not missing:
            done = ", ".join(g.slot.name for g in groups)
            return Outcome(self.code, "already", f"{self.target} already restores {done}")
        column = len(module.default_indent) * (len(found.classes) + 1)
        indent = module.default_indent
        lines = [forms.wrapped(s, column, indent) for g in new for s in g.statements]
        ours = [present[meaning(s)] for g in groups for s in g.statements if meaning(s) in present]
        function = _with_statements(host, lines, max(ours, default=None), self._note())
        needs = {n for g in new for n in g.needs}
        if host is found.function:
            function = self._with_fixtures(function, needs, names, speller)
            for group in new:  # a fixture whose file is put back: requested, if only through others
                if group.slot.fixture:
                    function = with_param(function, group.slot.fixture)
        result = module.deep_replace(host, function)
        assert isinstance(result, cst.Module)
        for added in speller.added:
            result = with_import(result, added)
        if "functools" in needs and speller.partial() == "functools.partial":
            result = with_import(result, "functools")
        if speller.pytest:
            result, _ = with_pytest(result)
        if missing:
            note = _CAPTURE_NOTE.format(test=self.target.function)
            result = _with_constants(result, missing, note)
        return Outcome(result.code, "changed", self._chosen(groups), tuple(map(short, lines)))

    def _note(self) -> str:
        if self.victim:
            return _RESET_NOTE
        return _CLASS_NOTE if self.whole_class else _SAVE_NOTE

    def _with_fixtures(
        self, function: cst.FunctionDef, needs: set[str], names: Names, speller: Speller
    ) -> cst.FunctionDef:
        for fixture in ("monkeypatch", "request"):
            if fixture not in needs:
                continue
            pytest = spelling(names.annotation_imports, "pytest")
            if pytest is None and annotated(function) and fixture not in param_names(function):
                speller.pytest = True
            annotation = f"{pytest or 'pytest'}.{_ANNOTATIONS[fixture]}"
            function = with_param(function, fixture, annotation)
        return function

    def _chosen(self, groups: list[_Group]) -> str:
        chosen = "; ".join(f"{g.slot.name}: {forms.choice(g.slot, self.style)}" for g in groups)
        left = f"; not restored: {'; '.join(self.why)}" if self.why else ""
        where = "in setUpClass, for the whole class: " if self.whole_class else ""
        return where + chosen + left


def _with_set_up_class(module: cst.Module, cls: cst.ClassDef) -> cst.Module:
    """``module`` with ``cls`` given a ``setUpClass`` of its own, before its first method, that
    calls its base's: the saves go before that call (a base class's setup may be the leak)."""
    i = module.default_indent
    made = cst.parse_statement(
        f"@classmethod\ndef setUpClass(cls):\n{i}super().setUpClass()\n",
        config=module.config_for_parsing,
    )
    assert isinstance(made, cst.FunctionDef)
    block = cls.body
    assert isinstance(block, cst.IndentedBlock)  # a TestCase with a test method in it
    body = list(block.body)
    at = next(
        (n for n, s in enumerate(body) if isinstance(s, (cst.FunctionDef, cst.ClassDef))),
        len(body),
    )
    blank = cst.EmptyLine(indent=False, whitespace=cst.SimpleWhitespace(""))
    first = body[at] if at < len(body) else None
    if isinstance(first, (cst.FunctionDef, cst.ClassDef)):  # its place, blank lines included
        made = made.with_changes(leading_lines=first.leading_lines)
        body[at] = first.with_changes(leading_lines=[blank])
    elif at:
        made = made.with_changes(leading_lines=[blank])
    body.insert(at, made)
    result = module.deep_replace(cls, cls.with_changes(body=block.with_changes(body=body)))
    assert isinstance(result, cst.Module)
    return result


def _statements(function: cst.FunctionDef) -> dict[str, int]:
    """The function's own statements, as code → their index in its body."""
    body = function.body
    if not isinstance(body, cst.IndentedBlock):
        return {}
    return {meaning(s): i for i, s in enumerate(body.body)}


def _with_statements(
    function: cst.FunctionDef, lines: list[str], after: int | None, note: str
) -> cst.FunctionDef:
    """``function`` with ``lines`` first: after its docstring, or ``after`` the last statement
    of an earlier rewrite; the first under ``note`` when there is none."""
    body = function.body
    if isinstance(body, cst.SimpleStatementSuite):  # def test(): call()
        line = cst.SimpleStatementLine(body=body.body, trailing_whitespace=body.trailing_whitespace)
        body = cst.IndentedBlock(body=[line])
    assert isinstance(body, cst.IndentedBlock)
    statements = list(body.body)
    at = int(bool(statements) and docstring(statements[0])) if after is None else after + 1
    new = [cst.parse_statement(line + "\n") for line in lines]
    if after is None:
        comment = cst.EmptyLine(comment=cst.Comment(note))
        new[0] = new[0].with_changes(leading_lines=[comment])
        if at < len(statements) and _noted(statements[at], note):  # another fix's: one note
            kept = [line for line in _leading(statements[at]) if not _is_note(line, note)]
            statements[at] = statements[at].with_changes(leading_lines=kept)
    changed = body.with_changes(body=[*statements[:at], *new, *statements[at:]])
    return function.with_changes(body=changed)


def _leading(statement: cst.BaseStatement) -> list[cst.EmptyLine]:
    return list(getattr(statement, "leading_lines", ()))


def _noted(statement: cst.BaseStatement, note: str) -> bool:
    return any(_is_note(line, note) for line in _leading(statement))


def _is_note(line: cst.EmptyLine, note: str) -> bool:
    return line.comment is not None and line.comment.value == note


def _with_constants(module: cst.Module, constants: list[tuple[str, str]], note: str) -> cst.Module:
    """The module with ``NAME = expression`` for each constant, after its imports."""
    body = list(module.body)
    at = 0
    for index, statement in enumerate(body):
        if _imports(statement):
            at = index + 1
    lines = [
        cst.parse_statement(
            forms.wrapped(f"{name} = {expression}", 0, module.default_indent) + "\n"
        )
        for name, expression in constants
    ]
    lines[0] = lines[0].with_changes(
        leading_lines=[cst.EmptyLine(), cst.EmptyLine(comment=cst.Comment(note))]
    )
    rest = body[at:]
    if rest:
        blanks = 2 if isinstance(rest[0], (cst.FunctionDef, cst.ClassDef)) else 1
        kept = [line for line in rest[0].leading_lines if line.comment is not None]
        rest[0] = rest[0].with_changes(leading_lines=[cst.EmptyLine()] * blanks + kept)
    return module.with_changes(body=[*body[:at], *lines, *rest])


def _imports(statement: cst.BaseStatement) -> bool:
    """An import line, or a block (``try:``, ``if``) that holds imports."""
    if isinstance(statement, cst.SimpleStatementLine):
        return isinstance(statement.body[0], (cst.Import, cst.ImportFrom))
    if isinstance(statement, (cst.Try, cst.If)):
        finder = _HasImport()
        statement.visit(finder)
        return finder.found
    return False


class _HasImport(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_Import(self, node: cst.Import) -> None:
        self.found = True

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.found = True
