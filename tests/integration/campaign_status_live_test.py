#!/usr/bin/env python3
"""`otaflow campaign status` while `campaign run` holds the state directory (issue 15).

Against a running `otaflow smsc-sim` with the virtual fleet, a slow campaign (rate 40 SMS/s,
window 10) runs for about 15 s. Meanwhile:
  1. `campaign status` (read-only, a RocksDB secondary instance) answers with exit 0 on
     every call: the counts per state add up to `cards`, `cards` never exceeds the
     campaign's targets, and `done` grows between two calls.
  2. `campaign status --json` prints the view of the API: the same counts, the definition
     summary without key material, PoR statuses, a rate over the last minute and an ETA;
     `--iccid` with `--json` one card's job; `campaign list` the campaign.
  3. `subscribers show` reads during the run too.
After the run every target is `done`, and status --json says so.
Usage: campaign_status_live_test.py OTAFLOW_BINARY
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

CARDS = 600
FPLMN = "00F120FFFFFFFFFFFFFFFFFF"


def check_counts(st):
    """The states add up to cards, and done/failed/skipped/in_progress to cards too."""
    assert sum(st["states"].values()) == st["cards"], st
    assert st["done"] + st["failed"] + st["skipped"] + st["in_progress"] == st["cards"], st
    assert st["cards"] <= CARDS, st


def main():
    otaflow = sys.argv[1]
    # The SMPP password of smsc-sim and campaign run (never on a command line).
    env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32), OTAFLOW_SMPP_PASSWORD="test")
    with tempfile.TemporaryDirectory(prefix="otaflow-status-live-") as work:
        state = os.path.join(work, "engine")
        fleet = os.path.join(work, "fleet.csv")
        run([otaflow, "fleet", "generate", "--count", str(CARDS), "--seed", "live", "--out",
             fleet], env)
        run([otaflow, "subscribers", "import", "--state", state, fleet], env)
        iccid = open(fleet).read().splitlines()[1].split(",")[0]
        toml = os.path.join(work, "slow.toml")
        with open(toml, "w") as f:
            f.write(f'''id = "live"
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
rate = 40
window = 10
max_attempts = 2
por_timeout = "10s"
''')
        port = free_port()
        smsc = subprocess.Popen(
            [otaflow, "smsc-sim", "--listen", f"127.0.0.1:{port}", "--fleet", fleet, "--state",
             os.path.join(work, "cards"), "--system-id", "test"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        camp = None
        try:
            wait_port(port)
            camp = subprocess.Popen(
                [otaflow, "campaign", "run", "--state", state, "--smsc", f"127.0.0.1:{port}",
                 "--system-id", "test", toml],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            status = [otaflow, "campaign", "status", "--state", state, "live"]
            # Wait for the first terminal card (the campaign record and jobs exist then).
            deadline = time.time() + 30
            while True:
                assert camp.poll() is None, "campaign run ended early:\n" + camp.stderr.read()
                r = subprocess.run(status, env=env, capture_output=True, text=True)
                if r.returncode == 0 and last_json(r.stdout)["done"] > 0:
                    break
                assert time.time() < deadline, f"no card done after 30 s: {r.stdout}{r.stderr}"
                time.sleep(0.3)

            # 1. Two calls (the second repeated until a card more ended, at most 30 s): exit 0,
            #    counts add up, done grows.
            first = last_json(run(status, env).stdout)
            deadline = time.time() + 30
            while True:
                time.sleep(0.5)
                second = last_json(run(status, env).stdout)
                if second["done"] > first["done"] or time.time() > deadline:
                    break
            print("during the run:", json.dumps(first), json.dumps(second), flush=True)
            for st in (first, second):
                check_counts(st)
                assert st["status"] == "running", st
            assert second["done"] > first["done"], (first, second)
            assert second["done"] < CARDS, "the run was too fast to observe"

            # 2. The JSON view during the run, one card's job, the list.
            view = last_json(run(status + ["--json"], env).stdout)
            check_counts(view)
            assert view["id"] == "live" and view["status"] == "running", view
            assert view["done"] >= second["done"], view
            assert view["por_status"].get("00", 0) >= view["done"], view
            assert view["variants"]["default"]["done"] == view["done"], view
            d = view["definition"]
            assert d["security"] == {"spi": "1621", "kic": "15", "kid": "15", "tar": "B00010",
                                     "keyset": 1, "cc_length": 8,
                                     "allow_insecure": False}, d
            assert d["variants"][0]["update"]["files"] == [
                {"path": "3F00/7FFF/6F7B", "offset": 0, "length": 12}], d
            assert FPLMN.lower() not in json.dumps(view).lower(), "update data in the view"
            assert view["rate_per_second"] > 0 and view["eta_seconds"] is not None, view
            assert view["started_ms"] <= view["jobs_updated_ms"] <= view["as_of_ms"], view
            card = last_json(run(status + ["--json", "--iccid", iccid], env).stdout)
            assert card["campaign"] == "live" and card["iccid"] == iccid, card
            assert card["state"] in ("queued", "packaging", "submitting", "accepted",
                                     "delivered", "retry_wait", "done"), card
            if card["state"] == "done":
                assert card["por_status"] == "00" and len(card["counters"]) == 1, card
            lst = last_json(run([otaflow, "campaign", "list", "--state", state], env).stdout)
            assert [c["id"] for c in lst] == ["live"] and lst[0]["status"] == "running", lst
            assert lst[0]["cards"] <= CARDS, lst

            # 3. Another read-only command during the run.
            sub = json.loads(run([otaflow, "subscribers", "show", "--state", state, iccid],
                                 env).stdout)
            assert sub["iccid"] == iccid, sub
            assert camp.poll() is None, "the run ended before the reads: too fast to prove"

            out, err = camp.communicate(timeout=120)
            assert camp.returncode == 0, f"exit {camp.returncode}\n{out}{err[-2000:]}"
            s = last_json(out)
            assert s["done"] == CARDS, s
            final = last_json(run(status + ["--json"], env).stdout)
            check_counts(final)
            assert final["cards"] == CARDS and final["done"] == CARDS, final
            assert final["in_progress"] == 0 and final["por_status"] == {"00": CARDS}, final
            assert final["eta_seconds"] == 0, final
        finally:
            if camp is not None and camp.poll() is None:
                camp.kill()
                camp.wait()
            smsc.send_signal(signal.SIGTERM)
            smsc.communicate(timeout=60)
        print("ok: status read during the run, counts grew, view matched", flush=True)


if __name__ == "__main__":
    main()
