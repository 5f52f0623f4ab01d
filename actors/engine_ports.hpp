#pragma once
// What the engine's actors need from the outside world, as narrow interfaces:
// packaging (counters + SCP80), the SMPP transport, durable job state, the target
// cursor and the status sink. The concrete adapters (storage/, secure/, the SMPP
// client, kafka/) live beside them; tests plug in fakes. Implementations are called
// from one actor at a time (detached actors or the router), except where noted.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "actors/campaign_def.hpp"
#include "actors/job_state.hpp"
#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/iso7816_apdu.hpp"
#include "model/status_event.hpp"
#include "storage/secret.hpp"

namespace otaflow::actors {

/// One card as the engine sees it while the card is in flight.
struct card_info {
  std::string iccid;
  std::string imsi;
  std::string msisdn;
  storage::secret kic_key;  ///< ciphering key of the keyset of the card's variant
  storage::secret kid_key;  ///< checksum key of the keyset of the card's variant
  std::string problem;      ///< set when the card cannot be served (unknown, no MSISDN, ...)
  int variant = 0;          ///< index in campaign_ctx::variants; -1 when none applies
  std::string skip{};       ///< set: no variant applies (rules, keyset); ends `skipped`, no SMS
  int route = -1;           ///< preferred SMSC route (routes.hpp route_table index); -1: default
};

/// One step of a multi-step variant (a RAM campaign, actors/ram_steps.hpp): one command packet.
struct prepared_step {
  step_kind kind = step_kind::script;
  bytes script;               ///< TS 102 226 script of the step's C-APDUs
  std::uint8_t commands = 0;  ///< C-APDUs in `script`
  /// A list step's GET STATUS "next" (appended once per page: page n sends the first GET
  /// STATUS and n of these, as a card's GET STATUS cursor lives one session only).
  bytes next_command{};
  std::size_t sms = 1;  ///< short messages of the step's packet (what `campaign plan` shows)
};

/// One update variant ready to send: its definition and the script its cards get.
struct prepared_variant {
  variant_def def;
  bytes script;               ///< TS 102 226 script (the secured data)
  std::uint8_t commands = 0;  ///< C-APDUs in the script (for the PoR's executed count)
  /// update.keys: the script differs per card. These are its commands, the key profile's
  /// commands from `key_file_at` holding placeholders the packet factory replaces with the
  /// card's (`script` is then the placeholder version). Empty otherwise.
  std::vector<codec::command_apdu> per_card{};
  std::size_t key_file_at = 0;
  /// update.keys: how many commands from `key_file_at` write the keys (the key profile's: one
  /// UPDATE BINARY for the otaflow key rotation file).
  std::size_t key_commands = 0;
  /// Files whose data is per card (update_templates.hpp per_card_data, e.g. [update.acc]
  /// from_imsi): (index in per_card, index in def.update.files). `per_card` is then set too.
  std::vector<std::pair<std::size_t, std::size_t>> card_data_at{};
  /// [update.ram]: the steps, one command packet each, in order (`script` is then empty).
  /// Empty: a job of one step, `script`.
  std::vector<prepared_step> steps{};
  /// step_kind of each step (what the job state machine's policy points at).
  std::vector<step_kind> step_kinds{};
  /// Commands in the packet of (step, page) (the PoR's expected count).
  [[nodiscard]] std::uint8_t commands_of(std::uint16_t step, std::uint16_t page) const noexcept {
    if (steps.empty()) return commands;
    if (step >= steps.size()) return 0;
    return static_cast<std::uint8_t>(steps[step].commands + page);
  }
};

/// A campaign ready to run: its definition and one prepared variant per effective variant
/// (effective_variants(def), same order; the cursor's card_info::variant indexes it).
struct campaign_ctx {
  campaign_def def;
  std::vector<prepared_variant> variants;

  /// The variant of a card (an out-of-range index gets an empty default variant).
  [[nodiscard]] const prepared_variant& variant_of(const card_info& card) const noexcept {
    static const prepared_variant none{
        variant_def{std::string(default_variant_name), {}, {}}, {}, 0};
    return card.variant >= 0 && static_cast<std::size_t>(card.variant) < variants.size()
               ? variants[static_cast<std::size_t>(card.variant)]
               : none;
  }
};

// ---- packaging ----------------------------------------------------------------------

struct package_request {
  std::uint64_t tag;  ///< the job's tag (echoed)
  const card_info* card;
  const campaign_ctx* campaign;
  std::uint64_t skip = 0;  ///< counter values to skip first (after a PoR 02 "counter low")
  std::uint16_t step = 0;  ///< the job's step (prepared_variant::steps; 0 for one step)
  std::uint16_t page = 0;  ///< a list step's page (GET STATUS "next"s after 6310)
};

struct packaged {
  std::uint64_t counter = 0;    ///< CNTR the packet carries (persisted before return)
  std::vector<bytes> segments;  ///< TP-UD of each short message, in order
};

/// What a card's PoR said, after integrity checking.
struct por_info {
  std::uint64_t counter = 0;
  std::uint8_t status = 0;
  bool verified = false;  ///< carries the protection SPI octet 2 asks for (subscriber_fsm ev_por)
  std::optional<std::uint16_t> script_sw;
  std::uint8_t executed = 0;
  /// Set: a PoR OK whose content does not prove the update (a PUT KEY's KCVs differ); the job
  /// fails with this reason (never a key in it).
  std::string failure{};
  /// The response data of the script's last command (compact or expanded response), when the
  /// PoR carries it: a GET STATUS page's E3 entries.
  bytes script_data{};
};

/// Reserves counters and secures packets (the batch crypto stage calls it with many
/// requests at once); opens PoRs. Counters are durable before package() returns.
class packet_factory {
 public:
  virtual ~packet_factory() = default;
  [[nodiscard]] virtual std::vector<result<packaged>> package(
      std::span<const package_request> requests) = 0;
  /// Parses and verifies a PoR TP-UD (with or without its UDH) for this card and campaign.
  /// A PoR lacking the protection the SPI asks for is an error (and counted), except an
  /// unsecured error PoR 01-0A, returned with verified = false. Called from many actors.
  [[nodiscard]] virtual result<por_info> open_por(const card_info& card,
                                                  const campaign_ctx& campaign,
                                                  byte_view user_data) = 0;
  /// PoRs open_por() rejected so far (no or wrong protection): forged or corrupted answers.
  [[nodiscard]] virtual std::uint64_t por_rejected() const noexcept { return 0; }
};

// ---- SMPP transport -----------------------------------------------------------------

struct submit_request {
  std::uint64_t tag;
  std::string dest_msisdn;
  std::vector<bytes> segments;  ///< TP-UD with UDH, one submit_sm each
  /// The card's preferred SMSC route (card_info::route); -1: the transport's default.
  int route = -1;
  /// The campaign's [policy.submit]: overrides the bind's settings (empty: none).
  submit_options options{};
};

/// How an SMSC bind answered one submit_sm (per-bind accounting for alerts).
enum class submit_outcome : std::uint8_t { accepted, rejected, throttled };

/// Receives what the SMPP sessions learn. Called from transport threads.
class transport_listener {
 public:
  virtual ~transport_listener() = default;
  /// Every segment was accepted; the SMSC's message ids in segment order.
  virtual void on_submitted(std::uint64_t tag, std::vector<std::string> message_ids) = 0;
  /// A segment was refused with a final status (throttling is retried by the session).
  virtual void on_submit_failed(std::uint64_t tag, std::uint32_t command_status, std::string reason,
                                bool retriable) = 0;
  /// The connection dropped before every submit_sm_resp arrived.
  virtual void on_submit_lost(std::uint64_t tag) = 0;
  /// A delivery receipt (SMPP 3.4 message_state).
  virtual void on_receipt(std::string message_id, std::uint8_t message_state,
                          std::string error) = 0;
  /// A delivery receipt with the card's MSISDN (its source_addr): serve's partition-owned
  /// mode forwards a receipt of another instance's card. Default: on_receipt().
  virtual void on_receipt_from(std::string /*card_msisdn*/, std::string message_id,
                               std::uint8_t message_state, std::string error) {
    on_receipt(std::move(message_id), message_state, std::move(error));
  }
  /// A mobile-originated message (a PoR) from a card.
  virtual void on_mo(std::string from_msisdn, bytes user_data) = 0;
  /// Every submit_sm_resp of a segment of `tag`, on bind number `bind` (alerts: throttling
  /// and receipts per bind). Throttled segments are resent by the session.
  virtual void on_submit_outcome(std::uint64_t /*tag*/, std::size_t /*bind*/,
                                 submit_outcome /*outcome*/) {}
};

/// SMPP sessions to one or more SMSC binds. submit() is thread-safe.
class transport {
 public:
  virtual ~transport() = default;
  virtual void set_listener(transport_listener* listener) = 0;
  virtual void submit(submit_request request) = 0;
  /// How alerts name bind number `bind` (e.g. "smsc.example.net:2775/0").
  [[nodiscard]] virtual std::string bind_name(std::size_t bind) const {
    return "bind " + std::to_string(bind);
  }
  /// The name of the SMSC route bind number `bind` belongs to (routed_transport.hpp); empty
  /// when the transport has no routes.
  [[nodiscard]] virtual std::string route_of_bind(std::size_t /*bind*/) const { return {}; }
};

// ---- durable state ------------------------------------------------------------------

struct job_update {
  std::string campaign;
  std::string iccid;
  job_record job;
  /// Set with the `done` state: the files the job wrote, recorded as what the engine knows
  /// of the card (storage/card_file_store.hpp) in the same batch.
  std::vector<file_update> written{};
  /// Whether pending Ki/OPc (update.keys) may exist for the job, to settle with a terminal
  /// state. False when the card's variant rotates no keys: the store skips the lookup.
  bool may_hold_keys = true;
  /// The SMSC route the attempt went out on, for the status event of `accepted` (not stored).
  std::string route{};
  /// Steps of the job's variant, for the status event (not stored); 0 or 1: one step.
  std::uint16_t steps = 0;
};

/// Status event of one state change (docs/EVENTS.md); the Kafka status topic writes the same
/// type (kafka/events.hpp).
using model::status_event;

/// Job records and the audit log. save() applies a whole batch atomically.
class job_store {
 public:
  virtual ~job_store() = default;
  [[nodiscard]] virtual result<std::optional<job_record>> load(const std::string& campaign,
                                                               const std::string& iccid) = 0;
  [[nodiscard]] virtual status save(std::span<const job_update> updates, bool sync) = 0;
  /// load() of many cards of one campaign, in their order; the default loads one at a time.
  [[nodiscard]] virtual result<std::vector<std::optional<job_record>>> load_many(
      const std::string& campaign, std::span<const std::string_view> iccids) {
    std::vector<std::optional<job_record>> out;
    out.reserve(iccids.size());
    for (const auto iccid : iccids) {
      auto r = load(campaign, std::string(iccid));
      if (!r) return r.error();
      out.push_back(std::move(*r));
    }
    return out;
  }
};

/// Where status events go once their state is durable (Kafka, a file, a counter).
class status_sink {
 public:
  virtual ~status_sink() = default;
  virtual void emit(std::span<const status_event> events) = 0;
};

/// The cards of a campaign in a stable order, fetched lazily.
class target_cursor {
 public:
  virtual ~target_cursor() = default;
  /// Up to n more cards; an empty vector when the selection is exhausted.
  [[nodiscard]] virtual result<std::vector<card_info>> next(std::size_t n) = 0;
};

}  // namespace otaflow::actors
