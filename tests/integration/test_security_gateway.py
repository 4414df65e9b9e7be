"""`evalharness security` against real servers: llama-cpp-python's own (no limits, no keys) and
Debian's nginx in front of it, enforcing the source design's rules or misconfigured."""

import json

import pytest

from evalharness.commands.main import main
from tests import gateway
from tests.llama_server import ALIAS, available, llama_cpp_server

pytestmark = pytest.mark.skipif(not available(), reason="needs llama-cpp-python[server] (make llama-cpp)")
KEYS = ("sk-gw-0123456789abcdef", "sk-gw-fedcba9876543210")
CONTROLS = "rate-limit,auth,input-size,input-hygiene"


@pytest.fixture(scope="module")
def server():
    """Behind the gateways: a context of 8,192 tokens takes 16,384 characters of English."""
    with llama_cpp_server(n_ctx=8192) as base:
        yield base


@pytest.fixture
def keys(monkeypatch):
    monkeypatch.setenv("GW_KEY", KEYS[0])
    monkeypatch.setenv("GW_KEY2", KEYS[1])


def check(url, tmp_path, *args):
    out = tmp_path / "report.json"
    code = main(["security", url, "--model", ALIAS, "--quiet", "--output-dir", str(tmp_path), "--json", str(out),
                 *args])
    report = json.loads(out.read_text())
    return code, report, {f["check"]: f for f in report["findings"]}


def test_llama_cpp_servers_own_deployment_has_no_controls(tmp_path):
    with llama_cpp_server(n_ctx=2048) as bare:  # a small context: long prompts fail fast
        code, report, found = check(bare, tmp_path, "--max-requests", "30", "--injection-tasks", "1",
                                    "--behaviours", "2", "--safe-prompts", "6", "--max-tokens", "24")
    assert code == 1  # no authentication is a high finding
    assert found["input-size"]["status"] == "fail" and found["input-size"]["observed"]["limit_chars"] is None
    assert found["rate-limit"]["status"] == "fail" and found["rate-limit"]["observed"]["limit"] is None
    assert found["auth"]["status"] == "fail" and found["auth"]["observed"]["required"] is False
    # llama-cpp-python's Gemma chat format drops system messages: seen, and said
    assert found["system-prompt-leak"]["status"] == "not-applicable"
    assert "drops system prompts" in found["system-prompt-leak"]["title"]
    rates = {(r["check"], r["name"]): r for r in report["rates"]}
    for key in [("prompt-injection", "attack success"), ("jailbreak", "attack success"),
                ("jailbreak", "compliance without a template"), ("over-refusal", "over-refusal")]:
        r = rates[key]
        assert r["n"] > 0 and r["low"] <= r["rate"] <= r["high"], r


@pytest.mark.skipif(not gateway.available(), reason="needs nginx with its Lua module (apt: nginx "
                                                    "libnginx-mod-http-lua lua-cjson)")
def test_a_gateway_enforcing_the_source_designs_rules_holds(server, tmp_path, keys):
    with gateway.nginx_gateway(server, tmp_path / "nginx", KEYS, requests=10, window_s=20) as url:
        code, _, found = check(url, tmp_path, "--checks", CONTROLS, "--api-key-env", "GW_KEY",
                               "--second-key-env", "GW_KEY2", "--rate", "10/20", "--input-limit", "8192",
                               "--fail-on", "low")
    assert code == 0, {c: f["title"] for c, f in found.items() if f["status"] != "pass"}
    assert found["rate-limit"]["observed"]["sliding"] is True
    assert found["input-size"]["observed"]["unit"] == "characters"


@pytest.mark.skipif(not gateway.available(), reason="needs nginx with its Lua module")
def test_a_misconfigured_gateway_is_caught(server, tmp_path, keys):
    with gateway.nginx_gateway(server, tmp_path / "nginx", KEYS, requests=10, window_s=20, limit_chars=16384,
                               fixed_shared=True) as url:
        code, _, found = check(url, tmp_path, "--checks", "rate-limit,input-size", "--api-key-env", "GW_KEY",
                               "--second-key-env", "GW_KEY2", "--rate", "10/20", "--input-limit", "8192",
                               "--fail-on", "medium")
    assert code == 1
    assert found["input-size"]["status"] == "fail" and found["input-size"]["observed"]["limit_chars"] == 16384
    rate = found["rate-limit"]
    assert rate["status"] == "fail" and rate["observed"]["sliding"] is False, rate["title"]
    assert "not per key" in rate["title"] and "fixed window" in rate["title"]
