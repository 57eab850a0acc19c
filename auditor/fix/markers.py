"""Register the ``serial`` marker in the project's pytest configuration.

``auditor fix`` adds ``@pytest.mark.serial(...)`` to tests; under ``--strict-markers`` pytest then
stops with "'serial' not found in `markers` configuration option" unless the project registers the
marker itself (auditor's plugin registers it too, but the suite must not need the plugin to run).

The file edited is the one pytest reads, found with pytest's own precedence in the root folder:
``pytest.toml``, ``.pytest.toml`` (both pytest 9, and both win even when empty), ``pytest.ini``,
``.pytest.ini`` (win even without a ``[pytest]`` section), then ``pyproject.toml``, ``tox.ini`` and
``setup.cfg`` when they hold pytest's table or section. TOML is edited with tomlkit, INI-style files
line by line, so comments, layout and line endings survive. Nothing is written here: the caller
writes atomically, honours ``--dry-run`` and checks git status.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import iniconfig
import tomlkit
from tomlkit.exceptions import TOMLKitError

from auditor.fix import files

SERIAL_LINE = "serial(*keys): run alone, or never beside tests sharing a resource key (auditor)"

_INDENT = "    "


@dataclass(frozen=True)
class Registration:
    """The configuration file's text now and with ``serial`` registered.

    ``path`` is absolute; ``before`` is None when the file does not exist yet. Both texts keep
    their newlines as they are in the file (write ``after`` with ``newline=""``).
    """

    path: Path
    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        """True when ``after`` must be written (the file is new, or the marker was missing)."""
        return self.before != self.after


class ConfigError(Exception):
    """The config file cannot be edited safely; the message says what to do."""


def serial_registration(root: Path, pytest_major: int | None = None) -> Registration:
    """The edit that registers ``serial`` for the pytest project rooted at ``root``.

    The first file in pytest's precedence order that configures pytest gets the marker (unchanged
    when it already has one). When none does, an existing ``pyproject.toml`` gets a
    ``[tool.pytest.ini_options]`` table, else a new ``pytest.ini`` is proposed (``before`` None).
    Applying the result and asking again gives ``changed`` False. Raises ConfigError when a file
    pytest would read does not parse, or is one pytest itself would refuse.

    ``pytest_major`` is the major version of the pytest that runs the project (default: the one
    installed here): before 9, pytest reads neither ``pytest.toml`` nor ``[tool.pytest]``.
    """
    root = root.absolute()
    native = (pytest_major if pytest_major is not None else _installed_major()) >= 9
    for name, edit in _PRECEDENCE:
        path = root / name
        if not native and name.endswith("pytest.toml"):
            continue
        if path.is_file():
            before = _read(path)
            after = (
                edit(path, before)
                if name != "pyproject.toml"
                else _edit_pyproject(path, before, native)
            )
            if after is not None:
                return Registration(path, before, after)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        before = _read(pyproject)
        return Registration(pyproject, before, _append_toml_table(pyproject, before, _INI_OPTIONS))
    return Registration(root / "pytest.ini", None, _append_ini_section("", "pytest"))


# -- TOML: pytest.toml, pyproject.toml ----------------------------------------------------------

_INI_OPTIONS = "tool.pytest.ini_options"


def _edit_pytest_toml(path: Path, text: str) -> str:
    document = _parse_toml(path, text)
    table = document.get("pytest")
    if table is not None:
        return _add_to_markers(path, text, document, table, ini_mode=False)
    # pytest refuses options outside [pytest]; a [pytest] table added below them would make it
    # ignore them silently instead.
    loose = [key for key, value in document.items() if not isinstance(value, dict)]
    if loose:
        raise ConfigError(
            f"{path}: pytest reads options only from the [pytest] table, and {', '.join(loose)} "
            "are outside it; move them under [pytest], then run auditor fix again"
        )
    return _append_toml_table(path, text, "pytest")


def _installed_major() -> int:
    return int(importlib.metadata.version("pytest").split(".")[0])


def _edit_pyproject(path: Path, text: str, pytest_9: bool = True) -> str | None:
    document = _parse_toml(path, text)
    tool = document.get("tool")
    table = tool.get("pytest") if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        return None
    ini_options = table.get("ini_options")
    # pytest < 9 reads only [tool.pytest.ini_options]
    native = [key for key in table if key != "ini_options"] if pytest_9 else []
    if native and ini_options:
        raise ConfigError(
            f"{path}: pytest refuses [tool.pytest] and [tool.pytest.ini_options] together; "
            "keep one of them, then run auditor fix again"
        )
    if native:  # pytest 9's native table: markers is a list of strings
        return _add_to_markers(path, text, document, table, ini_mode=False)
    if ini_options is not None:
        return _add_to_markers(path, text, document, ini_options, ini_mode=True)
    return None


def _parse_toml(path: Path, text: str) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix it, or {_by_hand(path)}") from None


def _add_to_markers(
    path: Path, text: str, document: tomlkit.TOMLDocument, table: object, *, ini_mode: bool
) -> str:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: pytest's configuration is not a table; {_by_hand(path)}")
    markers = table.get("markers")
    if isinstance(markers, list):
        if _registered(markers):
            return text
        markers.append(SERIAL_LINE)
    elif isinstance(markers, str) and ini_mode:
        # ini_options accepts one string of lines, as an .ini file does; a list says the same.
        entries = [line.strip() for line in markers.splitlines() if line.strip()]
        if _registered(entries):
            return text
        table["markers"] = _marker_array(entries)
    elif markers is None:
        table["markers"] = _marker_array([])
    else:
        raise ConfigError(
            f"{path}: markers must be a list of strings, not {markers!r}; fix it, "
            f"or {_by_hand(path)}"
        )
    return _keep_newlines(text, tomlkit.dumps(document))


def _marker_array(entries: list[str]) -> tomlkit.items.Array:
    array = tomlkit.array()
    array.extend([*entries, SERIAL_LINE])
    return array.multiline(True)


def _append_toml_table(path: Path, text: str, header: str) -> str:
    entry = f"{_INDENT}{json.dumps(SERIAL_LINE)},"  # a JSON string is a TOML basic string
    after = _append_block(text, [f"[{header}]", "markers = [", entry, "]"])
    # The header is invalid where the file already spells the table another way (an inline
    # `tool = {...}`, dotted keys); tomlkit says so, and the user adds the line by hand.
    try:
        tomlkit.parse(after)
    except TOMLKitError as exc:
        raise ConfigError(
            f"{path}: cannot add a [{header}] table ({exc}); register the marker by hand: add "
            f"this to the table that configures pytest:\nmarkers = [{json.dumps(SERIAL_LINE)}]"
        ) from None
    return after


def _keep_newlines(before: str, after: str) -> str:
    # tomlkit writes "\n" in what it adds; a file that uses "\r\n" throughout keeps doing so.
    if "\r\n" in before and "\n" not in before.replace("\r\n", ""):
        return re.sub(r"(?<!\r)\n", "\r\n", after)
    return after


# -- INI: pytest.ini, tox.ini, setup.cfg (by lines: configparser would drop the comments) -------


def _edit_pytest_ini(path: Path, text: str) -> str:
    after = _edit_ini(path, text, "pytest")
    return _append_ini_section(text, "pytest") if after is None else after


def _edit_tox_ini(path: Path, text: str) -> str | None:
    return _edit_ini(path, text, "pytest")


def _edit_setup_cfg(path: Path, text: str) -> str | None:
    after = _edit_ini(path, text, "tool:pytest")
    if after is None and _section(text.splitlines(keepends=True), "pytest") is not None:
        raise ConfigError(
            f"{path}: pytest no longer reads a [pytest] section in setup.cfg; rename it to "
            "[tool:pytest], then run auditor fix again"
        )
    return after


def _edit_ini(path: Path, text: str, section: str) -> str | None:
    """The text with the marker in ``section``; None when there is no such section."""
    _check_ini(path, text)
    lines = text.splitlines(keepends=True)
    span = _section(lines, section)
    if span is None:
        return None
    start, end = span
    key = next((i for i in range(start + 1, end) if _key(lines[i]) == "markers"), None)
    if key is None:
        last = max((i for i in range(start, end) if _is_content(lines[i])), default=start)
        indent = next(
            (_indent(lines[i]) for i in range(start, end) if _is_continuation(lines[i])), _INDENT
        )
        return _insert(lines, last + 1, ["markers =", indent + SERIAL_LINE])
    last = _value_end(lines, key, end)
    if _registered(_value(lines, key, last)):
        return text
    indent = _indent(lines[last]) if last > key else _INDENT
    return _insert(lines, last + 1, [indent + SERIAL_LINE])


def _check_ini(path: Path, text: str) -> None:
    # The parser pytest uses, so that we refuse exactly the files pytest refuses.
    try:
        iniconfig.IniConfig(path, data=text)
    except iniconfig.ParseError as exc:
        raise ConfigError(f"{exc}; fix it, or {_by_hand(path)}") from None


def _section(lines: list[str], name: str) -> tuple[int, int] | None:
    """The header's index and the index after the section's last line."""
    headers = [i for i, line in enumerate(lines) if _header(line) is not None]
    for n, i in enumerate(headers):
        if _header(lines[i]) == name:
            return i, headers[n + 1] if n + 1 < len(headers) else len(lines)
    return None


def _header(line: str) -> str | None:
    # As iniconfig reads it: "[" in the first column, "]" last once comments are cut off; a
    # byte order mark before the first header is skipped.
    line = line.removeprefix("\ufeff")
    if iniconfig.iscommentline(line) or not line.startswith("["):
        return None
    bare = line.rstrip()
    for char in iniconfig.COMMENTCHARS:
        bare = bare.split(char)[0].rstrip()
    return bare[1:-1] if bare.endswith("]") else None


def _split(line: str) -> tuple[str, str]:
    # As iniconfig reads `name = value` and `name: value`: "=" wins unless ":" comes first.
    name, equals, value = line.partition("=")
    if not equals or ":" in name:
        name, _, value = line.partition(":")
    return name.strip(), value.strip()


def _key(line: str) -> str | None:
    if not _is_content(line) or line[0].isspace() or _header(line) is not None:
        return None
    return _split(line)[0]


def _is_content(line: str) -> bool:
    return bool(line.strip()) and not iniconfig.iscommentline(line)


def _is_continuation(line: str) -> bool:
    return _is_content(line) and line[0].isspace()


def _value_end(lines: list[str], key: int, end: int) -> int:
    # Blank and comment lines do not end a value: the next indented line still continues it.
    last = key
    for i in range(key + 1, end):
        if _is_continuation(lines[i]):
            last = i
        elif _is_content(lines[i]):
            break
    return last


def _value(lines: list[str], key: int, last: int) -> list[str]:
    following = [line.strip() for line in lines[key + 1 : last + 1] if _is_continuation(line)]
    return [entry for entry in [_split(lines[key])[1], *following] if entry]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _insert(lines: list[str], at: int, new: list[str]) -> str:
    """``lines`` with ``new`` inserted at ``at``, in the newline style of the line before."""
    previous = lines[at - 1] if at else ""
    newline = _ending(previous) or _newline("".join(lines))
    head = lines[:at]
    if head and not _ending(previous):  # inserting after a last line that has no newline
        head[-1] += newline
        block = newline.join(new)
    else:
        block = "".join(line + newline for line in new)
    return "".join(head) + block + "".join(lines[at:])


def _append_ini_section(text: str, section: str) -> str:
    return _append_block(text, [f"[{section}]", "markers =", _INDENT + SERIAL_LINE])


# -- shared -------------------------------------------------------------------------------------


def _read(path: Path) -> str:
    try:
        return files.read(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc}); {_by_hand(path)}") from None


def _registered(entries: Iterable[object]) -> bool:
    # pytest's own reading of a markers entry: the name ends at ":" or "(".
    return any(
        isinstance(entry, str) and entry.split(":", 1)[0].split("(")[0].strip() == "serial"
        for entry in entries
    )


def _append_block(text: str, block: list[str]) -> str:
    """``text`` with ``block`` appended as its last lines, after a blank line."""
    newline = _newline(text)
    if text and not _ending(text):
        text += newline
    lines = text.splitlines()
    gap = newline if lines and lines[-1].strip() else ""
    return text + gap + "".join(line + newline for line in block)


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


def _newline(text: str) -> str:
    return next((_ending(line) for line in text.splitlines(keepends=True) if _ending(line)), "\n")


def _by_hand(path: Path) -> str:
    if path.suffix == ".toml":
        entry = f"{json.dumps(SERIAL_LINE)},"
        return f"register the marker by hand: add this entry to its pytest markers list:\n{entry}"
    line = f"{_INDENT}{SERIAL_LINE}"
    return (
        f"register the marker by hand: add this line under markers = in its pytest section:\n{line}"
    )


#: pytest's precedence (``_pytest/config/findpaths.py``, pytest 9); each editor returns the new
#: text, or None when the file exists but does not configure pytest.
_PRECEDENCE: tuple[tuple[str, Callable[[Path, str], str | None]], ...] = (
    ("pytest.toml", _edit_pytest_toml),
    (".pytest.toml", _edit_pytest_toml),
    ("pytest.ini", _edit_pytest_ini),
    (".pytest.ini", _edit_pytest_ini),
    ("pyproject.toml", _edit_pyproject),
    ("tox.ini", _edit_tox_ini),
    ("setup.cfg", _edit_setup_cfg),
)
