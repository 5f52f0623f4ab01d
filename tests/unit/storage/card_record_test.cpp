// Card records of the subscribers topic: encode from one state directory, decode, apply to
// another (same KEK); idempotent re-apply, moved numbers, conflicts, malformed records.

#include <fstream>
#include <iterator>
#include <sstream>

#include <gtest/gtest.h>

#include "storage/card_record.hpp"
#include "storage/csv_import.hpp"
#include "storage/record_io.hpp"
#include "storage_test_util.hpp"

namespace otaflow::storage {
namespace {

using test::make_iccid;
using test::open_state;
using test::temp_dir;

const std::string ki = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf";
const std::string opc = "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf";
const std::string ks1 =
    "000102030405060708090a0b0c0d0e0f,101112131415161718191a1b1c1d1e1f,"
    "202122232425262728292a2b2c2d2e2f";
const std::string ks2 =
    "303132333435363738393a3b3c3d3e3f,404142434445464748494a4b4c4d4e4f,"
    "505152535455565758595a5b5c5d5e5f";
const std::string header = "iccid,imsi,msisdn,ki,opc,kic1,kid1,kik1,kic2,kid2,kik2,vendor\n";

std::string row(std::uint64_t n, const std::string& imsi, const std::string& msisdn,
                const std::string& second_keyset = ",,", const std::string& vendor = "acme") {
  return make_iccid(n) + "," + imsi + "," + msisdn + "," + ki + "," + opc + "," + ks1 + "," +
         second_keyset + "," + vendor + "\n";
}

void import(state& st, const std::string& csv) {
  std::istringstream in(csv);
  import_options o;
  o.threads = 1;
  o.sync = false;
  auto r = import_csv(st, in, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->rejected, 0u) << r->errors.front().reason;
}

// Encodes a card of `from` and decodes it as a receiver would.
card_record carry(state& from, std::uint64_t n) {
  auto v = encode_card(from.database(), make_iccid(n));
  EXPECT_TRUE(v.ok()) << v.error().message;
  auto rec = decode_card(make_iccid(n), v.ok() ? *v : std::string());
  EXPECT_TRUE(rec.ok()) << rec.error().message;
  return rec.ok() ? *rec : card_record{};
}

// Applies a record and commits what it staged; returns the outcome and how many rows it staged.
std::pair<apply_outcome, int> apply(state& st, const card_record& rec) {
  rocksdb::WriteBatch b;
  auto o = apply_card(st, rec, b);
  EXPECT_TRUE(o.ok()) << o.error().message;
  EXPECT_TRUE(st.database().commit(b, false).ok());
  return {o.ok() ? *o : apply_outcome::unchanged, static_cast<int>(b.Count())};
}

// A hand-made record value: version, then (column, key, value) rows.
std::string value_of(const std::vector<card_row>& rows, std::uint8_t version = 1) {
  byte_writer w;
  w.u8(version);
  for (const auto& r : rows) {
    w.u8(static_cast<std::uint8_t>(r.col));
    detail::put_str(w, r.key);
    detail::put_str(w, r.value);
  }
  return std::string(detail::as_chars(w.data()));
}

class CardRecord : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = open_state(src_dir_.path());
    dst_ = open_state(dst_dir_.path());
    ASSERT_TRUE(src_ && dst_);
    import(*src_,
           header + row(1, "001010000000001", "447700900001", ks2) + row(2, "001010000000002", ""));
  }
  temp_dir src_dir_, dst_dir_;
  std::unique_ptr<state> src_, dst_;
};

TEST_F(CardRecord, RoundTripGivesTheSameSubscriberAndKeys) {
  for (std::uint64_t n : {1, 2}) {
    const auto rec = carry(*src_, n);
    // Card 1: subscriber, by_msisdn, by_imsi, 'a', 'k'1, 'k'2; card 2 has no MSISDN, one keyset.
    EXPECT_EQ(rec.rows.size(), n == 1 ? 6u : 4u);
    EXPECT_EQ(apply(*dst_, rec).first, apply_outcome::added);
    const auto want = src_->subscribers().get(make_iccid(n));
    const auto got = dst_->subscribers().get(make_iccid(n));
    ASSERT_TRUE(want.ok() && got.ok() && got->has_value());
    EXPECT_EQ(**got, **want);
    auto wk = src_->keys().get(make_iccid(n));
    auto gk = dst_->keys().get(make_iccid(n));
    ASSERT_TRUE(wk.ok() && gk.ok()) << (gk.ok() ? "" : gk.error().message);
    EXPECT_EQ(*gk, *wk);
    EXPECT_EQ(gk->keysets.size(), n == 1 ? 2u : 1u);
    EXPECT_TRUE(equal_ct(gk->ki.view(), hex(ki)));
  }
  EXPECT_EQ(*dst_->subscribers().find_by_msisdn("447700900001"),
            std::optional<std::string>(make_iccid(1)));
  EXPECT_EQ(*dst_->subscribers().find_by_imsi("001010000000002"),
            std::optional<std::string>(make_iccid(2)));
}

TEST_F(CardRecord, NoClearKeyOctetsInTheRecord) {
  const auto v = encode_card(src_->database(), make_iccid(1));
  ASSERT_TRUE(v.ok());
  for (const auto& k : {ki, opc, std::string("000102030405060708090a0b0c0d0e0f"),
                        std::string("505152535455565758595a5b5c5d5e5f")}) {
    const auto clear = hex(k);
    EXPECT_EQ(v->find(detail::as_chars(clear)), std::string::npos);
    EXPECT_EQ(v->find(k), std::string::npos);  // nor as hex text
  }
}

TEST_F(CardRecord, ReapplyIsUnchangedAndStagesNothing) {
  const auto rec = carry(*src_, 1);
  EXPECT_EQ(apply(*dst_, rec).first, apply_outcome::added);
  EXPECT_EQ(apply(*dst_, rec), std::make_pair(apply_outcome::unchanged, 0));
  // Re-importing the same file seals anew (other nonces): still unchanged.
  import(*src_, header + row(1, "001010000000001", "447700900001", ks2));
  const auto again = carry(*src_, 1);
  EXPECT_NE(again, rec);  // the sealed bytes differ
  EXPECT_EQ(apply(*dst_, again), std::make_pair(apply_outcome::unchanged, 0));
}

TEST_F(CardRecord, ChangedKeysOrAttributesReplace) {
  EXPECT_EQ(apply(*dst_, carry(*src_, 1)).first, apply_outcome::added);
  // Keyset 2 dropped: its row must go on the receiver too.
  import(*src_, header + row(1, "001010000000001", "447700900001"));
  EXPECT_EQ(apply(*dst_, carry(*src_, 1)).first, apply_outcome::replaced);
  EXPECT_EQ(dst_->keys().get_keyset(make_iccid(1), 2).error().code,
            make_error_code(errc::not_found));
  import(*src_, header + row(1, "001010000000001", "447700900001", ",,", "other"));
  EXPECT_EQ(apply(*dst_, carry(*src_, 1)).first, apply_outcome::replaced);
  EXPECT_EQ((*dst_->subscribers().get(make_iccid(1)))->attributes.at("vendor"), "other");
}

TEST_F(CardRecord, ChangedMsisdnAndImsiDropTheOldIndexRows) {
  EXPECT_EQ(apply(*dst_, carry(*src_, 1)).first, apply_outcome::added);
  import(*src_, header + row(1, "001010000000099", "447700900099", ks2));
  EXPECT_EQ(apply(*dst_, carry(*src_, 1)).first, apply_outcome::replaced);
  EXPECT_FALSE(dst_->subscribers().find_by_msisdn("447700900001")->has_value());
  EXPECT_FALSE(dst_->subscribers().find_by_imsi("001010000000001")->has_value());
  EXPECT_EQ(*dst_->subscribers().find_by_msisdn("447700900099"),
            std::optional<std::string>(make_iccid(1)));
  EXPECT_EQ(*dst_->subscribers().find_by_imsi("001010000000099"),
            std::optional<std::string>(make_iccid(1)));
}

TEST_F(CardRecord, NumberOfAnotherCardIsRejectedNamingIt) {
  EXPECT_EQ(apply(*dst_, carry(*src_, 1)).first, apply_outcome::added);
  // Card 3 in another import claims card 1's MSISDN; then card 4 claims card 1's IMSI.
  temp_dir other_dir;
  auto other = open_state(other_dir.path());
  import(*other, header + row(3, "001010000000003", "447700900001") +
                     row(4, "001010000000001", "447700900004"));
  for (std::uint64_t n : {3, 4}) {
    rocksdb::WriteBatch b;
    auto o = apply_card(*dst_, carry(*other, n), b);
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.error().code, make_error_code(errc::conflict));
    const std::string what = n == 3 ? "msisdn 447700900001" : "imsi 001010000000001";
    EXPECT_EQ(o.error().message, "card " + make_iccid(n) + ": " + what + " belongs to iccid " +
                                     make_iccid(1) + " in the repository");
    EXPECT_EQ(b.Count(), 0u);
    EXPECT_FALSE(dst_->subscribers().get(make_iccid(n))->has_value());
  }
}

TEST_F(CardRecord, PendingRotationsSequenceAndCountersOfTheTargetAreKept) {
  EXPECT_EQ(apply(*dst_, carry(*src_, 1)).first, apply_outcome::added);
  const std::string iccid = make_iccid(1);
  pending_auth_keys p{test::key("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"),
                      test::key("d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"), 7};
  rocksdb::WriteBatch b;
  ASSERT_TRUE(dst_->keys().stage_pending(b, iccid, "rot", p).ok());
  ASSERT_TRUE(dst_->database().commit(b, false).ok());
  const counter_request cr{iccid, 1};
  ASSERT_TRUE(dst_->counters().next({&cr, 1}).ok());
  // The source has no pending row: the record never carries one, so applying leaves it.
  import(*src_, header + row(1, "001010000000001", "447700900001", ",,", "changed"));
  EXPECT_EQ(apply(*dst_, carry(*src_, 1)).first, apply_outcome::replaced);
  auto kept = dst_->keys().get_pending(iccid, "rot");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ(**kept, p);
  EXPECT_EQ(*dst_->keys().issued_sequence(iccid), 7u);
  EXPECT_EQ(*dst_->counters().get(iccid, 1), 1u);
}

TEST_F(CardRecord, PendingAndSequenceRowsOfTheSourceAreNotPublished) {
  rocksdb::WriteBatch b;
  ASSERT_TRUE(src_->keys()
                  .stage_pending(b, make_iccid(1), "rot",
                                 {test::key("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"),
                                  test::key("d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"), 3})
                  .ok());
  ASSERT_TRUE(src_->database().commit(b, false).ok());
  const auto rec = carry(*src_, 1);
  EXPECT_EQ(rec.rows.size(), 6u);
  for (const auto& r : rec.rows) {
    if (r.col != column::keys) continue;
    const char slot = r.key[make_iccid(1).size() + 1];
    EXPECT_TRUE(slot == 'a' || slot == 'k') << slot;
  }
}

TEST_F(CardRecord, AnotherKekDoesNotApply) {
  temp_dir d;
  auto foreign = open_state(d.path(), test::test_kek(0x17));
  rocksdb::WriteBatch b;
  auto o = apply_card(*foreign, carry(*src_, 1), b);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().code, make_error_code(errc::verification));
  EXPECT_NE(o.error().message.find("does not open under this KEK"), std::string::npos)
      << o.error().message;
  EXPECT_EQ(b.Count(), 0u);
}

TEST_F(CardRecord, MalformedRecordsAreRejectedWithMessages) {
  const std::string iccid = make_iccid(1);
  const auto good = encode_card(src_->database(), iccid);
  ASSERT_TRUE(good.ok());
  const auto rows = carry(*src_, 1).rows;
  auto fails = [&](std::string_view key, const std::string& value, const std::string& says) {
    auto r = decode_card(key, value);
    if (r.ok()) return ::testing::AssertionFailure() << "decoded: " << says;
    if (r.error().message.find(says) == std::string::npos) {
      return ::testing::AssertionFailure() << r.error().message << " lacks " << says;
    }
    // Never a value of a key row (the sealed bytes, nor their hex).
    for (const auto& row : rows) {
      if (row.col == column::keys && r.error().message.find(row.value) != std::string::npos) {
        return ::testing::AssertionFailure() << "a key row's value in " << r.error().message;
      }
    }
    return ::testing::AssertionSuccess();
  };
  EXPECT_TRUE(fails(iccid, "", "empty value"));
  EXPECT_TRUE(fails(iccid, value_of(rows, 2), "version 2, expected 1"));
  // Every truncation of the value: a clear error, never a crash or a partial record.
  for (std::size_t n = 1; n < good->size(); ++n) {
    auto r = decode_card(iccid, good->substr(0, n));
    EXPECT_FALSE(r.ok()) << "prefix of " << n << " octets decoded";
  }
  EXPECT_TRUE(fails(iccid, good->substr(0, good->size() - 1), "truncated"));
  EXPECT_TRUE(fails(make_iccid(2), *good, "card record " + make_iccid(2)));
  std::string bad_key = iccid;
  bad_key.back() = bad_key.back() == '9' ? '0' : static_cast<char>(bad_key.back() + 1);
  EXPECT_TRUE(fails(bad_key, *good, "card record key"));

  auto with = [&](auto change) {
    auto copy = rows;
    change(copy);
    return value_of(copy);
  };
  EXPECT_TRUE(fails(iccid, with([](auto& v) {
                      v.push_back({column::counters, "x", "y"});
                    }),
                    "column 2 is not one of"));
  EXPECT_TRUE(fails(iccid, with([](auto& v) {
                      v.push_back({column::jobs, "x", "y"});
                    }),
                    "column 4 is not one of"));
  EXPECT_TRUE(fails(iccid, with([&](auto& v) {
                      v.push_back({column::keys, make_iccid(2) + '\0' + "a", rows[3].value});
                    }),
                    "a key row of another card"));
  EXPECT_TRUE(fails(iccid, with([&](auto& v) {
                      v.push_back({column::keys, iccid + '\0' + "prot", rows[3].value});
                    }),
                    "key row 'p' is not one the import writes"));
  EXPECT_TRUE(fails(iccid, with([&](auto& v) {
                      v.push_back({column::keys, iccid + '\0' + "s", "\x00\x00\x00\x01"});
                    }),
                    "key row 's' is not one the import writes"));
  EXPECT_TRUE(fails(iccid, with([&](auto& v) { v.push_back(v[3]); }), "twice"));
  EXPECT_TRUE(fails(iccid, with([&](auto& v) { v[1].key = "4470"; }), "a by_msisdn row for 4470"));
  EXPECT_TRUE(fails(iccid, with([&](auto& v) {
                      v.push_back({column::by_imsi, "001019", make_iccid(2)});
                    }),
                    "a by_imsi row naming another card"));
  EXPECT_TRUE(fails(iccid, with([](auto& v) { v.erase(v.begin()); }), "no subscriber row"));
  EXPECT_TRUE(fails(iccid, with([](auto& v) { v.push_back(v[1]); }), "two by_msisdn rows"));
  EXPECT_TRUE(fails(iccid, with([](auto& v) { v.push_back(v[2]); }), "two by_imsi rows"));
  EXPECT_TRUE(fails(iccid, with([](auto& v) { v.push_back(v[0]); }), "two subscriber rows"));
  EXPECT_TRUE(fails(iccid, with([&](auto& v) { v[0].key = make_iccid(2); }),
                    "a subscriber row of another card"));
  EXPECT_TRUE(fails(iccid, with([](auto& v) { v.erase(v.begin() + 1); }), "no by_msisdn row"));
  EXPECT_TRUE(fails(iccid, with([](auto& v) { v.pop_back(); }),
                    "keyset rows do not match the subscriber's keyset versions"));
}

// The fuzz corpus's seeds (tests/fuzz/corpus/card_record) are what they say they are.
TEST(CardRecordCorpus, SeedsDecodeOrFailAsNamed) {
  auto read = [](const char* name) {
    std::ifstream in(std::string(OTAFLOW_SOURCE_DIR) + "/tests/fuzz/corpus/card_record/" + name,
                     std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string iccid = "8988200000000000014";
  auto full = decode_card(iccid, read("full"));
  ASSERT_TRUE(full.ok()) << full.error().message;
  EXPECT_EQ(full->rows.size(), 6u);
  auto no_msisdn = decode_card(iccid, read("no_msisdn"));
  ASSERT_TRUE(no_msisdn.ok()) << no_msisdn.error().message;
  EXPECT_EQ(no_msisdn->rows.size(), 3u);
  auto pending = decode_card(iccid, read("pending_row"));
  ASSERT_FALSE(pending.ok());
  EXPECT_NE(pending.error().message.find("key row 'p'"), std::string::npos);
  auto cut = decode_card(iccid, read("truncated"));
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().message.find("truncated"), std::string::npos) << cut.error().message;
}

TEST(CardRecordEncode, UnknownCardIsNotFound) {
  temp_dir d;
  auto st = open_state(d.path());
  auto v = encode_card(st->database(), make_iccid(9));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, make_error_code(errc::not_found));
  EXPECT_FALSE(encode_card(st->database(), "12345").ok());
}

}  // namespace
}  // namespace otaflow::storage
