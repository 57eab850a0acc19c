from __future__ import annotations

from auditor.redact import redact
from tests.helpers import auditor, clean_env


def test_environ_dumps_and_values_are_hidden() -> None:
    env = {"API_TOKEN": "s3cr3t-t0ken", "TOKEN_PREFIX": "s3cr3t", "LANG": "C"}
    text = "assert 'X' not in environ({'API_TOKEN': 's3cr3t-t0ken'})\nsent s3cr3t-t0ken, s3cr3t"
    assert redact(text, env) == "assert 'X' not in environ({...})\nsent $API_TOKEN, $TOKEN_PREFIX"


def test_short_values_are_left_alone() -> None:
    assert redact("C is for cookie", {"LANG": "C"}) == "C is for cookie"


def test_run_json_never_holds_an_environment_value(suite) -> None:  # type: ignore[no-untyped-def]
    root = suite(
        {
            "test_env.py": "import os\n"
            "def test_env(): assert os.environ['DEPLOY_KEY'] == 'other'\n"
            "def test_dump(): assert 'NOPE' in os.environ\n"
        }
    )
    result = auditor(root, "run", "-n", "0", env=clean_env(DEPLOY_KEY="hunter2-deploy"))
    assert result.returncode == 1
    text = (root / "reports" / "run.json").read_text()
    assert "hunter2-deploy" not in text
    assert "$DEPLOY_KEY" in text
    assert "environ({...})" in text
