#pragma once
// A fake of the changelog committer's Kafka side (service/changelog_committer.hpp: txn_port)
// for the tests of serve's partition-owned pieces. It records every transaction (its records,
// its offsets, how it ended), can be told to fail the next commits with a retriable, an
// abortable or a fatal error (and to refuse replacing the producer after one), and can hold
// commit() until released (a slow Kafka: the test looks at the state directory while the
// transaction is open). It also counts calls out of protocol (produce outside a
// transaction, begin inside one, a producer replaced inside one).

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/changelog_committer.hpp"

namespace otaflow::service::test {

class fake_txn_port final : public txn_port {
 public:
  struct record {
    std::string topic;
    std::int32_t partition = -1;
    std::string key;
    std::optional<std::string> value;
  };
  enum class end { open, committed, aborted };
  struct txn {
    std::vector<record> records;
    std::optional<std::vector<kafka::topic_partition>> offsets;  ///< send_offsets() called
    end how = end::open;
  };
  enum class failure { retriable, abortable, fatal };

  status begin() override {
    std::lock_guard lock(mu_);
    if (open_) ++violations_;
    txns_.push_back({});
    open_ = true;
    return {};
  }
  status produce(std::string_view topic, std::int32_t partition, std::string_view key,
                 std::optional<std::string_view> value) override {
    std::lock_guard lock(mu_);
    if (!open_) return out_of_protocol("produce");
    txns_.back().records.push_back({std::string(topic), partition, std::string(key),
                                    value ? std::optional<std::string>(*value) : std::nullopt});
    return {};
  }
  status send_offsets(const std::vector<kafka::topic_partition>& offsets) override {
    std::lock_guard lock(mu_);
    if (!open_) return out_of_protocol("send_offsets");
    txns_.back().offsets = offsets;
    return {};
  }
  status commit() override {
    std::unique_lock lock(mu_);
    if (!open_) return out_of_protocol("commit");
    ++in_commit_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !held_; });
    --in_commit_;
    if (!failures_.empty()) {
      const auto f = failures_.front();
      failures_.pop_front();
      return failure_error(f);
    }
    txns_.back().how = end::committed;
    open_ = false;
    return {};
  }
  status abort() override {
    std::lock_guard lock(mu_);
    ++aborts_;
    if (open_) txns_.back().how = end::aborted;
    open_ = false;
    return {};
  }
  bool fatal(const error& e) const override { return e.message.rfind("fatal:", 0) == 0; }
  status recover() override {
    std::lock_guard lock(mu_);
    ++recoveries_;
    if (open_) ++violations_;  // the committer aborts before it replaces the producer
    if (refuse_recovery_) return make_error(errc::io, "no broker answers InitProducerId");
    return {};
  }

  /// recover() fails from now on.
  void refuse_recovery() {
    std::lock_guard lock(mu_);
    refuse_recovery_ = true;
  }
  [[nodiscard]] std::size_t recoveries() const {
    std::lock_guard lock(mu_);
    return recoveries_;
  }

  /// The next `n` commits fail with `f`.
  void fail_commits(std::size_t n, failure f) {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < n; ++i) failures_.push_back(f);
  }
  /// While held, commit() blocks (the transaction stays open).
  void hold(bool on) {
    {
      std::lock_guard lock(mu_);
      held_ = on;
    }
    cv_.notify_all();
  }
  /// Waits until a commit() is blocked by hold().
  void wait_in_commit() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_commit_ > 0; });
  }

  [[nodiscard]] std::vector<txn> transactions() const {
    std::lock_guard lock(mu_);
    return txns_;
  }
  [[nodiscard]] std::vector<txn> committed() const {
    std::lock_guard lock(mu_);
    std::vector<txn> out;
    for (const auto& t : txns_) {
      if (t.how == end::committed) out.push_back(t);
    }
    return out;
  }
  [[nodiscard]] std::size_t begins() const {
    std::lock_guard lock(mu_);
    return txns_.size();
  }
  [[nodiscard]] std::size_t aborts() const {
    std::lock_guard lock(mu_);
    return aborts_;
  }
  [[nodiscard]] std::size_t violations() const {
    std::lock_guard lock(mu_);
    return violations_;
  }

  static error failure_error(failure f) {
    switch (f) {
      case failure::retriable:
        return make_error(errc::io, "retriable: the coordinator is loading",
                          error_class::retriable);
      case failure::abortable:
        return make_error(errc::conflict, "abortable: a partition's leader moved");
      case failure::fatal:
        return make_error(errc::conflict, "fatal: producer fenced by a newer instance");
    }
    return make_error(errc::internal, "unknown failure");
  }

 private:
  status out_of_protocol(std::string_view what) {
    ++violations_;
    return make_error(errc::internal, std::string(what) + " outside a transaction");
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<txn> txns_;
  std::deque<failure> failures_;
  bool open_ = false;
  bool held_ = false;
  int in_commit_ = 0;
  std::size_t aborts_ = 0;
  std::size_t recoveries_ = 0;
  bool refuse_recovery_ = false;
  std::size_t violations_ = 0;
};

}  // namespace otaflow::service::test
