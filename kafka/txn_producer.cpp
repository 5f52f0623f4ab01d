#include "kafka/txn_producer.hpp"

#include <algorithm>
#include <atomic>
#include <utility>

#include <sys/resource.h>
#include <unistd.h>

#include "kafka/client.hpp"
#include "kafka/errc.hpp"

namespace otaflow::kafka {
namespace {

// Another producer registered the same transactional.id (a newer epoch).
bool producer_fenced(rd_kafka_resp_err_t code) {
  return code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
         code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

// The consumer group moved on: the offsets' partitions may belong to another member now.
// librdkafka makes these abortable only; otaflow must stop writing for those partitions.
bool group_fenced(rd_kafka_resp_err_t code) {
  return code == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
         code == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
         code == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID;
}

std::string describe_code(rd_kafka_resp_err_t code) {
  return std::string(" (") + rd_kafka_err2name(code) + ")";
}

// librdkafka 2.0.2's main thread sleeps in whole milliseconds ((int)(sleeptime / 1000) in
// rd_kafka_thread_main) and spins for the last fraction of a millisecond before each timer.
// A transactional producer arms a 1 ms timer to register the partitions of every
// transaction (rd_kafka_txn_schedule_register_partitions(rk, 1)), twice per transaction, so
// the thread spun on clock_gettime for about 2 ms per transaction: 7 % of serve's CPU at
// 45 transactions a second (docs/library-notes.md). At the lowest priority the spin only uses
// CPU time nothing else wants; the thread's real work (queued operations, timers) still runs
// soon after it wakes, as the scheduler favours a waking thread.
//
// A thread inherits its creator's priority, and the main thread creates the transaction
// coordinator's connection thread as it starts. So the main thread's id is noted when it
// starts and its priority lowered once rd_kafka_new returned (by then that thread exists).
// A connection thread started later by the main thread is put back to the creating thread's
// priority where the system allows it.
constexpr int main_thread_nice = 19;

// What on_thread_start needs (the interceptor's opaque, owned by the producer).
struct thread_priorities {
  std::atomic<id_t> main_tid{0};  // librdkafka's main thread, noted when it starts
  int normal = 0;                 // the nice of the thread creating the producer
};

rd_kafka_resp_err_t on_thread_start(rd_kafka_t* /*rk*/, rd_kafka_thread_type_t type,
                                    const char* /*name*/, void* opaque) {
  auto& prio = *static_cast<thread_priorities*>(opaque);
  const auto tid = static_cast<id_t>(::gettid());
  if (type == RD_KAFKA_THREAD_MAIN) {
    prio.main_tid.store(tid);
  } else if (::getpriority(PRIO_PROCESS, tid) > prio.normal) {
    (void)::setpriority(PRIO_PROCESS, tid, prio.normal);  // EACCES without CAP_SYS_NICE
  }
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

rd_kafka_resp_err_t add_thread_hook(rd_kafka_t* rk, const rd_kafka_conf_t* /*conf*/, void* opaque,
                                    char* /*errstr*/, std::size_t /*size*/) {
  return rd_kafka_interceptor_add_on_thread_start(rk, "otaflow.main-thread-priority",
                                                  &on_thread_start, opaque);
}

}  // namespace

struct txn_producer::impl final : detail::client_base {
  impl(const kafka_options& opts, std::string id)
      : client_base("txn producer " + id, opts.brokers), txn_id(std::move(id)) {}

  ~impl() override {
    if (rk && in_txn && usable) {
      // The next init() with this id would abort it too, but only after the new instance
      // starts; aborting now releases read_committed readers at once. Flush first, as abort().
      (void)rd_kafka_flush(rk.get(), 2000);
      if (rd_kafka_error_t* e = rd_kafka_abort_transaction(rk.get(), 3000)) {
        detail::logger()->warn("kafka {}: abort on close: {}", name(), rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
      }
    }
    rk.reset();
  }

  std::string what(const char* op) const {
    return std::string("kafka ") + op + " (" + name() + ")";
  }

  // An otaflow error for a librdkafka transactional-API error (consumes `e`).
  error from(rd_kafka_error_t* e, const char* op) {
    const auto code = rd_kafka_error_code(e);
    const std::string text = what(op) + ": " + rd_kafka_error_string(e) + describe_code(code);
    const bool is_fatal = rd_kafka_error_is_fatal(e) != 0;
    const bool retriable = rd_kafka_error_is_retriable(e) != 0;
    const bool requires_abort = rd_kafka_error_txn_requires_abort(e) != 0;
    rd_kafka_error_destroy(e);
    if (group_fenced(code) && !is_fatal) {
      // The producer lives on: abort(), then drop the partitions the group took away.
      return make_error(txn_errc::fenced,
                        text +
                            ": the consumer group generation moved on; abort this "
                            "transaction and stop writing for its partitions");
    }
    if (producer_fenced(code)) return classified(txn_errc::fenced, text);
    if (is_fatal) return classified(txn_errc::fatal, text);
    if (retriable) return classified(txn_errc::retriable, text);
    if (requires_abort) return classified(txn_errc::abortable, text);
    if (code == RD_KAFKA_RESP_ERR__STATE || code == RD_KAFKA_RESP_ERR__CONFLICT) {
      return make_error(errc::conflict, text);
    }
    if (code == RD_KAFKA_RESP_ERR__INVALID_ARG) return make_error(errc::bad_argument, text);
    // Anything librdkafka classes neither way: the transaction cannot be trusted.
    return classified(txn_errc::abortable, text);
  }

  error classified(txn_errc kind, std::string text) {
    if (kind == txn_errc::fenced || kind == txn_errc::fatal) usable = false;
    return make_error(
        kind, std::move(text),
        kind == txn_errc::retriable ? error_class::retriable : error_class::permanent);
  }

  // Runs queued callbacks (errors, logs) without waiting.
  void serve() { rd_kafka_poll(rk.get(), 0); }

  std::string txn_id;
  detail::handle_ptr rk;
  bool in_txn = false;
  bool usable = true;
  txn_counters counters;
  thread_priorities priorities;
  std::uint64_t txn_records = 0;  // produced in the open transaction
  std::uint64_t txn_bytes = 0;
};

txn_producer::txn_producer(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
txn_producer::~txn_producer() = default;

result<std::unique_ptr<txn_producer>> txn_producer::create(const kafka_options& opts,
                                                           std::string transactional_id,
                                                           std::chrono::milliseconds txn_timeout) {
  if (transactional_id.empty()) {
    return make_error(errc::bad_argument, "kafka txn producer: the transactional id is empty");
  }
  if (txn_timeout.count() < 1 || txn_timeout.count() > 2147483647) {
    return make_error(errc::bad_argument,
                      "kafka txn producer " + transactional_id + ": transaction timeout " +
                          std::to_string(txn_timeout.count()) + " ms is out of range");
  }
  auto p = std::make_unique<impl>(opts, transactional_id);
  const detail::property_list defaults = {
      // Java's partitioner (see partition_for_key) for records produced with partition -1.
      {"partitioner", "murmur2_random"},
      {"linger.ms", "5"},
      // A transaction is a chain of small requests each waiting for the one before
      // (AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn): with Nagle on (librdkafka's
      // default) each one after an unacknowledged one waited for the peer's delayed ACK, 40 ms
      // on Linux: send_offsets took 42 ms of a 56 ms transaction (docs/library-notes.md).
      {"socket.nagle.disable", "true"},
      {"compression.type", "lz4"},
      {"log.connection.close", "false"},
  };
  const detail::property_list forced = {
      {"transactional.id", transactional_id},
      {"transaction.timeout.ms", std::to_string(txn_timeout.count())},
      {"enable.idempotence", "true"},
      {"acks", "all"},
  };
  auto conf = detail::make_conf(opts, detail::role::producer, defaults, forced, p.get());
  if (!conf) return std::move(conf).error();
  p->priorities.normal = ::getpriority(PRIO_PROCESS, 0);
  if (const auto err = rd_kafka_conf_interceptor_add_on_new(
          conf->get(), "otaflow.main-thread-priority", &add_thread_hook, &p->priorities);
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error(errc::internal, std::string("kafka txn producer ") + transactional_id +
                                          ": no thread interceptor: " + rd_kafka_err2str(err));
  }
  auto rk = detail::make_handle(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!rk) return std::move(rk).error();
  p->rk = std::move(*rk);
  if (const auto tid = p->priorities.main_tid.load(); tid != 0) {
    (void)::setpriority(PRIO_PROCESS, tid, main_thread_nice);
  }
  return std::unique_ptr<txn_producer>(new txn_producer(std::move(p)));
}

status txn_producer::init(std::chrono::milliseconds timeout) {
  rd_kafka_error_t* e =
      rd_kafka_init_transactions(impl_->rk.get(), static_cast<int>(timeout.count()));
  impl_->serve();
  if (e != nullptr) return impl_->from(e, "init transactions");
  return {};
}

status txn_producer::begin() {
  if (rd_kafka_error_t* e = rd_kafka_begin_transaction(impl_->rk.get())) {
    return impl_->from(e, "begin transaction");
  }
  impl_->in_txn = true;
  impl_->txn_records = 0;
  impl_->txn_bytes = 0;
  return {};
}

status txn_producer::produce(std::string_view topic, std::int32_t partition, std::string_view key,
                             std::optional<std::string_view> value) {
  const std::string t(topic);
  // A null value pointer is a tombstone; an empty value is a record with empty bytes.
  static const char empty = 0;
  void* payload = nullptr;
  if (value) payload = const_cast<char*>(value->empty() ? &empty : value->data());
  const std::size_t payload_len = value ? value->size() : 0;
  const auto err =
      rd_kafka_producev(impl_->rk.get(), RD_KAFKA_V_TOPIC(t.c_str()),
                        RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
                        RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
                        RD_KAFKA_V_VALUE(payload, payload_len),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  impl_->serve();
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const auto bytes = key.size() + (value ? value->size() : 0);
    ++impl_->counters.records_produced;
    impl_->counters.bytes_produced += bytes;
    ++impl_->txn_records;
    impl_->txn_bytes += bytes;
    return {};
  }
  const std::string text = impl_->what("produce") + " to " + t + "[" + std::to_string(partition) +
                           "], key \"" + std::string(key.substr(0, 64)) +
                           "\": " + rd_kafka_err2str(err) + describe_code(err);
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char buf[512];
    const auto orig = rd_kafka_fatal_error(impl_->rk.get(), buf, sizeof buf);
    return impl_->classified(producer_fenced(orig) ? txn_errc::fenced : txn_errc::fatal,
                             text + ": " + buf + describe_code(orig));
  }
  if (err == RD_KAFKA_RESP_ERR__STATE) return make_error(errc::conflict, text + ": no transaction");
  if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return impl_->classified(txn_errc::retriable, text);
  // Unknown topic or partition, record too large: this transaction cannot be completed.
  return impl_->classified(txn_errc::abortable, text);
}

status txn_producer::send_offsets(const group_metadata& group,
                                  const std::vector<topic_partition>& offsets,
                                  std::chrono::milliseconds timeout) {
  if (offsets.empty()) return {};
  detail::tpl_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& tp : offsets) {
    if (tp.offset < 0) {
      return make_error(errc::bad_argument, impl_->what("send offsets") + ": offset " +
                                                std::to_string(tp.offset) + " for " + tp.topic +
                                                "[" + std::to_string(tp.partition) +
                                                "] is not a position");
    }
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset =
        tp.offset;
  }
  rd_kafka_error_t* e = rd_kafka_send_offsets_to_transaction(
      impl_->rk.get(), list.get(), group.handle, static_cast<int>(timeout.count()));
  impl_->serve();
  if (e != nullptr) return impl_->from(e, "send offsets");
  return {};
}

status txn_producer::send_offsets(const consumer& c, const std::vector<topic_partition>& offsets,
                                  std::chrono::milliseconds timeout) {
  auto group = c.membership();
  if (!group) return std::move(group).error();
  return send_offsets(**group, offsets, timeout);
}

status txn_producer::flush(std::chrono::milliseconds timeout) {
  const auto err = rd_kafka_flush(impl_->rk.get(), static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return impl_->classified(txn_errc::retriable,
                             impl_->what("flush") + ": " +
                                 std::to_string(rd_kafka_outq_len(impl_->rk.get())) +
                                 " records still queued after " + std::to_string(timeout.count()) +
                                 " ms" + describe_code(err));
  }
  return {};
}

status txn_producer::commit(std::chrono::milliseconds timeout) {
  rd_kafka_error_t* e =
      rd_kafka_commit_transaction(impl_->rk.get(), static_cast<int>(timeout.count()));
  impl_->serve();
  if (e != nullptr) return impl_->from(e, "commit transaction");
  impl_->in_txn = false;
  ++impl_->counters.transactions_committed;
  impl_->counters.records_committed += impl_->txn_records;
  impl_->counters.bytes_committed += impl_->txn_bytes;
  impl_->txn_records = 0;
  impl_->txn_bytes = 0;
  return {};
}

status txn_producer::abort(std::chrono::milliseconds timeout) {
  // Aborting while records are still queued (their partitions not yet added to the
  // transaction) can make the broker answer INVALID_TXN_STATE, a fatal error (librdkafka
  // #4849): send them first, then abort. A flush that times out leaves the rest to abort.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  (void)rd_kafka_flush(impl_->rk.get(), static_cast<int>(timeout.count()));
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  rd_kafka_error_t* e = rd_kafka_abort_transaction(
      impl_->rk.get(), static_cast<int>(std::max<std::int64_t>(left.count(), 1000)));
  impl_->serve();
  if (e != nullptr) return impl_->from(e, "abort transaction");
  impl_->in_txn = false;
  ++impl_->counters.transactions_aborted;
  impl_->txn_records = 0;
  impl_->txn_bytes = 0;
  return {};
}

bool txn_producer::in_transaction() const noexcept {
  return impl_->in_txn;
}

bool txn_producer::usable() const noexcept {
  return impl_->usable && !impl_->fatal();
}

const txn_counters& txn_producer::counters() const noexcept {
  return impl_->counters;
}

const std::string& txn_producer::transactional_id() const noexcept {
  return impl_->txn_id;
}

}  // namespace otaflow::kafka
