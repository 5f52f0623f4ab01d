#include "service/changelog_committer.hpp"

#include <unordered_map>

#include "base/log.hpp"

#include "kafka/events.hpp"

namespace otaflow::service {
namespace {

std::shared_ptr<spdlog::logger> logger() {
  static const auto l = log::get("changelog");
  return l;
}

thread_local std::vector<model::status_event> attached;  // NOLINT: per journal thread

}  // namespace

changelog_committer::changelog_committer(storage::db& db, txn_port& port, committer_config config)
    : db_(db), port_(port), cfg_(std::move(config)) {
  cfg_.attempts = std::max<std::size_t>(1, cfg_.attempts);
  cfg_.partitions = std::max(1, cfg_.partitions);
  cfg_.status_partitions = std::max(1, cfg_.status_partitions);
  thread_ = std::thread([this] { loop(); });
}

changelog_committer::~changelog_committer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void changelog_committer::attach_statuses(std::vector<model::status_event> events) {
  attached = std::move(events);
}

void changelog_committer::own(std::int32_t partition) {
  std::lock_guard lock(mu_);
  owned_.insert(partition);
}

void changelog_committer::disown(std::int32_t partition) {
  std::lock_guard lock(mu_);
  owned_.erase(partition);
}

bool changelog_committer::owns(std::int32_t partition) const {
  std::lock_guard lock(mu_);
  return owned_.count(partition) > 0;
}

void changelog_committer::set_offsets(const std::vector<kafka::topic_partition>& offsets) {
  {
    std::lock_guard lock(mu_);
    for (const auto& o : offsets) {
      if (o.offset < 0) continue;
      auto& cur = offsets_[{o.topic, o.partition}];
      if (o.offset != cur) offsets_dirty_ = true;
      cur = std::max(cur, o.offset);
    }
  }
  wake_.notify_all();
}

void changelog_committer::forget_offsets(std::int32_t partition) {
  std::lock_guard lock(mu_);
  std::erase_if(offsets_, [&](const auto& kv) { return kv.first.second == partition; });
}

status changelog_committer::flush() {
  std::unique_lock lock(mu_);
  if (stats_.fenced) return make_error(errc::conflict, "changelog: this instance was fenced");
  const auto ticket = ++flush_asked_;
  wake_.notify_all();
  done_.wait(lock, [&] { return flush_done_ >= ticket || stop_; });
  if (flush_error_) return *flush_error_;
  return {};
}

committer_stats changelog_committer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::optional<std::int32_t> changelog_committer::unowned(const request& r) const {
  for (const auto& op : r.ops) {
    const auto p = cfg_.partition_for(op.iccid, cfg_.partitions);
    if (owned_.count(p) == 0) return p;
  }
  return std::nullopt;
}

status changelog_committer::commit(rocksdb::WriteBatch& batch, bool sync) {
  request r;
  r.batch = &batch;
  r.statuses = std::exchange(attached, {});
  auto ops = storage::changelog::partitioned_ops(db_, batch);
  if (!ops) return ops.error();
  r.ops = std::move(*ops);
  // Local rows only (campaigns, audit, meta): not in the changelog, so the local write-ahead
  // log is their only record and the caller's sync is kept.
  if (r.ops.empty() && r.statuses.empty()) return db_.apply(batch, sync);
  return enqueue(r);
}

status changelog_committer::publish(std::vector<extra_record> records) {
  rocksdb::WriteBatch empty;
  request r;
  r.batch = &empty;
  r.records = std::move(records);
  return enqueue(r);
}

status changelog_committer::enqueue(request& r) {
  std::unique_lock lock(mu_);
  if (stats_.fenced) {
    return make_error(errc::conflict,
                      "changelog: this instance was fenced (another instance owns its "
                      "partitions); nothing more is written");
  }
  if (auto p = unowned(r)) {
    return make_error(errc::conflict, "changelog: partition " + std::to_string(*p) +
                                          " is not owned by this instance (it moved away)");
  }
  waiting_.push_back(&r);
  wake_.notify_all();
  done_.wait(lock, [&] { return r.result.has_value(); });
  return *r.result;
}

void changelog_committer::loop() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait_for(lock, cfg_.offsets_interval,
                   [&] { return stop_ || !waiting_.empty() || flush_asked_ > flush_done_; });
    const auto now = std::chrono::steady_clock::now();
    const bool offsets_due = offsets_dirty_ && now - last_offsets_ >= cfg_.offsets_interval;
    if (stop_ && waiting_.empty() && flush_asked_ == flush_done_) break;
    if (waiting_.empty() && flush_asked_ == flush_done_ && !offsets_due) continue;
    std::vector<request*> group(waiting_.begin(), waiting_.end());
    waiting_.clear();
    const auto flushes = flush_asked_;
    lock.unlock();
    run_group(group);
    lock.lock();
    flush_done_ = flushes;
    done_.notify_all();
  }
  for (auto* r : waiting_) r->result = make_error(errc::conflict, "changelog: stopping");
  waiting_.clear();
  done_.notify_all();
}

void changelog_committer::run_group(std::vector<request*>& group) {
  std::optional<error> last;
  for (std::size_t attempt = 0; attempt < cfg_.attempts; ++attempt) {
    std::vector<kafka::topic_partition> offsets;
    {
      std::lock_guard lock(mu_);
      if (stats_.fenced) break;
      // A partition that moved away meanwhile: its batches fail, the others go on.
      std::erase_if(group, [&](request* r) {
        auto p = unowned(*r);
        if (!p) return false;
        r->result =
            make_error(errc::conflict, "changelog: partition " + std::to_string(*p) +
                                           " is not owned by this instance (it moved away)");
        return true;
      });
      for (const auto& [tp, off] : offsets_) offsets.push_back({tp.first, tp.second, off});
      offsets_dirty_ = false;
      last_offsets_ = std::chrono::steady_clock::now();
    }
    committer_stats times;
    auto s = transact(group, offsets, times);
    if (s) {
      // Durable in Kafka: now the local rows (unsynced: the changelog is the record; a crash
      // rebuilds the partition from it).
      std::lock_guard lock(mu_);
      ++stats_.transactions;
      stats_.produce_us += times.produce_us;
      stats_.bytes += times.bytes;
      stats_.records += times.records;
      stats_.offsets_us += times.offsets_us;
      stats_.commit_us += times.commit_us;
      for (auto* r : group) {
        ++stats_.batches;
        stats_.rows += r->ops.size();
        stats_.statuses += r->statuses.size();
        r->result = db_.apply(*r->batch, false);
      }
      flush_error_.reset();
      return;
    }
    last = s.error();
    (void)port_.abort();
    {
      std::lock_guard lock(mu_);
      ++stats_.aborted;
    }
    if (port_.fatal(*last)) {
      // Nothing of the transaction is visible (the broker aborted it, or the new producer's
      // init aborts it): the group is tried again under the new producer, still fenced by the
      // consumer group's generation like any other transaction.
      if (try_recover(*last)) continue;
      std::lock_guard lock(mu_);
      stats_.fenced = true;
      logger()->error("changelog: transaction failed fatally, this instance stops writing: {}",
                      last->message);
      break;
    }
    logger()->warn("changelog: transaction of {} batches aborted (attempt {} of {}): {}",
                   group.size(), attempt + 1, cfg_.attempts, last->message);
    std::this_thread::sleep_for(std::chrono::milliseconds(50) *
                                (1 << std::min<std::size_t>(attempt, 5)));
  }
  std::lock_guard lock(mu_);
  const error e = last ? *last : make_error(errc::conflict, "changelog: this instance was fenced");
  for (auto* r : group) {
    if (!r->result) r->result = e;
  }
  flush_error_ = e;
}

bool changelog_committer::try_recover(const error& cause) {
  const auto now = std::chrono::steady_clock::now();
  while (!recovered_at_.empty() && now - recovered_at_.front() >= cfg_.recovery_window) {
    recovered_at_.pop_front();
  }
  if (recovered_at_.size() >= cfg_.recoveries) {
    logger()->error(
        "changelog: {} producers replaced in the last {} s already; not replacing another "
        "(is a second instance running with this instance's id?)",
        recovered_at_.size(),
        std::chrono::duration_cast<std::chrono::seconds>(cfg_.recovery_window).count());
    return false;
  }
  logger()->warn(
      "changelog: the transactional producer failed ({}); a new one takes its transactional id "
      "over and the transaction is tried again",
      cause.message);
  recovered_at_.push_back(now);
  if (auto s = port_.recover(); !s) {
    logger()->error("changelog: no new transactional producer: {}", s.error().message);
    return false;
  }
  std::lock_guard lock(mu_);
  ++stats_.recoveries;
  return true;
}

status changelog_committer::transact(const std::vector<request*>& group,
                                     const std::vector<kafka::topic_partition>& offsets,
                                     committer_stats& times) {
  using clock = std::chrono::steady_clock;
  auto us_since = [](clock::time_point t) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - t).count());
  };
  auto t = clock::now();
  // The changelog is compacted (the last value of a key is the row) and a transaction is seen
  // whole or not at all: of the writes to one row within the group only the last one travels.
  // A card's job row saved twice while the previous transaction ran goes once.
  std::vector<const storage::changelog::row_op*> ops;
  for (const auto* r : group) {
    for (const auto& op : r->ops) ops.push_back(&op);
  }
  std::vector<std::string> keys(ops.size());
  std::unordered_map<std::string_view, std::size_t> last;
  last.reserve(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    keys[i] = storage::changelog::record_key(ops[i]->col, ops[i]->key);
    last[keys[i]] = i;
  }
  OTAFLOW_TRY(port_.begin());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (last[keys[i]] != i) continue;  // written again later in this transaction
    const auto& op = *ops[i];
    const auto p = cfg_.partition_for(op.iccid, cfg_.partitions);
    OTAFLOW_TRY(
        port_.produce(cfg_.state_topic, p, keys[i],
                      op.value ? std::optional<std::string_view>(*op.value) : std::nullopt));
    times.bytes += keys[i].size() + (op.value ? op.value->size() : 0);
    ++times.records;
  }
  for (const auto* r : group) {
    for (const auto& x : r->records) {
      OTAFLOW_TRY(
          port_.produce(x.topic, x.partition, x.key, std::optional<std::string_view>(x.value)));
    }
    for (const auto& ev : r->statuses) {
      const auto payload = kafka::serialise(ev);
      OTAFLOW_TRY(port_.produce(cfg_.status_topic,
                                cfg_.partition_for(ev.iccid, cfg_.status_partitions), ev.iccid,
                                std::optional<std::string_view>(payload)));
    }
  }
  times.produce_us = us_since(t);
  t = clock::now();
  if (!offsets.empty()) OTAFLOW_TRY(port_.send_offsets(offsets));
  times.offsets_us = us_since(t);
  t = clock::now();
  auto s = port_.commit();
  times.commit_us = us_since(t);
  return s;
}

}  // namespace otaflow::service
