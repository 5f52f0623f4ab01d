// Options validation, error classes and configuration errors, without a broker.

#include <gtest/gtest.h>

#include "kafka/admin.hpp"
#include "kafka/client.hpp"
#include "kafka/config.hpp"
#include "kafka/consumer.hpp"
#include "kafka/errc.hpp"
#include "kafka/mock_cluster.hpp"
#include "kafka/producer.hpp"

#include <librdkafka/rdkafka.h>

namespace otaflow::kafka {
namespace {

TEST(KafkaOptions, Validate) {
  kafka_options o;
  auto st = validate(o);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "kafka.brokers is empty: give host:port[,host:port]");
  o.brokers = "127.0.0.1:9092";
  EXPECT_TRUE(validate(o).ok());
  o.dlq_topic = "ota dlq";
  st = validate(o);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message,
            "kafka.dlq_topic \"ota dlq\" is not a legal topic name (1..249 of [A-Za-z0-9._-])");
}

TEST(KafkaOptions, TopicNames) {
  EXPECT_TRUE(valid_topic_name("ota.triggers"));
  EXPECT_TRUE(valid_topic_name("a_b-C.9"));
  EXPECT_FALSE(valid_topic_name(""));
  EXPECT_FALSE(valid_topic_name("."));
  EXPECT_FALSE(valid_topic_name(".."));
  EXPECT_FALSE(valid_topic_name("a/b"));
  EXPECT_TRUE(valid_topic_name(std::string(249, 'a')));
  EXPECT_FALSE(valid_topic_name(std::string(250, 'a')));
}

TEST(RdkafkaError, ClassesRetriableAndPermanent) {
  EXPECT_TRUE(rdkafka_retriable(RD_KAFKA_RESP_ERR__QUEUE_FULL));
  EXPECT_TRUE(rdkafka_retriable(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT));
  EXPECT_TRUE(rdkafka_retriable(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION));
  EXPECT_TRUE(rdkafka_retriable(RD_KAFKA_RESP_ERR__TRANSPORT));
  EXPECT_FALSE(rdkafka_retriable(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE));
  EXPECT_FALSE(rdkafka_retriable(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED));
  EXPECT_FALSE(rdkafka_retriable(RD_KAFKA_RESP_ERR__FATAL));
  const auto e = rdkafka_error(RD_KAFKA_RESP_ERR__QUEUE_FULL, "produce to ota.status");
  EXPECT_TRUE(e.retriable());
  EXPECT_EQ(e.code.category().name(), std::string("rdkafka"));
  EXPECT_EQ(e.code.value(), RD_KAFKA_RESP_ERR__QUEUE_FULL);
  EXPECT_EQ(e.message, "produce to ota.status: Local: Queue full (_QUEUE_FULL)");
}

TEST(ClientConfig, RejectsPropertiesThatBreakManualCommits) {
  kafka_options o;
  o.brokers = "127.0.0.1:1";
  o.client_properties["enable.auto.commit"] = "true";
  auto c = consumer::create(o, {"t"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message,
            "kafka property enable.auto.commit=true (client_properties) conflicts with otaflow, "
            "which needs enable.auto.commit=false");
  o.client_properties.clear();
  o.producer_properties["acks"] = "1";
  auto p = producer::create(o, {});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message,
            "kafka property acks=1 (producer_properties) conflicts with otaflow, which needs "
            "acks=all");
}

TEST(ClientConfig, NamesTheBadPropertyButNotItsValue) {
  kafka_options o;
  o.brokers = "127.0.0.1:1";
  o.client_properties["sasl.password.typo"] = "s3cret";
  auto p = producer::create(o, {});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("sasl.password.typo"), std::string::npos) << p.error().message;
  EXPECT_EQ(p.error().message.find("s3cret"), std::string::npos) << p.error().message;
  o.client_properties.clear();
  o.consumer_properties["session.timeout.ms"] = "not-a-number";
  auto c = consumer::create(o, {"t"});
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(
      c.error().message.starts_with("kafka property session.timeout.ms "
                                    "(consumer_properties): "))
      << c.error().message;
}

TEST(ClientConfig, ConsumerNeedsLegalTopics) {
  kafka_options o;
  o.brokers = "127.0.0.1:1";
  auto c = consumer::create(o, {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "kafka consumer: no topics given");
  c = consumer::create(o, {"bad topic"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "kafka consumer: \"bad topic\" is not a legal topic name");
}

TEST(ClientConfig, ProducerWithoutBrokersFails) {
  auto p = producer::create(kafka_options{}, {});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, make_error_code(errc::bad_argument));
}

TEST(KafkaRefusal, AuthenticationAndTlsRefusalsArePermanentAndSayWhat) {
  const std::string sasl =
      "sasl_ssl://127.0.0.1:9094/bootstrap: SASL authentication error: Authentication failed "
      "during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512";
  const auto a = detail::refusal_error(RD_KAFKA_RESP_ERR__AUTHENTICATION, sasl);
  EXPECT_EQ(a.cls, error_class::permanent);
  EXPECT_EQ(a.code, std::error_code(RD_KAFKA_RESP_ERR__AUTHENTICATION, rdkafka_category()));
  EXPECT_EQ(a.message.rfind("Kafka authentication failed: " + sasl, 0), 0u) << a.message;
  // librdkafka before 2.6.1 cannot log in with SCRAM to Kafka 4.x: the error says so.
  const bool old = rd_kafka_version() < 0x02060100;
  EXPECT_EQ(a.message.find("2.6.1 or later can") != std::string::npos, old) << a.message;
  const auto t = detail::refusal_error(RD_KAFKA_RESP_ERR__SSL,
                                       "SSL handshake failed: certificate verify failed");
  EXPECT_EQ(t.cls, error_class::permanent);
  EXPECT_EQ(t.message,
            "Kafka TLS handshake failed: SSL handshake failed: certificate verify failed");
}

TEST(KafkaCheckAccess, AnsweringBrokersPassNoBrokerIsRetriable) {
  auto mock = mock_cluster::create(1);
  ASSERT_TRUE(mock.ok()) << mock.error().message;
  kafka_options o;
  o.brokers = (*mock)->bootstraps();
  auto ok = check_access(o, std::chrono::seconds(10));
  EXPECT_TRUE(ok.ok()) << ok.error().message;
  // Nothing listens on port 1: not a refusal, worth waiting for.
  o.brokers = "127.0.0.1:1";
  auto down = check_access(o, std::chrono::milliseconds(1200));
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().cls, error_class::retriable);
  EXPECT_EQ(down.error().message.rfind("no Kafka broker at 127.0.0.1:1 answered: ", 0), 0u)
      << down.error().message;
  // A property librdkafka refuses is the caller's mistake: permanent, naming the key only.
  o.client_properties["security.protocol"] = "SASL_TLS";
  auto bad = check_access(o, std::chrono::seconds(1));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().cls, error_class::permanent);
  EXPECT_NE(bad.error().message.find("security.protocol"), std::string::npos);
}

}  // namespace
}  // namespace otaflow::kafka
