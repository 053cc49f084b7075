"""The approval prompt's text: the layout editor clients parse, who asks, the sandbox, and what a grant
would remember -- derived from the exact grant the engine computed."""

from __future__ import annotations

import re
from pathlib import Path

from openagent_lsp.policy.engine import PolicyEngine
from openagent_lsp.policy.prompt import approval_message, grant_words
from openagent_lsp.policy.types import ApprovalRequest, FileOp, Origin, ToolKind

# The VS Code client's parser (editors/vscode/src/approvals/message.ts), line for line.
HEADER = re.compile(r"^OpenAgent wants to (.+?):\s*$")
RISK = re.compile(r"^Risk:\s*(\S+)\s*(?:[\u2014\u2013-]\s*(.*))?$")


def _parse(message: str) -> dict[str, str]:
    blocks = re.split(r"\n\s*\n", message)
    header = HEADER.match(blocks[0].strip())
    assert header and len(blocks) >= 3
    out = {"what": header.group(1), "subject": "\n\n".join(blocks[1:-1]).strip()}
    for line in blocks[-1].split("\n"):
        risk = RISK.match(line)
        if risk:
            out["risk"], out["reason"] = risk.group(1), risk.group(2) or ""
        else:
            name, _, value = line.partition(": ")
            out[name] = value
    return out


def _request(command: str, workspace: Path, origin: Origin = Origin.AGENT) -> ApprovalRequest:
    decision = PolicyEngine.default().check_command(command, workspace, workspace)
    return ApprovalRequest(ToolKind.COMMAND, command, decision, str(workspace), origin=origin,
                           sandbox="writes only inside the workspace; no network")


def test_the_layout_clients_parse_is_kept(tmp_path: Path) -> None:
    (tmp_path / "script.py").write_text("print(1)\n")
    engine = PolicyEngine.default()
    engine.record_agent_write(tmp_path / "script.py")
    decision = engine.check_command("python3 script.py", tmp_path, tmp_path)
    request = ApprovalRequest(ToolKind.COMMAND, "python3 script.py", decision, str(tmp_path),
                              sandbox="writes only inside the workspace; no network")
    message = approval_message(request)
    lines = message.split("\n")
    assert lines[0].startswith("OpenAgent wants to run this command") and lines[0].endswith(":")
    assert lines[1] == "" and lines[2] == "python3 script.py" and lines[3] == ""
    assert lines[4].startswith("Risk: MEDIUM — ") and lines[5].startswith("Rule: ")
    assert lines[6] == "Sandbox: writes only inside the workspace; no network"
    parsed = _parse(message)
    assert parsed["subject"] == "python3 script.py" and "command" in parsed["what"]
    assert parsed["risk"] == "MEDIUM" and parsed["Rule"] == decision.rule
    # What "Always allow" would store: the same words, the program, and the script's content.
    assert "this exact command" in parsed["Always allow"] and "./script.py" in parsed["Always allow"]
    assert "python3 (" in parsed["Always allow"]
    assert "keep the content they have now" in parsed["Always allow"]


def test_the_prompt_says_the_agent_wrote_it(tmp_path: Path) -> None:
    agent = _parse(approval_message(_request("curl https://example.com", tmp_path)))
    assert "written by the AI agent (not by you)" in agent["what"]
    assert agent["Asked by"].startswith("the AI agent")
    user = _parse(approval_message(_request("curl https://example.com", tmp_path, Origin.USER)))
    assert user["what"] == "run this command you typed" and user["Asked by"] == "you (/run)"


def test_no_grant_line_when_nothing_can_be_granted(tmp_path: Path) -> None:
    request = _request("echo x > .vscode/settings.json", tmp_path)
    assert request.decision.grant_key == ""
    message = approval_message(request)
    assert "Always allow:" not in message and "Sandbox:" in message


def test_file_grants_name_the_one_file(tmp_path: Path) -> None:
    decision = PolicyEngine.default().check_path(FileOp.DELETE, "src/a.py", tmp_path)
    words = grant_words(ToolKind.FILE, decision)
    assert words == "deleting exactly ./src/a.py (no other file), in this workspace only"


def test_a_network_grant_says_so(tmp_path: Path) -> None:
    parsed = _parse(approval_message(_request("pip install requests", tmp_path)))
    assert "with network access" in parsed["Always allow"]
