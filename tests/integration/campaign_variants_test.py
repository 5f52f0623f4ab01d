#!/usr/bin/env python3
"""Update variants chosen per card, end to end (issue 7, "Update variants chosen per card").

A mixed fleet: `otaflow fleet generate`, then the vendor CSV extended with a second keyset
(AES keys) and two attribute columns (card_profile, subscription_type), imported into the
profile repository and served by `otaflow smsc-sim` (the virtual cards read the same CSV).
One campaign with three variants (3DES keyset 1 on TAR B00010, AES keyset 2, USIM TAR B00011
for IoT cards), a skip rule, and cards no rule matches or whose keyset is missing. Asserted:
  - `campaign plan --json` before the run gives the counts the run then reports;
  - the run's summary counts per variant and skipped cards by reason;
  - the run's /metrics (`--http`, read during `--http-linger`) counts the same per variant;
  - `campaign status --iccid` shows each card's variant; `campaign status` the same counts;
  - every card holds its variant's EF_FPLMN (`otaflow sim show`), skipped cards are untouched;
  - a follow-up plan with a file_not rule skips the cards known to hold that content.
Usage: campaign_variants_test.py OTAFLOW_BINARY
"""
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import free_port, last_json, wait_port  # noqa: E402

DATA = {
    "uicc-3des": "00F110FFFFFFFFFFFFFFFFFF",
    "uicc-aes": "00F120FFFFFFFFFFFFFFFFFF",
    "usim-iot": "00F130FFFFFFFFFFFFFFFFFF",
}
CARDS = 30

CAMPAIGN = '''id = "mixed"
[security]                   # inherited by variants without their own
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true

[[variant]]
name = "uicc-3des"
[[variant.update.files]]
path = "3F00/7FFF/6F7B"
data = "{uicc-3des}"

[[variant]]
name = "uicc-aes"
[variant.security]
spi = "1621"
kic = "22"                   # keyset 2, AES CBC
kid = "22"                   # keyset 2, AES CMAC
tar = "B00010"
[[variant.update.files]]
path = "3F00/7FFF/6F7B"
data = "{uicc-aes}"

[[variant]]
name = "usim-iot"
[variant.security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00011"               # USIM RFM: the session starts in ADF.USIM
[[variant.update.files]]
path = "3F00/7FFF/6F7B"
data = "{usim-iot}"

[[rule]]
skip = "lab card"
when = {{ subscription_type = "lab" }}
[[rule]]
variant = "uicc-aes"
when = {{ card_profile = "aes" }}
[[rule]]
variant = "usim-iot"
when = {{ subscription_type = "iot" }}
[[rule]]
variant = "uicc-3des"
when = {{ imsi_prefix = "{prefix}" }}

[policy]
window = 16
max_attempts = 2
por_timeout = "5s"
retry_backoff = "200ms"
'''

FOLLOW_UP = '''id = "again"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
[[update.files]]
path = "3F00/7FFF/6F7B"
data = "{uicc-3des}"
[[rule]]
variant = "default"
when = {{ file_not = {{ path = "3F00/7FFF/6F7B", data = "{uicc-3des}" }} }}
'''


def run_with_metrics(cmd, env, work):
    """Runs `campaign run ... --http 127.0.0.1:0 --http-linger N` to its end (exit 0): its
    summary, and its /metrics read once the summary is printed (during the linger), as
    {series: value}."""
    out_path, err_path = os.path.join(work, "run.out"), os.path.join(work, "run.err")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        p = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
    try:
        deadline = time.time() + 120
        addr = None
        while time.time() < deadline:
            with open(err_path) as fh:
                m = re.search(r"dashboard on http://([0-9.]+:[0-9]+)/", fh.read())
            if m:
                addr = m.group(1)
            with open(out_path) as fh:
                if addr and fh.read().strip():
                    break
            assert p.poll() is None, open(err_path).read()[-2000:]
            time.sleep(0.1)
        assert addr, "no metrics address: " + open(err_path).read()[-2000:]
        summary = last_json(open(out_path).read())
        with urllib.request.urlopen(f"http://{addr}/metrics", timeout=10) as r:
            assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
            text = r.read().decode()
        scraped = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                series, value = line.rsplit(" ", 1)
                scraped[series] = float(value)
        assert p.wait(timeout=60) == 0, open(err_path).read()[-2000:]
        return summary, scraped
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def run(cmd, env, **kw):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, **kw)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise RuntimeError(f"{' '.join(cmd[1:3])} exited {r.returncode}")
    return r.stdout


def mixed_fleet(src, dst):
    """Adds keyset 2 and attributes to a generated fleet; returns {iccid: expected}."""
    lines = open(src).read().splitlines()
    out = [lines[0] + ",kic2,kid2,kik2,card_profile,subscription_type"]
    expected = {}
    for i, row in enumerate(lines[1:]):
        f = row.split(",")
        ks2, profile, sub = ["", "", ""], "", "prepaid"
        if i % 5 == 0:
            ks2, profile, want = [secrets.token_hex(16) for _ in range(3)], "aes", "uicc-aes"
        elif i % 5 == 1:
            sub, want = "iot", "usim-iot"
        elif i == 2:
            profile, want = "aes", "skip:variant 'uicc-aes' needs keyset 2, which the card does not hold"
        elif i == 3:
            sub, want = "lab", "skip:lab card"
        elif i == 4:
            f[1] = "99999" + f[1][5:]  # an IMSI no rule covers
            want = "skip:no rule matches the card"
        else:
            want = "uicc-3des"
        expected[f[0]] = want
        out.append(",".join(f + ks2 + [profile, sub]))
    with open(dst, "w") as fh:
        fh.write("\n".join(out) + "\n")
    return expected


def main():
    otaflow = sys.argv[1]
    # The SMPP password of smsc-sim and campaign run (never on a command line).
    env = dict(os.environ, OTAFLOW_KEK=secrets.token_hex(32), OTAFLOW_SMPP_PASSWORD="test")
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="otaflow-variants-") as work:
        gen = os.path.join(work, "generated.csv")
        run([otaflow, "fleet", "generate", "--count", str(CARDS), "--seed", "variants",
             "--out", gen], env)
        csv = os.path.join(work, "mixed.csv")  # no .meta sidecar: smsc-sim reads the rows
        expected = mixed_fleet(gen, csv)
        engine = os.path.join(work, "engine")
        imp = json.loads(run([otaflow, "subscribers", "import", "--state", engine, csv], env))
        assert imp["rejected"] == 0 and imp["imported"] == CARDS, imp
        prefix = open(csv).read().splitlines()[1].split(",")[1][:5]
        campaign = os.path.join(work, "mixed.toml")
        with open(campaign, "w") as fh:
            fh.write(CAMPAIGN.format(prefix=prefix, **DATA))

        want = {}
        skips = {}
        for w in expected.values():
            if w.startswith("skip:"):
                skips[w[5:]] = skips.get(w[5:], 0) + 1
            else:
                want[w] = want.get(w, 0) + 1
        assert want == {"uicc-aes": 6, "usim-iot": 6, "uicc-3des": 15}, want

        # The plan: nothing sent, the counts of the run to come.
        plan = last_json(run([otaflow, "campaign", "plan", "--state", engine, "--json",
                              "--examples", "2", campaign], env))
        print("plan:", json.dumps(plan), flush=True)
        assert plan["cards"] == CARDS and plan["send"] == 27 and plan["skipped"] == 3, plan
        for name, n in want.items():
            v = plan["variants"][name]
            assert v["send"] == n and len(v["examples"]) == 2, (name, v)
        assert plan["variants"]["uicc-aes"]["cards"] == 7, plan  # one lacks keyset 2
        assert plan["skip_reasons"] == skips, plan
        table = run([otaflow, "campaign", "plan", "--state", engine, campaign], env)
        assert "uicc-aes" in table and "no rule matches the card" in table, table

        port = free_port()
        cards = os.path.join(work, "cards")
        smsc = subprocess.Popen(
            [otaflow, "smsc-sim", "--listen", f"127.0.0.1:{port}", "--fleet", csv,
             "--state", cards, "--system-id", "test"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_port(port)
            summary, scraped = run_with_metrics(
                [otaflow, "campaign", "run", "--state", engine, "--smsc", f"127.0.0.1:{port}",
                 "--system-id", "test", "--http", "127.0.0.1:0",
                 "--http-linger", "5", campaign], env, work)
            print("run:", json.dumps(summary), flush=True)
        finally:
            smsc.send_signal(signal.SIGTERM)
            sout, serr = smsc.communicate(timeout=60)
        assert smsc.returncode == 0, serr[-2000:]

        assert summary["cards"] == CARDS, summary
        assert summary["done"] == 27 and summary["failed"] == 0, summary
        assert summary["skipped"] == 3 and summary["skip_reasons"] == skips, summary
        for name, v in plan["variants"].items():
            got = summary["variants"][name]
            assert got["cards"] == v["cards"] and got["done"] == v["send"], (name, got, v)
            assert got["skipped"] == v["skipped"] and got["failed"] == 0, (name, got, v)

        # The run's /metrics, read after its summary: the same counts per variant.
        for name, v in summary["variants"].items():
            for state in ("done", "failed", "skipped"):
                series = f'otaflow_campaign_cards{{campaign="mixed",variant="{name}",state="{state}"}}'
                got = scraped.get(series, 0)
                assert got == v[state], (series, got, v)
        skipped = sum(v for k, v in scraped.items()
                      if k.startswith('otaflow_campaign_cards{campaign="mixed",')
                      and k.endswith('state="skipped"}'))
        assert skipped == summary["skipped"] == 3, (skipped, summary)
        assert scraped["otaflow_counters_reserved_total"] == 27, scraped
        assert scraped['otaflow_por_status_total{campaign="mixed",status="00"}'] == 27, scraped

        status = last_json(run([otaflow, "campaign", "status", "--state", engine, "mixed"], env))
        assert status["done"] == 27 and status["skipped"] == 3, status
        assert status["variants"]["uicc-aes"] == summary["variants"]["uicc-aes"], status

        # Every card: its job's variant, and what the virtual card now holds.
        for iccid, w in expected.items():
            job = last_json(run([otaflow, "campaign", "status", "--state", engine, "mixed",
                                 "--iccid", iccid], env))
            card = json.loads(run([otaflow, "sim", "show", "--state", cards, "--iccid", iccid],
                                  env))
            files = {f["path"].upper(): f["hex"].upper() for f in card.get("files", [])}
            fplmn = files.get("3F00/7FFF/6F7B")
            if w.startswith("skip:"):
                assert job["state"] == "skipped" and job["reason"] == w[5:], (iccid, job)
                assert fplmn not in DATA.values(), (iccid, card)
            else:
                assert job["state"] == "done" and job["variant"] == w, (iccid, job)
                assert fplmn == DATA[w], (iccid, w, card)

        # What the engine learnt: a follow-up for cards not known to hold the 3DES list
        # skips exactly the 15 cards that got it.
        again = os.path.join(work, "again.toml")
        with open(again, "w") as fh:
            fh.write(FOLLOW_UP.format(**DATA))
        p2 = last_json(run([otaflow, "campaign", "plan", "--state", engine, "--json", again],
                           env))
        assert p2["skipped"] == 15 and p2["send"] == 15, p2
        assert p2["skip_reasons"] == {"no rule matches the card": 15}, p2
    print(f"ok: 3 variants over {CARDS} cards, plan == run, 3 skipped with reasons, "
          f"cards hold their variant's file ({time.time() - started:.1f} s)")


if __name__ == "__main__":
    main()
