"""Redaction: what is masked, what is not, and that masking keeps lengths and lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from openagent_lsp.llm.base import GenerationRequest
from openagent_lsp.llm.remote import OpenAICompatLLM
from openagent_lsp.redaction import Redactor, is_local_url, parse_env_file

SHAPES = [
    'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"',
    "token ghp_0123456789abcdefghijABCDEFGHIJ012345 here",
    "glpat-abcdefghij0123456789",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END OPENSSH PRIVATE KEY-----",
    "postgresql://app:VerySecret99@db:5432/x",
    'password = "hunter22hunter"',
    "SECRET_KEY=django-insecure-abc123xyz",
    'cfg = {"client_secret": "abcdefgh12"}',
    "sk-proj-abcdefghijklmnopqrstuvwx",
]
SECRET_PARTS = ["AKIAIOSFODNN7EXAMPLE", "ghp_0123456789abcdefghij", "glpat-abcdefghij", "dozjgNryP4J3",
                "b3BlbnNzaC1rZXktdjEAAAA", "VerySecret99", "hunter22hunter", "django-insecure", "abcdefgh12",
                "sk-proj-abcdefghij"]


@pytest.mark.parametrize(("text", "secret"), list(zip(SHAPES, SECRET_PARTS, strict=True)))
def test_token_shapes_are_masked_keeping_length_and_lines(text: str, secret: str) -> None:
    out = Redactor({}).redact(text)
    assert secret not in out
    assert len(out) == len(text) and out.count("\n") == text.count("\n")


def test_ordinary_code_is_left_alone() -> None:
    code = ("token = next(tokens)\npassword = getpass.getpass()\nauth = request.headers['Authorization']\n"
            "url = 'https://example.com/path?x=1'\nsecret_len = 32\n")
    assert Redactor({}).redact(code) == code


def test_values_of_secret_environment_variables_are_masked_anywhere() -> None:
    redactor = Redactor({"MY_SERVICE_TOKEN": "tok_9f8e7d6c5b4a", "HOME": "/home/user", "PWD": "/home/user/src",
                         "DATABASE_URL": "postgres://u:Pa55w0rd!x@h/db", "SHORT_TOKEN": "abc"})
    out = redactor.redact("value tok_9f8e7d6c5b4a and Pa55w0rd!x in /home/user/src with abc")
    assert "tok_9f8e7d6c5b4a" not in out and "Pa55w0rd!x" not in out
    assert "/home/user/src" in out and " abc" in out  # not secrets, and too short to mask everywhere


def test_env_file_entries(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("export STRIPE_KEY='sk_test_abcdefghijklmnop'\nDEBUG=true\nPORT=8000\n"
                                   "SERVICE_URL=https://api.example.com\nOPAQUE=Zq8vN2mR5tLw # comment\n")
    sub = tmp_path / "app"
    sub.mkdir()
    (sub / ".env.local").write_text("APP_PASSPHRASE=correct-horse\n")
    assert parse_env_file("export A='x y'\n# c\nB=1 # n\n") == {"A": "x y", "B": "1"}
    redactor = Redactor({})
    redactor.add_workspace(tmp_path)
    out = redactor.redact("sk_test_abcdefghijklmnop Zq8vN2mR5tLw correct-horse true 8000 https://api.example.com")
    assert "abcdefghijklmnop" not in out and "Zq8vN2mR5tLw" not in out and "correct-horse" not in out
    assert out.endswith("true 8000 https://api.example.com")


def test_records_keep_keys_and_non_strings() -> None:
    record = {"subject": "curl -H 'Authorization: Bearer ghp_0123456789abcdefghijABCDEFGHIJ012345'", "seq": 3,
              "nested": ["glpat-abcdefghij0123456789"]}
    out = Redactor({}).redact_obj(record)
    assert out["seq"] == 3 and set(out) == set(record)
    assert "ghp_" not in out["subject"] and "glpat-" not in out["nested"][0]


@pytest.mark.parametrize(("url", "local"), [
    ("http://127.0.0.1:8000/v1", True), ("http://localhost:11434", True), ("http://[::1]:8000", True),
    ("http://192.168.1.20:11434", False), ("https://api.example.com/v1", False), ("http://gpu-box:8000", False),
])
def test_only_loopback_counts_as_local(url: str, local: bool) -> None:
    assert is_local_url(url) is local


def test_prompts_to_another_host_are_masked_and_to_loopback_are_not(monkeypatch: pytest.MonkeyPatch) -> None:
    from openagent_lsp import redaction

    monkeypatch.setattr(redaction, "_default", Redactor({"MY_API_KEY": "k3y-value-123456"}))
    request = GenerationRequest(prompt="key = 'k3y-value-123456'\n\ud83d",
                                messages=[{"role": "user", "content": "use k3y-value-123456"}])
    remote = OpenAICompatLLM("m", "http://10.1.2.3:8000/v1")._outgoing(request)
    assert "k3y-value-123456" not in remote.prompt and remote.messages is not None
    assert "k3y-value-123456" not in remote.messages[0]["content"]
    assert len(remote.prompt) == len(request.prompt) and "\ud83d" not in remote.prompt
    local = OpenAICompatLLM("m", "http://127.0.0.1:8000/v1")._outgoing(request)
    assert "k3y-value-123456" in local.prompt and "\ud83d" not in local.prompt
