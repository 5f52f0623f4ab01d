#!/usr/bin/env python3
"""Ki/OPc rotation through card vendor key profiles, end to end (issue 16).

A fleet of three card vendors: cards with vendor = A take keys through otaflow's key rotation
file (the built-in otaflow-virtual profile), vendor = B only through the example vendor's
proprietary command (card profile key_profile = "example-apdu"), vendor = C only through the
example vendor's linear fixed record file ("example-record"). Each vendor's cards sit behind
their own smsc-sim (A: the default card profile; B, C: --card-profile), reached through SMSC
routes on the `vendor` attribute. One key rotation campaign with a variant per vendor chosen
by rules on `vendor`, each naming its profile file (config/key-profiles/, copied beside the
campaign), signed by two operators. Asserted:
  - every card ends `done`, each variant with its vendor's cards;
  - each card's new Ki/OPc is proven by AKA: AUTHENTICATE on the card answers RES = XRES of a
    vector the repository computes from the keys it now holds, a vector of the old keys fails
    with a MAC failure, and the card reports its rotation sequence 1;
  - a campaign that sends vendor B's and C's cards the otaflow file instead fails on the card
    (SW 6982 in the PoR), and their keys stay the rotated ones.
Usage: key_profile_test.py OTAFLOW_BINARY
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
from testlib import approvers, free_port, last_json, sign, wait_port  # noqa: E402

CARDS = 12
SEED = "key-profiles"
PROFILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "config",
                        "key-profiles")

HEADER = '''id = "{cid}"
[security]
spi = "1629"                 # counter higher, ciphered, CC; PoR with a CC
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
[policy]
rate = 500
max_attempts = 2
por_timeout = "5s"
retry_backoff = "200ms"
'''
VARIANT = '''
[[variant]]
name = "vendor-{v}"
[variant.update.keys]
rotate = ["ki", "opc"]
profile = "{profile}"
[[rule]]
variant = "vendor-{v}"
when = {{ vendor = "{V}" }}
'''


def campaign(path, cid, profiles):
    """A key rotation campaign with one variant per vendor: {vendor: profile}."""
    text = HEADER.format(cid=cid)
    for v, profile in profiles.items():
        text += VARIANT.format(v=v.lower(), V=v, profile=profile)
    with open(path, "w") as f:
        f.write(text)


def run(cmd, env, ok=True):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    if ok and r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise RuntimeError(f"{' '.join(cmd[1:3])} exited {r.returncode}")
    return r


def start_sim(ota, env, csv, state, extra=()):
    port = free_port()
    p = subprocess.Popen([ota, "smsc-sim", "--listen", f"127.0.0.1:{port}", "--fleet", csv,
                          "--state", state, "--system-id", "test", *extra],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_port(port)
    return p, port


def stop_sim(p):
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 0, err[-2000:]


def main():
    ota = sys.argv[1]
    env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32), OTAFLOW_SMPP_PASSWORD="test")
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="otaflow-keyprofile-") as work:
        gen = os.path.join(work, "generated.csv")
        run([ota, "fleet", "generate", "--count", str(CARDS), "--seed", SEED, "--out", gen], env)
        lines = open(gen).read().splitlines()
        rows = {"A": [], "B": [], "C": []}
        for i, row in enumerate(lines[1:]):
            rows["ABC"[i % 3]].append(row)
        # The repository's file: every card with its vendor; each simulator's: its vendor's.
        with open(os.path.join(work, "all.csv"), "w") as f:
            f.write(lines[0] + ",vendor\n")
            for v, rs in rows.items():
                f.writelines(f"{r},{v}\n" for r in rs)
        for v, rs in rows.items():
            with open(os.path.join(work, f"vendor-{v}.csv"), "w") as f:
                f.write(lines[0] + "\n" + "".join(r + "\n" for r in rs))
        engine = os.path.join(work, "engine")
        imp = json.loads(run([ota, "subscribers", "import", "--state", engine,
                              os.path.join(work, "all.csv")], env).stdout)
        assert imp["imported"] == CARDS and imp["rejected"] == 0, imp
        vendor_of = {r.split(",")[0]: v for v, rs in rows.items() for r in rs}
        state = {v: os.path.join(work, f"cards-{v}") for v in rows}

        # Vendor B's cards take the example command, vendor C's the example record file.
        sims, ports = {}, {}
        for v, key_profile in (("A", None), ("B", "example-apdu"), ("C", "example-record")):
            extra = []
            if key_profile:
                cp = os.path.join(work, f"card-profile-{v}.toml")
                with open(cp, "w") as f:
                    f.write(f'[card_profile]\nname = "vendor-{v}"\nkey_profile = "{key_profile}"\n')
                extra = ["--card-profile", cp]
            sims[v], ports[v] = start_sim(ota, env, os.path.join(work, f"vendor-{v}.csv"),
                                          state[v], extra)
        routes = os.path.join(work, "routes.toml")
        with open(routes, "w") as f:
            for v, port in ports.items():
                f.write(f'[[route]]\nname = "vendor-{v.lower()}"\n[[route.smsc]]\n'
                        f'address = "127.0.0.1:{port}"\nsystem_id = "test"\npassword = "test"\n'
                        f'rate = 500\n[[route.match]]\nattributes = {{ vendor = "{v}" }}\n\n')
        os.chmod(routes, 0o600)
        old = {}
        try:
            for iccid in vendor_of:
                old[iccid] = json.loads(run([ota, "subscribers", "auth-vector", "--state", engine,
                                             "--sqn", "3", iccid], env).stdout)
            config, keys, _ = approvers(ota, env, work)
            base = [ota, "campaign", "run", "--state", engine, "--routes", routes,
                    "--approvals-config", config]
            for f in ("otaflow-virtual.toml", "example-apdu.toml", "example-record.toml"):
                shutil.copy(os.path.join(PROFILES, f), work)
            toml = os.path.join(work, "rotate.toml")
            campaign(toml, "ki-opc-vendors", {"A": "otaflow-virtual.toml", "B": "example-apdu.toml",
                                              "C": "example-record.toml"})
            sign(ota, env, toml, keys)
            summary = last_json(run(base + [toml], env).stdout)
            print("rotation:", json.dumps(summary), flush=True)
            assert summary["cards"] == CARDS and summary["done"] == CARDS, summary
            assert summary["por_rejected"] == 0, summary
            for v in ("a", "b", "c"):
                got = summary["variants"][f"vendor-{v}"]
                assert got["cards"] == got["done"] == CARDS // 3, (v, summary)

            # The otaflow file sent to every vendor: vendor B's and C's cards refuse it (6982).
            wrong = os.path.join(work, "wrong.toml")
            campaign(wrong, "wrong-profile", {v: "otaflow-virtual" for v in "ABC"})
            sign(ota, env, wrong, keys)
            summary = last_json(run(base + [wrong], env).stdout)
            print("otaflow file to every vendor:", json.dumps(summary), flush=True)
            assert summary["done"] == CARDS // 3, summary
            assert summary["failed"] == 2 * CARDS // 3, summary
            assert all("SW 6982" in r for r in summary["failure_reasons"]), summary
        finally:
            for p in sims.values():
                if p.poll() is None:
                    stop_sim(p)

        # AKA proof on the stopped fleets: the repository's keys are the card's, the old fail.
        for iccid, v in vendor_of.items():
            vec = json.loads(run([ota, "subscribers", "auth-vector", "--state", engine, "--sqn",
                                  "9", iccid], env).stdout)
            r = json.loads(run([ota, "sim", "authenticate", "--state", state[v], "--iccid", iccid,
                                "--rand", vec["rand"], "--autn", vec["autn"]], env).stdout)
            assert r["status"] == "success" and r["res"] == vec["xres"], (iccid, v, vec, r)
            r = json.loads(run([ota, "sim", "authenticate", "--state", state[v], "--iccid", iccid,
                                "--rand", old[iccid]["rand"], "--autn", old[iccid]["autn"]],
                               env).stdout)
            assert r["status"] == "mac_failure", (iccid, v, r)
            card = json.loads(run([ota, "sim", "show", "--state", state[v], "--iccid", iccid],
                                  env).stdout)
            # vendor A's cards took the second campaign's file too (sequence 2).
            want = 2 if v == "A" else 1
            assert card["keys_rotated"] and card["key_rotation_sequence"] == want, (v, card)
        print(f"{CARDS} cards of three vendors: AUTHENTICATE with the rotated Ki/OPc only "
              f"({time.time() - t0:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
