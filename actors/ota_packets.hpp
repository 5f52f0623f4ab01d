#pragma once
// The engine's packet factory: counters from storage (one synced batch per crypto
// batch, before any packet leaves), SCP80 through secure/'s batch interface, and the
// SMS binding of TS 31.115 (concatenation when a packet exceeds one SM). Also builds
// a campaign's TS 102 226 script and opens the cards' PoRs.

#include <memory>

#include "actors/engine_ports.hpp"
#include "secure/scp80_algorithm.hpp"
#include "storage/counter_store.hpp"

namespace otaflow::actors {

/// Builds the RFM script of a campaign: SELECT along each path (P2 = 0C, no response
/// data), UPDATE BINARY / UPDATE RECORD (absolute mode), then the raw APDUs.
[[nodiscard]] result<std::shared_ptr<campaign_ctx>> prepare_campaign(campaign_def def);

class ota_packet_factory final : public packet_factory {
 public:
  /// Borrows the counter store and the crypto backend; both must outlive the factory.
  ota_packet_factory(storage::counter_store& counters, secure::crypto_backend& backend)
      : counters_(counters), backend_(backend) {}

  [[nodiscard]] std::vector<result<packaged>> package(
      std::span<const package_request> requests) override;
  [[nodiscard]] result<por_info> open_por(const card_info& card, const campaign_ctx& campaign,
                                          byte_view user_data) override;

 private:
  storage::counter_store& counters_;
  secure::crypto_backend& backend_;
};

}  // namespace otaflow::actors
