#!/usr/bin/env python3
"""Key rotation campaigns end to end over the virtual fleet (real SMPP over loopback TCP).

1. 5G SUCI: a campaign with [update.suci] carrying a freshly generated profile B home network
   key (`otaflow suci keygen`) and a new routing indicator. Before it, every sampled card's
   SUCI (`otaflow sim suci`) de-conceals with the fleet's personalised key; afterwards with the
   new private key only (`otaflow suci deconceal`), and not with any old one.
2. Ki/OPc: a campaign with [update.keys] rotate = ["ki", "opc"]. Afterwards AUTHENTICATE on
   every sampled card (`otaflow sim authenticate`) answers RES = XRES of a vector the
   repository computes from the keys it now holds (`otaflow subscribers auth-vector`), and a
   vector of the old keys fails with a MAC failure.
Usage: key_rotation_test.py OTAFLOW_BINARY [--cards N]
"""
import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import approvers, free_port, sign, wait_port  # noqa: E402

SEED = "rotation-it"


def run(cmd, env, ok=True, **kw):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, **kw)
    if ok and r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise RuntimeError(f"{' '.join(cmd[1:3])} exited {r.returncode}")
    return r


def campaign(path, cid, update, spi="1629"):
    # 1629: counter higher, ciphered, CC; PoR with a CC by SMS-SUBMIT. A key update needs a
    # PoR with a CC (docs/CAMPAIGNS.md, "Security level").
    with open(path, "w") as f:
        f.write(f'''id = "{cid}"
[security]
spi = "{spi}"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
{update}
[policy]
rate = 500
max_attempts = 3
por_timeout = "5s"
retry_backoff = "200ms"
''')


def deconceal(otaflow, env, suci, scheme, private_key, key_id=None):
    cmd = [otaflow, "suci", "deconceal", "--scheme", scheme, "--private-key", private_key]
    if key_id is not None:
        cmd += ["--key-id", str(key_id)]
    r = run(cmd + [suci], env, ok=False)
    return r.stdout.strip() if r.returncode == 0 else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("otaflow")
    ap.add_argument("--cards", type=int, default=40)
    a = ap.parse_args()
    ota = a.otaflow
    # The SMPP password of smsc-sim and campaign run (never on a command line).
    env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32), OTAFLOW_SMPP_PASSWORD="test")
    with tempfile.TemporaryDirectory(prefix="otaflow-rotation-") as work:
        csv = os.path.join(work, "fleet.csv")
        engine = os.path.join(work, "engine")
        cards_dir = os.path.join(work, "cards")
        run([ota, "fleet", "generate", "--count", str(a.cards), "--seed", SEED, "--out", csv],
            env)
        run([ota, "subscribers", "import", "--state", engine, csv], env)
        rows = [l.split(",") for l in open(csv).read().splitlines()[1:]]
        sample = [rows[i] for i in sorted({0, 1, len(rows) // 2, len(rows) - 1})]
        old_keys = json.loads(run([ota, "suci", "fleet-keys", "--seed", SEED], env).stdout)
        old_a = next(k for k in old_keys if k["scheme"] == "A")
        old_b = next(k for k in old_keys if k["scheme"] == "B")
        new = json.loads(run([ota, "suci", "keygen", "--scheme", "B"], env).stdout)

        port = free_port()
        smsc = subprocess.Popen(
            [ota, "smsc-sim", "--listen", f"127.0.0.1:{port}", "--fleet", csv, "--state",
             cards_dir, "--system-id", "test"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        old_vectors = {}
        try:
            wait_port(port)
            # Key rotations need two operators' approvals (docs/SECURITY.md "Four eyes").
            config, keys, _ = approvers(ota, env, work)
            base = [ota, "campaign", "run", "--state", engine, "--smsc", f"127.0.0.1:{port}",
                    "--system-id", "test", "--approvals-config", config]
            # ---- before: the personalised key (profile A, key id 1) ---------------------
            for iccid, imsi, *_ in sample:
                s = json.loads(run([ota, "sim", "suci", "--state", cards_dir, "--iccid", iccid,
                                    "--json"], env).stdout)
                assert s["scheme"] == 1 and s["key_id"] == 1, s
                assert s["computed_by"] == "usim", s
                assert deconceal(ota, env, s["suci"], "A", old_a["private_key"]) == imsi, s
                # The old keys answer AUTHENTICATE: SQN 1 now, SQN 3 kept for later.
                v = json.loads(run([ota, "subscribers", "auth-vector", "--state", engine,
                                    "--sqn", "1", iccid], env).stdout)
                r = json.loads(run([ota, "sim", "authenticate", "--state", cards_dir, "--iccid",
                                    iccid, "--rand", v["rand"], "--autn", v["autn"]],
                                   env).stdout)
                assert r["status"] == "success" and r["res"] == v["xres"], (v, r)
                old_vectors[iccid] = json.loads(run(
                    [ota, "subscribers", "auth-vector", "--state", engine, "--sqn", "3", iccid],
                    env).stdout)

            # ---- 1. SUCI key rotation ---------------------------------------------------
            suci_toml = os.path.join(work, "suci.toml")
            campaign(suci_toml, "suci-rotation", f'''[update.suci]
scheme = "B"
key_id = 5
public_key = "{new["public_key"]}"
routing_indicator = "0042"''')
            sign(ota, env, suci_toml, keys)
            summary = json.loads(run(base + [suci_toml], env).stdout.strip().splitlines()[-1])
            print("suci campaign:", json.dumps(summary), flush=True)
            assert summary["cards"] == a.cards and summary["done"] == a.cards, summary

            assert summary["por_rejected"] == 0, summary

            # ---- 2. Ki/OPc rotation -----------------------------------------------------
            # With an unsecured PoR (1621) a forged PoR OK would commit keys no card holds:
            # plan and run both refuse it, and nothing is sent.
            weak_toml = os.path.join(work, "keys-1621.toml")
            campaign(weak_toml, "ki-opc-weak", '[update.keys]\nrotate = ["ki", "opc"]',
                     spi="1621")
            for cmd in ([ota, "campaign", "plan", "--state", engine, weak_toml],
                        base + [weak_toml]):
                r = run(cmd, env, ok=False)
                assert r.returncode != 0, r.stdout
                assert "SPI 1621 cannot carry a key update" in r.stderr, r.stderr
            keys_toml = os.path.join(work, "keys.toml")
            campaign(keys_toml, "ki-opc-rotation", '[update.keys]\nrotate = ["ki", "opc"]')
            sign(ota, env, keys_toml, keys)
            summary = json.loads(run(base + [keys_toml], env).stdout.strip().splitlines()[-1])
            print("keys campaign:", json.dumps(summary), flush=True)
            assert summary["cards"] == a.cards and summary["done"] == a.cards, summary
            assert summary["por_rejected"] == 0, summary

            # ---- 3. a TAR the cards do not serve, ciphered commands (1621) --------------
            # The cards answer an unsecured 09 they cannot echo the counter in: each fails
            # its attempt at once (no 5 s PoR timeouts), and max_attempts (3) end the job.
            tar_toml = os.path.join(work, "tar.toml")
            campaign(tar_toml, "unknown-tar", '[[update.files]]\npath = "3F00/7FFF/6F7B"\n'
                     'data = "00F110"', spi="1621")
            with open(tar_toml) as f:
                text = f.read().replace('tar = "B00010"', 'tar = "B0FFFF"')
            with open(tar_toml, "w") as f:
                f.write(text)
            summary = json.loads(run(base + [tar_toml], env).stdout.strip().splitlines()[-1])
            print("unknown TAR campaign:", json.dumps(summary), flush=True)
            assert summary["failed"] == a.cards and summary["done"] == 0, summary
            assert summary["failure_reasons"] == {
                "attempts exhausted (3): unsecured PoR 09 TAR unknown": a.cards}, summary
            assert summary["seconds"] < 5, summary  # no attempt waited for its timeout
        finally:
            smsc.send_signal(signal.SIGTERM)
            sout, serr = smsc.communicate(timeout=60)
        assert smsc.returncode == 0, serr[-2000:]

        # ---- after: checked on the stopped fleet (the card state is written back) -------
        for iccid, imsi, *_ in sample:
            s = json.loads(run([ota, "sim", "suci", "--state", cards_dir, "--iccid", iccid,
                                "--json"], env).stdout)
            assert s["scheme"] == 2 and s["key_id"] == 5, s
            assert s["routing_indicator"] == "0042", s
            assert deconceal(ota, env, s["suci"], "B", new["private_key"]) == imsi, s
            # Neither old key opens it: not the old B key under the new id (MAC check)...
            assert deconceal(ota, env, s["suci"], "B", old_b["private_key"], 5) is None, s
            # ...nor the old A key (the SUCI names profile B, key id 5).
            assert deconceal(ota, env, s["suci"], "A", old_a["private_key"], 1) is None, s

            v = json.loads(run([ota, "subscribers", "auth-vector", "--state", engine, "--sqn",
                                "7", iccid], env).stdout)
            r = json.loads(run([ota, "sim", "authenticate", "--state", cards_dir, "--iccid",
                                iccid, "--rand", v["rand"], "--autn", v["autn"]], env).stdout)
            assert r["status"] == "success" and r["res"] == v["xres"], (v, r)
            assert r["persisted"], r
            old = old_vectors[iccid]
            r = json.loads(run([ota, "sim", "authenticate", "--state", cards_dir, "--iccid",
                                iccid, "--rand", old["rand"], "--autn", old["autn"]],
                               env).stdout)
            assert r["status"] == "mac_failure", r
            card = json.loads(run([ota, "sim", "show", "--state", cards_dir, "--iccid", iccid],
                                  env).stdout)
            assert card["keys_rotated"] and card["key_rotation_sequence"] == 1, card
        print(f"{len(sample)} of {a.cards} cards: SUCI under the new key only, "
              "AUTHENTICATE with the rotated Ki/OPc only", flush=True)


if __name__ == "__main__":
    main()
