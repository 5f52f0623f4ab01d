#!/usr/bin/env python3
"""SMPP over TLS end to end (issue 18), with certificates made here by the `openssl` CLI.

  1. `otaflow smsc-sim --tls-cert --tls-key` and `campaign run --tls --tls-ca` on a small fleet
     (the host name `localhost` checked against the certificate): every card `done`.
  2. An independent TLS peer: Debian's `stunnel4` in server mode in front of the clear-text
     simulator; `campaign run --tls` through it: every card `done` (a fresh campaign id).
  3. Refusals, each with its error text and no bind at the simulator:
     - `openssl s_server` with a certificate of a CA the run does not trust;
     - the TLS simulator under a name its certificate does not hold (--tls-server-name);
     - a clear-text run against the TLS simulator (the simulator closes it).
Usage: smpp_tls_test.py OTAFLOW_BINARY
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
from testlib import free_port, run, wait_port  # noqa: E402

CARDS = 20
EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
CA_EXT = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext",
          "keyUsage=critical,keyCertSign"]


def make_certs(d):
    """A CA, a server certificate for localhost/127.0.0.1 signed by it, an untrusted CA and a
    server certificate signed by that one. Keys mode 600."""
    def ossl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    p = lambda f: os.path.join(d, f)  # noqa: E731
    with open(p("server.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    for ca, cn in (("ca", "otaflow test CA"), ("other-ca", "untrusted CA")):
        ossl("req", "-x509", "-days", "2", "-subj", f"/CN={cn}", *EC, *CA_EXT,
             "-keyout", p(f"{ca}.key"), "-out", p(f"{ca}.crt"))
        name = "server" if ca == "ca" else "rogue"
        ossl("req", "-subj", "/CN=localhost", *EC, "-keyout", p(f"{name}.key"),
             "-out", p(f"{name}.csr"))
        ossl("x509", "-req", "-days", "2", "-in", p(f"{name}.csr"), "-CA", p(f"{ca}.crt"),
             "-CAkey", p(f"{ca}.key"), "-CAcreateserial", "-extfile", p("server.ext"),
             "-out", p(f"{name}.crt"))
        os.chmod(p(f"{name}.key"), 0o600)
    return p


def campaign(path, cid):
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
data = "00F130FFFFFFFFFFFFFFFFFF"
[policy]
window = 10
max_attempts = 2
por_timeout = "5s"
''')


def start_sim(otaflow, env, fleet, cards, port, tls=None):
    cmd = [otaflow, "smsc-sim", "--listen", f"127.0.0.1:{port}", "--fleet", fleet, "--state",
           cards, "--system-id", "tls"]
    if tls:
        cmd += ["--tls-cert", tls[0], "--tls-key", tls[1]]
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_port(port)
    return p


def stop(p):
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    return out, err


def wait_log(path, text, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and text in open(path).read():
            return
        time.sleep(0.1)
    raise AssertionError(f"'{text}' not in {path}")


def main():
    otaflow = sys.argv[1]
    stunnel = shutil.which("stunnel4") or shutil.which("stunnel")
    assert stunnel, "stunnel4 is not installed (scripts/setup.sh installs it)"
    env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32), OTAFLOW_SMPP_PASSWORD="tlspw")
    with tempfile.TemporaryDirectory(prefix="otaflow-tls-") as work:
        p = make_certs(work)
        state = p("engine")
        fleet = p("fleet.csv")
        run([otaflow, "fleet", "generate", "--count", str(CARDS), "--seed", "tls", "--out",
             fleet], env)
        run([otaflow, "subscribers", "import", "--state", state, fleet], env)
        base = [otaflow, "campaign", "run", "--state", state, "--system-id", "tls",
                "--bind-timeout", "5"]

        # 1. TLS at both ends, the host name checked.
        port = free_port()
        sim = start_sim(otaflow, env, fleet, p("cards"), port, (p("server.crt"), p("server.key")))
        try:
            campaign(p("a.toml"), "tls-a")
            r = run(base + ["--smsc", f"localhost:{port}", "--tls", "--tls-ca", p("ca.crt"),
                            p("a.toml")], env)
            s = json.loads(r.stdout.strip().splitlines()[-1])
            assert s["cards"] == CARDS and s["done"] == CARDS, s
            # 3b. A name the certificate does not hold: no bind.
            campaign(p("b.toml"), "tls-b")
            r = run(base + ["--smsc", f"127.0.0.1:{port}", "--tls-ca", p("ca.crt"),
                            "--tls-server-name", "smsc.example.org", p("b.toml")], env, code=1)
            assert ("TLS handshake failed: certificate verify failed: hostname mismatch "
                    "(server name 'smsc.example.org')") in r.stderr, r.stderr
            # 3c. Clear text against the TLS simulator: no bind.
            r = run(base + ["--smsc", f"127.0.0.1:{port}", p("b.toml")],
                    env, code=1)
            assert "cannot bind" in r.stderr or "not bound" in r.stderr, r.stderr
        finally:
            out, err = stop(sim)
        summary = json.loads(out.strip().splitlines()[-1])
        assert summary["binds"] == 1, summary  # only run 1 bound
        assert "over TLS" in err, err[-2000:]
        # The simulator names the refused handshakes (the client that refused its certificate,
        # the clear-text client).
        assert "TLS handshake failed" in err, err[-2000:]

        # 2. stunnel4 (an independent TLS implementation of the server side) in front of the
        # clear-text simulator.
        sim_port, tls_port = free_port(), free_port()
        sim = start_sim(otaflow, env, fleet, p("cards"), sim_port)
        conf = p("stunnel.conf")
        with open(conf, "w") as f:
            f.write(f"foreground = yes\npid =\noutput = {p('stunnel.log')}\ndebug = 5\n"
                    f"[smpp]\naccept = 127.0.0.1:{tls_port}\nconnect = 127.0.0.1:{sim_port}\n"
                    f"cert = {p('server.crt')}\nkey = {p('server.key')}\n")
        tun = subprocess.Popen([stunnel, conf], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        try:
            wait_port(tls_port)
            campaign(p("c.toml"), "tls-stunnel")
            r = run(base + ["--smsc", f"127.0.0.1:{tls_port}", "--tls", "--tls-ca", p("ca.crt"),
                            p("c.toml")], env)
            s = json.loads(r.stdout.strip().splitlines()[-1])
            assert s["cards"] == CARDS and s["done"] == CARDS, s
            wait_log(p("stunnel.log"), "accepted connection")
        finally:
            tun.send_signal(signal.SIGTERM)
            tun.wait(timeout=30)
            out, _ = stop(sim)
        assert json.loads(out.strip().splitlines()[-1])["binds"] == 1

        # 3a. openssl s_server with a certificate of an untrusted CA.
        rogue_port = free_port()
        rogue = subprocess.Popen(["openssl", "s_server", "-quiet", "-accept",
                                  f"127.0.0.1:{rogue_port}", "-cert", p("rogue.crt"), "-key",
                                  p("rogue.key")], stdin=subprocess.PIPE,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(rogue_port)
            r = run(base + ["--smsc", f"127.0.0.1:{rogue_port}", "--tls", "--tls-ca",
                            p("ca.crt"), p("b.toml")], env, code=1)
            assert ("TLS handshake failed: certificate verify failed: unable to get local "
                    "issuer certificate (server name '127.0.0.1')") in r.stderr, r.stderr
        finally:
            rogue.kill()
            rogue.wait(timeout=30)
    print("ok: TLS run (localhost), through stunnel4, untrusted CA, wrong host name, clear text")


if __name__ == "__main__":
    main()
