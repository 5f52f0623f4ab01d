#!/usr/bin/env python3
"""Counters never reused (issue 13): a state directory restored from a backup, then
`otaflow subscribers counters export / import`, against `otaflow smsc-sim` and its virtual
fleet (the cards check the counter: SPI 1621, "higher than").

  1. campaign A; copy the state directory (the backup); campaign B moves every card's counter
     past the backup's;
  2. export the counters from the live directory; restore the backup twice;
  3. restored + import --margin 5: campaign C, every card done and no PoR 02 on the fleet;
  4. restored without import (the control): campaign D, every card answers PoR 02 once, the
     engine skips ahead (security.counter_skip) and every card is done all the same;
  5. the command's refusals: lowering a counter, a bad import line (named by its number).
Usage: counters_restore_test.py OTAFLOW_BINARY
"""
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import free_port, last_json, wait_port  # noqa: E402

CARDS = 8

CAMPAIGN = '''id = "{id}"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
counter_skip = 20
[target]
all = true
[[update.files]]
path = "3F00/7FFF/6F7B"
data = "00F1{n:02X}FFFFFFFFFFFFFFFFFF"
[policy]
window = 8
max_attempts = 2
por_timeout = "5s"
retry_backoff = "200ms"
'''


def run(cmd, env, ok=(0,), **kw):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, **kw)
    if r.returncode not in ok:
        sys.stderr.write(r.stdout + r.stderr)
        raise RuntimeError(f"{' '.join(cmd[1:4])} exited {r.returncode}")
    return r


def campaign(otaflow, env, work, fleet, engine, n):
    """Runs campaign n against a fresh smsc-sim on the fleet; returns (summary, fleet stats)."""
    path = os.path.join(work, f"c{n}.toml")
    with open(path, "w") as fh:
        fh.write(CAMPAIGN.format(id=f"c{n}", n=n))
    port = free_port()
    smsc = subprocess.Popen(
        [otaflow, "smsc-sim", "--listen", f"127.0.0.1:{port}", "--fleet", fleet,
         "--state", os.path.join(work, "cards"), "--system-id", "t"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_port(port)
        out = run([otaflow, "campaign", "run", "--state", engine, "--smsc", f"127.0.0.1:{port}",
                   "--system-id", "t", path], env).stdout
    finally:
        smsc.send_signal(signal.SIGTERM)
        sout, serr = smsc.communicate(timeout=60)
    assert smsc.returncode == 0, serr[-2000:]
    stats = [line for line in sout.splitlines() if line.startswith("{") and "por_status" in line]
    assert stats, sout[-2000:]
    summary = last_json(out)
    print(f"campaign c{n}: {json.dumps(summary['por_status'])}, fleet "
          f"{json.dumps(json.loads(stats[-1])['por_status'])}", flush=True)
    return summary, json.loads(stats[-1])


def counters_of(otaflow, env, engine, iccid):
    return json.loads(run([otaflow, "subscribers", "counters", "--state", engine, iccid],
                          env).stdout)["counters"]


def main():
    otaflow = sys.argv[1]
    # The SMPP password of smsc-sim and campaign run (never on a command line).
    env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32), OTAFLOW_SMPP_PASSWORD="t")
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="otaflow-counters-") as work:
        fleet = os.path.join(work, "fleet.csv")
        run([otaflow, "fleet", "generate", "--count", str(CARDS), "--seed", "counters",
             "--out", fleet], env)
        iccids = [row.split(",")[0] for row in open(fleet).read().splitlines()[1:]]
        live = os.path.join(work, "engine")
        run([otaflow, "subscribers", "import", "--state", live, fleet], env)

        # 1. A, the backup, B.
        s, _ = campaign(otaflow, env, work, fleet, live, 1)
        assert s["done"] == CARDS, s
        backup = os.path.join(work, "backup")
        shutil.copytree(live, backup)
        s, _ = campaign(otaflow, env, work, fleet, live, 2)
        assert s["done"] == CARDS, s
        high = counters_of(otaflow, env, live, iccids[0])
        old = counters_of(otaflow, env, backup, iccids[0])
        assert high["1"] > old["1"] >= 1, (high, old)

        # 2. Export from the live directory.
        export = os.path.join(work, "counters.csv")
        ex = json.loads(run([otaflow, "subscribers", "counters", "export", "--state", live,
                             export], env).stdout)
        assert ex["rows"] == CARDS and ex["unreadable"] == [], ex
        lines = open(export).read().splitlines()
        assert lines[0] == "iccid,kvn,counter", lines[:2]
        rows = {line.split(",")[0]: int(line.split(",")[2]) for line in lines[1:]}
        assert rows[iccids[0]] == high["1"] and len(rows) == CARDS, rows

        # 3. Restored + import: no PoR 02.
        restored = os.path.join(work, "restored")
        shutil.copytree(backup, restored)
        imp = json.loads(run([otaflow, "subscribers", "counters", "import", "--state", restored,
                              "--margin", "5", export], env).stdout)
        assert imp["raised"] == CARDS and imp["unchanged"] == 0 and imp["refused"] == [], imp
        assert counters_of(otaflow, env, restored, iccids[0])["1"] == high["1"] + 5
        again = json.loads(run([otaflow, "subscribers", "counters", "import", "--state",
                                restored, export], env).stdout)
        assert again["raised"] == 0 and again["unchanged"] == CARDS, again  # never lowers
        s, stats = campaign(otaflow, env, work, fleet, restored, 3)
        assert s["done"] == CARDS and s["failed"] == 0, s
        assert stats["por_status"].get("02", 0) == 0, stats

        # 4. The control: restored without import. Each card answers 02 once, then done.
        control = os.path.join(work, "control")
        shutil.copytree(backup, control)
        s, stats = campaign(otaflow, env, work, fleet, control, 4)
        assert s["done"] == CARDS and s["failed"] == 0, s
        assert stats["por_status"].get("02", 0) == CARDS, stats
        job = last_json(run([otaflow, "campaign", "status", "--state", control, "c4", "--iccid",
                             iccids[0]], env).stdout)
        assert job["state"] == "done" and job["attempt"] == 2, job
        assert job["counter"] == old["1"] + 22, (job, old)
        after = counters_of(otaflow, env, control, iccids[0])["1"]
        assert after == old["1"] + 1 + 1 + 20, (after, old)  # 02, then skipped by 20

        # 5. Refusals: lowering, and a bad line named by its number (the others applied).
        r = run([otaflow, "subscribers", "counters", "--state", control, iccids[0], "--kvn", "1",
                 "--raise-to", "3"], env, ok=(1,))
        assert "would lower it" in r.stderr, r.stderr
        r = run([otaflow, "subscribers", "counters", "--state", control, iccids[0], "--kvn", "1",
                 "--raise-by", "1000"], env)
        assert json.loads(r.stdout) == {"iccid": iccids[0], "kvn": 1, "old": after,
                                        "new": after + 1000}, r.stdout
        bad = os.path.join(work, "bad.csv")
        with open(bad, "w") as fh:
            fh.write(f"iccid,kvn,counter\n{iccids[1]},1,999999\n{iccids[2]},16,5\n"
                     f"{iccids[3]},1\n")
        r = run([otaflow, "subscribers", "counters", "import", "--state", control, bad], env,
                ok=(1,))
        summary = json.loads(r.stdout)
        assert summary["raised"] == 1 and summary["unchanged"] == 0, summary
        assert [x["line"] for x in summary["refused"]] == [3, 4], summary
        assert "kvn '16'" in summary["refused"][0]["reason"], summary
        assert counters_of(otaflow, env, control, iccids[1])["1"] == 999999
    print(f"ok: {CARDS} cards, backup restored + import: no PoR 02; without: one 02 each, "
          f"skipped ahead, done ({time.time() - started:.1f} s)")


if __name__ == "__main__":
    main()
