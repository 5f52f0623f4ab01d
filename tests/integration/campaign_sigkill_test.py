#!/usr/bin/env python3
"""`otaflow campaign run` killed with SIGKILL at random moments, then resumed.

Against a running `otaflow smsc-sim` (real SMPP over loopback TCP, the virtual UICC fleet
with its state in RocksDB), a campaign is started and killed with SIGKILL several times at
random moments, then run to the end. Asserted afterwards:
  - every card is `done` (final summary, and `campaign status` from the state directory);
  - the update is on the cards (`otaflow sim show` reads the fleet's persisted card state);
  - no card ever answered PoR 02 (counter replay): the fleet's own PoR statistics, printed by
    smsc-sim when it stops, and each sampled card's last PoR status.
Usage: campaign_sigkill_test.py OTAFLOW_BINARY [--cards N] [--kills K] [--seed S]
"""
import argparse
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import free_port, wait_port  # noqa: E402

FPLMN = "00F120FFFFFFFFFFFFFFFFFF"


def run(cmd, env, **kw):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise RuntimeError(f"{cmd[1:3]} exited {r.returncode}")
    return r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("otaflow")
    ap.add_argument("--cards", type=int, default=3000)
    ap.add_argument("--kills", type=int, default=4)
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    rnd = random.Random(seed)
    print(f"seed {seed}", flush=True)

    # The SMPP password of smsc-sim and campaign run (never on a command line).
    env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32), OTAFLOW_SMPP_PASSWORD="test")
    with tempfile.TemporaryDirectory(prefix="otaflow-sigkill-") as work:
        csv = os.path.join(work, "fleet.csv")
        run([a.otaflow, "fleet", "generate", "--count", str(a.cards), "--seed", "sigkill",
             "--out", csv], env)
        run([a.otaflow, "subscribers", "import", "--state", os.path.join(work, "engine"), csv], env)
        port = free_port()
        smsc = subprocess.Popen(
            [a.otaflow, "smsc-sim", "--listen", f"127.0.0.1:{port}", "--fleet", csv,
             "--state", os.path.join(work, "cards"), "--system-id", "test"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_port(port)
            campaign = os.path.join(work, "campaign.toml")
            with open(campaign, "w") as f:
                f.write(f'''id = "sigkill-fplmn"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
[[update.files]]
path = "3F00/7FFF/6F7B"
data = "{FPLMN}"
[policy]
rate = 1500
window = 300
max_attempts = 5
por_timeout = "5s"
retry_backoff = "200ms"
''')
            cmd = [a.otaflow, "campaign", "run", "--state", os.path.join(work, "engine"),
                   "--smsc", f"127.0.0.1:{port}", "--system-id", "test",
                   campaign]
            for k in range(a.kills):
                p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
                delay = rnd.uniform(0.2, 1.6)
                time.sleep(delay)
                if p.poll() is None:
                    p.send_signal(signal.SIGKILL)
                p.wait()
                print(f"kill {k + 1}: after {delay:.2f} s (exit {p.returncode})", flush=True)
            out = run(cmd, env, timeout=600)
            summary = json.loads(out.strip().splitlines()[-1])
            print("final run:", json.dumps(summary), flush=True)
            assert summary["cards"] == a.cards, summary
            assert summary["done"] == a.cards, summary
            assert summary["failed"] == 0, summary
            assert "02" not in summary["por_status"], summary

            status = json.loads(run([a.otaflow, "campaign", "status", "--state",
                                     os.path.join(work, "engine"), "sigkill-fplmn"], env))
            assert status["done"] == a.cards and status["failed"] == 0, status
        finally:
            smsc.send_signal(signal.SIGTERM)
            sout, serr = smsc.communicate(timeout=60)
        print(sout[-2000:], flush=True)
        assert smsc.returncode == 0, serr[-2000:]
        # The fleet's PoR statistics, when smsc-sim prints them as JSON on stopping. Without
        # them, a PoR 02 would still show: it fails its job for good (never `done`), and the
        # sampled cards' last PoR status is checked below.
        fleet_line = [l for l in sout.splitlines() if l.startswith("{") and "por_status" in l]
        if fleet_line:
            fleet = json.loads(fleet_line[-1])
            assert fleet["por_status"].get("02", 0) == 0, fleet
            assert fleet["por_status"].get("00", 0) >= a.cards, fleet

        # The update is on the cards, as the simulator persisted them.
        sample = rnd.sample(range(a.cards), min(25, a.cards))
        rows = open(csv).read().splitlines()[1:]
        for i in sample:
            iccid = rows[i].split(",")[0]
            card = json.loads(run([a.otaflow, "sim", "show", "--state",
                                   os.path.join(work, "cards"), "--iccid", iccid], env))
            files = {f["path"].upper(): f["hex"].upper() for f in card["files"]}
            assert files.get("3F00/7FFF/6F7B") == FPLMN, (iccid, card)
            assert card["last_por_status"] in ("00", 0), (iccid, card)
        print(f"ok: {a.cards} cards done after {a.kills} SIGKILLs; "
              f"{len(sample)} cards checked on the fleet; no PoR 02", flush=True)


if __name__ == "__main__":
    main()
