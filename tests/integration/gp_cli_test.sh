#!/usr/bin/env bash
# `otaflow gp ...` end to end: exact JSON for commands assembled by hand from GP Card
# Specification v2.3 chapter 11 (the same vectors as tests/unit/codec/gp_commands_test.cpp and
# tests/unit/secure/gp_key_test.cpp, whose KCVs and wrapped keys were computed with
# `openssl enc`), key files with mode 600 and 644, exit 2 on bad AIDs, hex and sizes.
# Usage: gp_cli_test.sh path/to/otaflow
set -uo pipefail
bin=${1:?usage: $0 path/to/otaflow}
fail=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

K=404142434445464748494a4b4c4d4e4f
KIK=000102030405060708090a0b0c0d0e0f

# expect NAME WANT_RC WANT_STDOUT -- ARGS...
expect() {
  local name=$1 want_rc=$2 want_out=$3
  shift 4
  local out rc
  out=$("$bin" gp "$@" 2>"$work/err")
  rc=$?
  if [[ $rc != "$want_rc" ]]; then
    echo "FAIL $name: exit $rc, want $want_rc ($(cat "$work/err"))"
    fail=1
  elif [[ -n $want_out && $out != "$want_out" ]]; then
    echo "FAIL $name:"
    echo "  got  $out"
    echo "  want $want_out"
    fail=1
  elif [[ $want_rc == 2 && ! -s $work/err ]]; then
    echo "FAIL $name: exit 2 without a message"
    fail=1
  else
    echo "ok   $name"
  fi
}

expect install-for-load 0 \
  '{"apdu":"80e602001805d07002ca4408a0000001510000000006ef04c60210000000"}' -- \
  install-for-load --package D07002CA44 --sd A000000151000000 --params EF04C6021000

expect install-for-install 0 \
  '{"apdu":"80e60c001e05d07002ca4408d07002ca4490010108d07002ca44900101010002c9000000"}' -- \
  install-for-install --package D07002CA44 --module D07002CA44900101 --instance D07002CA44900101

expect install-only-with-params 0 \
  '{"apdu":"80e604002805d07002ca4408d07002ca4490010108d07002ca44900102038000000ac9020102ef04c70201000000"}' -- \
  install-for-install --package D07002CA44 --module D07002CA44900101 \
  --instance D07002CA44900102 --privileges 800000 --params 0102 --system-params C7020100 \
  --install-only

expect delete-related 0 '{"apdu":"80e40080074f05d07002ca4400"}' -- delete --aid D07002CA44 --related
expect delete 0 '{"apdu":"80e40000074f05d07002ca4400"}' -- delete --aid d07002ca44
expect get-status-isd 0 '{"apdu":"80f28002024f0000"}' -- get-status --scope isd
expect get-status-apps-next 0 '{"apdu":"80f24003024f0000"}' -- get-status --scope apps --next
expect get-status-modules 0 '{"apdu":"80f21002074f05d07002ca4400"}' -- \
  get-status --scope modules --aid D07002CA44

printf '\x01\x02\x03' >"$work/three.bin"
expect load-3-in-2s 0 '{"apdus":["80e8000002c40300","80e8000102010200","80e88002010300"]}' -- \
  load --file "$work/three.bin" --block-size 2
head -c 1020 /dev/zero >"$work/1020.bin"  # + C4 82 03FC = 1024 = 256 blocks of 4
out=$("$bin" gp load --file "$work/1020.bin" --block-size 4)
if [[ $(grep -o '"80e8' <<<"$out" | wc -l) == 256 && $out == *'"80e880ff0400000000'* ]]; then
  echo "ok   load-256-blocks"
else
  echo "FAIL load-256-blocks: ${out:0:200}"
  fail=1
fi
head -c 1021 /dev/zero >"$work/1021.bin"
expect load-257-blocks 2 "" -- load --file "$work/1021.bin" --block-size 4
printf 'PK\x03\x04rest' >"$work/x.cap"
expect load-broken-zip 2 "" -- load --file "$work/x.cap"
# tests/data/javacard/hello.cap (make_hello_cap.py): a 183-octet load file, C4 81 B7 + 183 = 186
# octets in blocks of 100 (100 + 86).
src=$(cd "$(dirname "$0")/../.." && pwd)
out=$("$bin" gp load --file "$src/tests/data/javacard/hello.cap" --block-size 100)
if [[ $out == '{"package_aid":"d07002ca44","applet_aids":["d07002ca44900101"],"load_file_length":183,"apdus":["80e8000064c481b701000fdecaffed'* &&
      $out == *'","80e8800156'*'0b0005000000000000"]}' ]]; then
  echo "ok   load-cap"
else
  echo "FAIL load-cap: $out"
  fail=1
fi
out=$("$bin" gp load --file "$src/tests/data/javacard/hello.cap" --no-descriptor)
if [[ $out == *'"load_file_length":175,"apdus":["80e88000b2c481af'* ]]; then
  echo "ok   load-cap-no-descriptor"
else
  echo "FAIL load-cap-no-descriptor: $out"
  fail=1
fi
expect load-missing-file 2 "" -- load --file "$work/none.bin"

expect put-key-des 0 \
  '{"apdu":"80d80001173080103187f0e89f657d9b96fde211b27ff982038baf4700","kcvs":["8baf47"]}' -- \
  put-key --kvn 0x30 --kik $KIK --type des --key $K
expect put-key-aes-replace 0 \
  '{"apdu":"80d820011830881110d533e59b45a153ed7e5e9c5dfcfd4aaa03504a7700","kcvs":["504a77"]}' -- \
  put-key --kvn 48 --replace-kvn 0x20 --kik $KIK --type aes --key $K

expect put-key-aes-bare 0 \
  '{"apdu":"80d8000117308810d533e59b45a153ed7e5e9c5dfcfd4aaa03504a7700","kcvs":["504a77"]}' -- \
  put-key --kvn 48 --kik $KIK --type aes --aes-form bare --key $K
expect usage-aes-form 2 "" -- put-key --kvn 48 --kik $KIK --type aes --aes-form short --key $K

echo $KIK >"$work/kik"
printf '%s\n%s\n' $K 505152535455565758595a5b5c5d5e5f >"$work/keys"
chmod 600 "$work/kik" "$work/keys"
expect put-key-files 0 \
  '{"apdu":"80d800812d3080103187f0e89f657d9b96fde211b27ff982038baf478010aae66281b692d18d53fccdaf0ee0a41c03a4b7d600","kcvs":["8baf47","a4b7d6"]}' -- \
  put-key --kvn 0x30 --kik-file "$work/kik" --type des --key-file "$work/keys"
chmod 644 "$work/keys"
expect put-key-open-key-file 2 "" -- \
  put-key --kvn 0x30 --kik-file "$work/kik" --type des --key-file "$work/keys"
if grep -q 4041424344 "$work/err"; then
  echo "FAIL put-key-open-key-file: the key reached the error message"
  fail=1
fi

expect status-decode 0 \
  '{"entries":[{"aid":"a000000151000000","life_cycle":"0f","privileges":"9efe80","load_file_aid":null,"load_file_version":null,"module_aids":[],"associated_sd":null}]}' -- \
  status-decode e3134f08a0000001510000009f70010fc5039efe80

expect usage-short-aid 2 "" -- delete --aid D07002CA
expect usage-long-aid 2 "" -- delete --aid 0102030405060708090a0b0c0d0e0f1011
expect usage-bad-hex-aid 2 "" -- install-for-load --package D07002CA4Z
expect usage-odd-hex 2 "" -- install-for-load --package D07002CA44 --hash ABC
expect usage-bad-module 2 "" -- install-for-install --package D07002CA44 --module 00 \
  --instance D07002CA44900101
expect usage-privileges-2 2 "" -- install-for-install --package D07002CA44 \
  --module D07002CA44900101 --instance D07002CA44900101 --privileges 0000
expect usage-scope 2 "" -- get-status --scope all
expect usage-block-size 2 "" -- load --file "$work/three.bin" --block-size 256
expect usage-kvn 2 "" -- put-key --kvn 128 --kik $KIK --type des --key $K
expect usage-kvn-zero 2 "" -- put-key --kvn 0 --kik $KIK --type des --key $K
expect usage-key-length 2 "" -- put-key --kvn 1 --kik $KIK --type des --key 0102030405060708
expect usage-type 2 "" -- put-key --kvn 1 --kik $KIK --type rsa --key $K
expect usage-no-kik 2 "" -- put-key --kvn 1 --type des --key $K
expect usage-no-key 2 "" -- put-key --kvn 1 --kik $KIK --type des
expect usage-status-garbage 2 "" -- status-decode e313

exit $fail
