// `otaflow serve` when records cannot be applied or produced: a control record is committed
// only once applied or dead-lettered with its reason, and a record Kafka refuses for good is
// given up after serve.produce_attempts, kept in the audit log and alerted, without holding
// the partition's commits or the status watermark.

#include <nlohmann/json.hpp>

#include "actors/service_outbox.hpp"
#include "kafka/events.hpp"
#include "service/serve_kafka.hpp"
#include "tests/unit/service/serve_test_util.hpp"

namespace otaflow::service::test {
namespace {

using model::job_state;

// The audit records of type `undelivered`, their details parsed.
std::vector<nlohmann::json> undelivered(storage::state& st) {
  std::vector<nlohmann::json> out;
  auto page = st.audit().read(0, 100000);
  EXPECT_TRUE(page.ok());
  if (!page) return out;
  for (const auto& e : *page) {
    if (e.event.type == storage::audit_type::undelivered) {
      out.push_back(nlohmann::json::parse(e.event.details));
    }
  }
  return out;
}

TEST_F(service_fixture, AControlRecordNotAppliedIsCommittedOnlyOnceDeadLetteredWithItsReason) {
  cfg.serve.unknown_campaign_grace = 500ms;
  start();
  define("c1");                       // 0@0
  send(0, control("pause", "nope"));  // 0@1: no such campaign
  send(0, control("pause", "c1"));    // 0@2: applied after the one before it
  // A new state directory: the group's name is <group_id>.control.<instance_id>.<random>.
  auto group = service::control_group(cfg, *state_);
  ASSERT_TRUE(group.ok()) << group.error().message;
  EXPECT_EQ(group->rfind(cfg.kafka.group_id + ".control." + cfg.instance_id + ".", 0), 0u)
      << *group;
  kafka_probe control_group(cfg.kafka.brokers, *group);
  std::vector<record> dlq;
  ASSERT_TRUE(eventually([&] {
    dlq = probe_->read(cfg.kafka.dlq_topic, 1);
    return !dlq.empty();
  }));
  auto rec = kafka::parse_dlq_record(dlq[0].payload);
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  EXPECT_EQ(rec->offset, 1);
  EXPECT_EQ(rec->payload, control("pause", "nope"));
  EXPECT_EQ(rec->reason, "control reader test: campaign 'nope' is not defined");
  ASSERT_TRUE(eventually([&] { return status_of("c1") == "paused"; }));
  std::vector<std::int64_t> got;
  ASSERT_TRUE(eventually([&] {
    got = control_group.committed(cfg.kafka.triggers_topic, trigger_partitions);
    return got == std::vector<std::int64_t>{3, -1001};
  })) << (got.empty() ? -1 : got[0]);
  // The shared group leaves control records to the control readers: one dead letter.
  // 30 s: under a loaded CI run the shared group's commit once took longer than 15 s.
  ASSERT_TRUE(committed_becomes({3, -1001}, 30s));
  EXPECT_EQ(probe_->read(cfg.kafka.dlq_topic, 1).size(), 1u);
}

TEST_F(service_fixture, ADeadLetterKafkaRefusesIsGivenUpKeptAndAlertedAndItsOffsetCommitted) {
  cfg.serve.produce_attempts = 2;
  cfg.kafka.producer_properties["message.max.bytes"] = "1000";  // the DLQ record is larger
  start();
  define("c1");                      // 0@0
  const std::string big(1500, 'x');  // not JSON: dead-lettered, with these 1500 octets
  send(0, big);                      // 0@1
  send(0, trigger("c1", 0));         // 0@2
  ASSERT_TRUE(committed_becomes({3, -1001}));
  ASSERT_TRUE(eventually([&] { return job("c1", 0) && job("c1", 0)->state == job_state::done; }));
  const auto kept = undelivered(*state_);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0]["topic"], cfg.kafka.dlq_topic);
  EXPECT_EQ(kept[0]["attempts"], 2);
  EXPECT_FALSE(kept[0]["reason"].get<std::string>().empty());
  auto rec = kafka::parse_dlq_record(kept[0]["payload"].get<std::string>());
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  EXPECT_EQ(rec->payload, big);
  EXPECT_EQ(rec->offset, 1);
  std::vector<record> alerts;
  ASSERT_TRUE(eventually([&] {
    alerts = probe_->read(cfg.kafka.alerts_topic, 1);
    return !alerts.empty();
  }));
  EXPECT_NE(alerts[0].payload.find("\"produce\""), std::string::npos) << alerts[0].payload;
  EXPECT_TRUE(probe_->read(cfg.kafka.dlq_topic, 1).empty());
}

// A status event Kafka refuses for good does not pin the outbox's watermark once given up.
TEST(serve_producer_test, AStatusKafkaRefusesIsGivenUpAndAcknowledgedToTheOutbox) {
  temp_dir dir;
  auto cluster = kafka::mock_cluster::create(1);
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  kafka::kafka_options k;
  k.brokers = (*cluster)->bootstraps();
  k.producer_properties["message.max.bytes"] = "1000";
  ASSERT_TRUE((*cluster)->create_topic(k.status_topic, 1).ok());
  storage::db_options o;
  o.dir = dir.path();
  auto st = storage::state::open(o, storage::secret::from(bytes(32, 0x42)).value());
  ASSERT_TRUE(st.ok()) << st.error().message;
  completion_queue done;
  auto producer = serve_producer::create(k, done, 3);
  ASSERT_TRUE(producer.ok()) << producer.error().message;
  std::vector<undeliverable> given_up;
  (*producer)->on_undeliverable([&](const undeliverable& u) { given_up.push_back(u); });
  auto outbox = actors::status_outbox::open(**st, **producer);
  ASSERT_TRUE(outbox.ok()) << outbox.error().message;
  (*producer)->bind(outbox->get());

  std::vector<actors::job_update> ups(2);
  ups[0].campaign = ups[1].campaign = "c1";
  ups[0].iccid = iccid(0);
  ups[1].iccid = iccid(1);
  ups[0].job.state = ups[1].job.state = job_state::failed;
  ups[0].job.reason = std::string(1200, 'r');  // too large for the status topic
  ups[1].job.reason = "short";
  ASSERT_TRUE((*outbox)->save(ups, true).ok());
  std::vector<actors::status_event> evs;
  for (const auto& u : ups) {
    evs.push_back({u.campaign, u.iccid, u.job.state, 0, std::nullopt, u.job.reason, "", 1});
  }
  (*outbox)->emit(evs);
  ASSERT_TRUE(eventually([&] {
    (*producer)->retry_failed();
    return (*outbox)->unacknowledged() == 0;
  }));
  ASSERT_EQ(given_up.size(), 1u);
  EXPECT_EQ(given_up[0].topic, k.status_topic);
  EXPECT_EQ(given_up[0].key, iccid(0));
  EXPECT_EQ(given_up[0].attempts, 3u);
  EXPECT_NE(given_up[0].payload.find(std::string(1200, 'r')), std::string::npos);
  EXPECT_EQ((*producer)->undelivered(), 1u);
  EXPECT_EQ((*producer)->acknowledged(), 1u);  // the short one
  EXPECT_EQ((*outbox)->watermark(), (*st)->audit().next_seq() - 1);
}

}  // namespace
}  // namespace otaflow::service::test
