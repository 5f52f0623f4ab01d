#include "service/serve_partitions.hpp"

#include <chrono>

#include "base/log.hpp"
#include "kafka/errc.hpp"
#include "kafka/partition_reader.hpp"
#include "kafka/partitioner.hpp"
#include "service/serve_loop.hpp"
#include "storage/changelog.hpp"

namespace otaflow::service {
namespace {

std::shared_ptr<spdlog::logger> logger() {
  static const auto l = log::get("serve");
  return l;
}

constexpr std::chrono::seconds kafka_call_timeout{30};

}  // namespace

// ---- kafka_txn_port ----------------------------------------------------------------------

status kafka_txn_port::send_offsets(const std::vector<kafka::topic_partition>& offsets) {
  const auto* c = consumer_.load();
  if (c == nullptr) {
    return make_error(kafka::txn_errc::abortable, "no trigger consumer yet: offsets not sent");
  }
  return p_->send_offsets(*c, offsets, kafka_call_timeout);
}

status kafka_txn_port::commit() {
  // A retriable failure (a timeout, a coordinator moving) may be tried again as it is.
  status s;
  for (int i = 0; i < 3; ++i) {
    s = p_->commit(kafka_call_timeout);
    if (s || kafka::txn_action(s.error()) != kafka::txn_errc::retriable) return s;
  }
  return s;
}

status kafka_txn_port::abort() {
  // A producer failed fatally aborts nothing (its flush could only wait): its successor's
  // init aborts the open transaction.
  if (!p_ || !p_->in_transaction() || !p_->usable()) return {};
  return p_->abort(kafka_call_timeout);
}

bool kafka_txn_port::fatal(const error& e) const {
  const auto a = kafka::txn_action(e);
  // A group fence (stale generation) leaves the producer usable: not fatal; the transaction
  // is aborted and the next poll releases the partitions.
  return !p_ || !p_->usable() || a == kafka::txn_errc::fatal;
}

status kafka_txn_port::recover() {
  if (!make_) return make_error(errc::conflict, "changelog: no way to replace the producer");
  // The old one first: its id's next epoch goes to the new one, and nothing of the old
  // one's queue may be sent after it.
  p_.reset();
  auto p = make_();
  if (!p) return p.error();
  p_ = std::move(*p);
  return {};
}

// ---- txn_job_store -------------------------------------------------------------------------

status txn_job_store::save(std::span<const actors::job_update> updates, bool sync) {
  std::vector<model::status_event> events;
  events.reserve(updates.size());
  for (const auto& u : updates) {
    events.push_back(model::status_event{
        u.campaign, u.iccid, u.job.state, u.job.attempt, u.job.por_status, u.job.reason,
        u.job.variant, u.job.updated_ms, u.route, u.steps > 1 ? u.job.step : std::uint16_t{0},
        u.steps > 1 ? u.steps : std::uint16_t{0}});
  }
  changelog_committer::attach_statuses(std::move(events));
  auto s = inner_.save(updates, sync);
  changelog_committer::attach_statuses({});  // not carried by a failed save's commit
  return s;
}

// ---- owned_cursor --------------------------------------------------------------------------

result<std::vector<actors::card_info>> owned_cursor::next(std::size_t n) {
  std::vector<actors::card_info> out;
  while (out.empty()) {
    auto page = inner_->next(n);
    if (!page) return page.error();
    if (page->empty()) break;
    for (auto& c : *page) {
      if (keep_(c.iccid)) out.push_back(std::move(c));
    }
  }
  return out;
}

// ---- partition_owner -----------------------------------------------------------------------

std::int32_t partition_owner::partition_of(std::string_view iccid) const {
  return kafka::partition_for_key(iccid, partitions_);
}

bool partition_owner::owns_card(std::string_view iccid) const {
  const auto p = partition_of(iccid);
  std::lock_guard lock(mu_);
  return owned_.count(p) > 0;
}

status partition_owner::restore(const std::vector<std::int32_t>& parts) {
  if (parts.empty()) return {};
  const auto& topic = cfg_.kafka.state_topic;
  auto& db = state_.database();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<kafka::topic_partition> from;
  std::set<std::int32_t> wipe;
  std::string how;
  for (const auto p : parts) {
    auto ckpt = storage::changelog::checkpoint(db, topic, p);
    if (!ckpt) return ckpt.error();
    // From here on the local rows of p change: the checkpoint no longer describes them.
    OTAFLOW_TRY(storage::changelog::set_checkpoint(db, topic, p, -1));
    if (!ckpt->has_value()) wipe.insert(p);
    from.push_back({topic, p, ckpt->has_value() ? **ckpt : kafka::from_beginning});
    how += (how.empty() ? "" : ", ") + std::to_string(p) + " from " +
           (ckpt->has_value() ? "checkpoint " + std::to_string(**ckpt) : "the start");
  }
  std::uint64_t wiped = 0;
  if (!wipe.empty()) {
    auto w = storage::changelog::wipe(
        db, [&](std::string_view iccid) { return wipe.count(partition_of(iccid)) > 0; });
    if (!w) return w.error();
    wiped = *w;
  }
  // Every partition in one read: records of one partition come in order, which is all the
  // rows need (a row belongs to one card, so to one partition).
  rocksdb::WriteBatch batch;
  std::uint64_t records = 0, bytes = 0;
  std::vector<storage::changelog::record> one(1);
  auto end = kafka::read_partitions(
      cfg_.kafka, from,
      [&](std::int32_t, std::string_view key, std::optional<std::string_view> value,
          std::int64_t) -> status {
        one[0] = {key, value};
        OTAFLOW_TRY(storage::changelog::apply_records(db, one, batch));
        ++records;
        bytes += key.size() + (value ? value->size() : 0);
        if (batch.Count() >= 10'000) {
          OTAFLOW_TRY(db.apply(batch, false));
          batch.Clear();
        }
        return {};
      },
      std::chrono::minutes(10));
  if (!end) return end.error();
  if (batch.Count() > 0) OTAFLOW_TRY(db.apply(batch, false));
  state_.counters().clear_cache();
  std::string ends;
  {
    std::lock_guard lock(mu_);
    for (const auto& e : *end) {
      restore_end_[e.partition] = e.offset;
      ends += (ends.empty() ? "" : ",") + std::to_string(e.offset);
    }
  }
  restored_ += records;
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  logger()->info(
      "partitions restored from {} ({}) in {} ms: {} records ({} bytes), up to offsets {}{}", topic,
      how, ms, records, bytes, ends,
      wiped > 0 ? "; " + std::to_string(wiped) + " stale local rows wiped first" : "");
  return {};
}

status partition_owner::assigned(kafka::consumer& consumer,
                                 const std::vector<std::int32_t>& parts) {
  // The group's offsets, stable: while an earlier owner's transaction holds offsets of these
  // partitions, the coordinator answers "unstable" and the consumer waits (KIP-447), so the
  // changelog read next holds everything that owner committed.
  std::vector<kafka::topic_partition> tps;
  for (const auto p : parts) {
    tps.push_back({cfg_.kafka.triggers_topic, p, -1001});
    tps.push_back({cfg_.kafka.subscribers_topic, p, -1001});
  }
  // A crashed owner's open transaction holds them until the coordinator aborts it (the
  // transaction timeout): wait that long, and more, rather than give up.
  auto committed = consumer.committed(tps, kafka_call_timeout);
  for (int i = 0; !committed && committed.error().retriable() && i < 8; ++i) {
    logger()->info("partitions assigned: waiting for stable offsets: {}",
                   committed.error().message);
    committed = consumer.committed(tps, kafka_call_timeout);
  }
  if (!committed) return committed.error();
  // A partition nobody committed yet is read from its beginning (auto.offset.reset =
  // earliest): carrying offset 0 for it puts it in every transaction's offsets too (fencing).
  for (auto& tp : *committed) tp.offset = std::max<std::int64_t>(tp.offset, 0);
  OTAFLOW_TRY(restore(parts));
  {
    std::lock_guard lock(mu_);
    for (const auto p : parts) {
      owned_.insert(p);
      committer_.own(p);
    }
  }
  // Every later transaction carries these partitions' offsets (fencing), even unchanged.
  committer_.set_offsets(*committed);
  // The restored rows are the changelog's: a refusal this process remembers for one of these
  // cards (a write refused while the partition was away) is stale now.
  const std::set<std::int32_t> mine(parts.begin(), parts.end());
  auto arriving = [this, mine](std::string_view iccid) {
    return mine.count(partition_of(iccid)) > 0;
  };
  engine_.reclaim(arriving);
  // resume_where also checks, card by card, that this instance still owns it (the registry's
  // card filter): a cursor outliving a revoke starts no job whose writes would be refused.
  if (registry_ != nullptr) registry_->resume_where(arriving);
  return {};
}

void partition_owner::released(const std::vector<std::int32_t>& parts, bool clean) {
  const std::set<std::int32_t> going(parts.begin(), parts.end());
  auto give_up = [&] {
    std::lock_guard lock(mu_);
    for (const auto p : parts) {
      owned_.erase(p);
      committer_.disown(p);
      committer_.forget_offsets(p);
    }
  };
  // A lost partition may be another member's already: stop writing for it (and carrying its
  // offsets) before the jobs go. Releasing waits for the journal, whose saves for its cards
  // would otherwise be tried again and again with offsets the group refuses (UNKNOWN_MEMBER_ID)
  // while this callback keeps the consumer from rejoining (80 s in a test), and answers for
  // those cards would not be forwarded to their new owner meanwhile.
  if (!clean) give_up();
  const auto n =
      engine_.release([&](std::string_view iccid) { return going.count(partition_of(iccid)) > 0; });
  if (clean) {
    if (auto s = committer_.flush(); !s) {
      logger()->warn("partitions going away: last commit failed: {}", s.error().message);
      clean = false;
    }
    give_up();
  }
  std::string list;
  for (const auto p : parts) list += (list.empty() ? "" : ",") + std::to_string(p);
  logger()->info("partitions {} {}: {} jobs released to the next owner", list,
                 clean ? "revoked" : "lost", n);
  if (!clean) return;
  // The local rows are the changelog's up to its end now (this instance was its only
  // writer): remember where, so that getting the partition back reads only what came after.
  for (const auto p : parts) {
    std::int64_t from = kafka::from_beginning;
    {
      std::lock_guard lock(mu_);
      if (auto it = restore_end_.find(p); it != restore_end_.end()) from = it->second;
    }
    auto end = kafka::read_partition(
        cfg_.kafka, cfg_.kafka.state_topic, p, from,
        [](std::string_view, std::optional<std::string_view>, std::int64_t) -> status {
          return {};
        },
        std::chrono::minutes(2));
    if (!end) {
      logger()->warn("partition {}: no checkpoint ({}); it is rebuilt in full when it comes back",
                     p, end.error().message);
      continue;
    }
    if (auto s =
            storage::changelog::set_checkpoint(state_.database(), cfg_.kafka.state_topic, p, *end);
        !s) {
      logger()->warn("partition {}: checkpoint not stored: {}", p, s.error().message);
    }
  }
}

}  // namespace otaflow::service
