"""The brittle-test codemod: the state-setter's setup becomes a fixture the brittle test requests.

Before/after and no-op tables, idempotency over every rewrite, and one run of a rewritten test
alone, which failed alone before.
"""

from __future__ import annotations

import pytest

from auditor.fix import fixture
from auditor.fix.source import Outcome, Target

SAME_FILE = """\
\"\"\"Warehouse inventory.\"\"\"

import pytest

from shop import inventory


def test_register_main_warehouse() -> None:
    # the next test silently depends on the warehouse registered here
    inventory.register_warehouse("main")  # opening stock
    assert inventory.is_registered("main")


def test_stock_in_main_warehouse() -> None:
    assert inventory.stock("main", "apple") == 12
"""

SAME_FILE_FIXED = """\
\"\"\"Warehouse inventory.\"\"\"

import pytest

from shop import inventory


def test_register_main_warehouse() -> None:
    # the next test silently depends on the warehouse registered here
    inventory.register_warehouse("main")  # opening stock
    assert inventory.is_registered("main")


@pytest.fixture
def register_main_warehouse() -> None:
    \"\"\"The state that test_register_main_warehouse used to leave behind
    (extracted by auditor).\"\"\"
    # the next test silently depends on the warehouse registered here
    inventory.register_warehouse("main")  # opening stock


def test_stock_in_main_warehouse(register_main_warehouse: None) -> None:
    assert inventory.stock("main", "apple") == 12
"""

# the setter's module imports and defines what its setup uses as the brittle test's module does,
# spelled differently: `from shop import inventory` is `import shop.inventory as inventory`
SETTER_MODULE = """\
import os

from shop import inventory

WAREHOUSE = "main"


def test_register():
    \"\"\"Registers the main warehouse.\"\"\"
    name = os.environ.get("WAREHOUSE", WAREHOUSE)
    inventory.register_warehouse(name)
    inventory.restock(name, "apple", 3); assert inventory.stock("main", "apple") == 15
"""

OTHER_FILE = """\
import os

import pytest
import shop.inventory as inventory

WAREHOUSE = "main"


# stock
def test_stock():
    assert inventory.stock(WAREHOUSE, "apple") == 15
"""

OTHER_FILE_FIXED = """\
import os

import pytest
import shop.inventory as inventory

WAREHOUSE = "main"


@pytest.fixture
def register():
    \"\"\"The state that tests/test_setup.py::test_register used to leave behind
    (extracted by auditor).\"\"\"
    name = os.environ.get("WAREHOUSE", WAREHOUSE)
    inventory.register_warehouse(name)
    inventory.restock(name, "apple", 3)


# stock
def test_stock(register):
    assert inventory.stock(WAREHOUSE, "apple") == 15
"""

METHOD = """\
import pytest

from shop import inventory


class TestSetup:
    def test_register(self):
        inventory.register_warehouse("main")
        assert inventory.is_registered("main")


class TestStock:
    @pytest.mark.parametrize("sku", ["apple"])
    def test_stock(self, sku):
        assert inventory.stock("main", sku) == 12
"""

METHOD_FIXED = """\
import pytest

from shop import inventory


class TestSetup:
    def test_register(self):
        inventory.register_warehouse("main")
        assert inventory.is_registered("main")


@pytest.fixture
def register():
    \"\"\"The state that TestSetup::test_register used to leave behind
    (extracted by auditor).\"\"\"
    inventory.register_warehouse("main")


class TestStock:
    @pytest.mark.parametrize("sku", ["apple"])
    def test_stock(self, sku, register):
        assert inventory.stock("main", sku) == 12
"""

TESTCASE = """\
import unittest

from shop import inventory


class TestInventory(unittest.TestCase):
    def test_register(self):
        inventory.register_warehouse("main")
        self.assertTrue(inventory.is_registered("main"))

    # needs the main warehouse
    def test_stock(self):
        self.assertEqual(inventory.stock("main", "apple"), 12)
"""

TESTCASE_FIXED = """\
import unittest

import pytest

from shop import inventory


@pytest.fixture
def register():
    \"\"\"The state that TestInventory::test_register used to leave behind
    (extracted by auditor).\"\"\"
    inventory.register_warehouse("main")


class TestInventory(unittest.TestCase):
    def test_register(self):
        inventory.register_warehouse("main")
        self.assertTrue(inventory.is_registered("main"))

    # needs the main warehouse
    @pytest.mark.usefixtures("register")
    def test_stock(self):
        self.assertEqual(inventory.stock("main", "apple"), 12)
"""

PYTEST_AS = """\
import pytest as pt

from shop import inventory


def test_register():
    inventory.register_warehouse("main")
    with pt.raises(ValueError):
        inventory.register_warehouse("")


def test_stock():
    assert inventory.stock("main", "apple") == 12
"""

PYTEST_AS_FIXED = """\
import pytest as pt

from shop import inventory


def test_register():
    inventory.register_warehouse("main")
    with pt.raises(ValueError):
        inventory.register_warehouse("")


@pt.fixture
def register():
    \"\"\"The state that test_register used to leave behind (extracted by auditor).\"\"\"
    inventory.register_warehouse("main")


def test_stock(register):
    assert inventory.stock("main", "apple") == 12
"""

FROM_PYTEST = """\
from pytest import fixture

from shop import inventory


def test_register():
    inventory.register_warehouse("main")


def test_stock():
    assert inventory.stock("main", "apple") == 12
"""

FROM_PYTEST_FIXED = """\
from pytest import fixture

from shop import inventory


def test_register():
    inventory.register_warehouse("main")


@fixture
def register():
    \"\"\"The state that test_register used to leave behind (extracted by auditor).\"\"\"
    inventory.register_warehouse("main")


def test_stock(register):
    assert inventory.stock("main", "apple") == 12
"""

NO_PYTEST = """\
import os

from shop import inventory


def test_register():
    inventory.register_warehouse("main")
    assert inventory.is_registered("main")


def test_stock():
    assert inventory.stock("main", "apple") == 12
"""

NO_PYTEST_FIXED = """\
import os

import pytest

from shop import inventory


def test_register():
    inventory.register_warehouse("main")
    assert inventory.is_registered("main")


@pytest.fixture
def register():
    \"\"\"The state that test_register used to leave behind (extracted by auditor).\"\"\"
    inventory.register_warehouse("main")


def test_stock(register):
    assert inventory.stock("main", "apple") == 12
"""

DEFAULTS = """\
import pytest

from shop import inventory


def test_inventory():
    inventory.register_warehouse("main")
    assert inventory.is_registered("main")


def test_stock(warehouse="main", *skus):
    assert inventory.stock(warehouse, "apple") == 12
"""

# `inventory` is taken (the module): the fixture is `inventory_state`
DEFAULTS_FIXED = """\
import pytest

from shop import inventory


def test_inventory():
    inventory.register_warehouse("main")
    assert inventory.is_registered("main")


@pytest.fixture
def inventory_state():
    \"\"\"The state that test_inventory used to leave behind (extracted by auditor).\"\"\"
    inventory.register_warehouse("main")


def test_stock(inventory_state, warehouse="main", *skus):
    assert inventory.stock(warehouse, "apple") == 12
"""

LOCAL_IMPORTS = """\
import pytest


def test_register():
    import pytest as pt

    from shop import inventory

    inventory.register_warehouse("main")
    with pt.raises(KeyError):
        inventory.stock("main", "pear")


def test_stock():
    from shop import inventory

    assert inventory.stock("main", "apple") == 12
"""

LOCAL_IMPORTS_FIXED = """\
import pytest


def test_register():
    import pytest as pt

    from shop import inventory

    inventory.register_warehouse("main")
    with pt.raises(KeyError):
        inventory.stock("main", "pear")


@pytest.fixture
def register():
    \"\"\"The state that test_register used to leave behind (extracted by auditor).\"\"\"
    from shop import inventory

    inventory.register_warehouse("main")


def test_stock(register):
    from shop import inventory

    assert inventory.stock("main", "apple") == 12
"""

UNDER_TRY = """\
try:
    import pytest
except ImportError:  # the suite also runs under unittest
    pytest = None

try:
    from shop import inventory
except ImportError:  # before the rename
    from legacy_shop import inventory


def test_register():
    inventory.register_warehouse("main")
    assert inventory.is_registered("main")


def test_stock():
    assert inventory.stock("main", "apple") == 12
"""

UNDER_TRY_FIXED = """\
try:
    import pytest
except ImportError:  # the suite also runs under unittest
    pytest = None

try:
    from shop import inventory
except ImportError:  # before the rename
    from legacy_shop import inventory


def test_register():
    inventory.register_warehouse("main")
    assert inventory.is_registered("main")


@pytest.fixture
def register():
    \"\"\"The state that test_register used to leave behind (extracted by auditor).\"\"\"
    inventory.register_warehouse("main")


def test_stock(register):
    assert inventory.stock("main", "apple") == 12
"""

DOTTED_ALIAS_SETTER = """\
import shop.inventory as inv


def test_register():
    inv.register_warehouse("main")
    assert inv.is_registered("main")
"""

DOTTED_ALIAS = """\
from shop import inventory as inv


def test_stock():
    assert inv.stock("main", "apple") == 12
"""

DOTTED_ALIAS_FIXED = """\
import pytest

from shop import inventory as inv


@pytest.fixture
def register():
    \"\"\"The state that tests/test_setup.py::test_register used to leave behind
    (extracted by auditor).\"\"\"
    inv.register_warehouse("main")


def test_stock(register):
    assert inv.stock("main", "apple") == 12
"""

# The setup holds blocks: a `with`, a nested function registered as a handler, an environment
# write; the brittle test is a TestCase method.
BLOCKS = """\
import os
import unittest

from shop import events, inventory


class TestInventory(unittest.TestCase):
    def test_register(self):
        os.environ["SHOP_REGION"] = "eu"  # the region the loader reads
        with open("stock.csv") as stock:
            inventory.load(stock)

        def on_low(item):
            events.emit("low", item)

        inventory.subscribe("low", on_low)
        self.assertTrue(inventory.is_registered("main"))

    def test_stock(self):
        self.assertEqual(inventory.stock("main", "apple"), 12)
"""

BLOCKS_FIXED = """\
import os
import unittest

import pytest

from shop import events, inventory


@pytest.fixture
def register():
    \"\"\"The state that TestInventory::test_register used to leave behind
    (extracted by auditor).\"\"\"
    os.environ["SHOP_REGION"] = "eu"  # the region the loader reads
    with open("stock.csv") as stock:
        inventory.load(stock)

    def on_low(item):
        events.emit("low", item)

    inventory.subscribe("low", on_low)


class TestInventory(unittest.TestCase):
    def test_register(self):
        os.environ["SHOP_REGION"] = "eu"  # the region the loader reads
        with open("stock.csv") as stock:
            inventory.load(stock)

        def on_low(item):
            events.emit("low", item)

        inventory.subscribe("low", on_low)
        self.assertTrue(inventory.is_registered("main"))

    @pytest.mark.usefixtures("register")
    def test_stock(self):
        self.assertEqual(inventory.stock("main", "apple"), 12)
"""

# The state-setter sets the state only through a fixture it requests (a conftest fixture that
# initialises a global context); its body only checks: the brittle test requests it too.
THROUGH_FIXTURE = """\
import pytest

from app import context


@pytest.mark.parametrize("rows", [1, 2])
def test_table(ctx, rows):
    assert context.current().rows(rows)


def test_header():
    assert context.current().name == "lab"
"""

THROUGH_FIXTURE_FIXED = """\
import pytest

from app import context


@pytest.mark.parametrize("rows", [1, 2])
def test_table(ctx, rows):
    assert context.current().rows(rows)


def test_header(ctx):
    assert context.current().name == "lab"
"""

SETTER = "tests/test_setup.py::test_register"

WITH_FIXTURES = """\
import queue

import pytest

import beacon


def test_resume_delivers_held_events(client: Client, tmp_path) -> None:
    beacon.pause()
    reply = client.send_async("later")  # queued until resume()
    beacon.resume()
    assert reply.get(timeout=5)["status"] == 202


def test_send_is_acknowledged(client: Client) -> None:
    assert client.send("now")["status"] == 202
"""
# the same module, with the setter's setup as a fixture right before the test that requests it
WITH_FIXTURES_FIXED = WITH_FIXTURES.replace(
    "def test_send_is_acknowledged(client: Client) -> None:",
    """@pytest.fixture
def resume_delivers_held_events(client: Client) -> None:
    \"\"\"The state that test_resume_delivers_held_events used to leave behind
    (extracted by auditor).\"\"\"
    beacon.pause()
    client.send_async("later")  # queued until resume()
    beacon.resume()


def test_send_is_acknowledged(client: Client, resume_delivers_held_events: None) -> None:""",
)

KEYWORD_SETTER = """\
import pytest
import beacon


def test_resume(client: Client, *, depot) -> None:
    conn = beacon.connect(client)
    conn = beacon.wrap(conn)
    beacon.resume(depot)
    assert conn.ok
"""
KEYWORD_BRITTLE = (
    "import pytest\nimport beacon\n\n\ndef test_send(client):\n    assert beacon.send(client)\n"
)
KEYWORD_FIXED = """\
import pytest
import beacon


@pytest.fixture
def resume(client, depot) -> None:
    \"\"\"The state that tests/test_resume.py::test_resume used to leave behind
    (extracted by auditor).\"\"\"
    conn = beacon.connect(client)
    conn = beacon.wrap(conn)
    beacon.resume(depot)


def test_send(client, resume):
    assert beacon.send(client)
"""

BEFORE_AFTER = [
    pytest.param(
        KEYWORD_BRITTLE,
        KEYWORD_SETTER,
        "tests/test_send.py::test_send",
        "tests/test_resume.py::test_resume",
        KEYWORD_FIXED,
        id="a-keyword-only-fixture-unannotated-in-another-module-a-name-read-in-the-setup-kept",
    ),
    pytest.param(
        WITH_FIXTURES,
        "",
        "tests/test_delivery.py::test_send_is_acknowledged",
        "tests/test_delivery.py::test_resume_delivers_held_events",
        WITH_FIXTURES_FIXED,
        id="setup-uses-the-setters-fixture-and-sets-a-name-its-checks-read",
    ),
    pytest.param(
        THROUGH_FIXTURE,
        "",
        "tests/test_report.py::test_header",
        "tests/test_report.py::test_table[1]",
        THROUGH_FIXTURE_FIXED,
        id="state-set-through-the-setters-fixture-not-its-parametrized-argument",
    ),
    pytest.param(
        BLOCKS,
        "",
        "tests/test_inventory.py::TestInventory::test_stock",
        "tests/test_inventory.py::TestInventory::test_register",
        BLOCKS_FIXED,
        id="testcase-setup-with-a-with-block-a-nested-function-and-an-environment-write",
    ),
    pytest.param(
        SAME_FILE,
        "",
        "tests/test_inventory.py::test_stock_in_main_warehouse",
        "tests/test_inventory.py::test_register_main_warehouse",
        SAME_FILE_FIXED,
        id="same-file",
    ),
    pytest.param(
        OTHER_FILE,
        SETTER_MODULE,
        "tests/test_stock.py::test_stock",
        SETTER,
        OTHER_FILE_FIXED,
        id="setter-in-another-file",
    ),
    pytest.param(
        METHOD,
        "",
        "tests/test_inventory.py::TestStock::test_stock[apple]",
        "tests/test_inventory.py::TestSetup::test_register",
        METHOD_FIXED,
        id="method",
    ),
    pytest.param(
        TESTCASE,
        "",
        "tests/test_inventory.py::TestInventory::test_stock",
        "tests/test_inventory.py::TestInventory::test_register",
        TESTCASE_FIXED,
        id="testcase-usefixtures",
    ),
    pytest.param(
        PYTEST_AS,
        "",
        "tests/test_inventory.py::test_stock",
        "tests/test_inventory.py::test_register",
        PYTEST_AS_FIXED,
        id="import-pytest-as-pt",
    ),
    pytest.param(
        FROM_PYTEST,
        "",
        "tests/test_inventory.py::test_stock",
        "tests/test_inventory.py::test_register",
        FROM_PYTEST_FIXED,
        id="from-pytest-import-fixture",
    ),
    pytest.param(
        NO_PYTEST,
        "",
        "tests/test_inventory.py::test_stock",
        "tests/test_inventory.py::test_register",
        NO_PYTEST_FIXED,
        id="no-pytest-import",
    ),
    pytest.param(
        DEFAULTS,
        "",
        "tests/test_inventory.py::test_stock",
        "tests/test_inventory.py::test_inventory",
        DEFAULTS_FIXED,
        id="defaults-and-args-name-taken",
    ),
    pytest.param(
        LOCAL_IMPORTS,
        "",
        "tests/test_inventory.py::test_stock",
        "tests/test_inventory.py::test_register",
        LOCAL_IMPORTS_FIXED,
        id="imports-inside-the-tests-the-checks-own-left-behind",
    ),
    pytest.param(
        UNDER_TRY,
        "",
        "tests/test_inventory.py::test_stock",
        "tests/test_inventory.py::test_register",
        UNDER_TRY_FIXED,
        id="imports-under-try",
    ),
    pytest.param(
        DOTTED_ALIAS,
        DOTTED_ALIAS_SETTER,
        "tests/test_stock.py::test_stock",
        SETTER,
        DOTTED_ALIAS_FIXED,
        id="import-a-dotted-module-as-an-alias-the-same-module",
    ),
]


def _rewrite(code: str, setter_code: str, brittle: str, setter: str) -> Outcome:
    return fixture.rewrite(code, Target.of(brittle), setter_code or code, Target.of(setter))


@pytest.mark.parametrize(("code", "setter_code", "brittle", "setter", "expected"), BEFORE_AFTER)
def test_rewrites(code: str, setter_code: str, brittle: str, setter: str, expected: str) -> None:
    outcome = _rewrite(code, setter_code, brittle, setter)
    assert (outcome.status, outcome.code) == ("changed", expected)
    compile(outcome.code, brittle, "exec")


def test_statements_are_those_of_the_setter_as_written() -> None:
    outcome = _rewrite(OTHER_FILE, SETTER_MODULE, "tests/test_stock.py::test_stock", SETTER)
    assert outcome.statements == (
        'name = os.environ.get("WAREHOUSE", WAREHOUSE)',
        "inventory.register_warehouse(name)",
        'inventory.restock(name, "apple", 3)',
    )


@pytest.mark.parametrize(("code", "setter_code", "brittle", "setter", "expected"), BEFORE_AFTER)
def test_applying_twice_equals_applying_once(
    code: str, setter_code: str, brittle: str, setter: str, expected: str
) -> None:
    once = _rewrite(code, setter_code, brittle, setter)
    twice = _rewrite(once.code, setter_code, brittle, setter)
    assert (twice.status, twice.code) == ("already", once.code)


STOCK = """\

def test_stock():
    assert inventory.stock("main", "apple") == 12
"""
HEAD = "import pytest\n\nfrom shop import inventory\n\n"
REGISTER = ('inventory.register_warehouse("main")',)

NO_OP = [
    pytest.param(
        HEAD
        + """\
class TestSetup:
    name = "main"

    def test_register(self):
        inventory.register_warehouse(self.name)
        assert inventory.is_registered("main")
"""
        + STOCK,
        "",
        "unfixable",
        "the setup of TestSetup::test_register uses self",
        ("inventory.register_warehouse(self.name)",),
        id="setup-uses-self",
    ),
    pytest.param(
        HEAD
        + """\
def test_register():
    inventory.register_warehouse(name)
    assert inventory.is_registered("main")
    name = "main"
"""
        + STOCK,
        "",
        "unfixable",
        "uses `name`, which test_register sets later",
        ("inventory.register_warehouse(name)",),
        id="setup-uses-a-local-set-after",
    ),
    pytest.param(
        HEAD
        + """\
@pytest.mark.parametrize("name", ["main"])
def test_register(name):
    inventory.register_warehouse(name)
    assert inventory.is_registered("main")
"""
        + STOCK,
        "",
        "unfixable",
        "the setup of test_register uses its parametrized argument `name`",
        ("inventory.register_warehouse(name)",),
        id="setup-uses-a-parametrized-argument",
    ),
    pytest.param(
        HEAD
        + """\
def test_register(name="main"):
    inventory.register_warehouse(name)
    assert inventory.is_registered("main")
"""
        + STOCK,
        "",
        "unfixable",
        "the setup of test_register uses `name`, an argument, not a fixture",
        ("inventory.register_warehouse(name)",),
        id="setup-uses-an-argument-with-a-default",
    ),
    pytest.param(
        "from shop import inventory\n" + STOCK,
        HEAD
        + "@pytest.fixture\ndef depot():\n    return 'main'\n\n\n"
        + "def test_register(depot):\n    inventory.register_warehouse(depot)\n",
        "unfixable",
        "uses the fixture `depot` of tests/test_setup.py, which tests/test_stock.py does not see",
        ("inventory.register_warehouse(depot)",),
        id="a-fixture-only-the-setters-module-defines",
    ),
    pytest.param(
        "import shop\n" + STOCK,
        HEAD + "def test_register():\n    inventory.register_warehouse('main')\n",
        "unfixable",
        "`inventory` is not imported or defined in tests/test_stock.py",
        ("inventory.register_warehouse('main')",),
        id="name-not-imported-in-the-brittle-module",
    ),
    pytest.param(
        "from legacy import inventory\n" + STOCK,
        HEAD + "def test_register():\n    inventory.register_warehouse('main')\n",
        "unfixable",
        "`inventory` in tests/test_stock.py is not what it is in tests/test_setup.py",
        ("inventory.register_warehouse('main')",),
        id="name-means-something-else-in-the-brittle-module",
    ),
    pytest.param(
        'WAREHOUSE = "spare"\n\n\ndef register(inventory):\n    inventory.add(WAREHOUSE)\n' + STOCK,
        "from shop import inventory\n\n"
        'WAREHOUSE = "main"\n\n\ndef register(inventory):\n    inventory.add(WAREHOUSE)\n\n\n'
        "def test_register():\n    register(inventory)\n",
        "unfixable",
        "`WAREHOUSE` in tests/test_stock.py is not what it is in tests/test_setup.py",
        ("register(inventory)",),
        id="helper-the-same-but-what-it-reads-is-not",
    ),
    pytest.param(
        "from shop.inventory import *\n\n\ndef test_register():\n"
        "    register_warehouse('main')\n" + STOCK,
        "",
        "unfixable",
        "uses `register_warehouse`, which nothing defines (a * import?)",
        ("register_warehouse('main')",),
        id="name-from-a-star-import",
    ),
    pytest.param(
        HEAD
        + """\
def test_register():
    assert not inventory.is_registered("main")
    inventory.register_warehouse("main")
"""
        + STOCK,
        "",
        "unfixable",
        "test_register does nothing before its first assert",
        (),
        id="no-setup-before-the-first-assert",
    ),
    pytest.param(
        HEAD
        + """\
def test_register():
    inventory.reset()
    with open("stock.csv") as stock:
        if not inventory.load(stock):
            return
    assert inventory.is_registered("main")
"""
        + STOCK,
        "",
        "unfixable",
        'test_register runs `with open("stock.csv") as stock: …` before its first assert; a '
        "block that returns from the test cannot move into a fixture",
        (
            "inventory.reset()",
            'with open("stock.csv") as stock:\n    if not inventory.load(stock):\n        return',
        ),
        id="a-block-that-returns-before-the-first-assert",
    ),
    pytest.param(
        HEAD
        + """\
async def test_register():
    await inventory.register_warehouse("main")
"""
        + STOCK,
        "",
        "unfixable",
        "test_register is a coroutine",
        ('await inventory.register_warehouse("main")',),
        id="async-setter",
    ),
    pytest.param(
        HEAD + "def test_register():\n    inventory.register_warehouse('main')\n",
        "",
        "unfixable",
        "tests/test_stock.py::test_stock is not in the file",
        (),
        id="brittle-test-not-found",
    ),
    pytest.param(
        HEAD + STOCK,
        "",
        "unfixable",
        "the state-setter tests/test_stock.py::test_register is not in tests/test_stock.py",
        (),
        id="setter-not-found",
    ),
    pytest.param(
        "def test_stock(:\n    pass\n",
        HEAD + "def test_register():\n    inventory.register_warehouse('main')\n",
        "unfixable",
        "does not parse",
        (),
        id="brittle-file-does-not-parse",
    ),
    pytest.param(
        HEAD + STOCK,
        "def test_register(:\n",
        "unfixable",
        "tests/test_setup.py does not parse",
        (),
        id="setter-file-does-not-parse",
    ),
    pytest.param(
        HEAD
        + """\
@pytest.fixture
def register():
    inventory.register_warehouse("main", stock={})


def test_register():
    inventory.register_warehouse("main")


def test_stock(register):
    assert inventory.stock("main", "apple") == 12
""",
        "",
        "already",
        "tests/test_stock.py::test_stock already requests the fixture register",
        (),
        id="already-requests-a-fixture-of-that-name",
    ),
    pytest.param(
        "import pytest\n\n\ndef test_stock():\n    from shop import inventory\n\n"
        '    assert inventory.stock("main", "apple") == 12\n',
        HEAD + "def test_register():\n    inventory.register_warehouse('main')\n",
        "unfixable",
        "`inventory` is not imported or defined in tests/test_stock.py",
        ("inventory.register_warehouse('main')",),
        id="an-import-inside-the-brittle-test-does-not-reach-its-fixture",
    ),
    pytest.param(
        "from shop import inventory\n" + STOCK,
        "try:\n    from shop import inventory\nexcept ImportError:\n"
        "    from legacy_shop import inventory\n\n\n"
        "def test_register():\n    inventory.register_warehouse('main')\n",
        "unfixable",
        "`inventory` in tests/test_stock.py is not what it is in tests/test_setup.py",
        ("inventory.register_warehouse('main')",),
        id="imported-under-try-with-a-fallback-by-the-setter-only",
    ),
    pytest.param(
        "import legacy.inventory as inv\n" + STOCK,
        "import shop.inventory as inv\n\n\n"
        "def test_register():\n    inv.register_warehouse('main')\n",
        "unfixable",
        "`inv` in tests/test_stock.py is not what it is in tests/test_setup.py",
        ("inv.register_warehouse('main')",),
        id="a-dotted-alias-of-another-module",
    ),
]


@pytest.mark.parametrize(("code", "setter_code", "status", "reason", "statements"), NO_OP)
def test_leaves_alone(
    code: str, setter_code: str, status: str, reason: str, statements: tuple[str, ...]
) -> None:
    """Nothing is rewritten; the reason says why, and names the statements to move by hand."""
    setter = "tests/test_setup.py::" if setter_code else "tests/test_stock.py::"
    setter += "TestSetup::test_register" if "class TestSetup" in code else "test_register"
    outcome = _rewrite(code, setter_code, "tests/test_stock.py::test_stock", setter)
    assert (outcome.status, outcome.code) == (status, code)
    assert reason in outcome.reason
    assert outcome.statements == statements
    for statement in statements:
        assert f"`{statement.splitlines()[0]}" in outcome.reason


def test_a_relative_import_moves_only_within_its_folder() -> None:
    setter_code = (
        "def test_register():\n    from .helpers import warehouses\n\n"
        "    warehouses.register('main')\n    assert warehouses.registered()\n"
    )
    stock = "def test_stock():\n    pass\n"
    elsewhere = _rewrite(stock, setter_code, "tests/test_stock.py::test_stock", SETTER)
    assert elsewhere.status == "changed"
    there = "tests/unit/test_setup.py::test_register"
    outcome = _rewrite(stock, setter_code, "tests/test_stock.py::test_stock", there)
    assert (outcome.status, outcome.code) == ("unfixable", stock)
    assert "`from .helpers import warehouses` in the setup of" in outcome.reason
    assert "would import another module in tests/test_stock.py" in outcome.reason


INVENTORY = """\
_warehouses = {}


def register_warehouse(name):
    _warehouses.setdefault(name, {"apple": 12})


def is_registered(name):
    return name in _warehouses


def stock(warehouse, sku):
    return _warehouses[warehouse][sku]
"""


def test_the_rewritten_test_passes_alone(pytester: pytest.Pytester) -> None:
    pytester.mkpydir("shop").joinpath("inventory.py").write_text(INVENTORY)
    test = pytester.makepyfile(test_inventory=SAME_FILE)
    brittle = "test_inventory.py::test_stock_in_main_warehouse"
    pytester.runpytest_subprocess("-p", "no:randomly", brittle).assert_outcomes(failed=1)

    outcome = _rewrite(SAME_FILE, "", brittle, "test_inventory.py::test_register_main_warehouse")
    test.write_text(outcome.code)

    pytester.runpytest_subprocess("-p", "no:randomly", brittle).assert_outcomes(passed=1)
    # the whole file too: the state-setter is left as it was
    pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=2)
