#!/usr/bin/env python3
"""The KEK in a PKCS#11 token (SoftHSM2 in a temporary token directory) and `keys rotate-kek`.

20,000 cards imported under a kek_file; `keys init-hsm` creates the token key; `keys rotate-kek
--to-pkcs11` is killed with SIGKILL after its second progress line, the state is read with
either KEK meanwhile, the same command resumes and finishes. Then every card's Ki/OPc
(authentication vectors with a fixed RAND, sampled) equal the originals, the old kek_file no
longer opens the state, `campaign run` with the token KEK takes every card to PoR OK against
smsc-sim (every keyset opens and is the card's own), a wrong PIN is refused naming the token,
and `rotate-kek --to-kek-file` moves the state back out of the token. The audit log holds the
rotations with their principal.
Usage: kek_hsm_test.py OTAFLOW_BINARY   (skips, exit 77, when softhsm2 is not installed)
"""
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import free_port, last_json, run, wait_port  # noqa: E402

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
CARDS = 20000
RAND = "00112233445566778899aabbccddeeff"


def private_file(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")


def vectors(ota, env, engine, iccids, kek_file=None):
    out = []
    for i in iccids:
        cmd = [ota, "subscribers", "auth-vector", "--state", engine, "--sqn", "33", "--rand", RAND]
        if kek_file:
            cmd += ["--kek-file", kek_file]
        out.append(json.loads(run(cmd + [i], env).stdout))
    return out


def main():
    ota = sys.argv[1]
    if not os.path.exists(MODULE):
        print(f"skipped: {MODULE} missing (apt-get install softhsm2)")
        return 77
    with tempfile.TemporaryDirectory(prefix="otaflow-hsm-") as work:
        tokens = os.path.join(work, "tokens")
        os.mkdir(tokens)
        conf = os.path.join(work, "softhsm2.conf")
        with open(conf, "w") as f:
            f.write(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
        base = {k: v for k, v in os.environ.items()
                if k not in ("OTAFLOW_KEK", "OTAFLOW_KEK_PKCS11", "OTAFLOW_PKCS11_PIN")}
        base["SOFTHSM2_CONF"] = conf
        base["OTAFLOW_SMPP_PASSWORD"] = "test"
        pin = "hsm-" + secrets.token_hex(4)
        # The test token's PINs on softhsm2-util's command line: a throw-away token.
        run(["softhsm2-util", "--init-token", "--free", "--label", "ota", "--pin", pin,
             "--so-pin", "12345678"], base)
        pin_file = os.path.join(work, "pin")
        private_file(pin_file, pin)
        spec = f"module={MODULE};token=ota;key=kek-1;pin_file={pin_file}"
        hsm = dict(base, OTAFLOW_KEK_PKCS11=spec)

        init = json.loads(run([ota, "keys", "init-hsm", "--pkcs11", spec], base).stdout)
        assert init["created"] is True and init["key_label"] == "kek-1", init
        assert not json.loads(run([ota, "keys", "init-hsm"], hsm).stdout)["created"]

        kek_file = os.path.join(work, "kek")
        private_file(kek_file, secrets.token_hex(32))
        csv = os.path.join(work, "fleet.csv")
        engine = os.path.join(work, "engine")
        run([ota, "fleet", "generate", "--count", str(CARDS), "--seed", "hsm-it", "--out", csv],
            base)
        run([ota, "subscribers", "import", "--state", engine, "--kek-file", kek_file, csv], base)
        iccids = [l.split(",")[0] for l in open(csv).read().splitlines()[1:]]
        sample = iccids[:5] + iccids[CARDS // 2:CARDS // 2 + 5] + iccids[-5:]
        before = vectors(ota, base, engine, sample, kek_file)

        # ---- file -> token, killed after its second progress line, then resumed ----------
        rotate = [ota, "keys", "rotate-kek", "--state", engine, "--kek-file", kek_file,
                  "--to-pkcs11", spec, "--batch", "50"]
        p = subprocess.Popen(rotate, env=base, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        lines = []
        for line in p.stderr:
            lines.append(line.strip())
            if len(lines) == 2:
                p.send_signal(signal.SIGKILL)
                break
        p.wait(timeout=60)
        assert p.returncode == -signal.SIGKILL, (p.returncode, lines)
        assert lines == ["rotate-kek: 50 rows re-sealed", "rotate-kek: 100 rows re-sealed"], lines
        # Mid-way: either KEK opens the state and reads the same keys.
        assert vectors(ota, base, engine, sample, kek_file) == before
        assert vectors(ota, hsm, engine, sample) == before
        r = run(rotate, base)
        out = json.loads(r.stdout)
        assert out["resumed"] and out["finished"], out
        assert out["rows_total"] > 2 * CARDS - 200 and out["rows_resealed"] < out["rows_total"], out
        print("rotate-kek file -> token:", json.dumps(out), flush=True)

        # Every sampled card's Ki/OPc unseal under the token's data key, equal to the originals.
        assert vectors(ota, hsm, engine, sample) == before
        old = run([ota, "subscribers", "show", "--state", engine, "--kek-file", kek_file,
                   iccids[0]], base, code=1)
        assert "is protected by PKCS#11 token 'ota' key 'kek-1'" in old.stderr, old.stderr

        # A wrong PIN names the token, never the PIN.
        wrong_pin = os.path.join(work, "wrong-pin")
        private_file(wrong_pin, "not-" + pin)
        wrong = dict(base, OTAFLOW_KEK_PKCS11=spec.replace(pin_file, wrong_pin))
        w = run([ota, "subscribers", "show", "--state", engine, iccids[0]], wrong, code=1)
        assert "PKCS#11 token 'ota'" in w.stderr and "CKR_PIN_INCORRECT" in w.stderr, w.stderr
        assert pin not in w.stderr

        # ---- campaign run with the token KEK: every keyset opens and is the card's own ----
        port = free_port()
        sim = subprocess.Popen(
            [ota, "smsc-sim", "--listen", f"127.0.0.1:{port}", "--fleet", csv, "--state",
             os.path.join(work, "cards"), "--system-id", "test"],
            env=base, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            wait_port(port)
            camp = os.path.join(work, "c.toml")
            with open(camp, "w") as f:
                f.write('id = "hsm"\n[security]\nspi = "1621"\nkic = "15"\nkid = "15"\n'
                        'tar = "B00010"\n[target]\nall = true\n[[update.files]]\n'
                        'path = "3F00/7FFF/6F7B"\ndata = "00F11000F120"\n[policy]\n'
                        'rate = 100000\nwindow = 2000\nmax_attempts = 3\npor_timeout = "20s"\n')
            summary = last_json(run([ota, "campaign", "run", "--state", engine, "--smsc",
                                     f"127.0.0.1:{port}", "--system-id", "test", camp], hsm,
                                    timeout=300).stdout)
            assert summary["done"] == CARDS and summary["failed"] == 0, summary
            print("campaign run with the token KEK:", json.dumps(summary), flush=True)
        finally:
            sim.send_signal(signal.SIGTERM)
            sim.communicate(timeout=60)

        # ---- token -> file ----------------------------------------------------------------
        kek2 = os.path.join(work, "kek2")
        private_file(kek2, secrets.token_hex(32))
        back = json.loads(run([ota, "keys", "rotate-kek", "--state", engine, "--to-kek-file",
                               kek2], hsm).stdout)
        assert back["finished"] and not back["resumed"], back
        assert vectors(ota, base, engine, sample, kek2) == before
        t = run([ota, "subscribers", "show", "--state", engine, iccids[0]], hsm, code=1)
        assert "is sealed under a kek_file/OTAFLOW_KEK key" in t.stderr, t.stderr

        audit = [json.loads(l) for l in run([ota, "audit", "export", "--state", engine,
                                             "--kek-file", kek2], base).stdout.splitlines()]
        rot = [a["details"] for a in audit if a["type"] == "kek_rotation"]
        assert [r["event"] for r in rot] == ["started", "finished", "started", "finished"], rot
        assert rot[1]["rows"] == out["rows_total"] and rot[0]["from"] == f"kek_file {kek_file}"
        assert all(r["who"].startswith("os:") for r in rot), rot
    print("ok: token key created once, rotation killed and resumed, keys equal, old KEK "
          "refused, campaign over the token KEK, wrong PIN named, rotation back to a file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
