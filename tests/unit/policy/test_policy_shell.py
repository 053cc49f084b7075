"""Word processing and unwrapping: what bash really runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from openagent_lsp.policy.shell import DYN, analyze, decode_ansi_c


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("\\x72m", "rm"),
        ("\\162m", "rm"),
        ("r\\u006d", "rm"),
        ("a\\tb", "a\tb"),
        ("\\'", "'"),
        ("\\cA", "\x01"),
    ],
)
def test_ansi_c_decoding(src: str, expected: str) -> None:
    assert decode_ansi_c(src) == expected


@pytest.mark.parametrize(
    "cmd",
    [
        "rm x",
        "'rm' x",
        '"rm" x',
        '"r""m" x',
        "\\rm x",
        "r\\m x",
        "$'\\x72m' x",
        "/bin/rm x",
        "/usr/bin/rm x",
        "env rm x",
        "sudo -u root rm x",
        "command rm x",
        "RM x",
        "r''m x",
    ],
)
def test_program_name_normalisation(cmd: str, tmp_path: Path) -> None:
    a = analyze(cmd, tmp_path, tmp_path)
    assert "rm" in [p.name for p in a.parts]
    rm = next(p for p in a.parts if p.name == "rm")
    assert rm.args[0].text == "x"


def test_tilde_home_and_braces(tmp_path: Path) -> None:
    home = os.path.expanduser("~")
    a = analyze("ls ~ $HOME ${HOME}/x /{etc,usr} 'lit~'", tmp_path, tmp_path)
    texts = [w.text for w in a.parts[0].args]
    assert texts == [home, home, home + "/x", "/etc", "/usr", "lit~"]


def test_dynamic_words_are_marked(tmp_path: Path) -> None:
    a = analyze('echo "$X" $(date) `id` ${Y:-z}', tmp_path, tmp_path)
    echo = next(p for p in a.parts if p.name == "echo")
    assert all(w.dynamic and DYN in w.text for w in echo.args)
    assert {"date", "id"} <= {p.name for p in a.parts}


def test_cd_is_tracked_but_not_out_of_subshells(tmp_path: Path) -> None:
    a = analyze("cd /etc && cat passwd; (cd /usr); ls", tmp_path, tmp_path)
    by_name = {p.name: p for p in a.parts}
    assert by_name["cat"].cwd == Path("/etc")
    assert by_name["ls"].cwd == Path("/etc")
    b = analyze("(cd /usr); ls", tmp_path, tmp_path)
    assert [p.cwd for p in b.parts if p.name == "ls"] == [tmp_path]


def test_nested_payloads_are_unwrapped(tmp_path: Path) -> None:
    a = analyze('bash -c "sh -c \'eval \\"touch z\\"\'"', tmp_path, tmp_path)
    touch = next(p for p in a.parts if p.name == "touch")
    assert touch.via == "eval" and touch.depth == 3


def test_nesting_is_bounded(tmp_path: Path) -> None:
    cmd = "true"
    for _ in range(8):
        cmd = "bash -c " + "'" + cmd.replace("'", "'\\''") + "'"
    a = analyze(cmd, tmp_path, tmp_path)
    assert any("nested" in u.reason for u in a.unknowns)


def test_parse_error_is_unknown(tmp_path: Path) -> None:
    assert analyze("echo 'unterminated", tmp_path, tmp_path).unknowns
    assert analyze("if then fi", tmp_path, tmp_path).unknowns
