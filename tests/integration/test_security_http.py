"""`evalharness security` over HTTP against a scripted gateway on loopback (real clock, a
2-second rate window): the command, its files, its exit code, and that no key is ever written."""

import json

import pytest

from evalharness.commands.main import main
from tests.security_server import RealClock, ScriptedDeployment, ServedDeployment

KEY, KEY2 = "sk-live-0123456789abcdef", "sk-live-fedcba9876543210"
CONTROLS = "rate-limit,auth,input-size,input-hygiene"


def gateway(**kw) -> ServedDeployment:
    spec = {"clock": RealClock(), "limit": 8192, "rate": (4, 2.0), "keys": frozenset({KEY, KEY2}),
            "hygiene": "strip", "gen_s": 0.02, **kw}
    return ServedDeployment(ScriptedDeployment(**spec))


def run(url, tmp_path, *extra):
    out = tmp_path / "out"
    code = main(["security", url, "--model", "m", "--checks", CONTROLS, "--api-key-env", "SEC_KEY",
                 "--second-key-env", "SEC_KEY2", "--rate", "4/2", "--output-dir", str(out), "--quiet",
                 "--json", str(tmp_path / "r.json"), "--markdown", str(tmp_path / "r.md"),
                 "--junit", str(tmp_path / "r.xml"), *extra])
    return code, json.loads((tmp_path / "r.json").read_text()), out


@pytest.fixture(autouse=True)
def keys(monkeypatch):
    monkeypatch.setenv("SEC_KEY", KEY)
    monkeypatch.setenv("SEC_KEY2", KEY2)


def by_check(report):
    return {f["check"]: f for f in report["findings"]}


def test_a_gateway_that_keeps_its_promises_passes(tmp_path, capsys):
    with gateway() as gw:
        code, report, out = run(gw.base_url, tmp_path)
    found = by_check(report)
    assert code == 0, [f["title"] for f in report["findings"] if f["status"] == "fail"]
    assert set(report) >= {"schema_version", "target", "findings", "rates"}
    assert found["input-size"]["observed"]["limit_chars"] == 8192
    rate = found["rate-limit"]["observed"]
    assert (rate["limit"], rate["window_s"], rate["sliding"]) == (4, 2.0, True)
    assert found["auth"]["observed"]["required"] is True
    assert len(list((out / "security").glob("*.json"))) == 1
    assert "<testsuites>" in (tmp_path / "r.xml").read_text() or "<testsuites" in (tmp_path / "r.xml").read_text()


def test_a_misconfigured_gateway_is_caught_and_fails_the_build(tmp_path):
    with gateway(limit=16384, window="fixed", per_key=False) as gw:
        code, report, _ = run(gw.base_url, tmp_path, "--fail-on", "medium")
    found = by_check(report)
    assert code == 1
    assert found["input-size"]["status"] == "fail" and found["input-size"]["observed"]["limit_chars"] == 16384
    assert found["rate-limit"]["status"] == "fail" and "not per key" in found["rate-limit"]["title"]


def test_a_key_sent_back_is_a_finding_and_never_written(tmp_path, capsys):
    with gateway(echo_key=True) as gw:
        code, report, out = run(gw.base_url, tmp_path)
    leaks = [f for f in report["findings"] if f["title"] == "the deployment sent an API key back"]
    assert leaks and leaks[0]["severity"] == "critical" and code == 1
    printed = capsys.readouterr()
    files = [p.read_text() for p in [*tmp_path.glob("r.*"), *(out / "security").glob("*.json")]]
    for text in [printed.out, printed.err, *files]:
        assert KEY not in text and KEY2 not in text
    assert "[redacted]" in "".join(files)


def test_no_key_configured_for_a_gateway_that_needs_one_is_said(tmp_path, monkeypatch):
    monkeypatch.delenv("SEC_KEY")
    with gateway() as gw:
        code = main(["security", gw.base_url, "--model", "m", "--checks", "auth", "--api-key-env", "SEC_KEY",
                     "--quiet", "--output-dir", str(tmp_path)])
    assert code == 2


def test_a_key_the_gateway_needs_but_was_not_given_blocks_all_but_auth(tmp_path, capsys):
    with gateway() as gw:
        code = main(["security", gw.base_url, "--model", "m", "--checks", "auth,input-size,jailbreak", "--quiet",
                     "--output-dir", str(tmp_path), "--json", str(tmp_path / "r.json")])
    report = json.loads((tmp_path / "r.json").read_text())
    assert code == 2 and "give the deployment's key with --api-key-env" in capsys.readouterr().err
    found = by_check(report)
    assert found["auth"]["status"] == "pass" and found["auth"]["observed"]["required"] is True
    assert found["input-size"]["status"] == found["jailbreak"]["status"] == "not-applicable"
    assert len(report["requests"]) == 3  # the preflight and the auth check's two: nothing else was sent


def test_an_unreachable_deployment_is_an_error_not_a_pass(tmp_path, capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there
    code = main(["security", f"http://127.0.0.1:{port}/v1", "--model", "m", "--quiet", "--output-dir",
                 str(tmp_path)])
    assert code == 2 and "cannot be reached" in capsys.readouterr().err
