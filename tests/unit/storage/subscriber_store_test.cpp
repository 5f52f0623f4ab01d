// Subscribers: records, MSISDN/IMSI indexes, paged scans with filters.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "storage_test_util.hpp"

namespace otaflow::storage {
namespace {

using test::make_iccid;
using test::open_state;
using test::temp_dir;

subscriber make_sub(std::uint64_t n) {
  subscriber s;
  s.iccid = make_iccid(n);
  s.imsi = (n % 2 ? "00101" : "00102") + std::string(10 - std::to_string(n).size(), '0') +
           std::to_string(n);
  s.msisdn = "4477009" + std::string(5 - std::to_string(n % 100000).size(), '0') +
             std::to_string(n % 100000);
  s.attributes["subscription_type"] = n % 3 == 0 ? "prepaid" : "postpaid";
  s.attributes["vendor"] = n % 5 == 0 ? "acme" : "globex";
  s.keyset_versions = {1, 2};
  return s;
}

TEST(SubscriberStore, PutGetAndIndexes) {
  temp_dir d;
  auto st = open_state(d.path());
  auto& subs = st->subscribers();
  const auto s = make_sub(7);
  ASSERT_TRUE(subs.put(s).ok());
  auto got = subs.get(s.iccid);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, s);
  EXPECT_EQ(*subs.find_by_msisdn(s.msisdn), std::optional<std::string>(s.iccid));
  EXPECT_EQ(*subs.find_by_imsi(s.imsi), std::optional<std::string>(s.iccid));
  EXPECT_FALSE(subs.get(make_iccid(8))->has_value());
  EXPECT_FALSE(subs.find_by_msisdn("1")->has_value());
}

TEST(SubscriberStore, ChangingMsisdnMovesTheIndexEntry) {
  temp_dir d;
  auto st = open_state(d.path());
  auto& subs = st->subscribers();
  auto s = make_sub(1);
  ASSERT_TRUE(subs.put(s).ok());
  const auto old_msisdn = s.msisdn;
  s.msisdn = "447700911111";
  ASSERT_TRUE(subs.put(s).ok());
  EXPECT_FALSE(subs.find_by_msisdn(old_msisdn)->has_value());
  EXPECT_EQ(*subs.find_by_msisdn("447700911111"), std::optional<std::string>(s.iccid));

  // The MSISDN is recycled onto another card; the old card's later update
  // must not remove the new owner's entry.
  auto other = make_sub(2);
  other.msisdn = "447700911111";
  ASSERT_TRUE(subs.put(other).ok());
  s.msisdn = "";
  ASSERT_TRUE(subs.put(s).ok());
  EXPECT_EQ(*subs.find_by_msisdn("447700911111"), std::optional<std::string>(other.iccid));
  ASSERT_TRUE(subs.erase(other.iccid).ok());
  EXPECT_FALSE(subs.find_by_msisdn("447700911111")->has_value());
  EXPECT_FALSE(subs.find_by_imsi(other.imsi)->has_value());
}

TEST(SubscriberStore, ValidationRejectsBadFields) {
  temp_dir d;
  auto st = open_state(d.path());
  auto s = make_sub(1);
  s.iccid.back() = s.iccid.back() == '9' ? '0' : static_cast<char>(s.iccid.back() + 1);
  EXPECT_EQ(st->subscribers().put(s).error().code, make_error_code(errc::verification));
  s = make_sub(1);
  s.imsi = "123";
  EXPECT_FALSE(st->subscribers().put(s).ok());
  s = make_sub(1);
  s.keyset_versions = {2, 1};
  EXPECT_FALSE(st->subscribers().put(s).ok());
  s.keyset_versions = {16};
  EXPECT_FALSE(st->subscribers().put(s).ok());
}

TEST(SubscriberStore, GetManyAlignsWithRequest) {
  temp_dir d;
  auto st = open_state(d.path());
  ASSERT_TRUE(st->subscribers().put(make_sub(1)).ok());
  ASSERT_TRUE(st->subscribers().put(make_sub(3)).ok());
  const std::vector<std::string> ids = {make_iccid(3), make_iccid(2), make_iccid(1)};
  auto r = st->subscribers().get_many(ids);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0], std::optional<subscriber>(make_sub(3)));
  EXPECT_FALSE((*r)[1].has_value());
  EXPECT_EQ((*r)[2], std::optional<subscriber>(make_sub(1)));
}

class SubscriberScan : public ::testing::Test {
 protected:
  static constexpr std::uint64_t count = 10000;
  void SetUp() override {
    st_ = open_state(dir_.path());
    ASSERT_TRUE(st_);
    rocksdb::WriteBatch b;
    for (std::uint64_t n = 1; n <= count; ++n) {
      ASSERT_TRUE(st_->subscribers().stage_put(b, make_sub(n), nullptr).ok());
      if (b.Count() >= 3000) {
        ASSERT_TRUE(st_->database().commit(b, false).ok());
        b.Clear();
      }
    }
    ASSERT_TRUE(st_->database().commit(b, true).ok());
  }

  // Pages through everything, checking order and page bounds.
  std::vector<subscriber> all(const subscriber_filter& f, std::size_t page,
                              std::size_t max_examined = 100000) {
    std::vector<subscriber> out;
    std::string after;
    for (int guard = 0; guard < 100000; ++guard) {
      auto p = st_->subscribers().scan(after, page, f, max_examined);
      EXPECT_TRUE(p.ok());
      if (!p.ok()) break;
      EXPECT_LE(p->items.size(), page);
      for (auto& s : p->items) {
        if (!out.empty()) {
          EXPECT_LT(out.back().iccid, s.iccid);
        }
        out.push_back(std::move(s));
      }
      if (p->end) break;
      EXPECT_GT(p->resume_after, after);
      after = p->resume_after;
    }
    return out;
  }

  temp_dir dir_;
  std::unique_ptr<state> st_;
};

TEST_F(SubscriberScan, UnfilteredReturnsEveryCardOnceInOrder) {
  auto v = all({}, 777);
  ASSERT_EQ(v.size(), count);
  EXPECT_EQ(v.front().iccid, make_iccid(1));
  EXPECT_EQ(v.back().iccid, make_iccid(count));
}

TEST_F(SubscriberScan, ImsiPrefixAndAttributes) {
  subscriber_filter f;
  f.imsi_prefix = "00101";
  EXPECT_EQ(all(f, 500).size(), count / 2);  // odd n
  f.attributes["subscription_type"] = "prepaid";
  std::size_t expect = 0;
  for (std::uint64_t n = 1; n <= count; ++n) expect += (n % 2 == 1 && n % 3 == 0);
  auto v = all(f, 100);
  EXPECT_EQ(v.size(), expect);
  for (const auto& s : v) {
    EXPECT_EQ(s.imsi.substr(0, 5), "00101");
    EXPECT_EQ(s.attributes.at("subscription_type"), "prepaid");
  }
  f.attributes["vendor"] = "acme";
  expect = 0;
  for (std::uint64_t n = 1; n <= count; ++n) expect += (n % 2 == 1 && n % 3 == 0 && n % 5 == 0);
  EXPECT_EQ(all(f, 100).size(), expect);
}

TEST_F(SubscriberScan, SelectiveFilterIsBoundedByMaxExamined) {
  subscriber_filter f;
  f.attributes["vendor"] = "none-such";
  auto p = st_->subscribers().scan("", 10, f, 1000);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->items.empty());
  EXPECT_FALSE(p->end);
  EXPECT_EQ(p->resume_after, make_iccid(1000));
  EXPECT_TRUE(all(f, 10, 1000).empty());
}

TEST_F(SubscriberScan, StartKeyAndIccidPrefix) {
  auto p = st_->subscribers().scan(make_iccid(5000), 3);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->items.size(), 3u);
  EXPECT_EQ(p->items[0].iccid, make_iccid(5001));
  EXPECT_EQ(p->items[2].iccid, make_iccid(5003));
  subscriber_filter f;
  f.iccid_prefix = make_iccid(1234).substr(0, 17);  // serials 1230-1239
  auto v = all(f, 4);
  ASSERT_EQ(v.size(), 10u);
  EXPECT_EQ(v.front().iccid, make_iccid(1230));
}

using attribute_map = std::map<std::string, std::string>;

RC_GTEST_PROP(SubscriberCodec, RoundTrip,
              (std::string imsi, std::string msisdn, attribute_map attrs,
               std::vector<std::uint8_t> kvns)) {
  subscriber s{"89882000000000000017", imsi, msisdn, attrs, kvns};
  auto d = subscriber_store::decode(s.iccid, subscriber_store::encode(s));
  RC_ASSERT(d.ok());
  RC_ASSERT(*d == s);
  const auto enc = subscriber_store::encode(s);
  for (std::size_t cut = 0; cut < enc.size(); ++cut) {
    RC_ASSERT(!subscriber_store::decode(s.iccid, byte_view(enc).first(cut)).ok());
  }
}

}  // namespace
}  // namespace otaflow::storage
