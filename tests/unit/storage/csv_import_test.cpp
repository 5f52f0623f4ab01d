// Vendor CSV import: validation with line numbers, batches, re-import.

#include <sstream>

#include <gtest/gtest.h>

#include "storage/csv_import.hpp"
#include "storage/vendor_csv.hpp"
#include "storage_test_util.hpp"

namespace otaflow::storage {
namespace {

using test::make_iccid;
using test::open_state;
using test::temp_dir;

const std::string k16a = "000102030405060708090a0b0c0d0e0f";
const std::string k16b = "101112131415161718191a1b1c1d1e1f";
const std::string k16c = "202122232425262728292a2b2c2d2e2f";
const std::string k24 = "303132333435363738393a3b3c3d3e3f4041424344454647";
const std::string k32 = "505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f";
const std::string ki = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf";
const std::string opc = "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf";

std::string row(const std::string& iccid, const std::string& imsi, const std::string& msisdn,
                const std::string& ks1, const std::string& ks2, const std::string& extra) {
  return iccid + "," + imsi + "," + msisdn + "," + ki + "," + opc + "," + ks1 + "," + ks2 + "," +
         extra + "\n";
}

const std::string header =
    "ICCID,IMSI,MSISDN,KI,OPC,KIC1,KID1,KIK1,KIC2,KID2,KIK2,subscription_type,PIN1\n";
const std::string ks1 = k16a + "," + k16b + "," + k16c;
const std::string ks2 = k24 + "," + k32 + "," + k16a;
const std::string no_ks = ",,";

std::string bad_luhn(std::uint64_t n) {
  auto s = make_iccid(n);
  s.back() = s.back() == '9' ? '0' : static_cast<char>(s.back() + 1);
  return s;
}

TEST(CsvImport, GoodAndBadRowsWithLineNumbers) {
  temp_dir d;
  auto st = open_state(d.path());
  std::string csv = header;
  csv += row(make_iccid(1), "001010000000001", "447700900001", ks1, ks2, "prepaid,1234");  // 2
  csv += row(make_iccid(2), "001010000000002", "", ks1, no_ks, ",0000");                   // 3
  csv += row(bad_luhn(3), "001010000000003", "447700900003", ks1, no_ks, "x,1");           // 4 bad
  csv += row(make_iccid(4), "0010", "447700900004", ks1, no_ks, "x,1");                    // 5 bad
  csv += "\n";  // 6 blank
  csv += row(make_iccid(6), "001010000000006", "", k16a.substr(2) + "," + k16b + "," + k16c, no_ks,
             "x,1");  // 7 bad: kic1 30 hex digits
  csv += row(make_iccid(7), "001010000000007", "", k16a + "," + k16b + ",zz" + k16c.substr(2),
             no_ks, "x,1");  // 8 bad: kik1 not hex
  csv += row(make_iccid(8), "001010000000008", "", ks1, k24 + ",," + k16a, "x,1");  // 9 bad
  csv += row(make_iccid(9), "001010000000009", "", no_ks, no_ks, "x,1");            // 10 bad
  csv += make_iccid(10) + ",001010000000010\n";                                     // 11 bad
  csv += row(make_iccid(1), "001010000000011", "", ks1, no_ks, "x,1");              // 12 dup
  csv += row(make_iccid(13), "001010000000013", "+447700900013", k32 + "," + k32 + "," + k24, no_ks,
             "\"post,paid\",1\r");  // 14 ok: AES-256 keys, quoted comma, CRLF

  std::istringstream in(csv);
  auto r = import_csv(*st, in);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->imported, 3u);
  EXPECT_EQ(r->updated, 0u);
  EXPECT_EQ(r->rejected, 8u);
  ASSERT_EQ(r->errors.size(), 8u);
  const std::vector<std::pair<std::size_t, std::string>> expect = {
      {4, "Luhn check digit"},
      {5, "imsi '0010': 6-15 digits expected, got 4"},
      {7, "kic1: 30 hex digits, expected 32, 48 or 64"},
      {8, "kik1: not hexadecimal"},
      {9, "keyset 2: kic2, kid2, kik2 must be all set or all empty"},
      {10, "no OTA keyset"},
      {11, "expected 13 fields, got 2"},
      {12, "already on line 2"},
  };
  for (std::size_t i = 0; i < expect.size(); ++i) {
    EXPECT_EQ(r->errors[i].line, expect[i].first) << i;
    EXPECT_NE(r->errors[i].reason.find(expect[i].second), std::string::npos) << r->errors[i].reason;
  }
  for (const auto& e : r->errors) {
    for (const auto* k : {&k16a, &k16b, &k16c, &k24, &k32, &ki, &opc}) {
      EXPECT_EQ(e.reason.find(k->substr(4, 16)), std::string::npos) << e.reason;
    }
  }
  EXPECT_EQ(r->ignored_columns, std::vector<std::string>{"pin1"});

  auto s1 = st->subscribers().get(make_iccid(1));
  ASSERT_TRUE(s1.ok() && s1->has_value());
  EXPECT_EQ((*s1)->imsi, "001010000000001");
  EXPECT_EQ((*s1)->keyset_versions, (std::vector<std::uint8_t>{1, 2}));
  EXPECT_EQ((*s1)->attributes,
            (std::map<std::string, std::string>{{"subscription_type", "prepaid"}}));
  EXPECT_EQ(*st->subscribers().find_by_msisdn("447700900001"),
            std::optional<std::string>(make_iccid(1)));
  auto keys = st->keys().get(make_iccid(1));
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(equal_ct(keys->ki.view(), hex(ki)));
  EXPECT_TRUE(equal_ct(keys->keysets.at(2).kic.view(), hex(k24)));
  EXPECT_TRUE(equal_ct(keys->keysets.at(2).kid.view(), hex(k32)));

  auto s13 = st->subscribers().get(make_iccid(13));
  ASSERT_TRUE(s13.ok() && s13->has_value());
  EXPECT_EQ((*s13)->msisdn, "447700900013");
  EXPECT_EQ((*s13)->attributes.at("subscription_type"), "post,paid");
  EXPECT_FALSE(st->subscribers().get(make_iccid(4))->has_value());
}

TEST(CsvImport, ReimportUpdatesRecordsKeysAndIndexes) {
  temp_dir d;
  auto st = open_state(d.path());
  std::string first = header;
  for (int i = 1; i <= 25; ++i) {
    first += row(make_iccid(i), "0010100000000" + std::to_string(10 + i),
                 "4477009000" + std::to_string(10 + i), ks1, ks2, "prepaid,0000");
  }
  std::istringstream in1(first);
  import_options o;
  o.batch_size = 7;  // several batches and a partial last one
  auto r1 = import_csv(*st, in1, o);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->imported, 25u);
  const std::string third = make_iccid(3);
  const counter_request cr{third, 1};
  ASSERT_TRUE(st->counters().next({&cr, 1}).ok());

  std::string second = header;
  second += row(make_iccid(3), "001010000000013", "447700999999", k32 + "," + k32 + "," + k32,
                no_ks, "postpaid,0000");
  // (001010000000030 is card 20's IMSI: a new card cannot take it.)
  second += row(make_iccid(30), "001010000000099", "", ks1, no_ks, "prepaid,0000");
  std::istringstream in2(second);
  auto r2 = import_csv(*st, in2, o);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->imported, 1u);
  EXPECT_EQ(r2->updated, 1u);
  EXPECT_EQ(r2->rejected, 0u);

  auto s = st->subscribers().get(make_iccid(3));
  ASSERT_TRUE(s.ok() && s->has_value());
  EXPECT_EQ((*s)->msisdn, "447700999999");
  EXPECT_EQ((*s)->keyset_versions, std::vector<std::uint8_t>{1});
  EXPECT_EQ((*s)->attributes.at("subscription_type"), "postpaid");
  EXPECT_FALSE(st->subscribers().find_by_msisdn("447700900013")->has_value());
  EXPECT_EQ(*st->subscribers().find_by_msisdn("447700999999"),
            std::optional<std::string>(make_iccid(3)));
  auto ks = st->keys().get_keyset(make_iccid(3), 1);
  ASSERT_TRUE(ks.ok());
  EXPECT_TRUE(equal_ct(ks->kic.view(), hex(k32)));
  EXPECT_EQ(st->keys().get_keyset(make_iccid(3), 2).error().code, make_error_code(errc::not_found));
  EXPECT_EQ(*st->counters().get(make_iccid(3), 1), 1u);  // counters survive a re-import
}

TEST(CsvImport, HeaderProblemsAreFileErrors) {
  temp_dir d;
  auto st = open_state(d.path());
  for (const std::string& csv : {std::string(""), std::string("iccid,imsi,ki,opc\n"),
                                 std::string("iccid,imsi,ki,opc,kic1,kid1\n"),
                                 std::string("iccid,imsi,ki,ki,opc,kic1,kid1,kik1\n")}) {
    std::istringstream in(csv);
    auto r = import_csv(*st, in);
    ASSERT_FALSE(r.ok()) << csv;
    EXPECT_NE(r.error().message.find("header"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(import_csv_file(*st, d.path() / "missing.csv").error().code, make_error_code(errc::io));
}

// Many chunks (the pipeline: workers read and seal chunk N+1 while chunk N is written), a
// duplicate across chunks, and a bulk load (no write-ahead log): after reopening the state
// directory every card is there with its keys, the duplicate rejected with both lines.
// (RocksDB also flushes unlogged data on a clean close, so this does not prove the import's
// own final flush; that one matters for a crash right after the import.)
TEST(CsvImport, BulkMultiChunkImportKeepsFileOrderAcrossReopen) {
  temp_dir d;
  const int n = 10'000;
  {
    auto st = open_state(d.path());
    std::string csv = header;
    for (int i = 1; i <= n; ++i) {
      csv += row(make_iccid(static_cast<std::uint64_t>(i)),
                 "00101" + std::string(10 - std::to_string(i).size(), '0') + std::to_string(i), "",
                 ks1, no_ks, "x,1");
    }
    csv += row(make_iccid(5), "001010000099999", "", ks1, no_ks, "x,1");  // line n + 2: duplicate
    std::istringstream in(csv);
    import_options o;
    o.batch_size = 700;
    o.threads = 3;
    o.bulk = true;
    auto r = import_csv(*st, in, o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->imported, static_cast<std::uint64_t>(n));
    ASSERT_EQ(r->rejected, 1u);
    EXPECT_EQ(r->errors[0].line, static_cast<std::size_t>(n + 2));
    EXPECT_NE(r->errors[0].reason.find("already on line 6"), std::string::npos)
        << r->errors[0].reason;
  }
  auto st = open_state(d.path());
  for (int i : {1, 5, 4096, 4097, n}) {
    const auto iccid = make_iccid(static_cast<std::uint64_t>(i));
    auto s = st->subscribers().get(iccid);
    ASSERT_TRUE(s.ok() && s->has_value()) << iccid;
    EXPECT_EQ((*s)->imsi,
              "00101" + std::string(10 - std::to_string(i).size(), '0') + std::to_string(i));
    auto k = st->keys().get_keyset(iccid, 1);
    ASSERT_TRUE(k.ok()) << k.error().message;
    EXPECT_EQ(to_hex(k->kic.view()), k16a);
  }
}

TEST(CsvImport, ErrorListIsCappedButCountsAll) {
  temp_dir d;
  auto st = open_state(d.path());
  std::string csv = header;
  for (int i = 1; i <= 150; ++i) csv += row(bad_luhn(i), "001010000000001", "", ks1, no_ks, "x,1");
  std::istringstream in(csv);
  auto r = import_csv(*st, in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rejected, 150u);
  EXPECT_EQ(r->errors.size(), 100u);
  EXPECT_EQ(r->errors.back().line, 101u);
}

// ---- columns: an allowlist, declared attributes, key-looking names refused ---------------

const std::string base_header = "iccid,imsi,msisdn,ki,opc,kic1,kid1,kik1";
std::string base_row(std::uint64_t n, const std::string& extra) {
  const std::string digits = std::to_string(n);
  return make_iccid(n) + ",0010100" + std::string(8 - digits.size(), '0') + digits + ",4477009" +
         std::to_string(10000 + n) + "," + ki + "," + opc + "," + ks1 +
         (extra.empty() ? "" : "," + extra) + "\n";
}

TEST(CsvImport, KeyLookingAndUnknownColumnsRefuseTheFileNamingTheColumn) {
  struct bad_column {
    std::string name;  // as in the header
    const char* why;   // part of the error
  };
  const std::vector<bad_column> table = {
      {"opc_old", "looks like key material (word 'opc')"},
      {"eki", "looks like key material (word 'eki')"},
      {"ki2", "looks like key material (word 'ki')"},
      {"k_i", "looks like key material (word 'k')"},
      {"O.P.C", "looks like key material (its letters spell 'opc')"},
      {"KIC16", "looks like key material (word 'kic')"},
      {"kid_0", "looks like key material (word 'kid')"},
      {"OP", "looks like key material (word 'op')"},
      {"transport_key", "looks like key material (word 'key')"},
      {"Client Secret", "looks like key material (word 'secret')"},
      {"adm_code", "looks like key material (word 'adm')"},
      {"pin3", "looks like key material (word 'pin')"},
      {"region", "unknown; declare it with --attribute region"},
      {"imsi2", "unknown"},
  };
  for (const auto& c : table) {
    SCOPED_TRACE(c.name);
    temp_dir d;
    auto st = open_state(d.path());
    std::istringstream in(base_header + "," + c.name + "\n" + base_row(1, "x"));
    auto r = import_csv(*st, in);
    ASSERT_FALSE(r.ok());
    const auto& m = r.error().message;
    std::string lname = c.name;
    for (auto& ch : lname) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_NE(m.find("column 9 '" + lname + "' "), std::string::npos) << m;
    EXPECT_NE(m.find(c.why), std::string::npos) << m;
    // Nothing of a refused file is imported.
    EXPECT_FALSE(st->subscribers().get(make_iccid(1))->has_value());
  }
}

TEST(CsvImport, DeclaringKeyMaterialAsAnAttributeIsRefused) {
  for (const std::string name : {"opc_old", "ki2", "EKI", "k_i", "pin1", "secret"}) {
    SCOPED_TRACE(name);
    temp_dir d;
    auto st = open_state(d.path());
    std::istringstream in(base_header + "," + name + "\n" + base_row(1, "x"));
    import_options o;
    o.attributes = {name};
    auto r = import_csv(*st, in, o);
    ASSERT_FALSE(r.ok());
    std::string lname = name;
    for (auto& ch : lname) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_NE(r.error().message.find("--attribute '" + lname + "': looks like key material"),
              std::string::npos)
        << r.error().message;
    EXPECT_FALSE(st->subscribers().get(make_iccid(1))->has_value());
  }
}

TEST(CsvImport, ProfileAndDeclaredColumnsBecomeAttributesPinPukAdmAreIgnored) {
  temp_dir d;
  auto st = open_state(d.path());
  std::istringstream in(base_header +
                        ",Subscription_Type,vendor,card_profile,Region,PIN1,PUK1,ADM1\n" +
                        base_row(1, "iot,acme,aes,north,1234,12345678,0000000000000000"));
  import_options o;
  o.attributes = {"region"};
  auto r = import_csv(*st, in, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->imported, 1u);
  EXPECT_EQ(r->ignored_columns, (std::vector<std::string>{"pin1", "puk1", "adm1"}));
  auto s = st->subscribers().get(make_iccid(1));
  ASSERT_TRUE(s.ok() && s->has_value());
  EXPECT_EQ((*s)->attributes, (std::map<std::string, std::string>{{"card_profile", "aes"},
                                                                  {"region", "north"},
                                                                  {"subscription_type", "iot"},
                                                                  {"vendor", "acme"}}));
}

TEST(CsvImport, KeyMaterialWordRule) {
  for (const char* yes :
       {"k",        "Ki",    "KI_2", "eki",   "op",  "OPc",       "opc-old", "k.i",
        "k i",      "kic16", "KID",  "kik3",  "kek", "masterkey", "KEYSET",  "secret_1",
        "password", "pin",   "puk2", "adm_1", "psk", "o_p_c",     "e.k.i"}) {
    EXPECT_TRUE(vendor_csv::key_material_word(yes).has_value()) << yes;
  }
  for (const char* no : {"subscription_type", "vendor", "card_profile", "region", "kind", "opcode",
                         "skip", "batch", "eid", "iccid", "imsi", "msisdn", "okapi"}) {
    EXPECT_FALSE(vendor_csv::key_material_word(no).has_value()) << no;
  }
}

// ---- one MSISDN and one IMSI per card -----------------------------------------------------

TEST(CsvImport, DuplicateMsisdnOrImsiRowsAreRejectedTheOthersImported) {
  temp_dir d;
  auto st = open_state(d.path());
  std::string csv = base_header + "\n";
  csv += make_iccid(1) + ",001010000000001,447700900001," + ki + "," + opc + "," + ks1 + "\n";
  csv += make_iccid(2) + ",001010000000002,+447700900001," + ki + "," + opc + "," + ks1 + "\n";
  csv += make_iccid(3) + ",001010000000001,447700900003," + ki + "," + opc + "," + ks1 + "\n";
  csv += make_iccid(4) + ",001010000000004,," + ki + "," + opc + "," + ks1 + "\n";
  csv += make_iccid(5) + ",001010000000005,," + ki + "," + opc + "," + ks1 + "\n";  // no MSISDN
  csv += make_iccid(2) + ",001010000000002,447700900002," + ki + "," + opc + "," + ks1 + "\n";
  std::istringstream in(csv);
  auto r = import_csv(*st, in);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->imported, 4u);  // cards 1, 4, 5 and card 2's second row
  EXPECT_EQ(r->rejected, 2u);
  ASSERT_EQ(r->errors.size(), 2u);
  EXPECT_EQ(r->errors[0].line, 3u);
  EXPECT_EQ(r->errors[0].reason, "msisdn 447700900001 already on line 2 (another iccid)");
  EXPECT_EQ(r->errors[1].line, 4u);
  EXPECT_EQ(r->errors[1].reason, "imsi 001010000000001 already on line 2 (another iccid)");
  EXPECT_EQ(*st->subscribers().find_by_msisdn("447700900001"),
            std::optional<std::string>(make_iccid(1)));
  EXPECT_EQ(*st->subscribers().find_by_imsi("001010000000001"),
            std::optional<std::string>(make_iccid(1)));
  EXPECT_EQ((*st->subscribers().get(make_iccid(2)))->msisdn, "447700900002");
  EXPECT_FALSE(st->subscribers().get(make_iccid(3))->has_value());
}

TEST(CsvImport, NumbersOfStoredCardsAreRefusedReimportIsIdempotentAndAMoveReleases) {
  temp_dir d;
  auto st = open_state(d.path());
  auto line = [](std::uint64_t n, const std::string& imsi, const std::string& msisdn) {
    return make_iccid(n) + "," + imsi + "," + msisdn + "," + ki + "," + opc + "," + ks1 + "\n";
  };
  const std::string first = base_header + "\n" + line(1, "001010000000001", "447700900001") +
                            line(2, "001010000000002", "447700900002");
  {
    std::istringstream in(first);
    auto r = import_csv(*st, in);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->imported, 2u);
  }
  {  // the same file again: every card updated, nothing rejected
    std::istringstream in(first);
    auto r = import_csv(*st, in);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->updated, 2u);
    EXPECT_EQ(r->rejected, 0u) << (r->errors.empty() ? "" : r->errors[0].reason);
  }
  {  // another card taking a stored card's numbers; then card 1 moves and card 4 takes its old
     // MSISDN (allowed: the move came first); card 5 takes card 2's number before it moves
    std::istringstream in(
        base_header + "\n" + line(3, "001010000000003", "447700900001") +
        line(3, "001010000000002", "447700900003") + line(1, "001010000000001", "447700900009") +
        line(4, "001010000000004", "447700900001") + line(5, "001010000000005", "447700900002") +
        line(2, "001010000000002", "447700900022"));
    auto r = import_csv(*st, in);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->imported, 1u);  // card 4
    EXPECT_EQ(r->updated, 2u);   // cards 1, 2
    ASSERT_EQ(r->rejected, 3u);
    EXPECT_EQ(r->errors[0].line, 2u);
    EXPECT_EQ(r->errors[0].reason,
              "msisdn 447700900001 belongs to iccid " + make_iccid(1) + " in the repository");
    EXPECT_EQ(r->errors[1].line, 3u);
    EXPECT_EQ(r->errors[1].reason,
              "imsi 001010000000002 belongs to iccid " + make_iccid(2) + " in the repository");
    EXPECT_EQ(r->errors[2].line, 6u);
    EXPECT_EQ(r->errors[2].reason,
              "msisdn 447700900002 belongs to iccid " + make_iccid(2) + " in the repository");
  }
  EXPECT_EQ(*st->subscribers().find_by_msisdn("447700900001"),
            std::optional<std::string>(make_iccid(4)));
  EXPECT_EQ(*st->subscribers().find_by_msisdn("447700900009"),
            std::optional<std::string>(make_iccid(1)));
  EXPECT_EQ(*st->subscribers().find_by_msisdn("447700900022"),
            std::optional<std::string>(make_iccid(2)));
  EXPECT_FALSE(st->subscribers().find_by_msisdn("447700900002")->has_value());
  EXPECT_FALSE(st->subscribers().get(make_iccid(3))->has_value());
  EXPECT_FALSE(st->subscribers().get(make_iccid(5))->has_value());
}

// The workers read the numbers' holders ahead of the writer (chunks of 4096 lines, threads):
// a duplicate far from its first row, across chunks, on a repository that holds cards.
TEST(CsvImport, DuplicateMsisdnAcrossChunksOnAFilledRepository) {
  temp_dir d;
  auto st = open_state(d.path());
  {
    std::istringstream in(base_header + "\n" + base_row(9000, ""));
    ASSERT_TRUE(import_csv(*st, in).ok());
  }
  std::string csv = base_header + "\n";
  for (std::uint64_t i = 1; i <= 6000; ++i) csv += base_row(i, "");
  csv += make_iccid(7000) + ",001010009999999,447700910010," + ki + "," + opc + "," + ks1 + "\n";
  std::istringstream in(csv);
  import_options o;
  o.threads = 3;
  o.batch_size = 500;
  auto r = import_csv(*st, in, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->imported, 6000u);
  ASSERT_EQ(r->rejected, 1u);
  EXPECT_EQ(r->errors[0].line, 6002u);
  EXPECT_EQ(r->errors[0].reason, "msisdn 447700910010 already on line 11 (another iccid)");
}

TEST(CsvImport, KeyLengthRules) {
  EXPECT_TRUE(ota_key_length_ok(16));
  EXPECT_TRUE(ota_key_length_ok(24));
  EXPECT_TRUE(ota_key_length_ok(32));
  EXPECT_FALSE(ota_key_length_ok(8));
  EXPECT_TRUE(auth_key_length_ok(16));
  EXPECT_TRUE(auth_key_length_ok(32));
  EXPECT_FALSE(auth_key_length_ok(24));
}

}  // namespace
}  // namespace otaflow::storage
