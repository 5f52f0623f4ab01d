#include "kafka/partition_reader.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "kafka/client.hpp"
#include "kafka/errc.hpp"

namespace otaflow::kafka {
namespace {

using clock = std::chrono::steady_clock;

// Records taken from librdkafka's queue per call.
constexpr std::size_t batch_size = 10000;

std::string describe(std::string_view topic, std::int32_t partition) {
  return std::string(topic) + "[" + std::to_string(partition) + "]";
}

struct queue_deleter {
  void operator()(rd_kafka_queue_t* q) const noexcept { rd_kafka_queue_destroy(q); }
};

// A consumer handle that never joins its group: group.id only enables rd_kafka_assign.
struct reader_handle {
  reader_handle(const kafka_options& opts, std::string name)
      : owner(std::move(name), opts.brokers) {}
  ~reader_handle() {
    // Nothing to commit or leave: skip the consumer close and its coordinator round trip.
    if (rk) rd_kafka_destroy_flags(rk.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  }
  detail::client_base owner;
  detail::handle_ptr rk;
};

status open(reader_handle& h, const kafka_options& opts, bool with_group) {
  const detail::property_list defaults = {
      // Restores read whole partitions: large fetches, a deep local queue, and a short wait
      // for the final empty fetch that reports the end.
      {"max.partition.fetch.bytes", "8388608"}, {"fetch.max.bytes", "67108864"},
      {"queued.min.messages", "1000000"},       {"fetch.wait.max.ms", "50"},
      {"log.connection.close", "false"},
  };
  detail::property_list forced = {
      {"isolation.level", "read_committed"},
      {"enable.partition.eof", "true"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      // A start offset outside the log is an error, not a silent jump to either end.
      {"auto.offset.reset", "error"},
  };
  if (with_group) forced.emplace_back("group.id", opts.group_id + ".partition-reader");
  auto conf = detail::make_conf(opts, detail::role::consumer, defaults, forced, &h.owner);
  if (!conf) return std::move(conf).error();
  auto rk = detail::make_handle(RD_KAFKA_CONSUMER, std::move(*conf));
  if (!rk) return std::move(rk).error();
  h.rk = std::move(*rk);
  return {};
}

result<std::int32_t> count_partitions(rd_kafka_t* rk, std::string_view topic,
                                      std::chrono::milliseconds timeout) {
  const std::string t(topic);
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, t.c_str(), nullptr);
  if (rkt == nullptr) {
    return make_error(errc::bad_argument, "kafka metadata of " + t + ": cannot name the topic");
  }
  const rd_kafka_metadata_t* md = nullptr;
  const auto err = rd_kafka_metadata(rk, 0, rkt, &md, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return rdkafka_error(err, "kafka metadata of " + t);
  result<std::int32_t> out = make_error(errc::not_found, "kafka topic " + t + " does not exist");
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& mt = md->topics[i];
    if (t != mt.topic) continue;
    if (mt.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || mt.partition_cnt == 0) break;
    // LEADER_NOT_AVAILABLE (a topic just created) still lists its partitions.
    if (mt.err != RD_KAFKA_RESP_ERR_NO_ERROR && mt.err != RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE) {
      out = rdkafka_error(mt.err, "kafka metadata of " + t);
      break;
    }
    out = mt.partition_cnt;
  }
  rd_kafka_metadata_destroy(md);
  return out;
}

status check_request(const std::vector<topic_partition>& from) {
  if (from.empty()) return make_error(errc::bad_argument, "kafka read: no partitions given");
  std::set<std::int32_t> seen;
  for (const auto& tp : from) {
    if (tp.topic != from.front().topic) {
      return make_error(errc::bad_argument, "kafka read: partitions of two topics (" +
                                                from.front().topic + ", " + tp.topic + ")");
    }
    if (!valid_topic_name(tp.topic)) {
      return make_error(errc::bad_argument,
                        "kafka read: \"" + tp.topic + "\" is not a legal topic name");
    }
    if (tp.partition < 0 || !seen.insert(tp.partition).second) {
      return make_error(errc::bad_argument,
                        "kafka read: partition " + describe(tp.topic, tp.partition) +
                            (tp.partition < 0 ? " is negative" : " given twice"));
    }
    if (tp.offset < 0 && tp.offset != from_beginning) {
      return make_error(errc::bad_argument, "kafka read of " + describe(tp.topic, tp.partition) +
                                                ": start offset " + std::to_string(tp.offset) +
                                                " is neither an offset nor from_beginning");
    }
  }
  return {};
}

// Progress of one read: each partition's next offset once its end was reached.
struct read_state {
  std::map<std::int32_t, std::int64_t> end;  // partition -> next offset, once at EOF
  std::size_t partitions = 0;
  std::uint64_t records = 0;
};

// Handles one message of the queue; an error stops the read.
status handle(const rd_kafka_message_t* m, const std::string& topic, read_state& st,
              const partition_record_fn& fn) {
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    // The offset librdkafka would fetch next: past the records, aborted batches and
    // transaction markers it read, at the last stable offset under read_committed.
    st.end.emplace(m->partition, m->offset);
    return {};
  }
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::string what = "kafka read of " + describe(topic, m->partition);
    if (const char* text = rd_kafka_message_errstr(m); text != nullptr && *text != '\0') {
      what += std::string(" (") + text + ")";
    }
    auto e = rdkafka_error(m->err, what);
    if (e.retriable()) {
      detail::logger()->debug("{}", e.message);
      return {};  // librdkafka retries the fetch itself
    }
    return e;
  }
  // Records fetched after a partition reached its end are past the end this read returns.
  if (st.end.count(m->partition) != 0) return {};
  const std::string_view key(static_cast<const char*>(m->key), m->key ? m->key_len : 0);
  std::optional<std::string_view> value;
  if (m->payload != nullptr) value.emplace(static_cast<const char*>(m->payload), m->len);
  ++st.records;
  return fn(m->partition, key, value, m->offset);
}

}  // namespace

result<std::vector<topic_partition>> read_partitions(const kafka_options& opts,
                                                     const std::vector<topic_partition>& from,
                                                     const partition_record_fn& fn,
                                                     std::chrono::milliseconds timeout) {
  OTAFLOW_TRY(check_request(from));
  const std::string& topic = from.front().topic;
  const auto deadline = clock::now() + timeout;
  reader_handle h(opts, "partition reader " + topic);
  OTAFLOW_TRY(open(h, opts, true));
  rd_kafka_poll_set_consumer(h.rk.get());

  auto count = count_partitions(h.rk.get(), topic, timeout);
  if (!count) return std::move(count).error();
  for (const auto& tp : from) {
    if (tp.partition >= *count) {
      return make_error(errc::not_found, "kafka read: " + describe(topic, tp.partition) +
                                             " does not exist (" + std::to_string(*count) +
                                             " partitions)");
    }
  }
  detail::tpl_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(from.size())));
  for (const auto& tp : from) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), tp.partition)->offset = tp.offset;
  }
  if (const auto err = rd_kafka_assign(h.rk.get(), list.get()); err) {
    return rdkafka_error(err, "kafka read: assign " + topic);
  }
  std::unique_ptr<rd_kafka_queue_t, queue_deleter> q(rd_kafka_queue_get_consumer(h.rk.get()));
  std::vector<rd_kafka_message_t*> batch(batch_size);
  read_state st;
  st.partitions = from.size();
  status failed;
  while (failed.ok() && st.end.size() < st.partitions) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) {
      return make_error(errc::io,
                        "kafka read of " + topic + ": end not reached after " +
                            std::to_string(timeout.count()) + " ms (" + std::to_string(st.records) +
                            " records read, " + std::to_string(st.end.size()) + " of " +
                            std::to_string(st.partitions) + " partitions at their end)",
                        error_class::retriable);
    }
    const auto n = rd_kafka_consume_batch_queue(
        q.get(), static_cast<int>(std::min<long>(left.count(), 200)), batch.data(), batch.size());
    for (ssize_t i = 0; i < n; ++i) {
      if (failed.ok()) failed = handle(batch[static_cast<std::size_t>(i)], topic, st, fn);
      rd_kafka_message_destroy(batch[static_cast<std::size_t>(i)]);
    }
  }
  if (!failed) return std::move(failed).error();
  std::vector<topic_partition> out;
  out.reserve(from.size());
  for (const auto& tp : from) out.push_back({topic, tp.partition, st.end.at(tp.partition)});
  return out;
}

result<std::int64_t> read_partition(const kafka_options& opts, std::string_view topic,
                                    std::int32_t partition, std::int64_t from, const record_fn& fn,
                                    std::chrono::milliseconds timeout) {
  auto r = read_partitions(
      opts, {{std::string(topic), partition, from}},
      [&fn](std::int32_t, std::string_view key, std::optional<std::string_view> value,
            std::int64_t offset) { return fn(key, value, offset); },
      timeout);
  if (!r) return std::move(r).error();
  return r->front().offset;
}

result<std::int32_t> partition_count(const kafka_options& opts, std::string_view topic,
                                     std::chrono::milliseconds timeout) {
  if (!valid_topic_name(topic)) {
    return make_error(errc::bad_argument,
                      "kafka metadata: \"" + std::string(topic) + "\" is not a legal topic name");
  }
  reader_handle h(opts, "metadata " + std::string(topic));
  OTAFLOW_TRY(open(h, opts, false));
  return count_partitions(h.rk.get(), topic, timeout);
}

}  // namespace otaflow::kafka
