#pragma once
// Serve's partition-owned mode: PoRs and delivery receipts reach the instance that owns the
// card. An SMSC delivers an account's MOs and receipts to any of its binds (the simulator
// round-robins them), so an instance often receives answers for cards of partitions another
// instance owns. It forwards them to the MO topic, keyed by the card's ICCID on the card's
// partition (co-partitioned with the triggers topic), which the owner consumes with its
// triggers and hands to its router as if its own bind had received them.
//
// Which card an MSISDN is: msisdn_directory, an in-memory index of every card of the
// subscribers topic (all partitions, not only the owned ones), read at start and refreshed
// every 2 s. A forwarded record: {"kind":"mo","msisdn":"...","ud":"<hex>"} or
// {"kind":"receipt","msisdn":"...","id":"...","state":N,"error":"..."}.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "actors/engine_ports.hpp"
#include "kafka/config.hpp"
#include "kafka/consumer.hpp"
#include "kafka/producer.hpp"

namespace otaflow::service {

class partition_owner;

/// MSISDN -> ICCID of every card published to the subscribers topic (thread-safe).
class msisdn_directory {
 public:
  explicit msisdn_directory(kafka::kafka_options opts) : opts_(std::move(opts)) {}
  ~msisdn_directory();
  /// Reads the topic to its end once (so that answers of cards imported before the start are
  /// routed), then refreshes in a thread every `every`.
  [[nodiscard]] status start(std::chrono::milliseconds every = std::chrono::seconds(2));
  [[nodiscard]] std::optional<std::string> iccid_of(const std::string& msisdn) const;
  [[nodiscard]] std::size_t size() const;
  /// Tests only (a seam: the directory otherwise reads the subscribers topic): records that
  /// `msisdn` is card `iccid`, as a refresh that read that card would.
  void add_for_test(std::string msisdn, std::string iccid);

 private:
  [[nodiscard]] status refresh();

  kafka::kafka_options opts_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::string> by_msisdn_;
  std::vector<kafka::topic_partition> next_;  // where the next refresh reads from
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

/// The engine's transport in partition-owned mode: the SMPP transport, with answers for other
/// instances' cards forwarded (see the file comment).
class forwarding_transport final : public actors::transport, public actors::transport_listener {
 public:
  forwarding_transport(actors::transport& inner, const msisdn_directory& directory,
                       kafka::producer& producer, std::string mo_topic)
      : inner_(inner), dir_(directory), producer_(producer), topic_(std::move(mo_topic)) {}
  /// The owner deciding which cards are this instance's; until set, nothing is forwarded.
  void set_owner(const partition_owner* owner) { owner_ = owner; }
  /// Hands a record of the MO topic to the engine; an error for a malformed record.
  [[nodiscard]] status deliver(const kafka::message& m);
  [[nodiscard]] std::uint64_t forwarded() const noexcept { return forwarded_.load(); }
  [[nodiscard]] std::uint64_t delivered() const noexcept { return delivered_.load(); }

  // transport
  void set_listener(actors::transport_listener* l) override;
  void submit(actors::submit_request request) override { inner_.submit(std::move(request)); }
  [[nodiscard]] std::string bind_name(std::size_t bind) const override {
    return inner_.bind_name(bind);
  }
  // transport_listener
  void on_submitted(std::uint64_t tag, std::vector<std::string> ids) override {
    listener_->on_submitted(tag, std::move(ids));
  }
  void on_submit_failed(std::uint64_t tag, std::uint32_t status, std::string reason,
                        bool retriable) override {
    listener_->on_submit_failed(tag, status, std::move(reason), retriable);
  }
  void on_submit_lost(std::uint64_t tag) override { listener_->on_submit_lost(tag); }
  void on_submit_outcome(std::uint64_t tag, std::size_t bind, actors::submit_outcome o) override {
    listener_->on_submit_outcome(tag, bind, o);
  }
  void on_receipt(std::string id, std::uint8_t state, std::string error) override {
    listener_->on_receipt(std::move(id), state, std::move(error));
  }
  void on_receipt_from(std::string msisdn, std::string id, std::uint8_t state,
                       std::string error) override;
  void on_mo(std::string from, bytes ud) override;

 private:
  // The card's ICCID when it belongs to another instance (forward), else nullopt.
  [[nodiscard]] std::optional<std::string> elsewhere(const std::string& msisdn) const;
  void forward(const std::string& iccid, const std::string& payload);

  actors::transport& inner_;
  const msisdn_directory& dir_;
  kafka::producer& producer_;
  std::string topic_;
  std::atomic<const partition_owner*> owner_{nullptr};
  actors::transport_listener* listener_ = nullptr;
  std::atomic<std::uint64_t> forwarded_{0}, delivered_{0};
};

}  // namespace otaflow::service
