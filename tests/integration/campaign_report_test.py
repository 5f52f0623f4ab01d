#!/usr/bin/env python3
"""`otaflow campaign report` and `otaflow audit export` after a real run (issue 15, "Reports").

Against `otaflow smsc-sim` with the virtual fleet: 300 cards, 30 of them imported with a wrong
KID (they answer PoR 01 and fail after 2 attempts). The campaign is paused from the command
line while it runs (a request file), then finished with `campaign run --resume`. Asserted:
  - the cards CSV: one row per card, states, PoR statuses and failures as the runs reported,
    the 30 wrong-key cards failed, RFC 4180 quoting, ISO 8601 timestamps, counters;
  - the HTML report: self-contained (no script, no external asset), the counts, the failure
    reason with its count, the pause and the resume, the alerts the runs raised;
  - `campaign status --iccid`: the job's history from queued to its final state;
  - `audit export`: JSON lines with the control records, the card's state records, filters
    by campaign and ICCID; no key of the fleet file appears anywhere.
Usage: campaign_report_test.py OTAFLOW_BINARY
"""
import csv
import io
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import free_port, last_json, run, wait_port  # noqa: E402

CARDS = 300
WRONG = 30
CID = "report-fplmn"
FPLMN = "00F130FFFFFFFFFFFFFFFFFF"


def main():
    otaflow = sys.argv[1]
    # The SMPP password of smsc-sim and campaign run (never on a command line).
    env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32), OTAFLOW_SMPP_PASSWORD="test")
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="otaflow-report-") as work:
        state = os.path.join(work, "engine")
        fleet = os.path.join(work, "fleet.csv")
        run([otaflow, "fleet", "generate", "--count", str(CARDS), "--seed", "report", "--out",
             fleet], env)
        rows = open(fleet).read().splitlines()
        header = rows[0].split(",")
        kid = header.index("kid1")
        iccid_col = header.index("iccid")
        secrets_in_fleet = set()
        for r in rows[1:]:
            cols = r.split(",")
            for name, value in zip(header, cols):
                if name.startswith(("kic", "kid", "kik", "ki", "opc")) and len(value) >= 16:
                    secrets_in_fleet.add(value.lower())
        wrong_iccids = set()
        imported = os.path.join(work, "import.csv")
        with open(imported, "w") as f:
            f.write(rows[0] + "\n")
            for i, r in enumerate(rows[1:]):
                cols = r.split(",")
                if i < WRONG:
                    cols[kid] = "11" * 16
                    wrong_iccids.add(cols[iccid_col])
                f.write(",".join(cols) + "\n")
        run([otaflow, "subscribers", "import", "--state", state, imported], env)
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
data = "{FPLMN}"
[policy]
rate = 60
window = 10
max_attempts = 2
por_timeout = "5s"
retry_backoff = "200ms"
''')
        port = free_port()
        smsc = subprocess.Popen(
            [otaflow, "smsc-sim", "--listen", f"127.0.0.1:{port}", "--fleet", fleet, "--state",
             os.path.join(work, "cards"), "--system-id", "test"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_port(port)
            base = [otaflow, "campaign", "run", "--state", state, "--smsc", f"127.0.0.1:{port}",
                    "--system-id", "test"]
            p = subprocess.Popen(base + [toml], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            time.sleep(1.5)
            c = last_json(run([otaflow, "campaign", "pause", "--state", state, CID], env).stdout)
            assert c["via"] == "request" and c["applied"] is True, c
            out, err = p.communicate(timeout=60)
            assert p.returncode == 3, f"exit {p.returncode}\n{out}{err}"
            first = last_json(out)
            assert first["paused"] is True and first["done"] < CARDS - WRONG, first
            second = last_json(run(base + ["--resume", toml], env).stdout)
        finally:
            smsc.send_signal(signal.SIGTERM)
            smsc.communicate(timeout=60)
        done = CARDS - WRONG
        # The resumed run counts the cards the first one finished too.
        assert second["done"] == done and second["failed"] == WRONG, second
        assert second["resumed_terminal"] == first["cards"], (first, second)
        alerts = first["alerts"] + second["alerts"]

        # The report and the cards CSV.
        html_path = os.path.join(work, "report.html")
        csv_path = os.path.join(work, "cards.csv")
        r = last_json(run([otaflow, "campaign", "report", "--state", state, CID, "--out",
                           html_path, "--csv", csv_path], env).stdout)
        assert r == {"campaign": CID, "report": html_path, "cards": CARDS, "csv": csv_path,
                     "csv_rows": CARDS}, r
        raw = open(csv_path, newline="").read()
        assert raw.startswith("iccid,variant,state,attempts,counters,por_status,reason,"
                              "first_at,last_at\r\n"), raw[:200]
        cards = list(csv.DictReader(io.StringIO(raw, newline="")))
        assert len(cards) == CARDS and len({c["iccid"] for c in cards}) == CARDS
        by_state = {}
        for c in cards:
            by_state[c["state"]] = by_state.get(c["state"], 0) + 1
        assert by_state == {"done": done, "failed": WRONG}, by_state
        iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        for c in cards:
            assert iso.match(c["first_at"]) and iso.match(c["last_at"]), c
            assert c["first_at"] <= c["last_at"], c
            assert c["variant"] == "default", c
            if c["state"] == "done":
                assert c["por_status"] == "00" and c["reason"] == "", c
                assert len(c["counters"].split()) >= 1 and c["attempts"] in ("1", "2"), c
            else:
                assert c["iccid"] in wrong_iccids, c
                assert c["attempts"] == "2" and len(c["counters"].split()) == 2, c
                assert c["reason"].startswith("attempts exhausted (2)"), c
        failed_reasons = {}
        for c in cards:
            if c["state"] == "failed":
                failed_reasons[c["reason"]] = failed_reasons.get(c["reason"], 0) + 1
        # A reason with a comma is quoted (RFC 4180) and reads back whole.
        if any("," in k for k in failed_reasons):
            assert '"attempts exhausted' in raw, raw[:2000]

        keep = os.environ.get("OTAFLOW_REPORT_KEEP")  # a directory to keep the files in
        if keep:
            shutil.copy(html_path, keep)
            shutil.copy(csv_path, keep)
        html = open(html_path).read()
        assert "<script" not in html and "src=" not in html and "href=" not in html
        assert html.count("<svg") >= 3, html.count("<svg")
        assert f"<h1>{CID}<span class=\"badge done\">done</span></h1>" in html, html[:3000]
        tiles = re.findall(r'<div class="v">([^<]*)</div><div class="l">([^<]*)</div>', html)
        assert (str(CARDS), "cards") in tiles and (str(done), f"done · {100 * done / CARDS:.1f} %") in tiles, tiles
        for reason, n in failed_reasons.items():
            esc = reason.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#39;")
            assert f"<td>{esc}</td><td class=\"n\">{n}</td>" in html, (reason, n)
        assert "<td>pause</td><td>running → paused (by cli)</td>" in html
        assert "<td>resume</td><td>paused → running (by run --resume)</td>" in html
        for a in alerts:
            assert f"<td>{a['kind']}</td>" in html, a
        if not alerts:
            assert "No alert was raised." in html

        # One card's history, from queued to its final state.
        wrong = sorted(wrong_iccids)[0]
        st = last_json(run([otaflow, "campaign", "status", "--state", state, CID, "--iccid",
                            wrong], env).stdout)
        states = [h["state"] for h in st["history"]]
        assert states[0] == "queued" and states[-1] == "failed", st
        assert states.count("packaging") == 2, st  # two attempts
        assert [h["attempt"] for h in st["history"]][-1] == 2, st

        # The audit log as JSON lines.
        ex = run([otaflow, "audit", "export", "--state", state, "--campaign", CID], env)
        recs = [json.loads(l) for l in ex.stdout.splitlines()]
        assert recs and all(x["campaign"] == CID for x in recs)
        assert [x["seq"] for x in recs] == sorted(x["seq"] for x in recs)
        controls = [(x["details"]["action"], x["details"]["by"]) for x in recs
                    if x["type"] == "control"]
        assert controls == [("pause", "cli"), ("resume", "run --resume")], controls
        assert len([x for x in recs if x["type"] == "alert"]) == len(alerts), alerts
        mine = [json.loads(l) for l in run([otaflow, "audit", "export", "--state", state,
                                            "--iccid", wrong], env).stdout.splitlines()]
        assert mine and all(x["iccid"] == wrong for x in mine)
        assert [x for x in mine if x["type"] == "state"][-1]["details"]["state"] == "failed", mine
        everything = ex.stdout.lower() + html.lower() + raw.lower()
        leaked = [s for s in secrets_in_fleet if s in everything]
        assert not leaked, f"key material in the output: {leaked[:3]}"
        print(f"ok: report of {CARDS} cards ({done} done, {WRONG} failed), {len(recs)} audit "
              f"records, {len(alerts)} alerts; {time.time() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
