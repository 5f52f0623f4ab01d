#include "kafka/consumer.hpp"

#include <algorithm>

#include <cstring>
#include <utility>

#include "kafka/client.hpp"
#include "kafka/errc.hpp"

namespace otaflow::kafka {
namespace {

std::vector<topic_partition> to_vector(const rd_kafka_topic_partition_list_t* l) {
  std::vector<topic_partition> out;
  if (l == nullptr) return out;
  out.reserve(static_cast<std::size_t>(l->cnt));
  for (int i = 0; i < l->cnt; ++i) {
    out.push_back({l->elems[i].topic, l->elems[i].partition, l->elems[i].offset});
  }
  return out;
}

detail::tpl_ptr to_list(const std::vector<topic_partition>& v) {
  detail::tpl_ptr l(rd_kafka_topic_partition_list_new(static_cast<int>(v.size())));
  for (const auto& tp : v) {
    rd_kafka_topic_partition_list_add(l.get(), tp.topic.c_str(), tp.partition)->offset = tp.offset;
  }
  return l;
}

std::string describe(const topic_partition& tp) {
  return tp.topic + "[" + std::to_string(tp.partition) + "]";
}

}  // namespace

struct consumer::impl final : detail::client_base {
  impl(const kafka_options& opts, rebalance_callback cb)
      : client_base("consumer " + opts.group_id, opts.brokers), on_rebalance(std::move(cb)) {}

  ~impl() override { rk.reset(); }

  // librdkafka 2.0.2 answers NULL once the group is gone (a member dropped from the group for
  // not polling, then closed: its revoke callback runs from rd_kafka_consumer_close), not "NONE".
  static bool cooperative(rd_kafka_t* h) {
    const char* protocol = rd_kafka_rebalance_protocol(h);
    return protocol != nullptr && std::strcmp(protocol, "COOPERATIVE") == 0;
  }

  void rebalance(rd_kafka_t* h, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
    const auto list = to_vector(parts);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      assign(h, parts, true);
      // A partition keeps librdkafka's pause flag across assignments: set it to our state.
      if (paused_) {
        rd_kafka_pause_partitions(h, parts);
      } else {
        rd_kafka_resume_partitions(h, parts);
      }
      detail::logger()->info("kafka {}: assigned {} partitions", name(), list.size());
      if (on_rebalance) on_rebalance(rebalance_event::assigned, list);
      return;
    }
    const bool lost = err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS || rd_kafka_assignment_lost(h);
    if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      detail::logger()->warn("kafka {}: rebalance error {}", name(), rd_kafka_err2name(err));
    }
    detail::logger()->info("kafka {}: {} {} partitions", name(), lost ? "lost" : "revoked",
                           list.size());
    // The caller commits what is durable before the partitions go.
    if (on_rebalance) on_rebalance(lost ? rebalance_event::lost : rebalance_event::revoked, list);
    assign(h, parts, false);
  }

  void assign(rd_kafka_t* h, rd_kafka_topic_partition_list_t* parts, bool add) {
    if (cooperative(h)) {
      rd_kafka_error_t* e =
          add ? rd_kafka_incremental_assign(h, parts) : rd_kafka_incremental_unassign(h, parts);
      if (e != nullptr) {
        detail::logger()->error("kafka {}: incremental {}: {}", name(), add ? "assign" : "unassign",
                                rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
      }
      return;
    }
    const auto err = rd_kafka_assign(h, add ? parts : nullptr);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      detail::logger()->error("kafka {}: assign: {}", name(), rd_kafka_err2str(err));
    }
  }

  rebalance_callback on_rebalance;
  detail::handle_ptr rk;
  bool paused_ = false;
  bool closed_ = false;
};

namespace {

void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                  void* /*opaque*/) {
  static_cast<consumer::impl*>(static_cast<detail::client_base*>(rd_kafka_opaque(rk)))
      ->rebalance(rk, err, parts);
}

}  // namespace

void group_metadata_deleter::operator()(group_metadata* m) const noexcept {
  if (m == nullptr) return;
  if (m->handle != nullptr) rd_kafka_consumer_group_metadata_destroy(m->handle);
  delete m;
}

consumer::consumer(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

consumer::~consumer() {
  if (impl_ && !impl_->closed_) {
    if (auto st = close(); !st)
      detail::logger()->warn("kafka consumer close: {}", st.error().message);
  }
}

result<std::unique_ptr<consumer>> consumer::create(const kafka_options& opts,
                                                   std::vector<std::string> topics,
                                                   rebalance_callback on_rebalance) {
  if (topics.empty()) return make_error(errc::bad_argument, "kafka consumer: no topics given");
  for (const auto& t : topics) {
    if (!valid_topic_name(t)) {
      return make_error(errc::bad_argument,
                        "kafka consumer: \"" + t + "\" is not a legal topic name");
    }
  }
  if (opts.group_id.empty()) return make_error(errc::bad_argument, "kafka.group_id is empty");
  auto p = std::make_unique<impl>(opts, std::move(on_rebalance));
  const detail::property_list defaults = {
      // A new group reads triggers posted before it first joined.
      {"auto.offset.reset", "earliest"},
      {"enable.partition.eof", "false"},
      {"statistics.interval.ms", "2000"},
      {"log.connection.close", "false"},
  };
  const detail::property_list forced = {
      {"group.id", opts.group_id},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
  };
  auto conf = detail::make_conf(opts, detail::role::consumer, defaults, forced, p.get());
  if (!conf) return std::move(conf).error();
  rd_kafka_conf_set_rebalance_cb(conf->get(), &rebalance_cb);
  auto rk = detail::make_handle(RD_KAFKA_CONSUMER, std::move(*conf));
  if (!rk) return std::move(rk).error();
  p->rk = std::move(*rk);
  // Error and statistics callbacks are then served by rd_kafka_consumer_poll.
  rd_kafka_poll_set_consumer(p->rk.get());
  detail::tpl_ptr subs(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const auto& t : topics) {
    rd_kafka_topic_partition_list_add(subs.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  if (const auto err = rd_kafka_subscribe(p->rk.get(), subs.get());
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    p->closed_ = true;
    return rdkafka_error(err, "kafka consumer: subscribe");
  }
  return std::unique_ptr<consumer>(new consumer(std::move(p)));
}

std::vector<message> consumer::poll(std::size_t max_messages, std::chrono::milliseconds timeout) {
  std::vector<message> out;
  if (impl_->closed_ || max_messages == 0) return out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < max_messages) {
    int wait_ms = 0;
    if (out.empty()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() < 0) break;
      wait_ms = static_cast<int>(left.count());
    }
    rd_kafka_message_t* m = rd_kafka_consumer_poll(impl_->rk.get(), wait_ms);
    if (m == nullptr) {
      if (!out.empty() || std::chrono::steady_clock::now() >= deadline) break;
      continue;
    }
    message msg;
    if (m->rkt != nullptr) msg.topic = rd_kafka_topic_name(m->rkt);
    msg.partition = m->partition;
    msg.offset = m->offset;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::string what = "consume";
      if (!msg.topic.empty()) what += " from " + msg.topic;
      const char* detail_text = rd_kafka_message_errstr(m);
      if (detail_text != nullptr && *detail_text != '\0')
        what += std::string(" (") + detail_text + ")";
      msg.err = rdkafka_error(m->err, what);
    } else {
      if (m->key != nullptr) msg.key.assign(static_cast<const char*>(m->key), m->key_len);
      if (m->payload != nullptr) msg.payload.assign(static_cast<const char*>(m->payload), m->len);
      rd_kafka_timestamp_type_t ts_type;
      msg.timestamp_ms = rd_kafka_message_timestamp(m, &ts_type);
      impl_->on_activity();
    }
    rd_kafka_message_destroy(m);
    out.push_back(std::move(msg));
  }
  return out;
}

status consumer::commit(const std::vector<topic_partition>& offsets) {
  // An empty or null list would make librdkafka commit its own stored positions.
  if (offsets.empty()) return {};
  for (const auto& tp : offsets) {
    if (tp.offset < 0) {
      return make_error(errc::bad_argument, "kafka commit: offset " + std::to_string(tp.offset) +
                                                " for " + describe(tp) + " is not a position");
    }
  }
  auto list = to_list(offsets);
  const auto err = rd_kafka_commit(impl_->rk.get(), list.get(), 0);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < list->cnt; ++i) {
      if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return rdkafka_error(list->elems[i].err,
                             "kafka commit of " + describe(offsets[static_cast<std::size_t>(i)]) +
                                 " at " + std::to_string(list->elems[i].offset));
      }
    }
    return rdkafka_error(err, "kafka commit of " + std::to_string(offsets.size()) + " offsets");
  }
  return {};
}

result<std::vector<topic_partition>> consumer::committed(
    const std::vector<topic_partition>& partitions, std::chrono::milliseconds timeout) {
  auto list = to_list(partitions);
  const auto err =
      rd_kafka_committed(impl_->rk.get(), list.get(), static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return rdkafka_error(err, "kafka committed offsets");
  for (int i = 0; i < list->cnt; ++i) {
    // e.g. UNSTABLE_OFFSET_COMMIT: another producer's transaction holds pending offsets.
    if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return rdkafka_error(list->elems[i].err,
                           "kafka committed offset of " +
                               describe({list->elems[i].topic, list->elems[i].partition}));
    }
  }
  return to_vector(list.get());
}

result<group_metadata_ptr> consumer::membership() const {
  rd_kafka_consumer_group_metadata_t* md = rd_kafka_consumer_group_metadata(impl_->rk.get());
  if (md == nullptr) {
    return make_error(errc::conflict, "kafka " + impl_->name() + ": no group metadata");
  }
  return group_metadata_ptr(new group_metadata{md});
}

status consumer::pause() {
  impl_->paused_ = true;
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (const auto err = rd_kafka_assignment(impl_->rk.get(), &raw); err) {
    return rdkafka_error(err, "kafka pause: assignment");
  }
  detail::tpl_ptr list(raw);
  if (const auto err = rd_kafka_pause_partitions(impl_->rk.get(), list.get()); err) {
    return rdkafka_error(err, "kafka pause");
  }
  return {};
}

status consumer::resume() {
  impl_->paused_ = false;
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (const auto err = rd_kafka_assignment(impl_->rk.get(), &raw); err) {
    return rdkafka_error(err, "kafka resume: assignment");
  }
  detail::tpl_ptr list(raw);
  if (const auto err = rd_kafka_resume_partitions(impl_->rk.get(), list.get()); err) {
    return rdkafka_error(err, "kafka resume");
  }
  return {};
}

bool consumer::paused() const noexcept {
  return impl_->paused_;
}

std::vector<topic_partition> consumer::assignment() const {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_assignment(impl_->rk.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  detail::tpl_ptr list(raw);
  return to_vector(list.get());
}

std::optional<std::int64_t> consumer::lag(std::string_view topic) const {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_assignment(impl_->rk.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  detail::tpl_ptr list(raw);
  if (rd_kafka_position(impl_->rk.get(), list.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  std::optional<std::int64_t> total;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& tp = list->elems[i];
    if (topic != tp.topic || tp.offset < 0) continue;
    std::int64_t low = -1, high = -1;
    if (rd_kafka_get_watermark_offsets(impl_->rk.get(), tp.topic, tp.partition, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        high < 0) {
      continue;
    }
    total = total.value_or(0) + std::max<std::int64_t>(0, high - tp.offset);
  }
  return total;
}

status consumer::close() {
  if (impl_->closed_) return {};
  impl_->closed_ = true;
  if (const auto err = rd_kafka_consumer_close(impl_->rk.get()); err) {
    return rdkafka_error(err, "kafka consumer close");
  }
  return {};
}

bool consumer::brokers_reachable() const noexcept {
  return impl_->reachable();
}

}  // namespace otaflow::kafka
