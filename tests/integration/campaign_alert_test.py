#!/usr/bin/env python3
"""`otaflow campaign run` pausing itself on an alert, and campaign control from the command line.

Against a running `otaflow smsc-sim` with the virtual fleet:
  1. The profile repository holds wrong KID keys (the operator imported the wrong key file):
     every card answers PoR 01 (RC/CC/DS failed). The campaign, with [alerts] pause_on_alert,
     pauses itself after about min_cards (100) + the cards in flight (window 50, observed 130
     to 200 cards sent in all): exit 3, the
     summary says "paused": true with the alert "PoR 01 on 100 of 100 PoRs", and most cards
     were never sent (no job, no SMS; smsc-sim's fleet saw as many PoR 01 as cards sent).
  2. Running it again is refused while it is paused (exit 3).
  3. The right keys are imported; `campaign resume` (no process holds the directory: written
     into storage) and a new run send the cards never sent: all done.
  4. A second campaign is paused while `campaign run` holds the directory (a request file the
     run applies within a second): exit 3 with "paused": true; `campaign run --resume`
     finishes it; `campaign cancel` afterwards is final (a later run is refused).
Usage: campaign_alert_test.py OTAFLOW_BINARY
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
from testlib import free_port, last_json, run, wait_port  # noqa: E402

CARDS = 1000
FPLMN = "00F120FFFFFFFFFFFFFFFFFF"


def campaign_file(path, cid, rate, window, alerts):
    with open(path, "w") as f:
        f.write(f'''id = "{cid}"
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
rate = {rate}
window = {window}
max_attempts = 2
por_timeout = "5s"
retry_backoff = "200ms"
{alerts}
''')


def main():
    otaflow = sys.argv[1]
    # The SMPP password of smsc-sim and campaign run (never on a command line).
    env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32), OTAFLOW_SMPP_PASSWORD="test")
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="otaflow-alert-") as work:
        state = os.path.join(work, "engine")
        fleet = os.path.join(work, "fleet.csv")
        run([otaflow, "fleet", "generate", "--count", str(CARDS), "--seed", "alerts", "--out",
             fleet], env)
        # The wrong key file: every card's KID of keyset 1 replaced.
        rows = open(fleet).read().splitlines()
        header = rows[0].split(",")
        kid = header.index("kid1")
        wrong = os.path.join(work, "wrong.csv")
        with open(wrong, "w") as f:
            f.write(rows[0] + "\n")
            for r in rows[1:]:
                cols = r.split(",")
                cols[kid] = "11" * 16
                f.write(",".join(cols) + "\n")
        run([otaflow, "subscribers", "import", "--state", state, wrong], env)

        port = free_port()
        smsc = subprocess.Popen(
            [otaflow, "smsc-sim", "--listen", f"127.0.0.1:{port}", "--fleet", fleet, "--state",
             os.path.join(work, "cards"), "--system-id", "test"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_port(port)
            base = [otaflow, "campaign", "run", "--state", state, "--smsc", f"127.0.0.1:{port}",
                    "--system-id", "test"]

            # 1. Wrong keyset: the campaign pauses itself on its PoR error alert.
            wrong_toml = os.path.join(work, "wrong.toml")
            campaign_file(wrong_toml, "fplmn-wrongkid", 2000, 50,
                          "[alerts]\npause_on_alert = true\n")
            r = run(base + [wrong_toml], env, code=3)
            s = last_json(r.stdout)
            print("paused run:", json.dumps(s), flush=True)
            assert s["paused"] is True, s
            assert len(s["alerts"]) == 1, s
            a = s["alerts"][0]
            assert a["type"] == "alert" and a["kind"] == "por_error", a
            assert a["action"] == "paused" and a["campaign"] == "fplmn-wrongkid", a
            assert a["message"].startswith("PoR 01 on 100 of 100 PoRs"), a
            assert a["sample"] == 100 and a["count"] == 100 and a["threshold"] == 0.05, a
            sent = s["cards"]
            # The wrong KID makes every card answer an unsecured 01: a failed attempt, not a
            # failure for good (it proves nothing, docs/standards/ts102225-secured-packets.md
            # §11), so each card answers twice (max_attempts = 2) and the 100 PoRs of the
            # sample come from about 50 cards, plus what finished while the alert was judged.
            assert 40 <= sent <= 100 + 3 * 50, f"{sent} cards ended before the pause"
            assert s["por_status"] == {"01": sent}, s
            assert "ALERT campaign 'fplmn-wrongkid' por_error" in r.stderr, r.stderr[-2000:]
            st = last_json(run([otaflow, "campaign", "status", "--state", state,
                                "fplmn-wrongkid"], env).stdout)
            # The failed cards, and those parked in retry_wait after one 01 (at most the
            # window); the rest: no job.
            assert st["status"] == "paused" and st["failed"] == sent, st
            assert sent <= st["cards"] <= sent + 50, st

            # 2. Paused: a plain run is refused.
            r = run(base + [wrong_toml], env, code=3)
            assert "is paused" in r.stderr, r.stderr

            # 3. The right keys; resume (written into storage) and run: the unsent cards done.
            run([otaflow, "subscribers", "import", "--state", state, fleet], env)
            c = last_json(run([otaflow, "campaign", "resume", "--state", state,
                               "fplmn-wrongkid"], env).stdout)
            assert c == {"campaign": "fplmn-wrongkid", "action": "resume", "via": "storage",
                         "applied": True, "before": "paused", "status": "running"}, c
            s = last_json(run(base + [wrong_toml], env).stdout)
            assert s["paused"] is False and s["alerts"] == [], s
            assert s["cards"] == CARDS and s["done"] == CARDS - sent, s
            assert s["failed"] == sent and s["resumed_terminal"] == sent, s

            # 4. A pause request while `campaign run` holds the directory.
            slow_toml = os.path.join(work, "slow.toml")
            campaign_file(slow_toml, "fplmn-slow", 150, 20, "")
            p = subprocess.Popen(base + [slow_toml], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            time.sleep(1.5)
            c = last_json(run([otaflow, "campaign", "pause", "--state", state, "fplmn-slow"],
                              env).stdout)
            assert c["via"] == "request" and c["applied"] is True, c
            out, err = p.communicate(timeout=60)
            assert p.returncode == 3, f"exit {p.returncode}\n{out}{err}"
            s = last_json(out)
            assert s["paused"] is True and s["alerts"] == [], s
            assert 0 < s["done"] < CARDS, s
            first = s["done"]
            assert not os.listdir(os.path.join(state, "control")), "request not removed"
            s = last_json(run(base + ["--resume", slow_toml], env, timeout=120).stdout)
            assert s["done"] == CARDS and s["resumed_terminal"] == first, s
            c = last_json(run([otaflow, "campaign", "cancel", "--state", state, "fplmn-slow"],
                              env).stdout)
            assert c["status"] == "cancelled" and c["jobs_failed"] == 0, c
            r = run(base + ["--resume", slow_toml], env, code=3)
            assert "is cancelled" in r.stderr, r.stderr
            r = run([otaflow, "campaign", "resume", "--state", state, "fplmn-slow"], env, code=3)
            assert "cancelling is final" in r.stderr, r.stderr
        finally:
            smsc.send_signal(signal.SIGTERM)
            sout, serr = smsc.communicate(timeout=60)
        assert smsc.returncode == 0, serr[-2000:]
        fleet_line = [l for l in sout.splitlines() if l.startswith("{") and "por_status" in l]
        if fleet_line:
            stats = json.loads(fleet_line[-1])
            print("fleet:", json.dumps(stats), flush=True)
            # Two 01s per failed card; cards parked by the pause after one attempt (at most
            # the window, 50) answered once before the right keys came.
            assert 2 * sent <= stats["por_status"].get("01", 0) <= 2 * sent + 50, stats
        print(f"ok: paused after {sent} of {CARDS} cards; control via storage and request; "
              f"{time.time() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
