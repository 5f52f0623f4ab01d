#!/usr/bin/env python3
"""Update templates end to end (issue 17 part 2, "Update templates").

A small generated fleet imported into the profile repository and served by `otaflow smsc-sim`.
One campaign writes EF.FPLMN, EF.OPLMNwAcT, EF.EHPLMN, EF.SPN, a record of EF.SMSP and EF.ACC
(per card from the IMSI) from readable values. Asserted:
  - `campaign plan --json --examples N` shows each example card the bytes it would get, its
    own EF.ACC included; the table form lists them too;
  - a campaign whose FPLMN list does not fit the file is refused by `campaign plan` (and
    `campaign run`) with the template, the file, its size and the size needed, nothing sent;
  - the run ends every card `done`, and every virtual card holds the expected bytes
    (`otaflow sim show`), hand-derived here from TS 31.102 (docs/standards/update-templates.md);
    EF.ACC, first set to class 15 on every card, is back to each card's own class;
  - the engine's known files hold each card's own EF.ACC (a file_is rule selects by it).
Usage: campaign_templates_test.py OTAFLOW_BINARY
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
from testlib import free_port, last_json, wait_port  # noqa: E402

CARDS = 12

CAMPAIGN = '''id = "templates"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
[update.fplmn]
plmns = ["262-01", "310-410"]
[update.plmn_selector]
file = "oplmn"
entries = [{ plmn = "262-03", act = ["eutran", "utran", "gsm", "ngran"] }]
[update.ehplmn]
plmns = ["262-02"]
[update.spn]
name = "Carrier"
display_condition = { plmn_name_required = true }
[update.smsp]
record = 1
service_centre = "+491720000000"
name = "SMSC"
validity = "24h"
[update.acc]
from_imsi = true
[policy]
window = 8
max_attempts = 2
por_timeout = "5s"
retry_backoff = "200ms"
'''

# Run first, so that the per-card EF.ACC of the templates campaign is a visible change.
ALL_15 = '''id = "acc-15"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
[update.acc]
classes = [15]
'''

# What the engine knows each card holds after the run: EF.ACC of the class of IMSI digit 1.
KNOWN = '''id = "known"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
[update.spn]
name = "Other"
[[rule]]
variant = "default"
when = { file_is = { path = "3F00/7FFF/6F78", data = "0002" } }
'''

TOO_BIG = '''id = "too-big"
[security]
spi = "1621"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
[update.fplmn]
plmns = ["262-01", "262-02", "262-03", "262-04", "262-05"]
'''

# Hand-derived bytes (TS 24.008 §10.5.1.3 PLMN coding; TS 31.102 clauses per file).
EXPECTED = {
    # §4.2.16: 262-01 = 62F210, 310-410 = 130014, 'FFFFFF' padding to 12 octets.
    "3F00/7FFF/6F7B": "62F210130014" + "FF" * 6,
    # §4.2.53: PLMN + AcT C880 (UTRAN 8000, E-UTRAN 4000, NG-RAN 0800, GSM 0080), padded
    # with 'FFFFFF0000' to 40 octets.
    "3F00/7FFF/6F61": "62F230C880" + "FFFFFF0000" * 7,
    # §4.2.84: as EF.FPLMN.
    "3F00/7FFF/6FD9": "62F220" + "FF" * 9,
    # §4.2.12: display condition 01, "Carrier" in the GSM default alphabet, 'FF' padded.
    "3F00/7FFF/6F46": "01" + "43617272696572" + "FF" * 9,
}
# §4.2.27 record 1 (28 + 16 octets): alpha, indicators ED (SCA and VP present), TP-DA absent,
# TS-SCA 07 91 947102000000, PID and DCS absent, VP A7 (24 h).
SMSP_RECORD = ("534D5343" + "FF" * 12 + "ED" + "FF" * 12 + "07919471020000" + "00" + "FF" * 4 +
               "FFFF" + "A7")


def acc_for(imsi):
    """EF.ACC of a card (§4.2.15): the class named by the IMSI's last digit."""
    return "%04X" % (1 << int(imsi[-1]))


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
    with tempfile.TemporaryDirectory(prefix="otaflow-templates-") as work:
        csv = os.path.join(work, "fleet.csv")
        run([otaflow, "fleet", "generate", "--count", str(CARDS), "--seed", "templates",
             "--out", csv], env)
        imsis = {}
        for row in open(csv).read().splitlines()[1:]:
            f = row.split(",")
            imsis[f[0]] = f[1]
        assert len(imsis) == CARDS, imsis
        engine = os.path.join(work, "engine")
        imp = json.loads(run([otaflow, "subscribers", "import", "--state", engine, csv],
                             env).stdout)
        assert imp["rejected"] == 0 and imp["imported"] == CARDS, imp

        too_big = os.path.join(work, "too-big.toml")
        with open(too_big, "w") as fh:
            fh.write(TOO_BIG)
        for sub in (["plan", "--state", engine], ["run", "--state", engine, "--smsc",
                                                  "127.0.0.1:1", "--system-id", "x"]):
            r = run([otaflow, "campaign"] + sub + [too_big], env, check=False)
            assert r.returncode != 0, r.stdout
            for part in ("update.fplmn", "EF.FPLMN", "3F00/7FFF/6F7B", "holds 12",
                         "need 15 octets"):
                assert part in r.stderr, (sub[0], part, r.stderr)

        campaign = os.path.join(work, "templates.toml")
        with open(campaign, "w") as fh:
            fh.write(CAMPAIGN)
        plan = last_json(run([otaflow, "campaign", "plan", "--state", engine, "--json",
                              "--examples", "3", campaign], env).stdout)
        print("plan:", json.dumps(plan), flush=True)
        v = plan["variants"]["default"]
        assert plan["send"] == CARDS and len(v["examples"]) == 3, plan
        writes = {}
        for w in v["templated_writes"]:
            writes.setdefault(w["iccid"], {})[w["path"]] = (w["template"], w["data"])
        assert sorted(writes) == sorted(v["examples"]), writes
        for iccid, got in writes.items():
            for path, data in EXPECTED.items():
                assert got[path][1] == data, (iccid, path, got[path])
            assert got["3F00/7FFF/6F42#1"] == ("update.smsp", SMSP_RECORD), got
            assert got["3F00/7FFF/6F78"] == ("update.acc", acc_for(imsis[iccid])), got
        table = run([otaflow, "campaign", "plan", "--state", engine, "--examples", "1",
                     campaign], env).stdout
        assert "templated writes of the example cards" in table, table
        assert "update.spn 3F00/7FFF/6F46 " + EXPECTED["3F00/7FFF/6F46"] in table, table

        port = free_port()
        cards = os.path.join(work, "cards")
        smsc = subprocess.Popen(
            [otaflow, "smsc-sim", "--listen", f"127.0.0.1:{port}", "--fleet", csv,
             "--state", cards, "--system-id", "test"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = os.path.join(work, "acc-15.toml")
        with open(first, "w") as fh:
            fh.write(ALL_15)

        def campaign_run(path):
            out = run([otaflow, "campaign", "run", "--state", engine, "--smsc",
                       f"127.0.0.1:{port}", "--system-id", "test",
                       path], env).stdout
            return last_json(out)

        def card_files(iccid):
            card = json.loads(run([otaflow, "sim", "show", "--state", cards, "--iccid", iccid],
                                  env).stdout)
            return {f["path"].upper(): f["hex"].upper() for f in card.get("files", [])}

        try:
            wait_port(port)
            pre = campaign_run(first)
            assert pre["done"] == CARDS, pre
            for iccid in imsis:
                assert card_files(iccid).get("3F00/7FFF/6F78") == "8000", iccid
            summary = campaign_run(campaign)
            print("run:", json.dumps(summary), flush=True)
        finally:
            smsc.send_signal(signal.SIGTERM)
            sout, serr = smsc.communicate(timeout=60)
        assert smsc.returncode == 0, serr[-2000:]
        assert summary["cards"] == CARDS and summary["done"] == CARDS, summary
        assert summary["failed"] == 0, summary

        accs = set()
        for iccid, imsi in imsis.items():
            files = card_files(iccid)
            for path, data in EXPECTED.items():
                assert files.get(path) == data, (iccid, path, files.get(path))
            # EF.ACC went from 8000 back to the card's own class: the value it was personalised
            # with (codec default_content uses acc_for_imsi), so `sim show` no longer lists it.
            assert "3F00/7FFF/6F78" not in files, (iccid, imsi, files)
            accs.add(acc_for(imsi))
            smsp = files.get("3F00/7FFF/6F42", "")
            assert smsp[:88] == SMSP_RECORD, (iccid, smsp)
        # The engine recorded each card's own EF.ACC as known content.
        known = os.path.join(work, "known.toml")
        with open(known, "w") as fh:
            fh.write(KNOWN)
        p2 = last_json(run([otaflow, "campaign", "plan", "--state", engine, "--json", known],
                           env).stdout)
        ones = sum(1 for imsi in imsis.values() if imsi.endswith("1"))
        assert ones > 0 and p2["send"] == ones and p2["skipped"] == CARDS - ones, (ones, p2)
    print(f"ok: 6 templates over {CARDS} cards, oversized list refused at plan and run, "
          f"every card done and holding the expected bytes, {len(accs)} distinct EF.ACC "
          f"({time.time() - started:.1f} s)")


if __name__ == "__main__":
    main()
