// publish_subscribers against librdkafka's mock cluster: one card record per imported card,
// keyed by ICCID, on the partition Java's murmur2 partitioner picks (co-partitioned with the
// triggers), never a clear key; the topic created compacted with the triggers' partition count.

#include "service/subscriber_publish.hpp"

#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "kafka/admin.hpp"
#include "serve_test_util.hpp"
#include "storage/card_record.hpp"
#include "storage/record_io.hpp"

namespace otaflow::service::test {
namespace {

// Kafka's Utils.murmur2 (clients/src/main/java/org/apache/kafka/common/utils/Utils.java), as
// the Java client's default partitioner uses it: partition = (h & 0x7fffffff) % partitions.
std::int32_t murmur2(std::string_view data) {
  const std::uint32_t seed = 0x9747b28c, m = 0x5bd1e995;
  const int r = 24;
  const std::size_t length = data.size();
  std::uint32_t h = seed ^ static_cast<std::uint32_t>(length);
  const auto* d = reinterpret_cast<const std::uint8_t*>(data.data());
  const std::size_t length4 = length / 4;
  for (std::size_t i = 0; i < length4; ++i) {
    const std::size_t i4 = i * 4;
    std::uint32_t k = d[i4] | (d[i4 + 1] << 8) | (d[i4 + 2] << 16) |
                      (static_cast<std::uint32_t>(d[i4 + 3]) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const std::size_t tail = length & ~std::size_t{3};
  switch (length % 4) {
    case 3:
      h ^= static_cast<std::uint32_t>(d[tail + 2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<std::uint32_t>(d[tail + 1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= d[tail];
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<std::int32_t>(h);
}

std::int32_t java_partition(std::string_view key, int partitions) {
  return static_cast<std::int32_t>((static_cast<std::uint32_t>(murmur2(key)) & 0x7fffffffu) %
                                   static_cast<std::uint32_t>(partitions));
}

TEST(Murmur2, KafkaUtilsTestVectors) {
  // Kafka's UtilsTest.testMurmur2.
  EXPECT_EQ(murmur2("21"), -973932308);
  EXPECT_EQ(murmur2("foobar"), -790332482);
  EXPECT_EQ(murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(murmur2("abc"), 479470107);
}

const storage::secret kek = storage::secret::from(bytes(32, 0x42)).value();
constexpr int partitions = 3;
// Card 7's keys (fleet_csv's cards have 32 'A's for every key).
const std::string key_hex = "000102030405060708090a0b0c0d0e0f";

class SubscriberPublish : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = kafka::mock_cluster::create(1);
    ASSERT_TRUE(c.ok()) << c.error().message;
    cluster_ = std::move(*c);
    opts_.brokers = cluster_->bootstraps();
    ASSERT_TRUE(cluster_->create_topic(opts_.triggers_topic, partitions).ok());
    options_.timeout = std::chrono::seconds(10);
    options_.temp_parent = tmp_.path();
    std::filesystem::create_directories(tmp_.path());
    probe_ = std::make_unique<kafka_probe>(opts_.brokers, "probe");
  }

  // Writes the vendor file: cards [0, 6) of fleet_csv, card 7 with its own keys, a bad row.
  std::filesystem::path write_csv() {
    std::string text = fleet_csv(6);
    text += iccid(7) + ",001011000000007," + msisdn(7) + "," + key_hex + "," + key_hex + "," +
            key_hex + "," + key_hex + "," + key_hex + "\n";
    std::string bad = iccid(8);
    bad.back() = bad.back() == '9' ? '0' : static_cast<char>(bad.back() + 1);
    text += bad + ",001011000000008,," + key_hex + "," + key_hex + "," + key_hex + "," + key_hex +
            "," + key_hex + "\n";
    const auto p = files_.path() / "cards.csv";
    std::filesystem::create_directories(files_.path());
    std::ofstream(p) << text;
    return p;
  }

  // Every record of `topic` once `n` have arrived.
  std::vector<record> read(const std::string& topic, std::size_t n) {
    std::vector<record> got;
    eventually([&] {
      got = probe_->read(topic, partitions);
      return got.size() >= n;
    });
    return got;
  }

  bool temp_left() const { return !std::filesystem::is_empty(tmp_.path()); }

  std::unique_ptr<kafka::mock_cluster> cluster_;
  kafka::kafka_options opts_;
  publish_options options_;
  temp_dir tmp_, files_, state_dir_;
  std::unique_ptr<kafka_probe> probe_;
};

// The mock cluster of librdkafka 2.0 has no controller, so it cannot create topics through the
// Admin API: these tests create the subscribers topic themselves (creation by
// publish_subscribers is exercised against a real broker only).
TEST_F(SubscriberPublish, OneSealedRecordPerCardOnItsTriggersPartition) {
  ASSERT_TRUE(cluster_->create_topic("ota.subscribers", partitions).ok());
  const auto csv = write_csv();
  auto r = publish_subscribers(opts_, "ota.subscribers", csv, kek, {}, options_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->import.imported, 7u);
  EXPECT_EQ(r->import.rejected, 1u);
  ASSERT_EQ(r->import.errors.size(), 1u);
  EXPECT_EQ(r->import.errors[0].line, 9u);
  EXPECT_NE(r->import.errors[0].reason.find("Luhn"), std::string::npos);
  EXPECT_EQ(r->published, 7u);
  EXPECT_EQ(r->partitions, partitions);
  EXPECT_FALSE(r->topic_created);
  EXPECT_FALSE(temp_left());

  auto described = kafka::describe_topic(opts_, "ota.subscribers", std::chrono::seconds(5));
  ASSERT_TRUE(described.ok() && described->has_value());
  EXPECT_EQ((*described)->partitions, partitions);
  EXPECT_EQ((*described)->replication_factor, 1);

  const auto records = read("ota.subscribers", 7);
  ASSERT_EQ(records.size(), 7u);
  std::map<std::string, int> by_key;
  const bytes card7_key = hex(key_hex);
  const bytes fleet_key = hex(std::string(32, 'A'));
  std::set<std::int32_t> used;
  for (const auto& rec : records) {
    ++by_key[rec.key];
    EXPECT_EQ(rec.partition, java_partition(rec.key, partitions)) << rec.key;
    used.insert(rec.partition);
    auto card = storage::decode_card(rec.key, rec.payload);
    ASSERT_TRUE(card.ok()) << card.error().message;
    for (const auto& k : {card7_key, fleet_key}) {
      EXPECT_EQ(rec.payload.find(storage::detail::as_chars(k)), std::string::npos) << rec.key;
    }
    EXPECT_EQ(rec.payload.find(key_hex), std::string::npos);
    EXPECT_EQ(rec.payload.find(std::string(32, 'A')), std::string::npos);
  }
  EXPECT_GT(used.size(), 1u);  // 7 cards over 3 partitions: murmur2 spreads them
  for (int i : {0, 1, 2, 3, 4, 5, 7}) EXPECT_EQ(by_key[iccid(i)], 1) << i;
  EXPECT_EQ(by_key.size(), 7u);

  // A receiver with the same KEK applies every record; the file's second publication
  // changes nothing there.
  storage::db_options dbo;
  dbo.dir = state_dir_.path();
  auto st = storage::state::open(dbo, kek);
  ASSERT_TRUE(st.ok()) << st.error().message;
  for (const auto& rec : records) {
    rocksdb::WriteBatch b;
    auto o = storage::apply_card(**st, *storage::decode_card(rec.key, rec.payload), b);
    ASSERT_TRUE(o.ok()) << o.error().message;
    EXPECT_EQ(*o, storage::apply_outcome::added);
    ASSERT_TRUE((*st)->database().commit(b, false).ok());
  }
  auto k7 = (*st)->keys().get(iccid(7));
  ASSERT_TRUE(k7.ok());
  EXPECT_TRUE(equal_ct(k7->ki.view(), card7_key));
  EXPECT_EQ(*(*st)->subscribers().find_by_msisdn(msisdn(7)), std::optional<std::string>(iccid(7)));

  auto again = publish_subscribers(opts_, "ota.subscribers", csv, kek, {}, options_);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again->topic_created);
  EXPECT_EQ(again->published, 7u);
  const auto all = read("ota.subscribers", 14);
  ASSERT_EQ(all.size(), 14u);
  for (std::size_t i = 7; i < all.size(); ++i) {
    rocksdb::WriteBatch b;
    auto o = storage::apply_card(**st, *storage::decode_card(all[i].key, all[i].payload), b);
    ASSERT_TRUE(o.ok()) << o.error().message;
    EXPECT_EQ(*o, storage::apply_outcome::unchanged) << all[i].key;
    EXPECT_EQ(b.Count(), 0u);
  }
}

TEST_F(SubscriberPublish, PartitionCountsThatDifferAreAnErrorNamingBoth) {
  ASSERT_TRUE(cluster_->create_topic("ota.subscribers", partitions + 1).ok());
  auto r = publish_subscribers(opts_, "ota.subscribers", write_csv(), kek, {}, options_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "subscribers topic ota.subscribers has 4 partitions, triggers topic ota.triggers has "
            "3: they must have the same count (a card's record goes to its triggers' partition)");
  EXPECT_FALSE(temp_left());
}

TEST_F(SubscriberPublish, ATopicThatCannotBeCreatedIsAnErrorAndNothingIsLeft) {
  options_.timeout = std::chrono::seconds(1);
  auto r = publish_subscribers(opts_, "ota.subscribers", write_csv(), kek, {}, options_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("create topics"), std::string::npos) << r.error().message;
  EXPECT_FALSE(temp_left());
}

TEST_F(SubscriberPublish, MissingTriggersTopicOrUnusableFileIsAnErrorAndNothingIsLeft) {
  kafka::kafka_options other = opts_;
  other.triggers_topic = "no.such.triggers";
  auto r = publish_subscribers(other, "ota.subscribers", write_csv(), kek, {}, options_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("triggers topic no.such.triggers does not exist"),
            std::string::npos)
      << r.error().message;

  const auto bad = files_.path() / "bad.csv";
  std::ofstream(bad) << "iccid,imsi,secret_sauce\n";
  auto h = publish_subscribers(opts_, "ota.subscribers", bad, kek, {}, options_);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message.find("header"), std::string::npos) << h.error().message;
  EXPECT_FALSE(temp_left());
  EXPECT_TRUE(probe_->read("ota.subscribers", partitions).empty());
}

}  // namespace
}  // namespace otaflow::service::test
