#!/usr/bin/env python3
"""A RAM campaign (`[update.ram]`, docs/CAMPAIGNS.md "RAM") on virtual cards, end to end.

A generated fleet imported into the profile repository and served by `otaflow smsc-sim
--state`. The test builds a CAP file of about 5 KB (a ZIP with its components, like the Java
Card converter's output) and:
  1. `campaign plan` shows the steps and SMS per card;
  2. one campaign loads it (INSTALL [for load] with its SHA-256 hash, the LOADs across several
     concatenated-SMS packets), installs an instance and lists the applications; `campaign run`
     is killed with SIGKILL once cards are mid-load, then run again to the end: every card
     `done`, no PoR 02; `sim show` of sample cards lists the package and the instance;
     `campaign status --iccid` shows a card's job on its last step, with the listing decoded
     (the new instance among the applications);
  3. a list-only campaign lists the packages with their modules: a listing too large for one
     SMS, so each card's PoR comes back concatenated and the engine reassembles it;
  4. a third campaign deletes the package with its related objects: every card `done`, the
     package and the instance gone.
RAM campaigns need one approval (docs/SECURITY.md "Four eyes"): each is signed by one operator.
Usage: campaign_ram_test.py OTAFLOW_BINARY [--cards N]
"""
import argparse
import io
import json
import os
import random
import secrets
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import approvers, free_port, last_json, sign, wait_port  # noqa: E402

PKG = "A000000087200601"
APPLET = "A00000008720060101"
INSTANCE = "A0000000872006010101"


def comp(tag, body):
    return bytes([tag]) + struct.pack(">H", len(body)) + body


def build_cap(size=5000):
    """A CAP ZIP whose components are structurally valid (JCVM 3.0.5 §6): Header with the
    package AID, Applet with one applet, and a Method component that brings it to ~size."""
    pkg, applet = bytes.fromhex(PKG), bytes.fromhex(APPLET)
    rnd = random.Random(16)
    comps = {
        "Header": comp(1, struct.pack(">I", 0xDECAFFED) + bytes([1, 2, 0, 0, 1, len(pkg)]) + pkg),
        "Directory": comp(2, bytes(range(20))),
        "Applet": comp(3, bytes([1, len(applet)]) + applet + b"\x00\x10"),
        "Import": comp(4, bytes.fromhex("01000107a0000000620001")),
        "ConstantPool": comp(5, bytes.fromhex("000101000000")),
        "Class": comp(6, bytes(30)),
        "StaticField": comp(8, bytes(10)),
        "RefLocation": comp(9, bytes(4)),
    }
    used = sum(len(c) for c in comps.values())
    comps["Method"] = comp(7, bytes(rnd.randrange(256) for _ in range(size - used - 3)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        for i, (name, data) in enumerate(comps.items()):
            info = zipfile.ZipInfo("com/example/ram/javacard/%s.cap" % name,
                                   date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED if i % 2 else zipfile.ZIP_STORED
            z.writestr(info, data)
    return out.getvalue(), sum(len(c) for c in comps.values())


HEAD = '''id = "{id}"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "000000"
[target]
all = true
[policy]
rate = 20000
window = {window}
max_attempts = 5
por_timeout = "10s"
retry_backoff = "200ms"
'''

LOAD = '''[update.ram]
load = "ram.cap"
hash = "sha256"
max_sms = 3
list = ["apps"]
[[update.ram.install]]
package = "{pkg}"
module = "{applet}"
instance = "{instance}"
privileges = "00"
params = "0102"
'''

LIST = '''[update.ram]
list = ["modules"]
'''

DELETE = '''[update.ram]
[[update.ram.delete]]
aid = "{pkg}"
related = true
'''


def run(cmd, env, check=True, timeout=300):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise RuntimeError(f"{' '.join(cmd[1:3])} exited {r.returncode}")
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("otaflow")
    ap.add_argument("--cards", type=int, default=1000)
    a = ap.parse_args()
    otaflow, cards_n = a.otaflow, a.cards
    env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32), OTAFLOW_SMPP_PASSWORD="test")
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="otaflow-ram-") as work:
        csv = os.path.join(work, "fleet.csv")
        run([otaflow, "fleet", "generate", "--count", str(cards_n), "--seed", "ram", "--out",
             csv], env)
        iccids = [row.split(",")[0] for row in open(csv).read().splitlines()[1:]]
        engine = os.path.join(work, "engine")
        run([otaflow, "subscribers", "import", "--state", engine, csv], env)
        cap, load_file_len = build_cap()
        with open(os.path.join(work, "ram.cap"), "wb") as fh:
            fh.write(cap)
        approvals, keys, _ = approvers(otaflow, env, work)

        def campaign_file(name, body):
            path = os.path.join(work, name + ".toml")
            with open(path, "w") as fh:
                fh.write(HEAD.format(id=name, window=min(cards_n, 1000)) +
                         body.format(pkg=PKG, applet=APPLET, instance=INSTANCE))
            sign(otaflow, env, path, {"alice": keys["alice"]})
            return path

        port = free_port()
        cards_dir = os.path.join(work, "cards")

        def start_sim():
            p = subprocess.Popen(
                [otaflow, "smsc-sim", "--listen", f"127.0.0.1:{port}", "--fleet", csv,
                 "--state", cards_dir, "--system-id", "test"],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            wait_port(port)
            return p

        def stop_sim(p):
            p.send_signal(signal.SIGTERM)
            _, err = p.communicate(timeout=60)
            assert p.returncode == 0, err[-2000:]

        def registry(iccid):
            return json.loads(run([otaflow, "sim", "show", "--state", cards_dir, "--iccid",
                                   iccid], env).stdout)["isd"]

        sample = random.Random(7).sample(iccids, min(10, cards_n))
        sim = start_sim()
        try:
            load = campaign_file("ram-load", LOAD)
            plan = json.loads(run([otaflow, "campaign", "plan", "--state", engine, "--json",
                                   "--approvals-config", approvals, load], env).stdout)
            ram = plan["variants"]["default"]["ram"]
            kinds = [s["kind"] for s in ram["step_sms"]]
            assert kinds[0] == "INSTALL [for load]" and kinds[-2:] == ["INSTALL", "GET STATUS"], ram
            assert kinds.count("LOAD") >= 5 and all(1 <= s["sms"] <= 3 for s in ram["step_sms"])
            print(f"plan: {ram['steps']} steps, {ram['sms']} SMS per card "
                  f"(load file {load_file_len} octets)", flush=True)
            cmd = [otaflow, "campaign", "run", "--state", engine, "--smsc", f"127.0.0.1:{port}",
                   "--system-id", "test", "--approvals-config", approvals]
            # Killed once cards are mid-load: the first card's job is past its third step.
            p = subprocess.Popen(cmd + [load], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            deadline = time.time() + 60
            while time.time() < deadline and p.poll() is None:
                time.sleep(0.2)
                st = run([otaflow, "campaign", "status", "--state", engine, "ram-load",
                          "--iccid", iccids[0]], env, check=False)
                if st.returncode == 0 and json.loads(st.stdout).get("step", 0) >= 3:
                    break
            p.send_signal(signal.SIGKILL)
            p.wait()
            s = json.loads(run([otaflow, "campaign", "status", "--state", engine, "ram-load"],
                               env).stdout)
            print("killed at:", json.dumps(s), flush=True)
            assert s["done"] < cards_n, s
            summary = last_json(run(cmd + [load], env).stdout)
            print("resumed:", json.dumps(summary), flush=True)
            assert summary["done"] == cards_n and summary["failed"] == 0, summary
            assert "02" not in summary["por_status"], summary
            job = json.loads(run([otaflow, "campaign", "status", "--state", engine, "ram-load",
                                  "--iccid", iccids[0]], env).stdout)
            assert job["state"] == "done" and job["step"] == ram["steps"] - 1, job
            steps = job["listing"]["steps"]
            assert [s["step"] for s in steps] == [ram["steps"] - 1], job
            apps = {e["aid"]: e for e in steps[0]["entries"]}
            assert apps[INSTANCE]["life_cycle"] == "07", apps  # SELECTABLE
            assert apps[INSTANCE]["load_file_aid"] == PKG, apps
            # The listing of packages and modules: more than one SMS of PoR (137 octets of
            # packet, 13 of them the PoR header and 3 the compact response's) comes back
            # concatenated; every card's job stores it whole.
            listed = last_json(run(cmd + [campaign_file("ram-list", LIST)], env).stdout)
            print("list:", json.dumps(listed), flush=True)
            assert listed["done"] == cards_n and listed["failed"] == 0, listed
            job = json.loads(run([otaflow, "campaign", "status", "--state", engine, "ram-list",
                                  "--iccid", iccids[0]], env).stdout)
            steps = job["listing"]["steps"]
            assert len(steps) == 1 and "entries" in steps[0], job
            pkgs = {e["aid"]: e for e in steps[0]["entries"]}
            assert pkgs[PKG]["modules"] == [APPLET], pkgs
            assert len(pkgs) >= 4, pkgs
            # The octets of the E3 entries, at least (the decoded fields' TLVs).
            least = sum(2 + 2 + len(e["aid"]) // 2 + 4 +
                        sum(2 + len(m) // 2 for m in e.get("modules", [])) +
                        (2 + len(e["associated_sd"]) // 2 if "associated_sd" in e else 0)
                        for e in pkgs.values())
            assert least > 137 - 13 - 3, (least, pkgs)
        finally:
            stop_sim(sim)
        for iccid in sample:
            reg = registry(iccid)
            pkgs = {x["aid"]: x for x in reg["packages"]}
            assert pkgs[PKG] == {"aid": PKG, "life_cycle": "LOADED", "modules": [APPLET]}, reg
            apps = {x["aid"]: x for x in reg["applets"]}
            assert apps[INSTANCE]["life_cycle"] == "SELECTABLE", apps
            assert apps[INSTANCE]["install_params"] == "C9020102", apps
            assert reg["load_in_progress"] is None, reg
        sim = start_sim()
        try:
            delete = campaign_file("ram-delete", DELETE)
            gone = last_json(run(cmd + [delete], env).stdout)
            print("delete:", json.dumps(gone), flush=True)
            assert gone["done"] == cards_n and gone["failed"] == 0, gone
        finally:
            stop_sim(sim)
        for iccid in sample:
            reg = registry(iccid)
            assert PKG not in [x["aid"] for x in reg["packages"]], reg
            assert INSTANCE not in [x["aid"] for x in reg["applets"]], reg
    print(f"ok: {cards_n} cards loaded a {len(cap)}-octet CAP ({ram['sms']} SMS each) through a "
          f"SIGKILL, installed and listed it, then deleted it ({time.time() - started:.1f} s)")


if __name__ == "__main__":
    main()
