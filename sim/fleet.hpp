#pragma once
// The virtual UICC fleet behind the SMSC simulator (sim/card_gateway.hpp): millions of
// cards that cost nothing until an SM reaches them.
//
//  - Cards come from a seed (fleet_generate.hpp: numbers and keys derived, the index parsed
//    back from the MSISDN) or from a vendor CSV `iccid,imsi,msisdn,ki,opc,kic1,kid1,kik1
//    [,kic2,kid2,kik2 ...]` (an index MSISDN -> row: 24 octets per row, rows read back from
//    the file when a card is first touched). A CSV with a generated sidecar (<csv>.meta) is
//    opened as the generated fleet it is.
//  - A card is materialised on first touch: identity plus its stored state (the files that
//    differ from the personalised defaults, counters per keyset, last PoR, rotated keys).
//    Touched cards stay in memory under an LRU memory budget; every change is written to
//    RocksDB (fleet_store.hpp) before deliver() returns, so an evicted or restarted card
//    remembers everything.
//  - deliver() is thread-safe; the messages of one card are serialised (striped mutexes).

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.hpp"
#include "sim/card_gateway.hpp"
#include "sim/card_profile.hpp"
#include "sim/fleet_generate.hpp"
#include "sim/fleet_store.hpp"
#include "sim/ota_card.hpp"
#include "sim/ota_sms_pp.hpp"

namespace otaflow::sim {

/// Options of a fleet.
struct fleet_options {
  /// Default empty: no persistence (and no eviction). Else the RocksDB directory of the
  /// card states (fleet_store.hpp), created when missing.
  std::filesystem::path state_dir;
  /// Default 256 MiB: approximate memory of materialised cards kept (LRU beyond it).
  std::size_t memory_budget = std::size_t{256} << 20;
  /// Default 4096: mutexes that serialise the messages of one card (card index modulo).
  std::size_t lock_stripes = 4096;
  /// Default false: fsync every state write.
  bool sync_writes = false;
  /// Default true: flush the state store's memtables at close (false: a store deleted after).
  bool flush_on_close = true;
  /// The card profile of every card (default_card_profile()).
  card_profile profile = default_card_profile();
  /// Default true: deliver_batch() deciphers and checks the CC of a batch's secured packets
  /// in one batch on secure::make_best_backend() (SIMD 3DES/AES); false: every card opens its
  /// packets itself, one at a time (OpenSSL). Same outcomes and PoR octets either way.
  bool batch_verify = true;
  /// Tests only: called at the start of every write of queued card states, before the
  /// write is ordered against others (to interleave two batches' writes on purpose).
  std::function<void()> before_state_write;
};

/// Counters of a fleet.
struct fleet_stats {
  std::uint64_t cards_in_memory = 0;
  std::uint64_t bytes_in_memory = 0;  ///< approximate, what the budget compares
  std::uint64_t materialised = 0;     ///< cards built (first touches and reloads)
  std::uint64_t loaded = 0;           ///< of which with a stored state
  std::uint64_t evicted = 0;
  std::uint64_t persisted = 0;      ///< card states written
  std::uint64_t store_reads = 0;    ///< state store reads (cards not in memory)
  std::uint64_t store_writes = 0;   ///< state store writes (one per batch of cards)
  std::uint64_t delivered = 0;      ///< deliver() calls that reached a card
  std::uint64_t unknown = 0;        ///< deliver() calls for MSISDNs not in the fleet
  std::uint64_t cards_changed = 0;  ///< distinct cards whose state changed since open()
  std::uint64_t batch_opened = 0;   ///< command packets the cards took from a crypto batch
  /// PoRs the cards computed, by status octet (TS 102 225 §5.2: 00 ok, 01 RC/CC failed, ...).
  std::array<std::uint64_t, 256> por_status{};
};

/// Where a fleet's cards come from.
class card_source {
 public:
  virtual ~card_source() = default;
  /// Number of cards.
  [[nodiscard]] virtual std::uint64_t size() const = 0;
  /// The index of the card with this MSISDN ('+' allowed), or nullopt.
  [[nodiscard]] virtual std::optional<std::uint64_t> find_msisdn(std::string_view m) const = 0;
  /// The index of the card with this ICCID, or nullopt.
  [[nodiscard]] virtual std::optional<std::uint64_t> find_iccid(std::string_view iccid) const = 0;
  /// Identity and keys of card `index`.
  [[nodiscard]] virtual result<card_identity> identity(std::uint64_t index) const = 0;
  /// The JSON the state directory records to recognise this fleet.
  [[nodiscard]] virtual std::string describe_json() const = 0;
};

/// Cards derived from a seed (fleet_generate.hpp).
[[nodiscard]] result<std::unique_ptr<card_source>> generated_source(std::string seed,
                                                                    std::uint64_t count,
                                                                    fleet_numbering n = {});
/// Cards of a CSV: the generated fleet when <csv>.meta is present and matches the rows,
/// else a vendor file indexed by MSISDN.
[[nodiscard]] result<std::unique_ptr<card_source>> csv_source(const std::filesystem::path& csv);
/// Memory of a vendor CSV index per row, in octets (MSISDN + row, row offset).
inline constexpr std::size_t csv_index_bytes_per_row = 24;

/// The virtual UICC fleet.
class fleet final : public card_gateway {
 public:
  /// A fleet of `source`'s cards; with a state dir, the dir must be new or record the same
  /// fleet (errc::conflict otherwise).
  [[nodiscard]] static result<std::unique_ptr<fleet>> open(std::unique_ptr<card_source> source,
                                                           fleet_options options = {});
  /// open(generated_source(seed, count), options).
  [[nodiscard]] static result<std::unique_ptr<fleet>> generated(std::string seed,
                                                                std::uint64_t count,
                                                                fleet_options options = {});
  /// open(csv_source(csv), options).
  [[nodiscard]] static result<std::unique_ptr<fleet>> from_csv(const std::filesystem::path& csv,
                                                               fleet_options options = {});
  ~fleet() override;
  fleet(const fleet&) = delete;
  fleet& operator=(const fleet&) = delete;

  /// Delivers one SMS-DELIVER to the handset of an MSISDN (virtual_card::receive_sms);
  /// unknown MSISDNs answer kind::unknown_subscriber.
  mt_outcome deliver(std::string_view msisdn, byte_view sms_deliver_tpdu) override;
  /// Opens the batch's secured packets in one crypto batch (fleet_options::batch_verify),
  /// then delivers each SM as deliver() does.
  void deliver_batch(std::span<mt_delivery> batch) override;

  /// Runs fn on card `index` under its lock, then persists what changed. A card that was
  /// not in memory and that fn left unchanged is not cached (reading every card back does
  /// not churn the cache). Errors: index out of range, identity or state that cannot be
  /// read.
  [[nodiscard]] status visit(std::uint64_t index, const std::function<void(virtual_card&)>& fn);

  [[nodiscard]] const card_source& source() const noexcept { return *source_; }
  [[nodiscard]] std::uint64_t size() const { return source_->size(); }
  [[nodiscard]] const card_profile& profile() const noexcept { return options_.profile; }
  [[nodiscard]] fleet_stats stats() const;
  /// Flushes the state store (tests, shutdown).
  [[nodiscard]] status flush();

 private:
  struct entry;
  fleet(std::unique_ptr<card_source> source, fleet_options options,
        std::unique_ptr<fleet_store> store);
  /// The card of an index, materialised when needed (from `known` when given, else from
  /// the source); caller holds the index's stripe.
  result<std::shared_ptr<virtual_card>> acquire(std::uint64_t index,
                                                std::optional<card_identity> known = {},
                                                bool* was_cached = nullptr);
  /// The cached card of an index, or nullptr; no lock on the card is taken.
  std::shared_ptr<virtual_card> peek(std::uint64_t index) const;
  /// A card state encoded by release(), waiting to be written (save_pending()).
  struct pending_save {
    std::uint64_t index = 0;
    std::string iccid;
    bytes state;
    std::uint64_t seq = 0;  ///< the card's save sequence when encoded
  };
  /// deliver() to a known card index, with its packet maybe opened ahead; with `defer`,
  /// the card's changed state is queued there instead of written at once.
  mt_outcome deliver_to(std::uint64_t index, std::string_view msisdn, byte_view tpdu,
                        preopened_command* preopened, std::optional<card_identity> known,
                        std::vector<pending_save>* defer = nullptr);
  /// Updates a card's LRU position and size, and persists it when dirty: at once, or queued
  /// in `defer` for save_pending(). Caller holds the stripe.
  void release(std::uint64_t index, const std::shared_ptr<virtual_card>& card,
               std::vector<pending_save>* defer = nullptr);
  /// Writes queued states in one RocksDB batch, skipping those a newer state of the same
  /// card supersedes; a card whose write fails is marked dirty again (and stays in
  /// memory) so its next release retries. `held` is the index whose stripe the caller
  /// holds, if any.
  void save_pending(std::vector<pending_save>& saves, std::optional<std::uint64_t> held);
  /// Whether card `index` was marked changed since open(); caller holds cache_mu_.
  [[nodiscard]] bool changed_since_open(std::uint64_t index) const;
  std::mutex& stripe(std::uint64_t index) { return stripes_[index % stripes_.size()]; }
  /// Records that card `index` changed; caller holds cache_mu_.
  void mark_changed(std::uint64_t index);

  std::unique_ptr<card_source> source_;
  fleet_options options_;
  std::unique_ptr<fleet_store> store_;
  std::vector<std::mutex> stripes_;
  /// Whether the store held card states when opened. When it did not, a card not changed
  /// since open() has no stored state, and acquire() skips the read.
  bool stored_at_open_ = true;
  /// Serialises save_pending()'s check-and-write, so an older state never overwrites a
  /// newer one of the same card.
  std::mutex save_mu_;

  mutable std::mutex cache_mu_;
  std::unordered_map<std::uint64_t, std::unique_ptr<entry>> cache_;
  std::list<std::uint64_t> lru_;  ///< most recently used first
  std::size_t bytes_ = 0;
  /// Cards changed since open(): a bitmap in chunks of 65536 cards, allocated on first use.
  std::vector<std::unique_ptr<std::array<std::uint64_t, 1024>>> changed_;
  std::uint64_t cards_changed_ = 0;
  std::array<std::atomic<std::uint64_t>, 256> por_counts_{};

  std::atomic<std::uint64_t> materialised_{0}, loaded_{0}, evicted_{0}, persisted_{0},
      store_reads_{0}, store_writes_{0}, delivered_{0}, unknown_{0}, batch_opened_{0};
};

}  // namespace otaflow::sim
