#!/usr/bin/env python3
"""`otaflow campaign run --kafka` against a real broker, read back with kcat (issue 15).

A fleet of 400 cards behind `otaflow smsc-sim`; the repository holds wrong KID keys for the
first 40 cards (they answer PoR 01 and fail, max_attempts = 1), so the campaign raises a
por_error alert (min_cards 50) without pausing. The run emits to topics of its own:
  - the status topic: every card has exactly one terminal status event (360 done, 40 failed),
    keyed by its ICCID, with the events' fields of serve (docs/EVENTS.md), the terminal one
    last of the card's events (one partition per key keeps their order);
  - the alert topic: the por_error alert, keyed by the campaign, action "none".
Consumed with kcat -X isolation.level=read_committed.
Usage: campaign_run_kafka_test.py OTAFLOW_BINARY
Needs OTAFLOW_KAFKA_BROKERS (scripts/kafka.sh start prints it) and kcat; else skipped (77).
"""
import collections
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import free_port, wait_port  # noqa: E402

CARDS = 400
WRONG = 40
FPLMN = "00F120FFFFFFFFFFFFFFFFFF"


def run(cmd, env, code=0, timeout=300):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == code, f"{cmd[1:3]}: exit {r.returncode}, wanted {code}:\n{r.stdout}{r.stderr}"
    return r


def consume(brokers, topic):
    """Every committed record of the topic: (key, value) pairs."""
    r = subprocess.run(["kcat", "-b", brokers, "-t", topic, "-C", "-o", "beginning", "-e", "-q",
                        "-X", "isolation.level=read_committed", "-f", "%k\t%s\n"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"kcat {topic}: exit {r.returncode}: {r.stderr}"
    return [tuple(line.split("\t", 1)) for line in r.stdout.splitlines() if line]


def main():
    otaflow = sys.argv[1]
    brokers = os.environ.get("OTAFLOW_KAFKA_BROKERS", "")
    if not brokers:
        print("SKIPPED: OTAFLOW_KAFKA_BROKERS is not set (scripts/kafka.sh start prints it)")
        return 77
    if shutil.which("kcat") is None:
        print("SKIPPED: kcat not found")
        return 77
    # The SMPP password of smsc-sim and campaign run (never on a command line).
    env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32), OTAFLOW_SMPP_PASSWORD="test")
    tag = f"crk{os.getpid()}x{secrets.token_hex(3)}"
    status_topic, alert_topic = f"{tag}.status", f"{tag}.alerts"
    with tempfile.TemporaryDirectory(prefix="otaflow-run-kafka-") as work:
        state = os.path.join(work, "engine")
        fleet = os.path.join(work, "fleet.csv")
        run([otaflow, "fleet", "generate", "--count", str(CARDS), "--seed", "runkafka", "--out",
             fleet], env)
        rows = open(fleet).read().splitlines()
        header = rows[0].split(",")
        kid = header.index("kid1")
        iccids = [r.split(",")[0] for r in rows[1:]]
        wrong_csv = os.path.join(work, "repo.csv")
        with open(wrong_csv, "w") as f:
            f.write(rows[0] + "\n")
            for i, r in enumerate(rows[1:]):
                cols = r.split(",")
                if i < WRONG:
                    cols[kid] = "11" * 16
                f.write(",".join(cols) + "\n")
        run([otaflow, "subscribers", "import", "--state", state, wrong_csv], env)
        toml = os.path.join(work, "c.toml")
        with open(toml, "w") as f:
            f.write(f'''id = "{tag}"
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
rate = 2000
window = 50
max_attempts = 1
por_timeout = "10s"
[alerts]
min_cards = 50
''')
        port = free_port()
        smsc = subprocess.Popen(
            [otaflow, "smsc-sim", "--listen", f"127.0.0.1:{port}", "--fleet", fleet, "--state",
             os.path.join(work, "cards"), "--system-id", "test"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_port(port)
            r = run([otaflow, "campaign", "run", "--state", state, "--smsc", f"127.0.0.1:{port}",
                     "--system-id", "test", "--kafka", brokers,
                     "--status-topic", status_topic, "--alert-topic", alert_topic, toml], env)
        finally:
            smsc.send_signal(signal.SIGTERM)
            smsc.communicate(timeout=60)
        summary = json.loads(r.stdout.strip().splitlines()[-1])
        assert summary["done"] == CARDS - WRONG and summary["failed"] == WRONG, summary

    statuses = consume(brokers, status_topic)
    per_card = collections.defaultdict(list)
    for key, value in statuses:
        e = json.loads(value)
        assert e["campaign"] == tag and e["iccid"] == key, (key, e)
        per_card[key].append(e)
    assert sorted(per_card) == sorted(iccids), f"{len(per_card)} cards with events, {CARDS} sent"
    wrong = set(iccids[:WRONG])
    for iccid, events in per_card.items():
        terminal = [e for e in events if e["state"] in ("done", "failed", "skipped")]
        assert len(terminal) == 1, (iccid, events)
        assert events[-1] is terminal[0], ("terminal status not last", iccid, events)
        want = "failed" if iccid in wrong else "done"
        assert terminal[0]["state"] == want, (iccid, terminal)
    alerts = consume(brokers, alert_topic)
    assert alerts, "no alert event"
    kinds = {json.loads(v)["kind"] for _, v in alerts}
    assert "por_error" in kinds, alerts
    for key, value in alerts:
        a = json.loads(value)
        assert key == tag and a["campaign"] == tag and a["action"] == "none", (key, a)
    print(f"ok: {len(statuses)} status events, one terminal per card ({CARDS - WRONG} done, "
          f"{WRONG} failed); {len(alerts)} alert(s): {sorted(kinds)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
