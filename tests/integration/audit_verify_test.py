#!/usr/bin/env python3
"""The tamper-evident audit log from the command line (issue 18, "A tamper-evident audit").

With OTAFLOW_AUDIT_KEY_FILE set, a subscribers import and a campaign run against smsc-sim sign
checkpoints of the audit chain. Asserted:
  - `audit keygen` writes a mode-600 PEM key and prints its public key;
  - `audit verify --trusted-key PUB` passes: every record chained, checkpoints valid, nothing
    after the last checkpoint unsigned;
  - with another trusted key it fails (exit 1) and names each checkpoint's signer as untrusted;
  - `audit export`: the import record carries the file's SHA-256 and the OS user, the campaign
    record the SHA-256 of the stored definition, the pause its `who`;
  - a signing key readable by others is refused with its path, and nothing is written.
The byte-level tampering cases (changed, removed, swapped, inserted records, a rebuilt chain)
are in tests/unit/storage/audit_chain_test.cpp.
Usage: audit_verify_test.py OTAFLOW_BINARY
"""
import hashlib
import json
import os
import secrets
import signal
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import free_port, run, wait_port  # noqa: E402

CARDS = 200
CID = "audit-fplmn"


def main():
    otaflow = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="otaflow-audit-") as work:
        key = os.path.join(work, "audit.pem")
        kg = json.loads(run([otaflow, "audit", "keygen", "--out", key], dict(os.environ)).stdout)
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600, oct(os.stat(key).st_mode)
        pub = kg["public_key"]
        assert len(pub) == 64, kg
        env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32), OTAFLOW_AUDIT_KEY_FILE=key,
                   OTAFLOW_SMPP_PASSWORD="test")
        state = os.path.join(work, "engine")
        fleet = os.path.join(work, "fleet.csv")
        run([otaflow, "fleet", "generate", "--count", str(CARDS), "--seed", "audit", "--out",
             fleet], env)
        run([otaflow, "subscribers", "import", "--state", state, fleet], env)
        toml = os.path.join(work, "c.toml")
        with open(toml, "w") as f:
            f.write(f'''id = "{CID}"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
[[update.files]]
path = "3F00/7FFF/6F7B"
data = "00F130FFFFFFFFFFFFFFFFFF"
[policy]
rate = 400
window = 50
''')
        port = free_port()
        smsc = subprocess.Popen(
            [otaflow, "smsc-sim", "--listen", f"127.0.0.1:{port}", "--fleet", fleet, "--state",
             os.path.join(work, "cards"), "--system-id", "test"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_port(port)
            out = run([otaflow, "campaign", "run", "--state", state, "--smsc", f"127.0.0.1:{port}",
                       "--system-id", "test", toml], env).stdout
            summary = json.loads(out.strip().splitlines()[-1])
            assert summary["done"] == CARDS, summary
        finally:
            smsc.send_signal(signal.SIGTERM)
            smsc.communicate(timeout=60)
        run([otaflow, "campaign", "pause", "--state", state, CID], env)

        v = run([otaflow, "audit", "verify", "--state", state, "--trusted-key", pub], env)
        rep = json.loads(v.stdout)
        assert rep["ok"] is True and rep["problems"] == [], rep
        assert rep["records"] > 2 * CARDS, rep
        assert rep["checkpoints"] >= 3, rep  # import, run and pause each close with one
        assert rep["unsigned_tail"] == 0 and rep["unchained_legacy"] == 0, rep
        assert rep["signers"] == [pub] and rep["signers_pinned"] is True, rep

        other = os.path.join(work, "other.pem")
        other_pub = json.loads(run([otaflow, "audit", "keygen", "--out", other], env).stdout)
        bad = run([otaflow, "audit", "verify", "--state", state, "--trusted-key", other],
                  env, code=1)
        rep2 = json.loads(bad.stdout)
        assert rep2["ok"] is False and len(rep2["problems"]) == rep["checkpoints"], rep2
        assert all(p["problem"] == f"checkpoint: signed by a key that is not trusted: {pub}"
                   for p in rep2["problems"]), rep2
        assert other_pub["public_key"] != pub
        assert "signed by a key that is not trusted" in bad.stderr, bad.stderr

        lines = [json.loads(x) for x in
                 run([otaflow, "audit", "export", "--state", state], env).stdout.splitlines()]
        by_type = {}
        for x in lines:
            by_type.setdefault(x["type"], []).append(x)
        imp = by_type["import"][0]["details"]
        assert imp["sha256"] == hashlib.sha256(open(fleet, "rb").read()).hexdigest(), imp
        assert imp["imported"] == CARDS and imp["who"].startswith("os:"), imp
        camp = by_type["campaign"][0]
        assert camp["campaign"] == CID and camp["details"]["action"] == "defined", camp
        assert len(camp["details"]["sha256"]) == 64 and camp["details"]["who"].startswith("os:")
        ctl = by_type["control"][-1]["details"]
        assert ctl["action"] == "pause" and ctl["who"].startswith("os:"), ctl
        assert len(by_type["state"]) >= 2 * CARDS, len(by_type["state"])

        os.chmod(key, 0o644)
        r = run([otaflow, "campaign", "resume", "--state", state, CID], env, code=1)
        assert f"audit signing key: Ed25519 key {key}: readable by group or others (mode 644; chmod 600 it)" in r.stderr, \
            r.stderr
        after = run([otaflow, "audit", "export", "--state", state], env).stdout.splitlines()
        assert len(after) == len(lines), "a refused command wrote to the audit log"
    print(f"audit verify: {rep['records']} records, {rep['checkpoints']} checkpoints: ok")


if __name__ == "__main__":
    main()
