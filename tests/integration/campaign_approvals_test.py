#!/usr/bin/env python3
"""Approved campaigns, four eyes (docs/SECURITY.md): `campaign run` of a Ki/OPc rotation.

Against `otaflow smsc-sim` with the virtual fleet:
  1. Refused, exit 2, with its exact error text and nothing sent: without any [approvals]
     (a fresh install), unsigned with two approvers configured, signed by one of the two, signed
     by one approver and a key the configuration does not list, and signed by both and then
     edited (the approvals are of an older version). smsc-sim's summary counts 0 submits.
  2. `campaign sign` by the second approver of a fresh copy: `campaign approvals` and
     `campaign plan --json` say it is approved, and the run rotates every card's keys.
  3. The audit log holds each refusal and the approval, with the key ids and who asked.
Usage: campaign_approvals_test.py OTAFLOW_BINARY
"""
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import approvers, free_port, last_json, run, sign, wait_port  # noqa: E402

CARDS = 20
CID = "ki-opc-approved"
RULE = "key_rotation needs 2: update.keys rotates ki, opc"
UNSIGNED = "; it carries no approvals: sign it with `otaflow campaign sign --key FILE CAMPAIGN`"
NO_KEYS = ("; no approver keys are configured: list their public keys in [approvals] keys of the "
           "serve configuration or of the file given to --approvals-config (docs/SECURITY.md "
           "\"Four eyes\")")


def campaign_file(path, max_attempts=3):
    with open(path, "w") as f:
        f.write(f'''id = "{CID}"
[security]
spi = "1629"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
[update.keys]
rotate = ["ki", "opc"]
[policy]
rate = 500
max_attempts = {max_attempts}
por_timeout = "5s"
''')


def refused(otaflow, env, state, port, config, toml, valid):
    cmd = [otaflow, "campaign", "run", "--state", state, "--smsc", f"127.0.0.1:{port}",
           "--system-id", "test"]
    if config:
        cmd += ["--approvals-config", config]
    r = run(cmd + [toml], env, code=2)
    assert r.stdout == "", r.stdout  # no summary: nothing ran
    head = f"otaflow: campaign '{CID}' refused: {valid} valid approval(s) of 2 required ({RULE})"
    assert r.stderr.startswith(head), r.stderr
    return r.stderr.strip()[len(head):]


def smsc_sim(otaflow, env, fleet, cards):
    port = free_port()
    p = subprocess.Popen(
        [otaflow, "smsc-sim", "--listen", f"127.0.0.1:{port}", "--fleet", fleet, "--state", cards,
         "--system-id", "test"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_port(port)
    return p, port


def stop(p):
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err[-2000:]
    return json.loads([l for l in out.splitlines() if l.startswith("{")][-1])


def main():
    otaflow = sys.argv[1]
    env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32), OTAFLOW_SMPP_PASSWORD="test")
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="otaflow-approvals-") as work:
        state = os.path.join(work, "engine")
        fleet = os.path.join(work, "fleet.csv")
        cards = os.path.join(work, "cards")
        run([otaflow, "fleet", "generate", "--count", str(CARDS), "--seed", "approvals", "--out",
             fleet], env)
        run([otaflow, "subscribers", "import", "--state", state, fleet], env)
        config, keys, ids = approvers(otaflow, env, work)
        mallory = os.path.join(work, "mallory.pem")
        mallory_id = json.loads(run([otaflow, "approvals", "keygen", "--out", mallory],
                                    env).stdout)["key_id"]
        toml = os.path.join(work, "rotate.toml")

        # ---- 1. refusals: nothing reaches the SMSC --------------------------------------
        p, port = smsc_sim(otaflow, env, fleet, cards)
        try:
            campaign_file(toml)
            assert refused(otaflow, env, state, port, None, toml, 0) == UNSIGNED + NO_KEYS
            assert refused(otaflow, env, state, port, config, toml, 0) == UNSIGNED
            sign(otaflow, env, toml, {"alice": keys["alice"]})
            assert refused(otaflow, env, state, port, config, toml, 1) == ""
            # The same key again is refused by `campaign sign` itself.
            r = run([otaflow, "campaign", "sign", "--key", keys["alice"], toml], env, code=1)
            assert f"already carries an approval by key {ids['alice']}, alice" in r.stderr, r.stderr
            sign(otaflow, env, toml, {"mallory": mallory})
            assert refused(otaflow, env, state, port, config, toml, 1) == (
                f"; approval 2 (key {mallory_id}, mallory): key {mallory_id} is not an approver "
                "key of the configuration")
            # Both approvers sign, then someone edits the campaign.
            campaign_file(toml)
            sign(otaflow, env, toml, keys)
            with open(toml) as f:
                text = f.read()
            with open(toml, "w") as f:
                f.write(text.replace("max_attempts = 3", "max_attempts = 4"))
            tail = refused(otaflow, env, state, port, config, toml, 0)
            for n in ("alice", "bob"):
                assert (f"approval {1 if n == 'alice' else 2} (key {ids[n]}, {n}): signed a "
                        "different version of the campaign (sha256 ") in tail, tail
            assert tail.count("...): it was changed after signing") == 2, tail
            r = run([otaflow, "campaign", "approvals", "--approvals-config", config, toml], env,
                    code=1)
            shown = last_json(r.stdout)
            assert shown["approved"] is False and shown["valid"] == 0, shown
        finally:
            summary = stop(p)
        print("smsc-sim after the refusals:", json.dumps(summary), flush=True)
        assert summary["binds"] == 0 and summary["submits"] == 0, summary

        # ---- 2. signed by both approvers: approved and run ------------------------------
        campaign_file(toml)
        sign(otaflow, env, toml, keys)
        shown = last_json(run([otaflow, "campaign", "approvals", "--approvals-config", config,
                               toml], env).stdout)
        assert shown["approved"] and shown["valid"] == 2 and shown["required"] == 2, shown
        assert [a["name"] for a in shown["approvals"]] == ["alice", "bob"], shown
        plan = last_json(run([otaflow, "campaign", "plan", "--json", "--state", state,
                              "--approvals-config", config, toml], env).stdout)
        assert plan["approvals"]["approved"] and plan["approvals"]["valid"] == 2, plan
        p, port = smsc_sim(otaflow, env, fleet, cards)
        try:
            s = last_json(run([otaflow, "campaign", "run", "--state", state, "--smsc",
                               f"127.0.0.1:{port}", "--system-id", "test", "--approvals-config",
                               config, toml], env).stdout)
        finally:
            summary = stop(p)
        print("approved run:", json.dumps(s), flush=True)
        assert s["cards"] == CARDS and s["done"] == CARDS, s
        assert summary["submits"] >= CARDS, summary
        card = json.loads(run([otaflow, "sim", "show", "--state", cards, "--iccid",
                               open(fleet).read().splitlines()[1].split(",")[0]], env).stdout)
        assert card["keys_rotated"], card

        # ---- 3. the audit log --------------------------------------------------------------
        recs = [json.loads(l) for l in run([otaflow, "audit", "export", "--state", state,
                                            "--campaign", CID], env).stdout.splitlines()]
        approvals = [r["details"] for r in recs
                     if r["type"] == "campaign" and r["details"]["action"] in ("approved",
                                                                               "refused")]
        assert [d["action"] for d in approvals] == ["refused"] * 5 + ["approved"], approvals
        assert [d["valid"] for d in approvals] == [0, 0, 1, 1, 0, 2], approvals
        ok = approvals[-1]
        assert ok["approvers"] == [{"key_id": ids["alice"], "name": "alice"},
                                   {"key_id": ids["bob"], "name": "bob"}], ok
        assert ok["rules"] == ["key_rotation"] and ok["by"] == "campaign run", ok
        assert all(d["who"].startswith("os:") for d in approvals), approvals
        assert approvals[3]["problems"] == [
            {"key_id": mallory_id,
             "problem": f"key {mallory_id} is not an approver key of the configuration"}], approvals
        print(f"ok: 5 refusals with 0 submits, then {CARDS} cards rotated with 2 approvals; "
              f"{time.time() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
