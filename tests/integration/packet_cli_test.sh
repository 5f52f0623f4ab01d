#!/usr/bin/env bash
# `otaflow packet ...` end to end: exact JSON for pySim test_ota.py vectors (real
# sysmoISIM-SJA5 PoRs), exit codes 0 / 1 (verification failed) / 2 (bad usage).
# Usage: packet_cli_test.sh path/to/otaflow
set -uo pipefail
bin=${1:?usage: $0 path/to/otaflow}
fail=0

KIC=300102030405060708090a0b0c0d0e0f
KID=301102030405060708090a0b0c0d0e0f
GT=00201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f

# expect NAME WANT_RC WANT_STDOUT -- ARGS...
expect() {
  local name=$1 want_rc=$2 want_out=$3
  shift 4
  local out rc
  out=$("$bin" packet "$@" 2>/tmp/packet_cli_err.$$)
  rc=$?
  if [[ $rc != "$want_rc" ]]; then
    echo "FAIL $name: exit $rc, want $want_rc ($(cat /tmp/packet_cli_err.$$))"
    fail=1
  elif [[ -n $want_out && $out != "$want_out" ]]; then
    echo "FAIL $name:"
    echo "  got  $out"
    echo "  want $want_out"
    fail=1
  else
    echo "ok   $name"
  fi
  rm -f /tmp/packet_cli_err.$$
}

expect encode-ground-truth 0 \
  "{\"command_packet\":\"$GT\",\"sms\":[\"027000$GT\"]}" -- \
  encode --spi 0619 --kic 35 --kid 35 --tar B00011 --counter 0000000000 \
  --kic-key $KIC --kid-key $KID --data 00a40004023f00

expect decode-packet 0 \
  '{"spi":"0619","kic":"35","kid":"35","tar":"b00011","counter":"0000000000","pcntr":"03","valid":true,"data":"00a40004023f00"}' -- \
  decode --kic-key $KIC --kid-key $KID $GT

expect decode-tp-ud 0 \
  '{"spi":"0619","kic":"35","kid":"35","tar":"b00011","counter":"0000000000","pcntr":"03","valid":true,"data":"00a40004023f00"}' -- \
  decode --kic-key $KIC --kid-key $KID 027000$GT

BAD=${GT%??}00
expect decode-tampered 1 "" -- decode --kic-key $KIC --kid-key $KID $BAD

expect por-decode-sja5 0 \
  '{"tar":"b00011","counter":"0000000000","pcntr":"06","status":"00","valid":true,"data":"016132"}' -- \
  por-decode --spi 0619 --kic 35 --kid 35 --kic-key $KIC --kid-key $KID \
  027100001c12b000118bb989492c632529326a2f4681feb37c825bc9021c9f6d0b

expect por-decode-bare 0 \
  '{"tar":"b00011","counter":"0000000000","pcntr":"00","status":"00","valid":true,"data":"016132"}' -- \
  por-decode --spi 0609 --kic 35 --kid 35 --kic-key $KIC --kid-key $KID \
  001612b0001100000000000000b5bcd6353a421fae016132

expect por-decode-bad-cc 1 "" -- \
  por-decode --spi 0609 --kic 35 --kid 35 --kic-key $KIC --kid-key $KID \
  027100001612b0001100000000000000b5bcd6353a421fae026132

expect por-encode-sja5 0 \
  '{"response_packet":"001c12b000118bb989492c632529326a2f4681feb37c825bc9021c9f6d0b","sms":["027100001c12b000118bb989492c632529326a2f4681feb37c825bc9021c9f6d0b"]}' -- \
  por-encode --spi 0619 --kic 35 --kid 35 --kic-key $KIC --kid-key $KID \
  --tar b00011 --counter 0 --status 00 --data 016132

expect por-encode-06-needs-no-keys 0 \
  '{"response_packet":"000b0ab0001100000000070006","sms":["027100000b0ab0001100000000070006"]}' -- \
  por-encode --spi 0619 --kic 35 --kid 35 --tar b00011 --counter 7 --status 06

# Concatenation: 200 octets of data do not fit one SM.
DATA=$(printf 'ab%.0s' $(seq 1 200))
out=$("$bin" packet encode --spi 1621 --kic 15 --kid 15 --tar B00010 --counter 0000000001 \
  --kic-key $KIC --kid-key $KID --data "$DATA" --concat-ref 42)
if [[ $out == *'"sms":["0770000003'2a0201* && $out == *'","050003'2a0202* ]]; then
  echo "ok   encode-concatenated"
else
  echo "FAIL encode-concatenated: $out"
  fail=1
fi

expect usage-bad-spi 2 "" -- encode --spi 8619 --kic 35 --kid 35 --tar b00011 --counter 0 \
  --kic-key $KIC --kid-key $KID
expect usage-missing-key 2 "" -- encode --spi 0619 --kic 35 --kid 35 --tar b00011 --counter 0
expect usage-bad-hex 2 "" -- decode --kic-key $KIC --kid-key $KID 0020zz
expect usage-not-a-packet 2 "" -- decode --kic-key $KIC --kid-key $KID 0001
expect usage-cc-length 2 "" -- encode --spi 0619 --kic 35 --kid 35 --tar b00011 --counter 0 \
  --kic-key $KIC --kid-key $KID --cc-length 9

exit $fail
