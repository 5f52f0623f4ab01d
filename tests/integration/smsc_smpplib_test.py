#!/usr/bin/env python3
"""python-smpplib, an independent SMPP 3.4 client, against the otaflow SMSC simulator.

Usage: smsc_smpplib_test.py [--venv DIR] DRIVER
DRIVER (smsc_sim_driver) starts the simulator with account test/test and a fake card that
answers every OTA SMS-DELIVER with an RP-ACK carrying a canned PoR, and prints "PORT <n>".
Without smpplib, --venv DIR makes a venv there, pip-installs smpplib from PyPI and runs this
script again inside it. Exit code 77 (skipped) when smpplib cannot be had.
"""

import os
import subprocess
import sys
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

# The canned PoR of tests/unit/sim/smsc_fake_gateway.hpp (TS 31.115 §4.4 layout).
POR = bytes.fromhex("027100" "000e" "0a" "b00001" "0000000001" "00" "00" "019000")
# An OTA command: UDH 02 70 00 (command packet identifier) and a secured-packet-like body.
OTA_UD = bytes.fromhex("027000" "0015" "16" "1201" "2525" "b00001" "0000000001" "00112233")

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def client_for(port):
    return smpplib.client.Client("127.0.0.1", port, timeout=5, allow_unknown_opt_params=True)


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


def ota_round_trip(port):
    c = client_for(port)
    sent, received = [], []
    c.set_message_sent_handler(lambda pdu, **kw: sent.append(pdu))
    c.set_message_received_handler(lambda pdu, **kw: received.append(pdu))
    c.connect()
    c.bind_transceiver(system_id="test", password="test")
    c.send_message(source_addr_ton=1, source_addr_npi=1, source_addr="4670000000",
                   dest_addr_ton=1, dest_addr_npi=1, destination_addr="4671234567",
                   esm_class=0x40, protocol_id=0x7F, data_coding=0x02,
                   registered_delivery=1, short_message=OTA_UD)
    deadline = time.time() + 10
    while (len(sent) < 1 or len(received) < 2) and time.time() < deadline:
        c.read_once(auto_send_enquire_link=False)
    check(len(sent) == 1, "one submit_sm_resp, got %d" % len(sent))
    check(len(received) == 2, "two deliver_sm (PoR and receipt), got %d" % len(received))
    if not sent or len(received) < 2:
        return
    resp = sent[0]
    check(resp.status == 0, "submit_sm_resp status %r" % resp.status)
    message_id = resp.message_id
    check(message_id, "submit_sm_resp carries a message_id")

    por = [p for p in received if not (p.esm_class & 0x04)]
    dlr = [p for p in received if p.esm_class & 0x04]
    check(len(por) == 1 and len(dlr) == 1, "one PoR and one receipt")
    if por:
        p = por[0]
        check(p.short_message == POR, "PoR bytes %r" % (p.short_message,))
        check(p.source_addr == b"4671234567", "PoR source_addr %r" % (p.source_addr,))
        check(p.destination_addr == b"4670000000", "PoR destination_addr %r"
              % (p.destination_addr,))
        check(p.esm_class == 0x40, "PoR esm_class 0x%02x" % p.esm_class)
        check(p.protocol_id == 0x7F, "PoR protocol_id 0x%02x" % p.protocol_id)
        check(p.data_coding == 0xF6, "PoR data_coding 0x%02x" % p.data_coding)
    if dlr:
        d = dlr[0]
        check(d.receipted_message_id == message_id,
              "receipted_message_id %r vs %r" % (d.receipted_message_id, message_id))
        check(d.message_state == 2, "message_state %r, want 2 (DELIVERED)" % d.message_state)
        check(b"stat:DELIVRD" in d.short_message, "receipt text %r" % (d.short_message,))
        check(b"id:" + message_id in d.short_message, "receipt id in the text")

    # enquire_link and unbind round trips
    c.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=c))
    r = c.read_pdu()
    check(r.command == "enquire_link_resp", "enquire_link answered by %s" % r.command)
    r = c.unbind()
    check(r.command == "unbind_resp" and r.status == 0, "unbind answered")
    c.disconnect()


def main():
    args = sys.argv[1:]
    if args[:1] == ["--venv"]:
        args = args[2:]
    if len(args) != 1:
        print(__doc__)
        return 2
    proc = subprocess.Popen([args[0]], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "PORT":
            print("driver did not print its port:", line)
            return 1
        port = int(line[1])
        wrong_password(port)
        ota_round_trip(port)
    finally:
        proc.stdin.close()
        proc.wait(timeout=20)
    print("FAILED: %d checks" % len(failures) if failures else "OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
