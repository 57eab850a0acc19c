"""``auditor.fix.markers``: the ``serial`` marker lands in the file pytest reads, and nowhere else.

Tables of whole files before and after (so every byte outside the edit is compared too), a table
of files already registered, a table of files that cannot be edited safely, pytest's own config
lookup agreeing with ours, and one real ``--strict-markers`` run per file style.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest
from _pytest.config.findpaths import locate_config

from auditor.fix.markers import SERIAL_LINE, ConfigError, Registration, serial_registration

S = SERIAL_LINE
Q = f'"{SERIAL_LINE}"'  # as a TOML string

# (files in the project root, the file that gets the marker, its expected text afterwards)
CHANGED = [
    pytest.param(
        {
            "pytest.ini": (
                "# our settings\n"
                "[pytest]\n"
                "addopts = -q  ; kept as is\n"
                "markers =\n"
                "  slow: takes long\n"
                "  net(host): talks to the network\n"
                "\n"
                "# the timeouts\n"
                "timeout = 5\n"
            ),
        },
        "pytest.ini",
        (
            "# our settings\n"
            "[pytest]\n"
            "addopts = -q  ; kept as is\n"
            "markers =\n"
            "  slow: takes long\n"
            "  net(host): talks to the network\n"
            f"  {S}\n"
            "\n"
            "# the timeouts\n"
            "timeout = 5\n"
        ),
        id="pytest.ini continuation lines, their indentation",
    ),
    pytest.param(
        {"pytest.ini": "[pytest]\nmarkers = slow: takes long\naddopts =\n    -ra\n"},
        "pytest.ini",
        f"[pytest]\nmarkers = slow: takes long\n    {S}\naddopts =\n    -ra\n",
        id="pytest.ini value on the key line, next key continued",
    ),
    pytest.param(
        {"pytest.ini": "\ufeff[pytest]\naddopts = -q\n"},
        "pytest.ini",
        f"\ufeff[pytest]\naddopts = -q\nmarkers =\n    {S}\n",
        id="pytest.ini byte order mark",
    ),
    pytest.param(
        {
            "pytest.ini": (
                "[pytest]\n"
                "markers =\n"
                "\tslow: takes long\n"
                "\n"
                "    # serial: a comment is not a registration\n"
                "\tnet: talks to the network\n"
                "# done\n"
            ),
        },
        "pytest.ini",
        (
            "[pytest]\n"
            "markers =\n"
            "\tslow: takes long\n"
            "\n"
            "    # serial: a comment is not a registration\n"
            "\tnet: talks to the network\n"
            f"\t{S}\n"
            "# done\n"
        ),
        id="pytest.ini blank and comment lines inside the value, tabs",
    ),
    pytest.param(
        {"pytest.ini": "[pytest]\naddopts = -q\n\n# lint\n[flake8]\nmax-line-length = 100\n"},
        "pytest.ini",
        f"[pytest]\naddopts = -q\nmarkers =\n    {S}\n\n# lint\n[flake8]\nmax-line-length = 100\n",
        id="pytest.ini no markers key: at the end of the section",
    ),
    pytest.param(
        {
            "pytest.ini": "# no [pytest] section, still the config file\n[flake8]\nx = 1\n",
            "pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-q'\n",
        },
        "pytest.ini",
        (
            "# no [pytest] section, still the config file\n[flake8]\nx = 1\n"
            f"\n[pytest]\nmarkers =\n    {S}\n"
        ),
        id="pytest.ini without a section wins over pyproject.toml",
    ),
    pytest.param(
        {".pytest.ini": "", "tox.ini": "[pytest]\naddopts = -q\n"},
        ".pytest.ini",
        f"[pytest]\nmarkers =\n    {S}\n",
        id=".pytest.ini empty",
    ),
    pytest.param(
        {"pytest.ini": "[pytest]\r\nmarkers =\r\n    slow: takes long\r\naddopts = -q\r\n"},
        "pytest.ini",
        f"[pytest]\r\nmarkers =\r\n    slow: takes long\r\n    {S}\r\naddopts = -q\r\n",
        id="pytest.ini CRLF",
    ),
    pytest.param(
        {"pytest.ini": "[pytest]\r\naddopts = -q"},
        "pytest.ini",
        f"[pytest]\r\naddopts = -q\r\nmarkers =\r\n    {S}",
        id="pytest.ini CRLF, no newline at the end",
    ),
    pytest.param(
        {
            "tox.ini": (
                "[tox]\n"
                "envlist = py311\n"
                "\n"
                "[pytest]\n"
                "markers =\n"
                "    slow: takes long\n"
                "\n"
                "[testenv]\n"
                "commands = pytest\n"
            ),
        },
        "tox.ini",
        (
            "[tox]\n"
            "envlist = py311\n"
            "\n"
            "[pytest]\n"
            "markers =\n"
            "    slow: takes long\n"
            f"    {S}\n"
            "\n"
            "[testenv]\n"
            "commands = pytest\n"
        ),
        id="tox.ini [pytest] between other sections",
    ),
    pytest.param(
        {
            "tox.ini": "[tox]\nenvlist = py311\n",
            "setup.cfg": "[metadata]\nname = x\n\n[tool:pytest]\naddopts = -q\n",
        },
        "setup.cfg",
        f"[metadata]\nname = x\n\n[tool:pytest]\naddopts = -q\nmarkers =\n    {S}\n",
        id="setup.cfg [tool:pytest] when tox.ini has no [pytest]",
    ),
    pytest.param(
        {
            "pyproject.toml": (
                "[project]\n"
                'name = "x"  # the name\n'
                "\n"
                "[tool.pytest.ini_options]\n"
                "# why these markers\n"
                "markers = [\n"
                '    "slow: takes long",  # really\n'
                '    "net: talks to the network",\n'
                "]\n"
                'addopts = "-q"\n'
                "\n"
                "[tool.ruff]\n"
                "line-length = 100\n"
            ),
            "setup.cfg": "[tool:pytest]\naddopts = -q\n",
        },
        "pyproject.toml",
        (
            "[project]\n"
            'name = "x"  # the name\n'
            "\n"
            "[tool.pytest.ini_options]\n"
            "# why these markers\n"
            "markers = [\n"
            '    "slow: takes long",  # really\n'
            '    "net: talks to the network",\n'
            f"    {Q},\n"
            "]\n"
            'addopts = "-q"\n'
            "\n"
            "[tool.ruff]\n"
            "line-length = 100\n"
        ),
        id="pyproject ini_options markers list, comments kept, wins over setup.cfg",
    ),
    pytest.param(
        {"pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-q"\n\n[tool.ruff]\nx = 1\n'},
        "pyproject.toml",
        (
            f'[tool.pytest.ini_options]\naddopts = "-q"\nmarkers = [\n    {Q},\n]\n'
            "\n[tool.ruff]\nx = 1\n"
        ),
        id="pyproject ini_options without markers",
    ),
    pytest.param(
        {"pyproject.toml": '[tool.pytest.ini_options]\nmarkers = """\n  slow: takes long\n"""\n'},
        "pyproject.toml",
        f'[tool.pytest.ini_options]\nmarkers = [\n    "slow: takes long",\n    {Q},\n]\n',
        id="pyproject ini_options markers as one string of lines",
    ),
    pytest.param(
        {"pyproject.toml": '[tool.pytest]\nmarkers = ["slow: takes long"]\nminversion = "9.0"\n'},
        "pyproject.toml",
        f'[tool.pytest]\nmarkers = ["slow: takes long", {Q}]\nminversion = "9.0"\n',
        id="pyproject native [tool.pytest] markers",
    ),
    pytest.param(
        {"pyproject.toml": '[tool.pytest]\nminversion = "9.0"\n'},
        "pyproject.toml",
        f'[tool.pytest]\nminversion = "9.0"\nmarkers = [\n    {Q},\n]\n',
        id="pyproject native [tool.pytest] without markers",
    ),
    pytest.param(
        {
            "pyproject.toml": '[project]\nname = "x"\n',
            "tox.ini": "[tox]\nenvlist = py311\n\n[pytest]\naddopts = -q\n",
        },
        "tox.ini",
        f"[tox]\nenvlist = py311\n\n[pytest]\naddopts = -q\nmarkers =\n    {S}\n",
        id="tox.ini wins over a pyproject.toml without pytest's table",
    ),
    pytest.param(
        {
            "pyproject.toml": '[project]\nname = "x"\n\n[tool.ruff]\nx = 1\n',
            "tox.ini": "[tox]\nenvlist = py311\n",
            "setup.cfg": "[metadata]\nname = x\n",
        },
        "pyproject.toml",
        (
            '[project]\nname = "x"\n\n[tool.ruff]\nx = 1\n'
            f"\n[tool.pytest.ini_options]\nmarkers = [\n    {Q},\n]\n"
        ),
        id="no config: pyproject.toml gets [tool.pytest.ini_options]",
    ),
    pytest.param(
        {"pyproject.toml": '[project]\r\nname = "x"'},
        "pyproject.toml",
        (
            '[project]\r\nname = "x"\r\n'
            f"\r\n[tool.pytest.ini_options]\r\nmarkers = [\r\n    {Q},\r\n]\r\n"
        ),
        id="no config: pyproject.toml CRLF without a newline at the end",
    ),
    pytest.param(
        {"pyproject.toml": '[tool.pytest.ini_options]\r\naddopts = "-q"\r\n'},
        "pyproject.toml",
        f'[tool.pytest.ini_options]\r\naddopts = "-q"\r\nmarkers = [\r\n    {Q},\r\n]\r\n',
        id="pyproject CRLF, key added by tomlkit",
    ),
    pytest.param(
        {},
        "pytest.ini",
        f"[pytest]\nmarkers =\n    {S}\n",
        id="no config, no pyproject.toml: a new pytest.ini",
    ),
    pytest.param(
        {
            "pytest.toml": '[pytest]\nmarkers = [\n  "slow: takes long",\n]\n',
            "pytest.ini": "[pytest]\naddopts = -q\n",
        },
        "pytest.toml",
        f'[pytest]\nmarkers = [\n  "slow: takes long",\n  {Q},\n]\n',
        id="pytest.toml wins over pytest.ini",
    ),
    pytest.param(
        {".pytest.toml": "# empty, still the config file\n", "pytest.ini": "[pytest]\n"},
        ".pytest.toml",
        f"# empty, still the config file\n\n[pytest]\nmarkers = [\n    {Q},\n]\n",
        id=".pytest.toml empty",
    ),
]

# (files, the file pytest reads, which already registers serial)
REGISTERED = [
    pytest.param({"pytest.ini": "[pytest]\nmarkers =\n    serial: mine\n"}, "pytest.ini", id="ini"),
    pytest.param({"pytest.ini": "[pytest]\nmarkers = serial\n"}, "pytest.ini", id="ini key line"),
    pytest.param(
        {"tox.ini": "[pytest]\nmarkers =\n  a: b\n\n  serial (keys) : mine\n"}, "tox.ini", id="tox"
    ),
    pytest.param(
        {"setup.cfg": "[tool:pytest]\nmarkers =\n    serial(*keys)\n"}, "setup.cfg", id="cfg"
    ),
    pytest.param(
        {"pyproject.toml": '[tool.pytest.ini_options]\nmarkers = ["serial: x"]\n'},
        "pyproject.toml",
        id="ini_options list",
    ),
    pytest.param(
        {"pyproject.toml": "[tool.pytest.ini_options]\nmarkers = '''\nserial: x\n'''\n"},
        "pyproject.toml",
        id="ini_options string",
    ),
    pytest.param(
        {"pyproject.toml": '[tool.pytest]\nmarkers = ["serial(key)"]\n'},
        "pyproject.toml",
        id="native",
    ),
    pytest.param({"pytest.toml": '[pytest]\nmarkers = ["serial"]\n'}, "pytest.toml", id="toml"),
]

# (files, the file named in the error, words the error says)
REFUSED = [
    pytest.param(
        {"pyproject.toml": "[tool.pytest.ini_options\nmarkers = []\n"},
        "pyproject.toml",
        "not valid TOML",
        id="bad pyproject.toml",
    ),
    pytest.param(
        {"pytest.toml": "[pytest]\nmarkers = [\n", "pytest.ini": "[pytest]\n"},
        "pytest.toml",
        "not valid TOML",
        id="bad pytest.toml",
    ),
    pytest.param(
        {"pyproject.toml": "[tool.pytest\n", "tox.ini": "[pytest]\n"},
        "pyproject.toml",
        "not valid TOML",
        id="bad pyproject.toml before tox.ini",
    ),
    pytest.param(
        {"pytest.ini": "[pytest]\nmarkers\n"}, "pytest.ini", "unexpected line", id="bad ini"
    ),
    pytest.param(
        {"setup.cfg": "[pytest]\nmarkers =\n"}, "setup.cfg", "[tool:pytest]", id="cfg [pytest]"
    ),
    pytest.param(
        {
            "pyproject.toml": (
                '[tool.pytest]\nminversion = "9"\n[tool.pytest.ini_options]\naddopts = "-q"\n'
            ),
        },
        "pyproject.toml",
        "together",
        id="both pyproject tables",
    ),
    pytest.param(
        {"pytest.toml": 'addopts = ["-q"]\n'}, "pytest.toml", "addopts", id="pytest.toml loose"
    ),
    pytest.param(
        {"pyproject.toml": "[tool.pytest]\nmarkers = 1\n"}, "pyproject.toml", "list", id="not list"
    ),
    pytest.param(
        {"pyproject.toml": "tool = {ruff = {x = 1}}\n"},
        "pyproject.toml",
        "cannot add",
        id="inline tool table",
    ),
]


PYTEST_MAJOR = int(importlib.metadata.version("pytest").split(".")[0])


def _pytest_9_only(files: dict[str, str]) -> bool:
    return any(n.endswith("pytest.toml") for n in files) or any(
        "[tool.pytest]" in text for text in files.values()
    )


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).write_bytes(text.encode())


@pytest.mark.parametrize(("files", "name", "expected"), CHANGED)
def test_marker_is_added(tmp_path: Path, files: dict[str, str], name: str, expected: str) -> None:
    write(tmp_path, files)
    registration = serial_registration(tmp_path, pytest_major=9)
    assert registration == Registration(tmp_path / name, files.get(name), expected)
    assert registration.changed
    # idempotent: the written text asks for nothing more
    (tmp_path / name).write_bytes(registration.after.encode())
    again = serial_registration(tmp_path, pytest_major=9)
    assert again == Registration(tmp_path / name, expected, expected)


@pytest.mark.parametrize(("files", "name", "expected"), CHANGED)
def test_pytest_reads_the_registration(
    tmp_path: Path, files: dict[str, str], name: str, expected: str
) -> None:
    # pytest's own lookup (private API, but it is the rule we follow) finds our file and the line.
    if PYTEST_MAJOR < 9 and _pytest_9_only(files):
        pytest.skip(f"pytest {PYTEST_MAJOR} reads neither pytest.toml nor [tool.pytest]")
    write(tmp_path, files)
    (tmp_path / name).write_bytes(serial_registration(tmp_path).after.encode())
    try:
        found = locate_config(tmp_path, [tmp_path])  # pytest >= 8
    except TypeError:
        found = locate_config([tmp_path])  # type: ignore[call-arg]  # pytest 7
    inipath, config = found[1], found[2]
    assert inipath == tmp_path / name
    value = getattr(config["markers"], "value", config["markers"])  # an object from pytest 9 on
    entries = value.splitlines() if isinstance(value, str) else value
    assert isinstance(entries, list)
    assert S in [entry.strip() for entry in entries]


@pytest.mark.parametrize(("files", "name"), REGISTERED)
def test_already_registered_is_unchanged(tmp_path: Path, files: dict[str, str], name: str) -> None:
    write(tmp_path, files)
    registration = serial_registration(tmp_path, pytest_major=9)
    assert registration == Registration(tmp_path / name, files[name], files[name])
    assert not registration.changed


@pytest.mark.parametrize(("files", "name", "says"), REFUSED)
def test_unsafe_config_is_refused(
    tmp_path: Path, files: dict[str, str], name: str, says: str
) -> None:
    write(tmp_path, files)
    with pytest.raises(ConfigError) as error:
        serial_registration(tmp_path, pytest_major=9)
    message = str(error.value)
    assert str(tmp_path / name) in message
    assert says in message
    assert "by hand" in message or "auditor fix again" in message


def test_bad_toml_message_says_what_to_add(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[tool.pytest.ini_options\n"})
    with pytest.raises(ConfigError) as error:
        serial_registration(tmp_path)
    assert str(error.value).startswith(f"{tmp_path / 'pyproject.toml'}: not valid TOML (")
    add = f"add this entry to its pytest markers list:\n{Q},"
    assert str(error.value).endswith(f"fix it, or register the marker by hand: {add}")


def test_marker_line_is_one_line_named_serial() -> None:
    assert "\n" not in S
    assert S.startswith("serial")


SUITE = """
import pytest


@pytest.mark.serial("port:1")
def test_uses_the_port():
    pass
"""


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"pyproject.toml": '[project]\nname = "x"\n'}, id="pyproject.toml"),
        pytest.param({"tox.ini": "[tox]\nenvlist = py\n\n[pytest]\naddopts = -q\n"}, id="tox.ini"),
    ],
)
def test_strict_markers_pass_once_registered(
    pytester: pytest.Pytester, files: dict[str, str]
) -> None:
    write(pytester.path, files)
    pytester.makepyfile(test_shared=SUITE)
    # -p no:auditor: auditor's plugin registers serial itself, which would hide a missing line
    args = ("--strict-markers", "-p", "no:auditor", "-p", "no:randomly")

    unregistered = pytester.runpytest_subprocess(*args)
    assert unregistered.ret == pytest.ExitCode.INTERRUPTED
    unregistered.stdout.fnmatch_lines(["*'serial' not found in `markers` configuration option*"])

    registration = serial_registration(pytester.path)
    registration.path.write_text(registration.after, encoding="utf-8")
    registered = pytester.runpytest_subprocess(*args)
    registered.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("files", "name"),
    [
        pytest.param(
            {"pytest.toml": "[pytest]\n", "pytest.ini": "[pytest]\n"},
            "pytest.ini",
            id="pytest.toml",
        ),
        pytest.param(
            {"pyproject.toml": '[tool.pytest]\naddopts = ["-q"]\n', "tox.ini": "[pytest]\n"},
            "tox.ini",
            id="native-table",
        ),
    ],
)
def test_before_pytest_9_its_own_files_are_not_config(
    tmp_path: Path, files: dict[str, str], name: str
) -> None:
    write(tmp_path, files)
    assert serial_registration(tmp_path, pytest_major=8).path == tmp_path / name
