#!/usr/bin/env python3
"""`otaflow demo`, the main job, end to end: every card of the generated fleet reaches a
verified PoR and holds the update when read back through its APDU interface, the repository's
extra cards (unknown to the network) fail with a reason, every status event is acknowledged
by the embedded Kafka cluster, and the temporary state directory is removed (or kept with
--state).
Usage: demo_test.py OTAFLOW_BINARY
"""
import json
import os
import subprocess
import sys
import tempfile

CARDS = 20000
UNKNOWN = 3  # the demo's repository holds 3 cards the network does not know


def check(cond, what):
    if not cond:
        print("FAIL " + what)
        sys.exit(1)
    print("ok   " + what)


def run_demo(binary, args, env):
    p = subprocess.run([binary, "demo", "--cards", str(CARDS), "--json"] + args,
                       capture_output=True, text=True, env=env, timeout=600)
    check(p.returncode == 0, "demo exits 0 (%d: %s)" % (p.returncode, p.stderr[-500:]))
    return json.loads(p.stdout)


def check_summary(j):
    check(j["cards"] == CARDS + UNKNOWN, "cards %d" % j["cards"])
    check(j["done"] == CARDS, "done %d" % j["done"])
    check(j["failed"] == UNKNOWN, "failed %d" % j["failed"])
    check(j["verified_on_cards"] == CARDS and j["not_updated_on_cards"] == 0,
          "EF_FPLMN read back from every card (%d, %d not updated)" %
          (j["verified_on_cards"], j["not_updated_on_cards"]))
    check(j["por_status"] == {"00": CARDS}, "PoR 00 from every card: %s" % j["por_status"])
    check(j["smsc"]["delivered"] == CARDS and j["smsc"]["pors"] == CARDS,
          "the SMSC delivered %d SMs and relayed %d PoRs" %
          (j["smsc"]["delivered"], j["smsc"]["pors"]))
    check(j["status_events"] == j["status_events_acked_by_kafka"] and
          j["status_events"] >= 3 * CARDS,
          "status events %d, acknowledged %d" %
          (j["status_events"], j["status_events_acked_by_kafka"]))
    check(j["smpp_client"]["lost"] == 0, "no submit lost")
    lat = j["latency_ms"]
    check(0 < lat["p50"] <= lat["p99"] <= lat["max"], "latency p50 <= p99 <= max: %s" % lat)
    check(j["peak_rss_mb"] > 0 and j["setup_seconds"] >= 0 and
          j["total_seconds"] + 0.25 >= j["setup_seconds"] + j["seconds"] +
          j["status_flush_seconds"] + j["verify_seconds"],
          "peak RSS and the phases' timings present, within the total")


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, TMPDIR=tmp)
        check_summary(run_demo(binary, [], env))
        check(os.listdir(tmp) == [], "the temporary state directory is removed: %s" %
              os.listdir(tmp))
        state = os.path.join(tmp, "kept")
        check_summary(run_demo(binary, ["--state", state], env))
        check(sorted(os.listdir(state)) == ["engine", "fleet"],
              "--state keeps the engine's and the fleet's stores: %s" % os.listdir(state))
        check(os.path.exists(os.path.join(state, "engine", "CURRENT")),
              "the engine's repository is a RocksDB directory")


if __name__ == "__main__":
    main()
