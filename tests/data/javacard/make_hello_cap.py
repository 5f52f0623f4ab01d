#!/usr/bin/env python3
"""Writes hello.cap, the CAP fixture of tests/unit/codec/javacard_cap_test.cpp: a ZIP like the
Java Card converter's output (components under <package>/javacard/, a manifest, stored and
deflated entries alternating) whose components are structurally valid (tag, u16 size, Header
magic DECAFFED, package AID D07002CA44, one applet D07002CA44900101) but hold no real bytecode.
Run from this directory: python3 make_hello_cap.py"""
import struct
import zipfile


def comp(tag, body):
    return bytes([tag]) + struct.pack('>H', len(body)) + body


PKG = bytes.fromhex('d07002ca44')
APPLET = bytes.fromhex('d07002ca44900101')
COMPONENTS = {
    'Header': comp(1, struct.pack('>I', 0xDECAFFED) + bytes([1, 2, 0, 0, 1, len(PKG)]) + PKG),
    'Directory': comp(2, bytes(range(20))),
    'Applet': comp(3, bytes([1, len(APPLET)]) + APPLET + b'\x00\x10'),
    'Import': comp(4, bytes.fromhex('01000107a0000000620001')),
    'ConstantPool': comp(5, bytes.fromhex('000101000000')),
    'Class': comp(6, bytes(30)),
    'Method': comp(7, b'\x55' * 40),
    'StaticField': comp(8, bytes(10)),
    'RefLocation': comp(9, bytes(4)),
    'Descriptor': comp(11, bytes(5)),
    'Debug': comp(12, b'dbg'),
}

with zipfile.ZipFile('hello.cap', 'w') as z:
    def put(name, data, deflate):
        info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
        z.writestr(info, data)
    put('META-INF/MANIFEST.MF', 'Manifest-Version: 1.0\n', True)
    for i, (name, data) in enumerate(COMPONENTS.items()):
        put('com/example/hello/javacard/%s.cap' % name, data, i % 2 == 1)
