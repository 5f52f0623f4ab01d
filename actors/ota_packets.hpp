#pragma once
// The engine's packet factory: counters from storage (one synced batch per crypto
// batch, before any packet leaves), SCP80 through secure/'s batch interface, and the
// SMS binding of TS 31.115 (concatenation when a packet exceeds one SM). Also builds
// a campaign's TS 102 226 script and opens the cards' PoRs.

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "actors/engine_ports.hpp"
#include "secure/scp80_algorithm.hpp"
#include "storage/api.hpp"
#include "storage/counter_store.hpp"

namespace otaflow::actors {

/// Builds the RFM script of each variant of a campaign (effective_variants(), in order):
/// SELECT along each path (P2 = 0C, no response data), UPDATE BINARY / UPDATE RECORD
/// (absolute mode), then the raw APDUs. Errors name the variant.
[[nodiscard]] result<std::shared_ptr<campaign_ctx>> prepare_campaign(campaign_def def);

/// The content of EF.SUCI_Calc_Info an update.suci writes: the new key first, then (replace
/// = false) the kept keys, then the null scheme when null_fallback; 'FF' padded to file_size.
[[nodiscard]] result<bytes> suci_calc_info_content(const suci_update_def& u);

class ota_packet_factory final : public packet_factory {
 public:
  /// Borrows the counter store and the crypto backend; both must outlive the factory.
  /// `state` (optional, must outlive the factory too) serves key rotation campaigns
  /// (update.keys): the cards' KIKs and their pending Ki/OPc.
  ota_packet_factory(storage::counter_store& counters, secure::crypto_backend& backend,
                     storage::state* state = nullptr)
      : counters_(counters), backend_(backend), state_(state) {}

  [[nodiscard]] std::vector<result<packaged>> package(
      std::span<const package_request> requests) override;
  [[nodiscard]] result<por_info> open_por(const card_info& card, const campaign_ctx& campaign,
                                          byte_view user_data) override;
  [[nodiscard]] std::uint64_t por_rejected() const noexcept override {
    return por_rejected_.load(std::memory_order_relaxed);
  }

 private:
  /// update.keys: builds each such card's own script (scripts[i]); failures[i] is set for
  /// cards that cannot get one (cards whose failures[i] is set on entry are left out). New keys are
  /// pending in storage (synced) on return.
  void rotation_scripts(std::span<const package_request> requests, std::vector<bytes>& scripts,
                        std::vector<std::optional<error>>& failures);

  /// update.keyset: each such card's PUT KEY script (keyset_update.cpp), like
  /// rotation_scripts: the new keyset is pending in storage (synced) on return.
  void keyset_scripts(std::span<const package_request> requests, std::vector<bytes>& scripts,
                      std::vector<std::optional<error>>& failures);
  /// update.keyset: the card's pending keyset of the campaign (nullopt: none, or no store).
  [[nodiscard]] std::optional<storage::pending_keyset> pending_keyset(
      const card_info& card, const campaign_ctx& campaign) const;

  storage::counter_store& counters_;
  secure::crypto_backend& backend_;
  storage::state* state_ = nullptr;
  std::atomic<std::uint64_t> por_rejected_{0};  ///< open_por() runs in many subscriber actors
};

}  // namespace otaflow::actors
