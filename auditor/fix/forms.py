"""The statements that save one named piece of state when a test starts and put it back when the
test ends, as a pytest test and as a ``unittest.TestCase`` method write them; and, for a victim,
the statements that reset it to the value it had before any test ran.

The rules, by :class:`~auditor.fix.state.Slot` kind (pytest test | ``unittest.TestCase`` method):

- attr: ``monkeypatch.setattr(o, "a", o.a)`` | ``self.addCleanup(setattr, o, "a", o.a)``; for an
  attribute the evidence found absent when the test starts (``absent``), inside
  ``if hasattr(o, "a"):``, else ``monkeypatch.setattr(o, "a", None, raising=False)`` then
  ``delattr(o, "a")``, so that the absence is recorded, as for env |
  ``self.addCleanup(lambda: hasattr(o, "a") and delattr(o, "a"))`` (``o`` an instance, a module or
  a class: ``vars(o).pop`` fails on a class, whose ``vars`` is read-only);
- content: the binding as attr, and the container refilled with a copy after being emptied:
  ``request.addfinalizer(functools.partial(c.update, c.copy()))`` then
  ``request.addfinalizer(c.clear)`` | ``self.addCleanup(c.update, c.copy())`` then
  ``self.addCleanup(c.clear)`` (``extend`` for a list);
- env: ``monkeypatch.setenv(k, os.environ[k])``, or when unset ``monkeypatch.setenv(k, "")``
  then ``delenv(k)``, so that the absence is recorded (``delenv(k, raising=False)`` records
  nothing on a missing variable) | ``self.addCleanup(os.environ.update, {k: os.environ[k]})``,
  or when unset ``self.addCleanup(os.environ.pop, k, None)``;
- cwd: ``monkeypatch.chdir(os.getcwd())`` | ``self.addCleanup(os.chdir, os.getcwd())``;
- call (a getter and a setter: a logger's level through ``setLevel``, which clears the level
  cache): ``request.addfinalizer(functools.partial(setter, …, getter))`` |
  ``self.addCleanup(setter, …, getter)``;
- copy (``sys.path``, a logger's handlers): ``monkeypatch.setattr(o, "a", o.a[:])``, the test
  works on a copy | emptied then refilled, as content;
- item (``sys.modules``): ``monkeypatch.setitem(d, k, d[k])`` | ``self.addCleanup(d.update,
  {k: d[k]})``;
- warnings: ``warnings.resetwarnings`` (which also invalidates the registries), then the saved
  filters, registered as content is.

Cleanups and finalizers run last-registered first: the "emptying" is registered after the
"refilling" so that it runs before it. Code is returned as text (``Forms``), for the codemod to
parse; ``o`` and ``m`` are the owner and the module as the test module spells them.
"""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass, field

from auditor.fix.state import Slot, string


@dataclass(frozen=True)
class Style:
    """How the test registers what runs when it ends: pytest fixtures, or ``self.addCleanup``."""

    unittest: bool
    me: str = "self"  #: unittest: the instance (the class, in ``setUpClass``)
    cleanup: str = "addCleanup"  #: unittest: how it registers (``addClassCleanup`` for a class)
    mp: str = "monkeypatch"
    rq: str = "request"
    partial: str = "functools.partial"
    indent: str = "    "  #: of the blocks inside an ``if``


@dataclass
class Forms:
    """Statements as code, and the fixtures (or modules) they use."""

    statements: list[str] = field(default_factory=list)
    needs: set[str] = field(default_factory=set)  #: "monkeypatch", "request", "functools"


def choice(slot: Slot, style: Style) -> str:
    """What is put back, for people: the binding, the content too, the value…"""
    if slot.kind == "content":
        return f"binding and content ({slot.container})"
    if slot.kind == "copy":
        return "content" if style.unittest else "a copy of the list for the test"
    return {
        "attr": "binding",
        "env": "value or absence",
        "cwd": "working directory",
        "call": f"through {slot.write.split('.')[-1]}()",
        "item": "item",
        "warnings": "filters (resetwarnings, then the saved ones)",
    }[slot.kind]


def save(
    slot: Slot, o: str, m: str, style: Style, target: str = "", *, absent: bool = False
) -> Forms:
    """Save ``slot`` now, put it back when the test ends. ``target``: how the test spells
    ``o.attr``, when not so (a global of the test module itself); ``absent``: an attribute
    (its binding, a container's too) that may not exist yet when the test starts."""
    forms = Forms()
    code = _Code(slot, o, m, style, forms, target or f"{o}.{slot.attr}")
    if absent and slot.kind in ("attr", "content"):
        code.absent()
        return forms
    {
        "attr": code.attr,
        "content": code.content,
        "env": code.env,
        "cwd": code.cwd,
        "call": code.call,
        "copy": code.copy,
        "item": code.item,
        "warnings": code.warnings,
    }[slot.kind]()
    return forms


def capture(slot: Slot, o: str, m: str, target: str = "") -> str | None:
    """An expression for the value now (when the module is imported), or None when the value
    cannot be taken then (a module that may not be imported yet)."""
    if slot.fixture:  # a fixture's value exists only once a test requests it
        return None
    target = target or f"{o}.{slot.attr}"
    return {
        "attr": target,
        "content": f"{target}.copy()",
        "env": f"{m}.environ.get({string(slot.attr)})",
        "cwd": f"{m}.getcwd()",
        "call": fill(slot.read, m, o),
        "copy": f"{target}[:]",
        "warnings": f"{m}.filters[:]",
    }.get(slot.kind)


def reset(slot: Slot, o: str, m: str, style: Style, initial: str, target: str = "") -> Forms:
    """Reset ``slot`` to the value held in ``initial``, and put back the one it replaces when
    the test ends (a victim leaves the state as it found it)."""
    target = target or f"{o}.{slot.attr}"
    if not style.unittest and slot.kind in ("attr", "copy", "env", "cwd"):
        forms = Forms(needs={"monkeypatch"})
        mp = style.mp
        value = f"{initial}[:]" if slot.kind == "copy" else initial
        if slot.kind in ("attr", "copy"):
            forms.statements.append(f'{mp}.setattr({o}, "{slot.attr}", {value})')
        elif slot.kind == "cwd":
            forms.statements.append(f"{mp}.chdir({initial})")
        else:
            name, i = string(slot.attr), style.indent
            forms.statements.append(
                f"if {initial} is None:\n{i}{mp}.delenv({name}, raising=False)\n"
                f"else:\n{i}{mp}.setenv({name}, {initial})"
            )
        return forms
    forms = save(slot, o, m, style, target)
    forms.statements += _set(slot, o, target, m, style, initial)
    return forms


def _set(slot: Slot, o: str, target: str, m: str, style: Style, initial: str) -> list[str]:
    """Plain statements that make the state the value held in ``initial``."""
    if slot.kind == "attr":
        return [f"{target} = {initial}"]
    if slot.kind == "content":
        return [f"{target}.clear()", f"{target}.{slot.fill}({initial})"]
    if slot.kind == "copy":
        return [f"{target}[:] = {initial}"]
    if slot.kind == "cwd":
        return [f"{m}.chdir({initial})"]
    if slot.kind == "call":
        args = ", ".join((*(fill(a, m, o) for a in slot.args), initial))
        return [f"{fill(slot.write, m, o)}({args})"]
    if slot.kind == "warnings":
        return [f"{m}.resetwarnings()", f"{m}.filters.extend({initial})"]
    name, i, env = string(slot.attr), style.indent, f"{m}.environ"
    return [
        f"if {initial} is None:\n{i}{env}.pop({name}, None)\nelse:\n{i}{env}[{name}] = {initial}"
    ]


def fill(template: str, m: str, o: str = "") -> str:
    """``template`` with the module (``{m}``) and the owner (``{o}``) spelled."""
    # replace, not format: a logger's name may hold braces
    return template.replace("{o}", o).replace("{m}", m)


class _Code:
    """The save-and-restore statements of one slot, one method per kind."""

    def __init__(self, slot: Slot, o: str, m: str, style: Style, forms: Forms, target: str) -> None:
        self.slot, self.o, self.m, self.style, self.forms = slot, o, m, style, forms
        self.target = target

    def _add(self, *statements: str) -> None:
        self.forms.statements.extend(statements)

    def _later(self, function: str, *args: str) -> None:
        """Call ``function(*args)`` when the test ends (the values of ``args`` taken now)."""
        style = self.style
        if style.unittest:
            self._add(f"{style.me}.{style.cleanup}({', '.join((function, *args))})")
            return
        self.forms.needs.add("request")
        if args:
            self.forms.needs.add("functools")
            function = f"{style.partial}({', '.join((function, *args))})"
        self._add(f"{style.rq}.addfinalizer({function})")

    def attr(self) -> None:
        o, a = self.o, self.slot.attr
        if self.style.unittest:
            self._later("setattr", o, f'"{a}"', self.target)
        else:
            self.forms.needs.add("monkeypatch")
            self._add(f'{self.style.mp}.setattr({o}, "{a}", {self.target})')

    def content(self) -> None:
        self.attr()
        self._refill(self.slot.fill or "update", f"{self.target}.copy()")

    def absent(self) -> None:
        """The slot's own statements when the attribute exists as the test starts; else its
        absence, put back when the test ends."""
        o, a, i, style = self.o, self.slot.attr, self.style.indent, self.style
        present = Forms(needs=self.forms.needs)
        getattr(_Code(self.slot, o, self.m, style, present, self.target), self.slot.kind)()
        if style.unittest:
            # hasattr, not vars(o): a class's vars are read-only, and a test may fail first
            absence = [
                f'{style.me}.{style.cleanup}(lambda: hasattr({o}, "{a}") and delattr({o}, "{a}"))'
            ]
        else:
            self.forms.needs.add("monkeypatch")
            absence = [
                f'{style.mp}.setattr({o}, "{a}", None, raising=False)',
                f'{style.mp}.delattr({o}, "{a}")',
            ]
        body = "".join(f"{i}{line}\n" for s in present.statements for line in s.splitlines())
        note = "  # setattr records that it is absent, delattr removes it again"
        self._add(
            f'if hasattr({o}, "{a}"):\n{body}else:{"" if style.unittest else note}\n'
            + "\n".join(f"{i}{line}" for line in absence)
        )

    def _refill(self, fill: str, copy: str) -> None:
        self._later(f"{self.target}.{fill}", copy)
        self._later(f"{self.target}.clear")  # registered last: runs first

    def env(self) -> None:
        name, i, env = string(self.slot.attr), self.style.indent, f"{self.m}.environ"
        if self.style.unittest:
            me = self.style.me
            present = f"{me}.{self.style.cleanup}({env}.update, {{{name}: {env}[{name}]}})"
            absent = f"{me}.{self.style.cleanup}({env}.pop, {name}, None)"
            self._add(f"if {name} in {env}:\n{i}{present}\nelse:\n{i}{absent}")
            return
        self.forms.needs.add("monkeypatch")
        mp = self.style.mp
        self._add(
            f"if {name} in {env}:\n{i}{mp}.setenv({name}, {env}[{name}])\n"
            f"else:  # setenv records that it is unset, delenv unsets it again\n"
            f'{i}{mp}.setenv({name}, "")\n{i}{mp}.delenv({name})'
        )

    def cwd(self) -> None:
        if self.style.unittest:
            self._later(f"{self.m}.chdir", f"{self.m}.getcwd()")
        else:
            self.forms.needs.add("monkeypatch")
            self._add(f"{self.style.mp}.chdir({self.m}.getcwd())")

    def call(self) -> None:
        slot, m = self.slot, self.m
        args = (*(fill(a, m, self.o) for a in slot.args), fill(slot.read, m, self.o))
        self._later(fill(slot.write, m, self.o), *args)

    def copy(self) -> None:
        if self.style.unittest:
            self._refill("extend", f"{self.target}[:]")
        else:
            self.forms.needs.add("monkeypatch")
            self._add(f'{self.style.mp}.setattr({self.o}, "{self.slot.attr}", {self.target}[:])')

    def item(self) -> None:
        modules, key = f"{self.m}.modules", string(self.slot.attr)
        if self.style.unittest:
            self._later(f"{modules}.update", f"{{{key}: {modules}[{key}]}}")
        else:
            self.forms.needs.add("monkeypatch")
            self._add(f"{self.style.mp}.setitem({modules}, {key}, {modules}[{key}])")

    def warnings(self) -> None:
        self._later(f"{self.m}.filters.extend", f"{self.m}.filters[:]")
        self._later(f"{self.m}.resetwarnings")  # registered last: runs first


def wrapped(line: str, column: int, indent: str, width: int = 88) -> str:
    """``line``, one call, split as black splits a call too long for ``width`` at ``column``:
    its arguments on a line of their own, else one per line, else the one argument split in
    turn; each line of a block (an ``if``) so, at its own indentation. Other statements are
    returned as they are."""
    if "\n" in line:
        return "\n".join(_rewrapped(part, column, indent, width) for part in line.split("\n"))
    opening = _opening(line) if column + len(line) > width else None
    if opening is None:
        return line
    head, inner = line[: opening + 1], line[opening + 1 : -1]
    inside = column + len(indent)
    if inside + len(inner) <= width:
        return f"{head}\n{indent}{inner}\n)"
    parts = _arguments(inner)
    if len(parts) > 1:
        return head + "\n" + "".join(f"{indent}{part},\n" for part in parts) + ")"
    nested = wrapped(inner, inside, indent, width).replace("\n", "\n" + indent)
    return f"{head}\n{indent}{nested}\n)"


def _rewrapped(line: str, column: int, indent: str, width: int) -> str:
    """One line of a block, wrapped at its own indentation."""
    body = line.lstrip()
    margin = line[: len(line) - len(body)]
    return margin + wrapped(body, column + len(margin), indent, width).replace("\n", "\n" + margin)


def _tokens(code: str) -> list[tokenize.TokenInfo]:
    try:
        return [t for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.string]
    except (tokenize.TokenError, SyntaxError):
        return []


def _opening(line: str) -> int | None:
    """Where the parenthesis that the line's last character closes opens, if the line is a
    call (a name or an attribute chain before it)."""
    depth, opened = 0, None
    tokens = [t for t in _tokens(line) if t.type not in (tokenize.NEWLINE, tokenize.ENDMARKER)]
    if not tokens or tokens[-1].string != ")":
        return None
    for token in tokens:
        if token.string in "([{" and token.type == tokenize.OP:
            if depth == 0:
                opened = token.start[1]
            depth += 1
        elif token.string in ")]}" and token.type == tokenize.OP:
            depth -= 1
        elif depth == 0 and token.type == tokenize.OP and token.string not in ".":
            return None  # an assignment, an operator: not one call
    return opened


def _arguments(inner: str) -> list[str]:
    """``inner`` split at its top-level commas."""
    depth, start, parts = 0, 0, []
    for token in _tokens(inner):
        if token.type != tokenize.OP:
            continue
        if token.string in "([{":
            depth += 1
        elif token.string in ")]}":
            depth -= 1
        elif token.string == "," and depth == 0:
            parts.append(inner[start : token.start[1]].strip())
            start = token.end[1]
    parts.append(inner[start:].strip())
    return [part for part in parts if part]
