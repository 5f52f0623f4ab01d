#!/usr/bin/env python3
"""python-smpplib, an independent SMPP 3.4 client, against `otaflow smsc-sim` and the real
virtual UICC fleet (the acceptance test of the card-side issue).

Usage: smsc_smpplib_test.py [--venv DIR] OTAFLOW_BINARY

  otaflow fleet generate --count 20 --seed S --out fleet.csv
  otaflow smsc-sim --listen 127.0.0.1:P --fleet fleet.csv --state DIR --system-id test ...

then, bound as transceiver test/test, secured RFM commands built with `otaflow packet encode`
(3DES keyset 1 from the CSV's kic1/kid1, TAR B00010, a compact TS 102 226 script that updates
EF_FPLMN) go out as submit_sm and their PoRs come back as deliver_sm, opened with `otaflow
packet por-decode`: 00, the same counter again 02, a wrong KID key 01, an unknown TAR 09.
Malformed PDUs and garbage on other connections get the right SMPP error while a bound ESME
keeps being served. After SIGTERM, smsc-sim's last stdout line is a JSON summary with the
fleet's PoR histogram, and `otaflow sim show` reads the new EF_FPLMN from the card's state.

Without smpplib, --venv DIR makes a venv there, pip-installs smpplib from PyPI and runs this
script again inside it. Exit code 77 (skipped) only when smpplib cannot be had.
"""

import csv
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time


def ensure_smpplib(argv):
    """Imports smpplib, or re-runs this script from a venv that has it (exit 77 if none)."""
    try:
        import smpplib.client  # noqa: F401
        return
    except ImportError:
        pass
    if len(argv) < 3 or argv[1] != "--venv" or os.environ.get("OTAFLOW_SMPPLIB_VENV_TRIED"):
        print("smpplib is not installed: skipping")
        sys.exit(77)
    venv = argv[2]
    python = os.path.join(venv, "bin", "python")
    try:
        if not os.path.exists(python):
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "smpplib"], check=True,
                       timeout=240)
    except (subprocess.SubprocessError, OSError) as e:
        print("cannot install smpplib (%s): skipping" % e)
        sys.exit(77)
    os.environ["OTAFLOW_SMPPLIB_VENV_TRIED"] = "1"
    os.execv(python, [python] + argv)


ensure_smpplib(sys.argv)

import smpplib.client  # noqa: E402
import smpplib.consts  # noqa: E402
import smpplib.exceptions  # noqa: E402
import smpplib.smpp  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testlib import free_port  # noqa: E402

SEED = "smpplib-acceptance"
OTA_SERVER = "4670000000"
TAR = "b00010"  # RFM of the UICC file system (TS 101 220 Annex D), served by the default profile
# SPI 1639: CC, ciphered, counter "higher than" (octet 1 = 16); PoR always, CC and ciphered, by
# SMS-SUBMIT (octet 2 = 39). KIc/KID 15: keyset 1, two-key 3DES CBC (TS 102 225 §5.1.2-3).
SPI, KIC, KID = "1639", "15", "15"
FPLMN = "00f110ffffffffffffffffff"  # MCC 001 MNC 01, then empty entries (TS 31.102 §4.2.16)
# Compact script (TS 102 226 §5.1): SELECT MF, DF 7FFF (ADF.USIM), EF_FPLMN 6F7B, UPDATE BINARY.
SCRIPT = ("00a40004023f00" "00a40004027fff" "00a40004026f7b" "00d600000c" + FPLMN)
# Its TS 102 226 §5.1 compact response: 4 commands executed, last SW 9000, no data.
SCRIPT_RESPONSE = "049000"

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    return cond


def run(cmd, expect_rc=0):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if r.returncode != expect_rc:
        raise RuntimeError("%s exited %d: %s%s" % (" ".join(cmd[1:3]), r.returncode, r.stdout,
                                                    r.stderr))
    return r.stdout


def wait_port(port, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("smsc-sim exited with %d" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("smsc-sim did not listen on %d" % port)


def client_for(port):
    return smpplib.client.Client("127.0.0.1", port, timeout=5, allow_unknown_opt_params=True)


class Otaflow:
    def __init__(self, binary):
        self.bin = binary

    def encode(self, counter, kic_key, kid_key, tar=TAR, data=SCRIPT):
        out = run([self.bin, "packet", "encode", "--spi", SPI, "--kic", KIC, "--kid", KID,
                   "--tar", tar, "--counter", "%010x" % counter, "--kic-key", kic_key,
                   "--kid-key", kid_key, "--data", data])
        sms = json.loads(out)["sms"]
        assert len(sms) == 1, sms
        return bytes.fromhex(sms[0])

    def por_decode(self, ud, kic_key, kid_key):
        r = subprocess.run([self.bin, "packet", "por-decode", "--spi", SPI, "--kic", KIC,
                            "--kid", KID, "--kic-key", kic_key, "--kid-key", kid_key, ud.hex()],
                           capture_output=True, text=True, timeout=60)
        return json.loads(r.stdout), r.returncode, r.stderr


def wrong_password(port):
    c = client_for(port)
    c.connect()
    try:
        c.bind_transmitter(system_id="test", password="wrong")
        check(False, "bind with a wrong password succeeded")
    except smpplib.exceptions.PDUError as e:
        check(e.args[1] == smpplib.consts.SMPP_ESME_RINVPASWD,
              "wrong password: status %r, want ESME_RINVPASWD" % (e.args[1],))
    finally:
        c.disconnect()


class Esme:
    """A transceiver bind that collects submit_sm_resp and deliver_sm."""

    def __init__(self, port):
        self.c = client_for(port)
        self.sent, self.received = [], []
        self.c.set_message_sent_handler(lambda pdu, **kw: self.sent.append(pdu))
        self.c.set_message_received_handler(lambda pdu, **kw: self.received.append(pdu))
        self.c.connect()
        self.c.bind_transceiver(system_id="test", password="test")

    def submit(self, msisdn, ud, registered_delivery=0):
        self.c.send_message(source_addr_ton=1, source_addr_npi=1, source_addr=OTA_SERVER,
                            dest_addr_ton=1, dest_addr_npi=1, destination_addr=msisdn,
                            esm_class=0x40, protocol_id=0x7F, data_coding=0xF6,
                            registered_delivery=registered_delivery, short_message=ud)

    def wait(self, sent, received, timeout=10):
        deadline = time.time() + timeout
        while (len(self.sent) < sent or len(self.received) < received) and \
                time.time() < deadline:
            self.c.read_once(auto_send_enquire_link=False)

    def close(self):
        r = self.c.unbind()
        check(r.command == "unbind_resp" and r.status == 0, "unbind answered")
        self.c.disconnect()


def one_por(esme, tool, card, ud, want_status, registered_delivery=0, kid_key=None):
    """Submits one command packet, waits for its PoR, opens it; returns the decoded JSON."""
    n_sent, n_received = len(esme.sent), len(esme.received)
    esme.submit(card["msisdn"], ud, registered_delivery)
    want = 1 + (1 if registered_delivery else 0)
    esme.wait(n_sent + 1, n_received + want)
    sent, received = esme.sent[n_sent:], esme.received[n_received:]
    label = "PoR %s" % want_status
    if not check(len(sent) == 1 and sent[0].status == 0, label + ": submit_sm_resp ESME_ROK"):
        return None
    por = [p for p in received if not (p.esm_class & 0x04)]
    dlr = [p for p in received if p.esm_class & 0x04]
    if not check(len(por) == 1, label + ": one PoR deliver_sm, got %d" % len(por)):
        return None
    p = por[0]
    check(p.source_addr == card["msisdn"].encode(), label + ": source_addr %r" % p.source_addr)
    check(p.destination_addr == OTA_SERVER.encode(),
          label + ": destination_addr %r" % p.destination_addr)
    check(p.esm_class == 0x40, label + ": esm_class 0x%02x" % p.esm_class)
    check(p.protocol_id == 0x7F, label + ": protocol_id 0x%02x" % p.protocol_id)
    check(p.data_coding == 0xF6, label + ": data_coding 0x%02x" % p.data_coding)
    ud = p.short_message
    check(ud[:3] == bytes.fromhex("027100"), label + ": UDH %s, want 027100" % ud[:3].hex())
    # TS 31.115 §4.4 from the UDH on: RPL(2) RHL(1) TAR(3) CNTR(5) PCNTR(1) Status(1); the
    # status octet is readable at a fixed offset only when the PoR is not ciphered.
    decoded, rc, err = tool.por_decode(ud, card["kic1"], kid_key or card["kid1"])
    check(rc == 0 and decoded["valid"], label + ": por-decode rc %d %s %s" % (rc, decoded, err))
    check(decoded["status"] == want_status, label + ": status %s" % decoded["status"])
    if registered_delivery:
        message_id = sent[0].message_id
        if check(len(dlr) == 1, label + ": one receipt"):
            d = dlr[0]
            check(d.receipted_message_id == message_id,
                  "receipted_message_id %r vs %r" % (d.receipted_message_id, message_id))
            check(d.message_state == 2, "message_state %r, want 2 (DELIVERED)" % d.message_state)
            check(b"stat:DELIVRD" in d.short_message, "receipt text %r" % (d.short_message,))
    return decoded, ud


def ota_checks(port, tool, card):
    esme = Esme(port)
    good = tool.encode(1, card["kic1"], card["kid1"])

    r = one_por(esme, tool, card, good, "00", registered_delivery=1)
    if r:
        decoded, ud = r
        check(decoded["tar"] == TAR, "PoR 00: TAR %s" % decoded["tar"])
        check(decoded["counter"] == "0000000001", "PoR 00: counter %s" % decoded["counter"])
        check(decoded["data"] == SCRIPT_RESPONSE,
              "PoR 00: data %s, want %s" % (decoded["data"], SCRIPT_RESPONSE))
        # Secured as SPI octet 2 asks: ciphered, so the status octet is not in clear.
        check(len(ud) > 3 + 13, "PoR 00 carries a CC: %d octets" % len(ud))

    r = one_por(esme, tool, card, good, "02")  # the same counter again: CNTR low
    if r:
        check(r[0]["counter"] == "0000000001", "PoR 02: counter %s" % r[0]["counter"])

    wrong_kid = bytes(x ^ 0x5A for x in bytes.fromhex(card["kid1"])).hex()
    r = one_por(esme, tool, card, tool.encode(2, card["kic1"], wrong_kid), "01")
    if r:
        # An error PoR of a command that did not verify goes out unsecured: RPL 000B,
        # RHL 0A, TAR, CNTR, PCNTR 00, status 01 (TS 31.115 §4.4).
        check(r[1][3:].hex() == "000b0a" + TAR + "0000000002" + "00" + "01",
              "PoR 01 bytes %s" % r[1].hex())
        check(r[1][-1] == 0x01, "PoR 01: status octet %02x" % r[1][-1])

    r = one_por(esme, tool, card, tool.encode(3, card["kic1"], card["kid1"], tar="000001"), "09")
    if r:
        check(r[0]["tar"] == "000001", "PoR 09: TAR %s" % r[0]["tar"])
        check(r[1][-1] == 0x09, "PoR 09: status octet %02x" % r[1][-1])

    # enquire_link round trip on the same bind, then unbind.
    esme.c.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=esme.c))
    r = esme.c.read_pdu()
    check(r.command == "enquire_link_resp", "enquire_link answered by %s" % r.command)
    esme.close()


# ---- malformed input on raw sockets, while another bind keeps being served --------------

def pdu(command_id, seq, body=b"", status=0):
    return struct.pack(">IIII", 16 + len(body), command_id, status, seq) + body


def recv_pdu(s, timeout=5):
    s.settimeout(timeout)
    buf = b""
    while len(buf) < 4:
        chunk = s.recv(4 - len(buf))
        if not chunk:
            return None
        buf += chunk
    (length,) = struct.unpack(">I", buf)
    while len(buf) < length:
        chunk = s.recv(length - len(buf))
        if not chunk:
            return None
        buf += chunk
    return struct.unpack(">IIII", buf[:16]), buf[16:]


def closed_by_peer(s, timeout=5):
    s.settimeout(timeout)
    try:
        while s.recv(4096):
            pass
        return True
    except (socket.timeout, OSError):
        return False


def raw_bind(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    body = b"test\0test\0\0" + bytes([0x34, 0, 0]) + b"\0"
    s.sendall(pdu(0x00000009, 1, body))  # bind_transceiver
    (length, cid, status, seq), _ = recv_pdu(s)
    check(cid == 0x80000009 and status == 0, "raw bind: 0x%08x status 0x%08x" % (cid, status))
    return s


def malformed_checks(port, tool, card):
    keeper = Esme(port)  # a good bind that must keep working throughout

    # Garbage that is not SMPP: command_length out of range -> generic_nack RINVCMDLEN, close.
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: smsc\r\n\r\n")
    r = recv_pdu(s)
    check(r is not None and r[0][1] == 0x80000000 and r[0][2] == 0x00000002,
          "garbage: generic_nack ESME_RINVCMDLEN, got %r" % (r,))
    check(closed_by_peer(s), "garbage: link closed")
    s.close()

    s = raw_bind(port)
    # Unknown command_id -> generic_nack ESME_RINVCMDID with its sequence; the link stays.
    s.sendall(pdu(0x00000077, 0x2A))
    r = recv_pdu(s)
    check(r is not None and r[0][1:] == (0x80000000, 0x00000003, 0x2A),
          "unknown command_id: %r" % (r,))
    # A truncated submit_sm body (stops inside service_type): an error submit_sm_resp.
    s.sendall(pdu(0x00000004, 5, b"CPT!"))
    r = recv_pdu(s)
    check(r is not None and r[0][1] == 0x80000004 and r[0][2] != 0 and r[0][3] == 5,
          "truncated submit_sm: %r" % (r,))
    # sm_length past the end of the PDU (wrong length): an error submit_sm_resp.
    body = (b"\0" + bytes([1, 1]) + OTA_SERVER.encode() + b"\0" + bytes([1, 1]) +
            card["msisdn"].encode() + b"\0" + bytes([0x40, 0x7F, 0, 0, 0, 0, 0, 0xF6, 0]) +
            bytes([140]) + bytes.fromhex("027000") + b"\x11" * 10)
    s.sendall(pdu(0x00000004, 6, body))
    r = recv_pdu(s)
    check(r is not None and r[0][1] == 0x80000004 and r[0][2] != 0 and r[0][3] == 6,
          "sm_length past the end: %r" % (r,))
    # An OTA submit_sm whose UDHL runs past the user data: ESME_RINVESMCLASS.
    body = (b"\0" + bytes([1, 1]) + OTA_SERVER.encode() + b"\0" + bytes([1, 1]) +
            card["msisdn"].encode() + b"\0" + bytes([0x40, 0x7F, 0, 0, 0, 0, 0, 0xF6, 0]) +
            bytes([2]) + bytes.fromhex("0970"))
    s.sendall(pdu(0x00000004, 7, body))
    r = recv_pdu(s)
    check(r is not None and r[0][1:] == (0x80000004, 0x00000043, 7),
          "UDHL past the end: ESME_RINVESMCLASS, got %r" % (r,))
    # The link still answers.
    s.sendall(pdu(0x00000015, 8))
    r = recv_pdu(s)
    check(r is not None and r[0][1:] == (0x80000015, 0, 8), "enquire_link after errors: %r" % (r,))
    # A frame whose command_length is absurd on a bound link: generic_nack and close.
    s.sendall(bytes.fromhex("ffffffffdeadbeef00000000"))
    r = recv_pdu(s)
    check(r is not None and r[0][1:3] == (0x80000000, 0x00000002),
          "bad command_length: %r" % (r,))
    check(closed_by_peer(s), "bad command_length: link closed")
    s.close()
    # A connection that dies in the middle of a PDU.
    s = raw_bind(port)
    s.sendall(pdu(0x00000015, 9)[:10])
    s.close()

    # The other bind was served all along: a command packet to another card gets PoR 00.
    other = card["other"]
    r = one_por(keeper, tool, other,
                tool.encode(1, other["kic1"], other["kid1"], data="00a40004023f00"), "00")
    check(r is not None, "the good bind is still served after the malformed input")
    keeper.close()


def main():
    args = sys.argv[1:]
    if args[:1] == ["--venv"]:
        args = args[2:]
    if len(args) != 1:
        print(__doc__)
        return 2
    tool = Otaflow(args[0])
    with tempfile.TemporaryDirectory(prefix="otaflow-smpplib-") as work:
        fleet_csv = os.path.join(work, "fleet.csv")
        state = os.path.join(work, "cards")
        run([tool.bin, "fleet", "generate", "--count", "20", "--seed", SEED, "--out", fleet_csv])
        with open(fleet_csv) as f:
            rows = list(csv.DictReader(f))
        check(len(rows) == 20, "fleet of %d rows" % len(rows))
        card = dict(rows[3])
        card["other"] = dict(rows[11])

        port = free_port()
        proc = subprocess.Popen([tool.bin, "smsc-sim", "--listen", "127.0.0.1:%d" % port,
                                 "--fleet", fleet_csv, "--state", state, "--system-id", "test"],
                                env=dict(os.environ, OTAFLOW_SMPP_PASSWORD="test"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_port(port, proc)
            wrong_password(port)
            ota_checks(port, tool, card)
            malformed_checks(port, tool, card)
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=60)
        check(proc.returncode == 0, "smsc-sim exit %d: %s" % (proc.returncode, err[-2000:]))
        last = out.strip().splitlines()[-1] if out.strip() else ""
        try:
            summary = json.loads(last)
        except ValueError:
            summary = {}
            check(False, "smsc-sim's last stdout line is not JSON: %r" % last)
        print("smsc-sim summary:", json.dumps(summary), flush=True)
        if summary:
            check(summary.get("binds", 0) >= 4, "binds %r" % summary.get("binds"))
            check(summary.get("delivered") == 5, "delivered %r" % summary.get("delivered"))
            check(summary.get("receipts") == 1, "receipts %r" % summary.get("receipts"))
            check(summary.get("por_status") == {"00": 2, "01": 1, "02": 1, "09": 1},
                  "fleet PoR histogram %r" % summary.get("por_status"))
            check(summary.get("cards_changed") == 2, "cards_changed %r"
                  % summary.get("cards_changed"))

        shown = json.loads(run([tool.bin, "sim", "show", "--state", state,
                                "--iccid", card["iccid"]]))
        files = {f["path"].upper(): f["hex"].lower() for f in shown["files"]}
        check(files.get("3F00/7FFF/6F7B") == FPLMN,
              "sim show: EF_FPLMN %r, want %s" % (files.get("3F00/7FFF/6F7B"), FPLMN))
        check(shown["counters"] == {"1": 1}, "sim show: counters %r" % shown["counters"])
        check(shown["last_por_status"] == "09", "sim show: last PoR %r"
              % shown["last_por_status"])
        check(shown["msisdn"] == card["msisdn"], "sim show: msisdn %r" % shown["msisdn"])
    print("FAILED: %d checks" % len(failures) if failures else "OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
