#!/usr/bin/env python3
"""RAM on the virtual cards' Issuer Security Domain, end to end (issue 16, card side).

A small generated fleet imported into the profile repository and served by `otaflow smsc-sim
--state`. Two campaigns on TAR 000000 (the ISD's RAM in the default card profile) with raw
GlobalPlatform APDUs (`update.apdus`), the simulator stopped and started again between them:
  1. INSTALL [for load] of a small CAP file with its SHA-256 hash and LOAD block 00: every
     card done; `otaflow sim show` lists the load in progress (next block 01) and no package;
  2. after the restart, LOAD block 01 (last) and INSTALL [for install and make selectable]
     of the CAP's applet: every card done; `sim show` lists the package with its module and
     the applet SELECTABLE with its privileges and install parameters, no load in progress.
A third campaign installs the same instance again: the ISD answers 6A80, every card fails.
Raw APDUs to a RAM TAR need one approval (docs/SECURITY.md "Four eyes"): each campaign is
signed by an operator key of the run's `--approvals-config`.
Usage: isd_ram_test.py OTAFLOW_BINARY
"""
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import approvers, free_port, last_json, sign, wait_port  # noqa: E402

CARDS = 6
PKG = "A000000087100503"
APPLET = "A00000008710050301"
INSTANCE = "A0000000871005030101"
# JCVM 3.0.5 §6: Header (magic DECAFFED, package PKG), Applet (APPLET), a Method component.
CAP = bytes.fromhex("010012DECAFFED010200000108" + PKG + "03000D0109" + APPLET + "0010" +
                    "070028" + bytes(range(40)).hex())


def lv(h):
    return "%02X" % (len(h) // 2) + h


def apdu(header, data):
    return header + lv(data)


LOAD_FILE = ("C4%02X" % len(CAP)) + CAP.hex().upper()
BLOCK0, BLOCK1 = LOAD_FILE[:80], LOAD_FILE[80:]
SHA256 = hashlib.sha256(CAP).hexdigest().upper()
FOR_LOAD = apdu("80E60200", lv(PKG) + "00" + lv(SHA256) + "00" + "00")
FOR_INSTALL = apdu("80E60C00", lv(PKG) + lv(APPLET) + lv(INSTANCE) + lv("00") + lv("C900") + "00")

CAMPAIGN = '''id = "{id}"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "000000"
[target]
all = true
[update]
apdus = [{apdus}]
[policy]
window = 8
max_attempts = 1
por_timeout = "5s"
'''


def run(cmd, env, check=True):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    if check and r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise RuntimeError(f"{' '.join(cmd[1:3])} exited {r.returncode}")
    return r


def main():
    otaflow = sys.argv[1]
    env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32), OTAFLOW_SMPP_PASSWORD="test")
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="otaflow-isd-") as work:
        csv = os.path.join(work, "fleet.csv")
        run([otaflow, "fleet", "generate", "--count", str(CARDS), "--seed", "isd", "--out", csv],
            env)
        iccids = [row.split(",")[0] for row in open(csv).read().splitlines()[1:]]
        assert len(iccids) == CARDS, iccids
        engine = os.path.join(work, "engine")
        run([otaflow, "subscribers", "import", "--state", engine, csv], env)
        cards = os.path.join(work, "cards")
        port = free_port()
        approvals, keys, _ = approvers(otaflow, env, work)

        def smsc():
            return subprocess.Popen(
                [otaflow, "smsc-sim", "--listen", f"127.0.0.1:{port}", "--fleet", csv,
                 "--state", cards, "--system-id", "test"],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def stop(p):
            p.send_signal(signal.SIGTERM)
            _, err = p.communicate(timeout=60)
            assert p.returncode == 0, err[-2000:]

        def campaign(name, apdus):
            path = os.path.join(work, name + ".toml")
            with open(path, "w") as fh:
                fh.write(CAMPAIGN.format(id=name, apdus=", ".join(f'"{a}"' for a in apdus)))
            sign(otaflow, env, path, {"alice": keys["alice"]})  # one of the two
            return last_json(run([otaflow, "campaign", "run", "--state", engine, "--smsc",
                                  f"127.0.0.1:{port}", "--system-id", "test",
                                  "--approvals-config", approvals, path],
                                 env).stdout)

        def isd(iccid):
            out = run([otaflow, "sim", "show", "--state", cards, "--iccid", iccid], env).stdout
            return json.loads(out)["isd"]

        sim = smsc()
        try:
            wait_port(port)
            first = campaign("isd-load", [FOR_LOAD, apdu("80E80000", BLOCK0)])
        finally:
            stop(sim)
        assert first["done"] == CARDS, first
        for iccid in iccids:
            reg = isd(iccid)
            assert reg["registry"] == "changed", reg
            load = reg["load_in_progress"]
            assert load == {"package": PKG, "next_block": 1, "received": len(BLOCK0) // 2 - 2,
                            "expected": len(CAP), "hash": SHA256}, load
            assert PKG not in [p["aid"] for p in reg["packages"]], reg

        sim = smsc()  # the restart: the loads continue from the state directory
        try:
            wait_port(port)
            second = campaign("isd-install", [apdu("80E88001", BLOCK1), FOR_INSTALL])
            third = campaign("isd-again", [FOR_INSTALL])
        finally:
            stop(sim)
        assert second["done"] == CARDS and second["failed"] == 0, second
        assert third["failed"] == CARDS, third
        for iccid in iccids:
            reg = isd(iccid)
            assert reg["load_in_progress"] is None, reg
            pkgs = {p["aid"]: p for p in reg["packages"]}
            assert pkgs[PKG] == {"aid": PKG, "life_cycle": "LOADED", "modules": [APPLET]}, pkgs
            apps = {a["aid"]: a for a in reg["applets"]}
            assert apps[INSTANCE] == {"aid": INSTANCE, "package": PKG, "module": APPLET,
                                      "life_cycle": "SELECTABLE", "privileges": "000000",
                                      "install_params": "C900"}, apps
        fresh = json.loads(run([otaflow, "sim", "show", "--state", cards, "--iccid", iccids[0]],
                               env).stdout)
        assert fresh["isd"]["aid"] == "A000000151000000", fresh
    print(f"ok: {CARDS} cards loaded a CAP over two campaigns with a simulator restart between "
          f"them, installed its applet, refused a second install "
          f"({time.time() - started:.1f} s)")


if __name__ == "__main__":
    main()
