#!/usr/bin/env python3
"""`otaflow campaign retry`: failed cards of a finished campaign sent again once fixed.

Against a running `otaflow smsc-sim` with the virtual fleet:
  1. The profile repository holds a wrong KID for WRONG of the CARDS cards: those answer PoR 01
     twice (max_attempts = 2) and fail; the run ends (exit 0) with WRONG failed.
  2. `campaign retry --iccid` of a done card and of an unknown one queues nothing and says so.
  3. The right keys are imported; `campaign retry --reason` queues the WRONG failed cards again
     (the summary counts them by reason; the campaign goes from done to running), and
     `campaign run --resume` sends them: every card ends `done`; a retried card's history keeps
     its failure, then a queued entry of attempt 0 and a new attempt 1.
  4. The audit log holds one `control` record {"action":"retry","by":"cli","queued":WRONG}.
  5. A `campaign retry` while a `campaign run` holds the directory is refused (exit 3), and so
     is the retry of a cancelled campaign (cancelling is final).
  6. The campaign's [policy.submit] (validity 2h, priority 2, source 8501 national) reached
     smsc-sim on every submit of the campaign, the bind's defaults on the other campaign's.
Usage: campaign_retry_test.py OTAFLOW_BINARY
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

CARDS = 300
WRONG = 60
CID = "fplmn-retry"
FPLMN = "00F120FFFFFFFFFFFFFFFFFF"


def campaign_file(path, cid, rate, submit=""):
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
window = 50
max_attempts = 2
por_timeout = "5s"
retry_backoff = "100ms"
{submit}
''')


def main():
    otaflow = sys.argv[1]
    env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32), OTAFLOW_SMPP_PASSWORD="test")
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="otaflow-retry-") as work:
        state = os.path.join(work, "engine")
        fleet = os.path.join(work, "fleet.csv")
        run([otaflow, "fleet", "generate", "--count", str(CARDS), "--seed", "retry", "--out",
             fleet], env)
        rows = open(fleet).read().splitlines()
        header = rows[0].split(",")
        kid, iccid_col = header.index("kid1"), header.index("iccid")
        iccids = [r.split(",")[iccid_col] for r in rows[1:]]
        wrong = os.path.join(work, "wrong.csv")
        with open(wrong, "w") as f:
            f.write(rows[0] + "\n")
            for i, r in enumerate(rows[1:]):
                cols = r.split(",")
                if i < WRONG:
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
            retry = [otaflow, "campaign", "retry", "--state", state]
            toml = os.path.join(work, "c.toml")
            # Submit options: smsc-sim counts what arrived (6.).
            campaign_file(toml, CID, 2000, '[policy.submit]\nvalidity = "2h"\npriority = 2\n'
                          'source_addr = "8501"\nsource_ton = "national"\n'
                          'registered_delivery = "final"\n')

            # 1. The wrong keys fail WRONG cards.
            s = last_json(run(base + [toml], env).stdout)
            print("first run:", json.dumps(s), flush=True)
            assert s["cards"] == CARDS and s["done"] == CARDS - WRONG, s
            assert s["failed"] == WRONG and s["por_status"]["01"] == WRONG, s
            (reason, n), = s["failure_reasons"].items()
            assert n == WRONG, s

            # 2. A done card and an unknown one: nothing queued.
            unknown = "8988211999999999999"
            r = last_json(run(retry + ["--json", "--iccid", iccids[-1], "--iccid", unknown, CID],
                              env).stdout)
            assert r["queued"] == 0 and r["status"] == "done" and r["before"] == "done", r
            assert r["skipped"] == {"not_failed": 1, "reason_not_matched": 0,
                                    "keys_uncertain": 0, "not_found": 1}, r
            assert r["not_found"] == [unknown], r

            # 3. The right keys; retry the failures; run --resume sends them.
            run([otaflow, "subscribers", "import", "--state", state, fleet], env)
            r = last_json(run(retry + ["--json", "--reason", "PoR 01", CID], env).stdout)
            print("retry:", json.dumps(r), flush=True)
            assert r["queued"] == WRONG and r["by_reason"] == {reason: WRONG}, r
            assert r["before"] == "done" and r["status"] == "running", r
            assert r["skipped"]["not_failed"] == CARDS - WRONG, r
            text = run(retry + [CID], env).stdout  # the text form: nothing failed any more
            assert "0 failed cards queued again" in text, text
            st = last_json(run([otaflow, "campaign", "status", "--state", state, CID], env).stdout)
            assert st["states"]["queued"] == WRONG and st["done"] == CARDS - WRONG, st
            assert st["status"] == "running", st

            s = last_json(run(base + ["--resume", toml], env).stdout)
            print("resumed run:", json.dumps(s), flush=True)
            # The summary counts the cards ended earlier too (resumed_terminal) by their state.
            assert s["done"] == CARDS and s["failed"] == 0, s
            assert s["resumed_terminal"] == CARDS - WRONG, s
            st = last_json(run([otaflow, "campaign", "status", "--state", state, CID], env).stdout)
            assert st["status"] == "done" and st["done"] == CARDS and st["failed"] == 0, st
            card = last_json(run([otaflow, "campaign", "status", "--state", state, "--json",
                                  "--iccid", iccids[0], CID], env).stdout)
            h = [(x["state"], x["attempt"]) for x in card["history"]]
            at = h.index(("failed", 2))
            assert h[at + 1] == ("queued", 0) and h[-1] == ("done", 1), h

            # 4. One audit record of the retry that queued cards, one of the one that did not.
            recs = [json.loads(l) for l in run([otaflow, "audit", "export", "--state", state,
                                                "--campaign", CID], env).stdout.splitlines()]
            retries = [x["details"] for x in recs
                       if x["type"] == "control" and x["details"]["action"] == "retry"]
            assert [(d["by"], d["queued"]) for d in retries] == [
                ("cli", 0), ("cli", WRONG), ("cli", 0)], retries
            assert retries[1]["reason"] == "PoR 01" and retries[1]["after"] == "running", retries

            # 5. Refused while a run holds the directory, and once cancelled.
            slow = os.path.join(work, "slow.toml")
            campaign_file(slow, "fplmn-slow", 100)
            p = subprocess.Popen(base + [slow], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            time.sleep(1.0)
            r = run(retry + [CID], env, code=3)
            assert "in use by another process" in r.stderr, r.stderr
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, f"exit {p.returncode}\n{out}{err}"
            run([otaflow, "campaign", "cancel", "--state", state, CID], env)
            r = run(retry + [CID], env, code=3)
            assert "cancelling is final" in r.stderr, r.stderr
        finally:
            smsc.send_signal(signal.SIGTERM)
            sout, serr = smsc.communicate(timeout=60)
        assert smsc.returncode == 0, serr[-2000:]
        # 6. What smsc-sim received: the campaign's options on each of its submits (240 done at
        # once, 60 failed twice, then retried once), the bind's on the slow campaign's 300.
        summary = json.loads([l for l in sout.splitlines() if l.startswith("{")][-1])
        opts = summary["submit_options"]
        print("smsc-sim submit options:", json.dumps(opts), flush=True)
        mine = (CARDS - WRONG) + 2 * WRONG + WRONG
        assert opts["validity_period"] == {"000000020000000R": mine, "": CARDS}, opts
        assert opts["priority"] == {"2": mine, "0": CARDS}, opts
        assert opts["source"] == {"2/1/8501": mine, "0/1/8500": CARDS}, opts
        assert opts["registered_delivery"] == {"1": mine + CARDS}, opts
        print(f"ok: {WRONG} of {CARDS} cards failed, retried and done; "
              f"{time.time() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
