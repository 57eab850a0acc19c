"""``--auditor-footprint``: what each test leaves changed, and what it touches.

State a test leaves changed, by comparing snapshots (:mod:`auditor.plugin.snapshot`) taken before
its setup and after its teardown:

- ``env:NAME``: environment variables set, changed or removed (names only: values never leave
  the process, they may be secrets);
- ``cwd:PATH``: the working directory;
- ``global:sys.path``, ``global:sys.modules[NAME]`` (a module replaced or removed);
- the standard library's process-wide state: ``global:logging.getLogger('app.db').level`` (and
  ``.handlers``, ``.propagate``, ``.disabled``; ``logging.root.…`` for the root logger),
  ``global:logging.disable``, ``global:warnings.filters``, ``global:os.umask``, ``global:locale``,
  ``global:socket.defaulttimeout``, ``global:signal[SIGTERM]``, ``global:random.state``,
  ``global:decimal.context``, ``global:sys.recursionlimit`` (:mod:`auditor.plugin.stdlib_state`
  says how each is read and restored, and which pytest itself resets around every test);
- ``global:MODULE.NAME`` (and ``global:MODULE.NAME.ATTR``): module globals of the project's modules
  (under the root, outside virtual environments), rebound or changed in place (containers,
  objects' and classes' attributes, memoised functions), but the names pytest and unittest set to
  run tests (:mod:`auditor.plugin.prints`), and a test class's attributes changed by its class
  setup or teardown (:mod:`auditor.plugin.snapshot`);
- ``fixture:NAME``: the value of a session-, package-, module- or class-scoped fixture the test
  requested, mutated between the end of its setup and the start of its teardown;
  ``fixture:NAME.read_bytes()`` when that value is a path and the file there changed (a JSON
  store behind a session's temporary folder).

A state reached through several names (one object bound in several modules, a logger held in a
module) is named once, under its canonical name, and the record's ``aliases`` maps that name to
the others (:mod:`auditor.plugin.owners`).

Resources it touches, from an audit hook (:func:`sys.addaudithook`), between the start of its
setup and the end of its teardown: ``file:PATH`` written, created, removed or renamed outside
pytest's and :mod:`tempfile`'s temporary directories (``PATH`` as the test wrote it when
relative, else relative to the root when under it); ``sqlite:PATH`` opened; ``port:N``
(``port:N/udp``) bound; ``other:subprocess:NAME`` started.
Each resource comes with how it was used: ``w`` written or created, ``d`` a directory created,
``x`` removed, ``o`` opened (SQLite), ``b`` bound, ``s`` started.

The record goes to the test's ``user_properties`` under ``auditor_footprint``, so that under
xdist it reaches the controller with the teardown report; :mod:`auditor.plugin.record` writes it
into the test's record. An audit hook cannot be removed, so this process gets one hook, which
does nothing outside a test and swallows every error of its own (an exception raised in a hook
would reach the test).
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import types
from collections.abc import Callable, Generator, Iterable
from typing import Any, TypeVar, cast

import pytest

from auditor.plugin.snapshot import Snapshots, fixture_prints, fixtures_changed, under

PROPERTY = "auditor_footprint"
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
#: ``os.open(folder, O_TMPFILE | …)``: a file without a name in that folder (Linux;
#: tempfile.TemporaryFile, pytest's output capture)
_NAMELESS = getattr(os, "O_TMPFILE", -1)
_EVENTS = frozenset(
    {
        "open",
        "os.rename",
        "os.remove",
        "os.rmdir",
        "os.mkdir",
        "os.truncate",
        "os.symlink",
        "os.link",
        "shutil.rmtree",
        "socket.bind",
        "sqlite3.connect",
        "subprocess.Popen",
        "tempfile.mkstemp",
        "tempfile.mkdtemp",
    }
)
_SKIP_PREFIXES = ("/dev/", "/proc/", "/sys/")
_READ_MODES = frozenset({"r", "rb", "rt", "br", "tr"})

#: The footprint the audit hook reports to (None outside a session). A hook cannot be removed
#: and outlives the modules, so it holds only this and the events it passes on: with this
#: module's namespace as its globals, it kept every module reachable from here alive while the
#: interpreter shut down, and each collection made then walked them all again (14 ms of a
#: 570 ms run on the large-caches bench suite).
_RECORDING = types.SimpleNamespace(footprint=None)
_hook: Callable[[str, tuple[Any, ...]], None] | None = None  #: the hook, once added


def _audit(
    event: str,
    args: tuple[Any, ...],
    events: frozenset[str] = _EVENTS,
    recording: types.SimpleNamespace = _RECORDING,
) -> None:
    """The hook's code, added as a copy without globals (see :func:`_add_hook`)."""
    if event not in events:  # the fast path: every audited operation of the process calls this
        return
    recorder = recording.footprint
    if recorder is None or not recorder.active:
        return
    # An error here would surface inside the user's test. (try, not contextlib.suppress: this
    # runs for every file the process opens.)
    try:  # noqa: SIM105
        recorder.event(event, args)
    except Exception:
        pass


_Hook = TypeVar("_Hook", bound=Callable[..., Any])


def _wrapper(**options: Any) -> Callable[[_Hook], _Hook]:
    """A hook wrapper's marker: pluggy's new style where pluggy has it (1.2 on; a call costs
    half the old style's, which two wrappers paid for every test), else the old style. The
    wrappers below work as either: they never look at the result, and their second half runs
    in a ``finally``, as the new style throws the inner hooks' error into the wrapper."""
    try:
        marker: Any = pytest.hookimpl(wrapper=True, **options)
    except TypeError:  # pluggy before 1.2
        marker = pytest.hookimpl(hookwrapper=True, **options)
    return cast(Callable[[_Hook], _Hook], marker)


def _add_hook() -> None:
    """The process's audit hook, added as the first test starts: collection's events (every
    ``id()`` and ``__code__`` read is one) never reach it."""
    global _hook
    _hook = types.FunctionType(_audit.__code__, {}, "_audit", _audit.__defaults__)
    sys.addaudithook(_hook)


class Footprint:
    """Registered with ``--auditor-footprint`` in every process that runs tests."""

    def __init__(self, config: pytest.Config) -> None:
        self.root = str(config.rootpath)
        self.private = _temporary_roots(config)
        self.active = False
        self.touched: dict[str, set[str]] = {}
        self.scratch: list[str] = []  #: tempfile.mkstemp / mkdtemp paths of the current test
        self.private_folders: dict[str, bool] = {}  #: folder → whether its files are private
        self.snapshots = Snapshots(
            self.root,
            # pytest's warnings plugin copies the filters before each test and puts them back
            # after it; pytest-randomly reseeds random before each test unless told not to.
            warnings=not config.pluginmanager.hasplugin("warnings"),
            random=not config.getoption("randomly_reset_seed", False),
        )
        self.before: dict[str, Any] = {}
        self.fixtures: dict[str, Any] = {}
        self.test_class: tuple[type, Any] | None = None  #: the test's class as its call starts
        self.during: dict[int, set[str]] = {}  #: the class's attributes its call changed
        _RECORDING.footprint = self

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self) -> None:
        """The session is over: the hook, which outlives it, lets go of this footprint."""
        if _RECORDING.footprint is self:
            _RECORDING.footprint = None

    # -- the test's window ---------------------------------------------------------------------

    @_wrapper(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, Any, Any]:
        if _hook is None:
            _add_hook()
        self.touched, self.scratch, self.private_folders = {}, [], {}
        self.test_class, self.during = None, {}
        self.before = self.snapshots.take(item)
        self.active = True
        try:
            return (yield)
        finally:
            self.fixtures = self._fixture_prints(item)
            self.test_class = self.snapshots.test_class(item)

    @_wrapper(tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, Any, Any]:
        """Before the teardown: the fixtures' and the class's changes during the test. After
        it (every fixture finalised, the teardown report not made yet): the record, in the
        test's ``user_properties``, which that report carries."""
        if self.fixtures:  # none when the test requested no wider-scoped fixture
            now = self._fixture_prints(item)
            self.fixtures = dict.fromkeys(fixtures_changed(self.fixtures, now))
        self.during = self.snapshots.during(item, self.test_class)
        try:
            return (yield)
        finally:
            self._record(item)

    def _record(self, item: pytest.Item) -> None:
        """What the test left changed and touched, into its ``user_properties``."""
        self.active = False
        after = self.snapshots.take(item, live=True)
        changed, aliases, effects = self.snapshots.changed(self.before, after, self.during)
        if self.fixtures:
            changed += [f"fixture:{name}" for name in self.fixtures]
        if changed or self.touched:
            resources = {name: "".join(sorted(uses)) for name, uses in sorted(self.touched.items())}
            record = {"state": changed, "resources": resources}
            if aliases:
                record["aliases"] = aliases
            if effects:
                record["effects"] = effects
            item.user_properties.append((PROPERTY, record))
        self.before, self.during = {}, {}

    def _fixture_prints(self, item: pytest.Item) -> dict[str, Any]:
        """The test's wider-scoped fixtures' prints, their files read unseen (not a resource)."""
        active, self.active = self.active, False
        try:
            return fixture_prints(item)
        finally:
            self.active = active

    # -- resources -----------------------------------------------------------------------------

    def event(self, event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args[0], args[1], args[2]
            if isinstance(mode, str):
                writes = mode not in _READ_MODES and any(c in mode for c in "wax+")
            else:  # os.open: no mode, the flags say (a file made without a name is no one's)
                writes = bool(flags & _WRITE_FLAGS) and flags & _NAMELESS != _NAMELESS
            if writes:
                self._file(path, "w", mode)
        elif event in ("os.remove", "os.rmdir"):
            if args[-1] in (None, -1):  # relative to a dir_fd: shutil.rmtree, recorded already
                self._file(args[0], "x")
        elif event == "os.rename":
            self._file(args[0], "x")
            self._file(args[1], "w")
        elif event == "os.mkdir":
            if args[-1] in (None, -1):
                self._file(args[0], "d")
        elif event in ("os.truncate", "os.symlink", "os.link"):
            self._file(args[1] if event != "os.truncate" else args[0], "w")
        elif event == "shutil.rmtree":
            self._file(args[0], "x")
        elif event in ("tempfile.mkstemp", "tempfile.mkdtemp"):
            self.scratch.append(os.path.abspath(os.fsdecode(args[0])))
            self.private_folders.clear()
        elif event == "socket.bind":
            self._bind(args[0], args[1])
        elif event == "sqlite3.connect":
            self._sqlite(args[0])
        elif event == "subprocess.Popen":
            program = args[0] if args[0] is not None else _first(args[1])
            self._use(f"other:subprocess:{os.path.basename(os.fsdecode(program))}", "s")

    def _file(self, path: Any, use: str, mode: Any = None) -> None:
        """``path`` used as ``use``; ``mode``: ``open``'s, for a file opened to write it.
        ``open(folder, mode, opener=…)`` names the folder and the opener makes the file:
        NamedTemporaryFile does so (the file is a ``tempfile.mkstemp`` event's, private to the
        test), and the folder is no file any test writes."""
        if isinstance(path, int):
            return  # a file descriptor: its path was recorded when it was opened
        name = self._path(path)
        if name is not None and not (isinstance(mode, str) and os.path.isdir(path)):
            self._use(f"file:{name}", use)

    def _path(self, path: Any) -> str | None:
        """The path as the report names it, or None for a private or system path.

        A relative path stays as the test wrote it: that is what two tests share when they
        run side by side (and what a fix rewrites), whatever the working directory was."""
        given = path if type(path) is str else os.fsdecode(path)
        if given.startswith(os.sep) and self.private_folders.get(given.rpartition(os.sep)[0]):
            return None  # the fast way out: tests write many files to few private folders
        absolute = os.path.abspath(given)
        if absolute in self.scratch:  # a tempfile.mkstemp file of this test: its own name
            return None  # (checked before the folder's privacy, which it says nothing about)
        folder = os.path.dirname(absolute)
        private = self.private_folders.get(folder)
        if private is None:
            private = self.private_folders[folder] = (
                absolute.startswith(_SKIP_PREFIXES)
                or "__pycache__" in absolute
                or self._private(absolute)
            )
        if private:
            return None
        if not os.path.isabs(given):
            return os.path.normpath(given)
        return os.path.relpath(absolute, self.root) if under(absolute, self.root) else absolute

    def _private(self, absolute: str) -> bool:
        """Under ``--basetemp``; else, outside the project, under pytest's temporary root or a
        :mod:`tempfile` directory of this test. (A project may itself live in a temporary
        directory: its own files are never private.)"""
        given, temporary = self.private
        if given and under(absolute, given):
            return True
        if under(absolute, self.root):
            return False
        return any(under(absolute, private) for private in (*temporary, *self.scratch))

    def _bind(self, sock: Any, address: Any) -> None:
        if isinstance(address, tuple) and len(address) >= 2 and address[1]:
            udp = getattr(sock, "type", None) == socket.SOCK_DGRAM
            self._use(f"port:{address[1]}{'/udp' if udp else ''}", "b")
        elif isinstance(address, (str, bytes)) and address:
            self._file(address, "w")  # a Unix socket's path

    def _sqlite(self, database: Any) -> None:
        if isinstance(database, int) or not database:
            return
        name = os.fsdecode(database)
        if name == ":memory:" or "mode=memory" in name:
            return
        if name.startswith("file:"):
            name = name[5:].split("?", 1)[0]
        path = self._path(name)
        if path is not None:
            self._use(f"sqlite:{path}", "o")

    def _use(self, resource: str, use: str) -> None:
        self.touched.setdefault(resource, set()).add(use)


def _temporary_roots(config: pytest.Config) -> tuple[str | None, tuple[str, ...]]:
    """pytest's temporary directories: ``--basetemp``, and ``pytest-of-USER`` under the
    temporary root."""
    roots = []
    basetemp = config.getoption("basetemp", None)
    temproot = os.environ.get("PYTEST_DEBUG_TEMPROOT") or tempfile.gettempdir()
    try:
        import getpass

        user = getpass.getuser()
    except Exception:  # pytest falls back the same way
        user = "unknown"
    roots.append(os.path.join(os.path.realpath(temproot), f"pytest-of-{user}"))
    roots.append(os.path.join(os.path.abspath(temproot), f"pytest-of-{user}"))
    return (os.path.abspath(basetemp) if basetemp else None), tuple(dict.fromkeys(roots))


def _first(args: Iterable[Any] | Any) -> Any:
    if isinstance(args, (str, bytes, os.PathLike)):
        return str(args).split()[0] if str(args).split() else ""
    return next(iter(args), "")
