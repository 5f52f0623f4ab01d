#!/usr/bin/env python3
"""SMSC routes with fail-over (issue 17): `campaign run --routes` against three smsc-sim.

A fleet of CARDS cards of two networks (the engine's repository gets IMSIs 26201... for the
first A_CARDS cards, 26202... for the rest). Three `otaflow smsc-sim` processes, each with its
own account, state directory and fleet CSV: "home" (network A) and "hub" know only A's cards,
"net-b" only B's, so a card sent on a route not allowed for it meets an unknown subscriber and
cannot end `done`. The routes file: home (match mcc_mnc 262-01, fall-back hub, down_after 1s),
net-b (262-02, no fall-back), hub (catch-all), each with its own rate. Home's simulator is
killed (SIGKILL) mid-campaign and started again on the same port and state a few seconds later.
Asserted:
  - every card `done`; no simulator met an unknown MSISDN (each card went out on an allowed
    route only);
  - the hub carried some of A's cards while home was down (its simulator's submits, the run's
    per-route counters), and home carried cards again after its return;
  - each surviving simulator's submit rate (its summary: the peak of a whole second and the
    mean) is within its route's rate plus a small margin;
  - `campaign plan --routes` counts the cards per route; a routes file readable by others is
    refused with its path, and --routes with --smsc is a usage error.
Usage: campaign_routes_test.py OTAFLOW_BINARY
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

CARDS = 400
A_CARDS = 240
CID = "routes-fplmn"
FPLMN = "00F130FFFFFFFFFFFFFFFFFF"
RATES = {"home": 40, "net-b": 30, "hub": 25}
ACCOUNTS = {"home": ("home", "pw-home"), "net-b": ("netb", "pw-b"), "hub": ("hub", "pw-hub")}


class Sim:
    """One smsc-sim process: its account, port, state directory and fleet CSV."""

    def __init__(self, otaflow, env, name, work, fleet):
        self.otaflow, self.env, self.name, self.fleet = otaflow, env, name, fleet
        self.port = free_port()
        self.state = os.path.join(work, "sim-" + name)
        self.proc = None

    def start(self):
        sid, pw = ACCOUNTS[self.name]
        self.proc = subprocess.Popen(
            [self.otaflow, "smsc-sim", "--listen", f"127.0.0.1:{self.port}", "--fleet", self.fleet,
             "--state", self.state, "--system-id", sid],
            env=dict(self.env, OTAFLOW_SMPP_PASSWORD=pw), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_port(self.port)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.communicate(timeout=30)

    def summary(self):
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=60)
        assert self.proc.returncode == 0, f"{self.name}: exit {self.proc.returncode}\n{err[-2000:]}"
        return last_json(out)


# Per-route submit options ([route.submit]): the hub's messages carry priority 2 and a one-hour
# validity, net-b's a 30-minute one, home's neither (the bind's defaults).
ROUTE_SUBMIT = {"hub": 'priority = 2\nvalidity = "1h"', "net-b": 'validity = "30m"'}


def write_routes(path, sims, mode=0o600):
    text = ""
    for name, match, fallback in (("home", 'mcc_mnc = "262-01"', '["hub"]'),
                                  ("net-b", 'imsi_prefix = "26202"', "[]"),
                                  ("hub", None, "[]")):
        sid, pw = ACCOUNTS[name]
        text += f'''[[route]]
name = "{name}"
fallback = {fallback}
down_after = "1s"
[[route.smsc]]
address = "127.0.0.1:{sims[name].port}"
system_id = "{sid}"
password = "{pw}"
rate = {RATES[name]}
window = 64
reconnect_max = "300ms"
'''
        if match:
            text += f"[[route.match]]\n{match}\n"
        if name in ROUTE_SUBMIT:
            text += f"[route.submit]\n{ROUTE_SUBMIT[name]}\n"
        text += "\n"
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def main():
    otaflow = sys.argv[1]
    env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32))
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="otaflow-routes-") as work:
        state = os.path.join(work, "engine")
        fleet = os.path.join(work, "fleet.csv")
        run([otaflow, "fleet", "generate", "--count", str(CARDS), "--seed", "routes", "--out",
             fleet], env)
        rows = open(fleet).read().splitlines()
        header = rows[0].split(",")
        imsi_col, iccid_col = header.index("imsi"), header.index("iccid")
        a_rows, b_rows, imported = [], [], [rows[0]]
        for i, r in enumerate(rows[1:]):
            cols = r.split(",")
            cols[imsi_col] = ("26201" if i < A_CARDS else "26202") + cols[imsi_col][5:]
            (a_rows if i < A_CARDS else b_rows).append(r)
            imported.append(",".join(cols))
        a_iccids = {r.split(",")[iccid_col] for r in a_rows}
        # Each simulator's fleet holds only the cards its route may carry (plain CSVs).
        fleets = {}
        for name, subset in (("a", a_rows), ("b", b_rows)):
            fleets[name] = os.path.join(work, f"fleet-{name}.csv")
            with open(fleets[name], "w") as f:
                f.write("\n".join([rows[0]] + subset) + "\n")
        with open(os.path.join(work, "import.csv"), "w") as f:
            f.write("\n".join(imported) + "\n")
        run([otaflow, "subscribers", "import", "--state", state, os.path.join(work, "import.csv")],
            env)
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
window = 64
max_attempts = 6
por_timeout = "3s"
retry_backoff = "200ms"
[alerts]
enabled = false
''')
        sims = {"home": Sim(otaflow, env, "home", work, fleets["a"]),
                "net-b": Sim(otaflow, env, "net-b", work, fleets["b"]),
                "hub": Sim(otaflow, env, "hub", work, fleets["a"])}
        routes = os.path.join(work, "routes.toml")
        write_routes(routes, sims)

        # The plan: cards per route, nothing sent.
        plan = last_json(run([otaflow, "campaign", "plan", "--state", state, "--json", "--routes",
                              routes, toml], env).stdout)
        assert plan["routes"] == {"home": {"send": A_CARDS}, "net-b": {"send": CARDS - A_CARDS},
                                  "hub": {"send": 0}}, plan
        # A routes file others may read is refused, naming it; --routes excludes --smsc.
        loose = os.path.join(work, "loose.toml")
        write_routes(loose, sims, 0o644)
        r = run([otaflow, "campaign", "run", "--state", state, "--routes", loose, toml], env, 2)
        assert loose in r.stderr and "chmod 600" in r.stderr and "pw-home" not in r.stderr, r.stderr
        r = subprocess.run([otaflow, "campaign", "run", "--state", state, "--routes", routes,
                            "--smsc", "127.0.0.1:1", toml], env=env, capture_output=True,
                           text=True, timeout=60)
        assert r.returncode != 0 and "--smsc" in r.stderr and "--routes" in r.stderr, r.stderr

        for s in sims.values():
            s.start()
        summaries = {}
        try:
            p = subprocess.Popen([otaflow, "campaign", "run", "--state", state, "--routes", routes,
                                  toml], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
            time.sleep(2.0)
            sims["home"].kill()
            killed_at = time.time()
            time.sleep(3.0)
            sims["home"].start()
            restarted_at = time.time()
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, f"exit {p.returncode}\n{out}{err[-3000:]}"
            s = last_json(out)
        finally:
            for name, sim in sims.items():
                if sim.proc and sim.proc.poll() is None:
                    summaries[name] = sim.summary()
        rt = s["routes"]
        print(f"routes {json.dumps(rt)}\nsimulators {json.dumps(summaries)}")
        assert s["cards"] == CARDS and s["done"] == CARDS and s["failed"] == 0, s
        assert set(rt) == {"home", "net-b", "hub"}, rt
        # Every card on an allowed route: no simulator was asked for a card it does not hold.
        for name, sm in summaries.items():
            assert sm["unknown_msisdns"] == 0, (name, sm)
        # The hub carried A's cards while home was down, and only then.
        assert rt["hub"]["carried_for_others"] > 0 and rt["home"]["fallbacks"] > 0, rt
        assert rt["hub"]["submitted"] == rt["hub"]["carried_for_others"], rt
        assert summaries["hub"]["submits"] > 0, summaries["hub"]
        assert rt["net-b"]["fallbacks"] == 0 and rt["net-b"]["carried_for_others"] == 0, rt
        assert summaries["net-b"]["delivered"] >= CARDS - A_CARDS, summaries["net-b"]
        # Home carried cards again after its return (the restarted simulator's own count).
        assert summaries["home"]["submits"] > 0, summaries["home"]
        # Each route's rate held, as its simulator measured it.
        for name, sm in summaries.items():
            # The session's bucket holds max(1, rate/10) segments, sent at once after a pause:
            # a second (and a short run's mean) may see that many more than the rate.
            allowed = RATES[name] + max(1, RATES[name] / 10)
            peak, mean = sm["submits_per_s"]["peak"], sm["submits_per_s"]["mean"]
            assert peak <= allowed, (name, sm["submits_per_s"], RATES[name])
            assert mean <= allowed, (name, sm["submits_per_s"], RATES[name])
        # Each route's submit options, as its simulator received them (SMPP 3.4 §7.1.1 relative
        # times: 1 h is 000000010000000R, 30 min 000000003000000R; "" is no validity).
        opts = {n: x["submit_options"] for n, x in summaries.items()}
        assert opts["hub"]["priority"] == {"2": summaries["hub"]["submits"]}, opts
        assert opts["hub"]["validity_period"] == {"000000010000000R": summaries["hub"]["submits"]}
        assert opts["net-b"]["validity_period"] == {"000000003000000R":
                                                    summaries["net-b"]["submits"]}, opts
        assert opts["net-b"]["priority"] == {"0": summaries["net-b"]["submits"]}, opts
        assert opts["home"]["validity_period"] == {"": summaries["home"]["submits"]}, opts
        # A few cards' last message ids name the route they went out on.
        checked = 0
        for iccid in sorted(a_iccids)[:3] + [r.split(",")[iccid_col] for r in b_rows[:3]]:
            st = last_json(run([otaflow, "campaign", "status", "--state", state, CID, "--iccid",
                                iccid], env).stdout)
            route = st["message_id"].split("/")[0]
            assert route in (("home", "hub") if iccid in a_iccids else ("net-b",)), st
            checked += 1
        assert checked == 6
        print(f"campaign_routes: {CARDS} cards done in {s['seconds']} s; home killed at "
              f"+{killed_at - t0:.1f} s, back at +{restarted_at - t0:.1f} s; routes {json.dumps(rt)}; "
              f"rates {json.dumps({n: x['submits_per_s'] for n, x in summaries.items()})}; "
              f"test {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
