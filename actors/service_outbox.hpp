#pragma once
// Status events leave only once their state is durable (the journal saves, then emits), but
// a crash can still lose the ones a sink had queued and not yet delivered. The outbox closes
// that gap without a second write: the audit record stored in the same batch as each state
// change is the durable copy of its status event. The outbox numbers every event it passes
// on by that record's sequence, learns from the sink which ones were acknowledged, keeps the
// sequence below which all are (the watermark) in the meta column, and at start emits again
// every state change after it. A status may thus be sent twice after a crash, never lost,
// and never contradicted (it is the same stored state).

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "actors/engine_ports.hpp"
#include "storage/api.hpp"

namespace otaflow::actors {

/// A status sink that confirms delivery later through status_outbox::acknowledge(seq).
class acked_sink {
 public:
  virtual ~acked_sink() = default;
  /// Sends one event; `seq` names it in the acknowledgement.
  virtual void send(const status_event& event, std::uint64_t seq) = 0;
};

/// The engine's job store and status sink in service mode (see the file comment).
class status_outbox final : public job_store, public status_sink {
 public:
  /// Reads the stored watermark; `downstream` must outlive the outbox.
  [[nodiscard]] static result<std::unique_ptr<status_outbox>> open(storage::state& state,
                                                                   acked_sink& downstream);

  [[nodiscard]] result<std::optional<job_record>> load(const std::string& campaign,
                                                       const std::string& iccid) override;
  /// Writes the job records and one audit record each, atomically; remembers their sequences
  /// for the emit() of the same batch (the journal calls both from one thread, in turn).
  [[nodiscard]] status save(std::span<const job_update> updates, bool sync) override;
  /// Passes the batch saved last to the downstream sink, numbered by audit sequence.
  void emit(std::span<const status_event> events) override;

  /// The downstream sink delivered event `seq` (thread-safe).
  void acknowledge(std::uint64_t seq);
  /// Emits again every job state change stored after the watermark; call before the engine
  /// starts. Returns how many were emitted.
  [[nodiscard]] result<std::uint64_t> replay();
  /// Stores the watermark when it moved (cheap when it did not).
  [[nodiscard]] status checkpoint();
  /// Every event up to this audit sequence is acknowledged.
  [[nodiscard]] std::uint64_t watermark() const;
  /// Events passed on and not yet acknowledged.
  [[nodiscard]] std::size_t unacknowledged() const;

  /// The meta key of the watermark (8 octets, big-endian).
  static constexpr const char* watermark_key = "serve.status_watermark";

 private:
  status_outbox(storage::state& state, acked_sink& downstream, std::uint64_t watermark);
  void track(std::uint64_t seq);

  storage::state& state_;
  acked_sink& downstream_;
  std::vector<std::uint64_t> last_seqs_;  // of the batch saved last (journal thread)
  mutable std::mutex mu_;
  std::set<std::uint64_t> outstanding_;
  std::uint64_t highest_ = 0;  // highest sequence passed on
  std::uint64_t stored_ = 0;   // watermark last stored
};

/// Reads a status event back from an audit record of type `state`.
[[nodiscard]] result<status_event> status_from_audit(const storage::audit_event& e);

}  // namespace otaflow::actors
