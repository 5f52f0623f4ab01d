// The serve benchmark's end-of-run detector (bench/serve_bench.sh): follows a status topic from
// the beginning, read_committed, and exits 0 once N distinct ICCIDs have a terminal status
// (done or failed), printing that count. It replaces a kcat | grep | python chain that cost
// about 0.02 CPU-ms per card, a tenth of the 2-core budget at 10,000 cards/s, on the cores
// the benchmark measures: one process, no pipes, a substring search per record.
//
// Usage: status_follower BROKERS TOPIC N
// The partitions are assigned directly (no group to join), each from its beginning; records
// come as they are committed. Exits 1 on a Kafka error it cannot go on from.

#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

namespace {

struct rk_deleter {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};

bool set(rd_kafka_conf_t* conf, const char* key, const char* value) {
  char err[256];
  if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "status_follower: %s=%s: %s\n", key, value, err);
    return false;
  }
  return true;
}

// The value of the JSON string field whose opening `"name":"` is `opening`, in a status event
// (hand-built, no spaces: model/status_event), or empty.
std::string_view field(std::string_view json, std::string_view opening) {
  const auto at = json.find(opening);
  if (at == std::string_view::npos) return {};
  const auto from = at + opening.size();
  const auto to = json.find('"', from);
  if (to == std::string_view::npos) return {};
  return json.substr(from, to - from);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: status_follower BROKERS TOPIC N\n");
    return 2;
  }
  const std::string topic = argv[2];
  const auto want = std::strtoull(argv[3], nullptr, 10);
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // rd_kafka_assign needs a group id; the group is never joined and nothing is committed.
  if (!set(conf, "bootstrap.servers", argv[1]) ||
      !set(conf, "group.id", "otaflow-bench-status-follower") ||
      !set(conf, "enable.auto.commit", "false") ||
      !set(conf, "isolation.level", "read_committed") ||
      !set(conf, "enable.partition.eof", "false")) {
    rd_kafka_conf_destroy(conf);
    return 2;
  }
  char err[512];
  rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (raw == nullptr) {
    std::fprintf(stderr, "status_follower: %s\n", err);
    return 1;
  }
  std::unique_ptr<rd_kafka_t, rk_deleter> rk(raw);

  // The topic's partitions (serve created it before the benchmark starts this).
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk.get(), topic.c_str(), nullptr);
  const auto merr = rd_kafka_metadata(rk.get(), 0, t, &md, 30000);
  rd_kafka_topic_destroy(t);
  if (merr != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt != 1 || md->topics[0].err != 0) {
    std::fprintf(stderr, "status_follower: no metadata for %s: %s\n", topic.c_str(),
                 rd_kafka_err2str(merr != 0 ? merr : md->topics[0].err));
    if (md != nullptr) rd_kafka_metadata_destroy(md);
    return 1;
  }
  rd_kafka_topic_partition_list_t* parts =
      rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
  for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), md->topics[0].partitions[i].id)
        ->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_metadata_destroy(md);
  const auto aerr = rd_kafka_assign(rk.get(), parts);
  rd_kafka_topic_partition_list_destroy(parts);
  if (aerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(stderr, "status_follower: assign: %s\n", rd_kafka_err2str(aerr));
    return 1;
  }

  std::unordered_set<std::string> terminal;
  terminal.reserve(want);
  while (terminal.size() < want) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 1000);
    if (m == nullptr) continue;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "status_follower: %s\n", rd_kafka_message_errstr(m));
      const bool fatal =
          m->err == RD_KAFKA_RESP_ERR__FATAL || m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
      rd_kafka_message_destroy(m);
      if (fatal) return 1;
      continue;
    }
    const std::string_view v(static_cast<const char*>(m->payload), m->len);
    const auto state = field(v, R"("state":")");
    if (state == "done" || state == "failed") terminal.emplace(field(v, R"("iccid":")"));
    rd_kafka_message_destroy(m);
  }
  std::printf("%zu\n", terminal.size());
  return 0;
}
