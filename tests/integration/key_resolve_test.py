#!/usr/bin/env python3
"""Keys never lost (issue 13): Ki/OPc rotations whose outcome the engine cannot know, resolved.

Three cards, two key rotation campaigns over the SMSC simulator:
  rot-a: the SMSC delivers every message 2.5 s late, after the job's 1 s PoR timeout: the job
         fails, yet every card installs the new keys. The keys stay pending ("uncertain").
  rot-b: the SMSC accepts and never delivers; `campaign run` is killed while the jobs wait for
         their PoR, so `keys resolve` is refused (job not terminal); `campaign cancel` then
         fails the jobs, keeping their pending keys. No card got rot-b's keys.
Then `subscribers keys resolve --prove-fleet` (AUTHENTICATE on the virtual card) adopts rot-a
and discards rot-b, refusing rot-b while the card still answers neither; `--adopt` and
`--discard` settle another card by hand. AUTHENTICATE with the repository's keys then matches.
Usage: key_resolve_test.py OTAFLOW_BINARY
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
from testlib import approvers, free_port, sign, wait_port  # noqa: E402

NOTE = "card keys uncertain: pending keys kept, resolve with `otaflow subscribers keys resolve`"


def run(cmd, env, ok=True):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    if ok and r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise RuntimeError(f"{' '.join(cmd[1:4])} exited {r.returncode}")
    return r


def js(cmd, env):
    return json.loads(run(cmd, env).stdout)


def campaign(path, cid, por_timeout):
    with open(path, "w") as f:
        f.write(f'''id = "{cid}"
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
max_attempts = 1
por_timeout = "{por_timeout}"
''')


def smsc(ota, env, csv, cards_dir, config):
    port = free_port()
    p = subprocess.Popen(
        [ota, "smsc-sim", "--listen", f"127.0.0.1:{port}", "--fleet", csv, "--state", cards_dir,
         "--system-id", "test", "--config", config],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_port(port)
    return p, port


def stop(p):
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 0, err[-2000:]


def authenticates_with_repository_keys(ota, env, engine, cards_dir, iccid):
    card = js([ota, "sim", "show", "--state", cards_dir, "--iccid", iccid], env)
    v = js([ota, "subscribers", "auth-vector", "--state", engine, "--sqn",
            str(card["sqn_ms"] + 1), iccid], env)
    r = js([ota, "sim", "authenticate", "--state", cards_dir, "--iccid", iccid, "--rand",
            v["rand"], "--autn", v["autn"]], env)
    return r["status"] == "success" and r["res"] == v["xres"]


def main():
    ota = sys.argv[1]
    # The SMPP password of smsc-sim and campaign run (never on a command line).
    env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32), OTAFLOW_SMPP_PASSWORD="test")
    with tempfile.TemporaryDirectory(prefix="otaflow-resolve-") as work:
        csv = os.path.join(work, "fleet.csv")
        engine = os.path.join(work, "engine")
        cards_dir = os.path.join(work, "cards")
        run([ota, "fleet", "generate", "--count", "3", "--seed", "resolve-it", "--out", csv], env)
        run([ota, "subscribers", "import", "--state", engine, csv], env)
        iccids = [l.split(",")[0] for l in open(csv).read().splitlines()[1:]]
        # Key rotations need two approvals (docs/SECURITY.md "Four eyes"); the approvers are
        # listed in the state directory's approvals.toml, which `campaign run` reads.
        keydir = os.path.join(work, "approvers")
        os.mkdir(keydir)
        config, keys, _ = approvers(ota, env, keydir)
        os.rename(config, os.path.join(engine, "approvals.toml"))
        late = os.path.join(work, "late.toml")
        with open(late, "w") as f:
            f.write("[smsc.faults.delivery_delay]\nfixed_ms = 2500\n")
        never = os.path.join(work, "never.toml")
        with open(never, "w") as f:
            f.write("[smsc.faults]\ndrop_fraction = 1.0\n")

        # ---- rot-a: delivered after the job gave up ---------------------------------------
        rot_a = os.path.join(work, "rot-a.toml")
        campaign(rot_a, "rot-a", "1s")
        sign(ota, env, rot_a, keys)
        p, port = smsc(ota, env, csv, cards_dir, late)
        try:
            base = [ota, "campaign", "run", "--state", engine, "--smsc", f"127.0.0.1:{port}",
                    "--system-id", "test"]
            summary = json.loads(run(base + [rot_a], env).stdout.strip().splitlines()[-1])
            print("rot-a:", json.dumps(summary), flush=True)
            assert summary["failed"] == 3 and summary["done"] == 0, summary
            assert all(r.endswith("; " + NOTE) for r in summary["failure_reasons"]), summary
            deadline = time.time() + 30
            while time.time() < deadline:  # the late deliveries reach the cards
                shown = [js([ota, "sim", "show", "--state", cards_dir, "--iccid", i], env)
                         for i in iccids]
                if all(c["keys_rotated"] for c in shown):
                    break
                time.sleep(0.2)
            assert all(c["keys_rotated"] for c in shown), shown
        finally:
            stop(p)

        # ---- rot-b: never delivered; the run dies with the jobs in flight ------------------
        rot_b = os.path.join(work, "rot-b.toml")
        campaign(rot_b, "rot-b", "60s")
        sign(ota, env, rot_b, keys)
        p, port = smsc(ota, env, csv, cards_dir, never)
        try:
            run_b = subprocess.Popen(
                [ota, "campaign", "run", "--state", engine, "--smsc", f"127.0.0.1:{port}",
                 "--system-id", "test", rot_b],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(3)  # 3 cards at 500/s: all submitted and accepted well before
            run_b.send_signal(signal.SIGKILL)
            run_b.wait(timeout=30)
        finally:
            stop(p)
        c0 = iccids[0]
        job = js([ota, "campaign", "status", "--state", engine, "--iccid", c0, "rot-b"], env)
        assert job["state"] == "accepted", job
        r = run([ota, "subscribers", "keys", "resolve", "--state", engine, "--campaign", "rot-b",
                 "--discard", c0], env, ok=False)
        assert r.returncode == 1 and "not terminal" in r.stderr, (r.stdout, r.stderr)
        cancel = js([ota, "campaign", "cancel", "--state", engine, "rot-b"], env)
        assert cancel["jobs_failed"] == 3, cancel
        job = js([ota, "campaign", "status", "--state", engine, "--iccid", c0, "rot-b"], env)
        assert job["state"] == "failed" and job["reason"] == "cancelled: campaign cancelled; " + NOTE, job

        # ---- what operators see: campaign and sequence, never a key -----------------------
        shown = js([ota, "subscribers", "show", "--state", engine, c0], env)
        want = [{"campaign": "rot-a", "sequence": 1, "job_state": "failed", "status": "uncertain"},
                {"campaign": "rot-b", "sequence": 2, "job_state": "failed", "status": "uncertain"}]
        assert shown["pending_key_rotations"] == want, shown
        listed = js([ota, "subscribers", "keys", "--state", engine, c0], env)
        assert listed == {"iccid": c0, "pending": want}, listed
        assert not authenticates_with_repository_keys(ota, env, engine, cards_dir, c0)

        # ---- card 0: the card decides ------------------------------------------------------
        resolve = [ota, "subscribers", "keys", "resolve", "--state", engine]
        r = run(resolve + ["--campaign", "rot-b", "--prove-fleet", cards_dir, c0], env, ok=False)
        assert r.returncode == 1 and "answered neither" in r.stderr, (r.stdout, r.stderr)
        assert js([ota, "subscribers", "keys", "--state", engine, c0], env)["pending"] == want
        out = js(resolve + ["--campaign", "rot-a", "--prove-fleet", cards_dir, c0], env)
        assert out["outcome"] == "adopted", out
        assert out["proof"]["pending_keys"] == "match", out
        assert out["proof"]["current_keys"] == "mac_failure", out
        out = js(resolve + ["--campaign", "rot-b", "--prove-fleet", cards_dir, c0], env)
        assert out["outcome"] == "discarded" and out["proof"]["current_keys"] == "match", out
        assert js([ota, "subscribers", "keys", "--state", engine, c0], env)["pending"] == []
        assert authenticates_with_repository_keys(ota, env, engine, cards_dir, c0)

        # ---- card 1: by hand; bad requests are refused --------------------------------------
        c1 = iccids[1]
        r = run(resolve + ["--campaign", "rot-a", "--adopt", "--discard", c1], env, ok=False)
        assert r.returncode == 2 and "exactly one of" in r.stderr, r.stderr
        r = run(resolve + ["--campaign", "rot-x", "--adopt", c1], env, ok=False)
        assert r.returncode == 1 and "no pending key rotation" in r.stderr, r.stderr
        assert js(resolve + ["--campaign", "rot-b", "--discard", c1], env)["outcome"] == "discarded"
        assert js(resolve + ["--campaign", "rot-a", "--adopt", c1], env)["outcome"] == "adopted"
        assert authenticates_with_repository_keys(ota, env, engine, cards_dir, c1)
        print("rot-a (card got the keys, no PoR) adopted, rot-b (never delivered) discarded; "
              "AUTHENTICATE matches the repository's keys", flush=True)


if __name__ == "__main__":
    main()
