"""What a state name of the audit means to code that saves it and puts it back.

The names are those of :mod:`auditor.plugin.snapshot` and :mod:`auditor.plugin.stdlib_state`:
``env:NAME``, ``cwd:PATH``, ``global:MODULE.NAME`` and ``global:MODULE.NAME.ATTR`` for the
project's globals, and the standard library's process-wide state (``global:sys.path``,
``global:logging.getLogger('app').level``, ``global:signal[SIGTERM]``, …), and the file at a
wider-scoped fixture's path (``fixture:NAME.read_bytes()``). :func:`slot` reads one into a
:class:`Slot`, or says why no code can restore it: a shared file or port, a fixture's value,
state outside Python. A project name's module part (``lib.factory`` in
``lib.factory.FACTORY.base_dir``) is left for the caller to find: :meth:`Slot.split`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace
from typing import Literal

#: attr: a binding or an attribute, assigned back; content: a container's items too;
#: env / cwd: the environment variable, the working directory; call: behind a getter and a
#: setter; copy: a list the test works on a copy of (sys.path, a logger's handlers);
#: item: a key of a dict (sys.modules); warnings: the warnings filters
Kind = Literal["attr", "content", "env", "cwd", "call", "copy", "item", "warnings"]
Fill = Literal["update", "extend"]  #: how a container is refilled: dict and set, list

_LOGGER = re.compile(r"logging\.(?:root|getLogger\((?P<name>.*)\))\.(?P<attr>\w+)")
_SIGNAL = re.compile(r"signal\[(?P<name>\w+)\]")
_MODULES = re.compile(r"sys\.modules\[(?P<name>[\w.]+)\]")
_FIXTURE_FILE = re.compile(r"(?P<name>[A-Za-z_]\w*)\.read_bytes\(\)")
_CHAIN = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")


@dataclass(frozen=True)
class Slot:
    """One named piece of state, as code reaches it.

    Code is written with ``{m}`` for the module (spelled as the test module can), and ``{o}``
    for the owner: the module followed by ``path``, or ``owner`` when the owner is not a chain
    of attributes (``{m}.getLogger("app")``).
    """

    name: str  #: the audit's entry
    kind: Kind
    module: str = ""  #: the module the state lives in ("" until :meth:`split` for a project name)
    path: tuple[str, ...] = ()  #: the owner's attributes after the module
    owner: str = ""  #: the owner as code, when not ``{m}`` and ``path``
    attr: str = ""  #: attr, content, copy: the attribute; env: the variable; item: the key
    fill: Fill | None = None  #: content: how the container is refilled
    container: str = ""  #: content: what the container is, for people ("a dict")
    write: str = ""  #: call: the setter
    args: tuple[str, ...] = ()  #: call: the setter's arguments before the value
    read: str = ""  #: call: the getter
    project: bool = False  #: a name of the project's (its module found by :meth:`split`)
    fixture: str = ""  #: the wider-scoped fixture whose value reaches the state (its file)

    @property
    def chain(self) -> str:
        """The qualified name of what is restored, for a project name."""
        return ".".join(p for p in (self.module, *self.path, self.attr) if p)

    def split(self, module: str) -> Slot:
        """A project name's slot once its module is known (a prefix of its chain)."""
        parts = self.chain.strip(".").split(".")
        size = len(module.split("."))
        return replace(self, module=module, path=tuple(parts[size:-1]), project=True)

    def as_container(self, kind: str) -> Slot:
        """The slot of a container (``dict``, ``list``, ``set``…): its content is restored too."""
        fill: Fill = "extend" if kind in _LISTS else "update"
        return replace(self, kind="content", fill=fill, container=kind)

    def as_logger(self) -> Slot:
        """The slot of a logger's level (through ``setLevel``) or handlers, reached through a
        project's binding (``syncer.log.logger``, an alias of ``logging.getLogger('syncer')``)."""
        if self.attr == "level":
            return replace(self, kind="call", write="{o}.setLevel", read="{o}.level")
        if self.attr == "handlers":
            return replace(self, kind="copy")
        return self


_LISTS = frozenset({"list", "deque"})


def slot(entry: str) -> Slot | str:
    """The slot a ``TYPE:NAME`` entry names, or why code cannot save and restore it."""
    kind, _, name = entry.partition(":")
    if kind == "env":
        return Slot(entry, "env", "os", attr=name)
    if kind == "cwd":
        return Slot(entry, "cwd", "os")
    if kind == "global":
        return _global(entry, name)
    found = _FIXTURE_FILE.fullmatch(name) if kind == "fixture" else None
    if found:  # the file at a fixture's path: its bytes put back
        fixture = found["name"]
        return Slot(
            entry,
            "call",
            owner=fixture,
            write="{o}.write_bytes",
            read="{o}.read_bytes()",
            fixture=fixture,
        )
    return _WHY_NOT.get(kind, f"{entry}: an unknown kind of state; restore it by hand")


_WHY_NOT = {
    "fixture": "a wider-scoped fixture's value: the writes the test spells to it are rewritten "
    "with monkeypatch (module_globals); a copy of the value per test is the other way",
    "file": "a file, not state in the process: give each test its own (tmp_path)",
    "sqlite": "a database file, not state in the process: give each test its own (tmp_path)",
    "port": "a port: bind port 0, or mark the tests serial",
    "other": "state outside Python (a C extension's internals, another process): restore it "
    "by hand where the test changes it",
}


def _global(entry: str, name: str) -> Slot | str:
    special = _stdlib(entry, name)
    if special is not None:
        return special
    if not _CHAIN.fullmatch(name):
        return f"{entry}: not a name code can reach; restore it by hand"
    *path, attr = name.split(".")
    return Slot(entry, "attr", path=tuple(path), attr=attr)


def _stdlib(entry: str, name: str) -> Slot | str | None:
    """The standard library's state (see :mod:`auditor.plugin.stdlib_state`), or None."""
    if name in _CALLS:
        write, args, read = _CALLS[name]
        return Slot(entry, "call", name.split(".")[0], write=write, args=args, read=read)
    if name == "sys.path":
        return Slot(entry, "copy", "sys", attr="path")
    if name == "warnings.filters":
        return Slot(entry, "warnings", "warnings")
    if name == "os.umask":
        return (
            f"{entry}: the umask cannot be read without setting it; save it by hand "
            "(`mask = os.umask(0o022); os.umask(mask)`) and put it back (`os.umask(mask)`)"
        )
    found = _MODULES.fullmatch(name)
    if found:
        return Slot(entry, "item", "sys", attr=found["name"])
    found = _SIGNAL.fullmatch(name)
    if found:
        number = found["name"]
        signal = number if number.isdigit() else f"{{m}}.{number}"
        return Slot(
            entry,
            "call",
            "signal",
            write="{m}.signal",
            args=(signal,),
            read=f"{{m}}.getsignal({signal})",
        )
    found = _LOGGER.fullmatch(name)
    if found:
        return _logger(entry, found["name"], found["attr"])
    return None


#: state behind a getter and a setter: name → (setter, arguments before the value, getter)
_CALLS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "logging.disable": ("{m}.disable", (), "{m}.root.manager.disable"),
    "locale": ("{m}.setlocale", ("{m}.LC_ALL",), "{m}.setlocale({m}.LC_ALL)"),
    "socket.defaulttimeout": ("{m}.setdefaulttimeout", (), "{m}.getdefaulttimeout()"),
    "random.state": ("{m}.setstate", (), "{m}.getstate()"),
    "decimal.context": ("{m}.setcontext", (), "{m}.getcontext().copy()"),
    "sys.recursionlimit": ("{m}.setrecursionlimit", (), "{m}.getrecursionlimit()"),
}


def _logger(entry: str, name: str | None, attr: str) -> Slot | str:
    if name is None:
        logger = "{m}.root"
    else:
        try:
            value = ast.literal_eval(name)
        except (ValueError, SyntaxError):
            value = None
        if not isinstance(value, str):
            return f"{entry}: not a logger name code can spell; restore it by hand"
        logger = f"{{m}}.getLogger({string(value)})"
    if attr == "level":  # setLevel, not the attribute: it clears the loggers' level cache
        return Slot(entry, "call", "logging", write=f"{logger}.setLevel", read=f"{logger}.level")
    if attr == "handlers":
        return Slot(entry, "copy", "logging", owner=logger, attr="handlers")
    if attr in ("propagate", "disabled"):
        return Slot(entry, "attr", "logging", owner=logger, attr=attr)
    return f"{entry}: a logger's {attr}, which auditor does not know how to restore"


def string(text: str) -> str:
    """``text`` as a Python string literal, in double quotes as black writes them."""
    quoted = repr(text)
    if quoted.startswith("'") and '"' not in text:
        return '"' + quoted[1:-1].replace("\\'", "'") + '"'
    return quoted
