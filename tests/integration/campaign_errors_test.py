#!/usr/bin/env python3
"""`otaflow campaign run` on bad input: a clear error and a non-zero exit, never a crash.

Covers a malformed campaign file, an unreachable SMSC, a wrong SMPP password (against
`otaflow smsc-sim --null-cards`), a missing key-encryption key, and unknown cards (which end
`failed` with the reason instead of vanishing); and the secrets' refusals: a password on the
command line (campaign run and smsc-sim), a password file readable by others, smsc-sim without
an account.
Usage: campaign_errors_test.py OTAFLOW_BINARY
"""
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import free_port  # noqa: E402

CAMPAIGN = '''id = "errs"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
{target}
[[update.files]]
path = "3F00/7FFF/6F7B"
data = "00F120FFFFFFFFFFFFFFFFFF"
[policy]
por_timeout = "2s"
max_attempts = 1
'''


def expect(cmd, env, code, *needles):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == code, f"{cmd[1:3]}: exit {r.returncode}, wanted {code}:\n{out}"
    for n in needles:
        assert n in out, f"{cmd[1:3]}: '{n}' not in:\n{out}"
    assert "Segmentation" not in out and r.returncode >= 0, out
    return r


def main():
    otaflow = sys.argv[1]
    env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32))
    with tempfile.TemporaryDirectory(prefix="otaflow-errs-") as work:
        state = os.path.join(work, "engine")
        camp = os.path.join(work, "c.toml")
        with open(camp, "w") as f:
            f.write(CAMPAIGN.format(target='iccids = ["8946990000000000003", "1234"]'))
        bad = os.path.join(work, "bad.toml")
        with open(bad, "w") as f:
            f.write(CAMPAIGN.format(target="all = true").replace('spi = "1621"', 'spi = "16Z1"'))

        run = [otaflow, "campaign", "run", "--state", state, "--system-id", "test",
               "--bind-timeout", "2"]
        no_pw = {k: v for k, v in env.items() if k != "OTAFLOW_SMPP_PASSWORD"}
        env = dict(env, OTAFLOW_SMPP_PASSWORD="test")
        on_cli = ("a password on the command line is visible to every user (ps); "
                  "use --password-file FILE or OTAFLOW_SMPP_PASSWORD")
        # No password on a command line: refused before anything runs, by both commands.
        expect(run + ["--password", "test", "--smsc", "127.0.0.1:1", camp], no_pw, 2, on_cli)
        expect([otaflow, "smsc-sim", "--null-cards", "--system-id", "test", "--password", "x"],
               no_pw, 2, on_cli)
        # A password file readable by others is refused with its path; none at all is named.
        open_pw = os.path.join(work, "open.pw")
        with open(open_pw, "w") as f:
            f.write("test\n")
        os.chmod(open_pw, 0o644)
        expect(run + ["--password-file", open_pw, "--smsc", "127.0.0.1:1", camp], no_pw, 2,
               f"--password-file {open_pw}: readable by group or others (mode 644; chmod 600 it)")
        expect(run + ["--smsc", "127.0.0.1:1", camp], no_pw, 2,
               "an SMPP password is needed: --password-file FILE or OTAFLOW_SMPP_PASSWORD")
        # smsc-sim has no default account.
        expect([otaflow, "smsc-sim", "--null-cards"], no_pw, 2,
               "no account: smsc-sim has no default one")
        expect([otaflow, "smsc-sim", "--null-cards", "--system-id", "test"], no_pw, 2,
               "--system-id test needs a password: --password-file FILE or OTAFLOW_SMPP_PASSWORD")
        right_pw = os.path.join(work, "right.pw")
        with open(right_pw, "w") as f:
            f.write("right\n")
        os.chmod(right_pw, 0o600)
        # A malformed campaign file: exit 2, the field named.
        expect(run + ["--smsc", "127.0.0.1:1", bad], env, 2, "security.spi")
        # No KEK: the error says what is missing.
        noenv = {k: v for k, v in env.items() if k != "OTAFLOW_KEK"}
        expect(run + ["--smsc", "127.0.0.1:1", camp], noenv, 1, "OTAFLOW_KEK")
        # Unreachable SMSC: a clear error after the bind timeout.
        port = free_port()
        expect(run + ["--smsc", f"127.0.0.1:{port}", camp], env, 1, "cannot bind to the SMSC",
               "cannot connect")
        # A running SMSC, wrong password.
        smsc = subprocess.Popen([otaflow, "smsc-sim", "--listen", f"127.0.0.1:{port}",
                                 "--null-cards", "--system-id", "test",
                                 "--password-file", right_pw],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 20
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            expect(run + ["--smsc", f"127.0.0.1:{port}", camp], env, 1, "ESME_RINVPASWD")
            # Right password, unknown cards: both end failed with the reason.
            good = [otaflow, "campaign", "run", "--state", state, "--system-id", "test",
                    "--password-file", right_pw, "--smsc", f"127.0.0.1:{port}", camp]
            r = expect(good, env, 0)
            summary = json.loads(r.stdout.strip().splitlines()[-1])
            assert summary["cards"] == 2 and summary["failed"] == 2, summary
            reasons = " ".join(summary["failure_reasons"].keys())
            assert "unknown card" in reasons, summary
        finally:
            smsc.send_signal(signal.SIGTERM)
            smsc.wait(timeout=30)
    print("ok: bad campaign, missing KEK, unreachable SMSC, wrong password, unknown cards, "
          "password on the command line, open password file, no account")


if __name__ == "__main__":
    main()
