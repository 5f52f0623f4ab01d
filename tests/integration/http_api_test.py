#!/usr/bin/python3
"""The HTTP API and the live dashboard of `otaflow campaign run --http` (issue 15).

Against `otaflow smsc-sim` with the virtual fleet:
  1. Control: a run of campaign "ctl" with OTAFLOW_HTTP_TOKEN set. POST .../pause without a
     token and with a wrong one get 401 and change nothing; with the token 202, and the run
     ends paused (exit 3) with the campaign stored `paused`. A run without a token answers 403.
  2. Reads: during a slow run of campaign "live" (600 cards at 40 SMS/s): /healthz, /readyz,
     /api/v1/campaigns, /api/v1/campaigns/live (counts add up), one card's job with its
     history, a JSON 404 for an unknown campaign; no update data in any answer.
  3. The dashboard in headless Chromium (dashboard_browser.py): no console error, the counts it
     shows lie between two API reads while the run goes and equal them at the end, all 600
     cards done; a screenshot (kept in $OTAFLOW_DASHBOARD_SHOT when set).
Skips (exit 77) when chromium, chromedriver or python3-selenium is missing.
Usage: http_api_test.py OTAFLOW_BINARY
"""
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from testlib import free_port, run, wait_port  # noqa: E402

CARDS = 600
FPLMN = "00F120FFFFFFFFFFFFFFFFFF"
TOKEN = "t0ken-" + secrets.token_hex(12)


def http(method, url, token=None):
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def campaign_file(work, cid, rate):
    path = os.path.join(work, cid + ".toml")
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
window = 10
max_attempts = 2
por_timeout = "10s"
''')
    return path


def start_run(otaflow, env, state, port, toml, http_port, linger=0):
    return subprocess.Popen(
        [otaflow, "campaign", "run", "--state", state, "--smsc", f"127.0.0.1:{port}",
         "--system-id", "test", "--http", f"127.0.0.1:{http_port}",
         "--http-linger", str(linger), toml],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_done_above(base, cid, n, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, "campaign run ended early:\n" + proc.stderr.read()
        code, body = http("GET", f"{base}/api/v1/dashboard")
        if code == 200:
            for c in body["campaigns"]:
                if c["id"] == cid and c["states"]["done"] > n:
                    return
        time.sleep(0.2)
    raise AssertionError(f"campaign {cid}: no more than {n} cards done after {timeout} s")


def control(otaflow, env, work, state, port):
    toml = campaign_file(work, "ctl", 20)
    hp = free_port()
    base = f"http://127.0.0.1:{hp}"
    camp = start_run(otaflow, dict(env, OTAFLOW_HTTP_TOKEN=TOKEN), state, port, toml, hp)
    try:
        wait_port(hp)
        wait_done_above(base, "ctl", 0, camp)
        code, body = http("POST", f"{base}/api/v1/campaigns/ctl/pause")
        assert code == 401, (code, body)
        code, body = http("POST", f"{base}/api/v1/campaigns/ctl/pause", "wrong-" + TOKEN)
        assert code == 401, (code, body)
        assert camp.poll() is None, "the run ended without a valid pause"
        code, body = http("POST", f"{base}/api/v1/campaigns/ctl/pause", TOKEN)
        assert code == 202 and body["action"] == "pause", (code, body)
        out, err = camp.communicate(timeout=60)
        assert camp.returncode == 3, f"exit {camp.returncode}, wanted 3 (paused)\n{err[-2000:]}"
    finally:
        if camp.poll() is None:
            camp.kill()
    st = json.loads(run([otaflow, "campaign", "status", "--state", state, "ctl"], env).stdout.splitlines()[-1])
    assert st["status"] == "paused" and 0 < st["done"] < CARDS, st
    # The token never reached the output.
    assert TOKEN not in out + err
    print("control:", json.dumps({"paused_after_done": st["done"]}), flush=True)


def reads_and_browser(otaflow, env, work, state, port, fleet):
    toml = campaign_file(work, "live", 40)
    hp = free_port()
    base = f"http://127.0.0.1:{hp}"
    camp = start_run(otaflow, env, state, port, toml, hp, linger=20)
    try:
        wait_port(hp)
        assert http("GET", f"{base}/healthz") == (200, {"status": "alive"})
        code, ready = http("GET", f"{base}/readyz")
        assert code in (200, 503) and "ready" in ready, (code, ready)
        wait_done_above(base, "live", 5, camp)
        code, ready = http("GET", f"{base}/readyz")
        assert code == 200 and ready["ready"], ready
        code, lst = http("GET", f"{base}/api/v1/campaigns")
        assert code == 200 and "live" in [c["id"] for c in lst["campaigns"]], lst
        code, one = http("GET", f"{base}/api/v1/campaigns/live")
        assert code == 200 and one["id"] == "live" and one["status"] == "running", one
        assert sum(one["states"].values()) == one["cards"] and one["done"] > 0, one
        assert one["alerts"] == [], one  # a clean run raises none
        assert FPLMN.lower() not in json.dumps(one).lower(), "update data in the view"
        code, missing = http("GET", f"{base}/api/v1/campaigns/nope")
        assert code == 404 and "error" in missing, (code, missing)
        code, body = http("POST", f"{base}/api/v1/campaigns/live/pause", TOKEN)
        assert code == 403, ("control without a configured token", code, body)
        shot = os.environ.get("OTAFLOW_DASHBOARD_SHOT") or os.path.join(work, "dashboard.png")
        t0 = time.time()
        r = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "dashboard_browser.py"), base,
                            "live", str(CARDS), shot], capture_output=True, text=True, timeout=400)
        sys.stdout.write(r.stdout)
        assert r.returncode == 0, (f"dashboard_browser failed after {time.time() - t0:.1f} s "
                                   f"(run exit {camp.poll()}):\n" + r.stderr[-3000:])
        assert os.path.getsize(shot) > 10000, "screenshot too small"
        code, one = http("GET", f"{base}/api/v1/campaigns/live")
        assert code == 200 and one["done"] == CARDS, one
        # Every card is done now: one card's job, with its history of state changes.
        iccid = open(fleet).read().splitlines()[1].split(",")[0]
        code, card = http("GET", f"{base}/api/v1/campaigns/live/cards/{iccid}")
        assert code == 200 and card["iccid"] == iccid and card["campaign"] == "live", (code, card)
        assert card["state"] == "done" and card["por_status"] == "00", card
        states = [h["state"] for h in card["history"]]
        assert states and states[-1] == "done", card
        code, card = http("GET", f"{base}/api/v1/campaigns/live/cards/8988211999999999999")
        assert code == 404 and "error" in card, (code, card)
    finally:
        if camp.poll() is None:
            camp.kill()
        camp.wait()


def main():
    missing = [t for t in ("/usr/bin/chromium", "/usr/bin/chromedriver") if not os.path.exists(t)]
    if missing or subprocess.run(["/usr/bin/python3", "-c", "import selenium"]).returncode != 0:
        print("SKIP: needs chromium, chromium-driver and python3-selenium", missing)
        return 77
    otaflow = sys.argv[1]
    # The SMPP password of smsc-sim and campaign run (never on a command line).
    env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32), OTAFLOW_SMPP_PASSWORD="test")
    env.pop("OTAFLOW_HTTP_TOKEN", None)
    with tempfile.TemporaryDirectory(prefix="otaflow-http-api-") as work:
        state = os.path.join(work, "engine")
        fleet = os.path.join(work, "fleet.csv")
        run([otaflow, "fleet", "generate", "--count", str(CARDS), "--seed", "http", "--out",
             fleet], env)
        run([otaflow, "subscribers", "import", "--state", state, fleet], env)
        port = free_port()
        smsc = subprocess.Popen(
            [otaflow, "smsc-sim", "--listen", f"127.0.0.1:{port}", "--fleet", fleet, "--state",
             os.path.join(work, "cards"), "--system-id", "test"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            wait_port(port)
            control(otaflow, env, work, state, port)
            reads_and_browser(otaflow, env, work, state, port, fleet)
        finally:
            smsc.terminate()
            smsc.wait()
    print("http_api: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
