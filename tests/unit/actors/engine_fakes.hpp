#pragma once
// In-memory fakes of the engine's ports (actors/engine_ports.hpp), shared by the engine's
// tests, and the two ways those tests wait: wait_until (for something that must happen)
// and expect_stays (for something that must not, over a short bounded time).
//
// Packets are [counter (8 octets BE)]; PoRs are [counter (8), status (1)]: the transport
// answers a packet with a PoR by appending the status it was told, the factory opens it.
// Every setter is thread-safe and applies to what happens after it returns.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "actors/engine.hpp"
#include "actors/engine_ports.hpp"

namespace otaflow::actors::fakes {

// ---- waiting ------------------------------------------------------------------------------

/// How long a test waits for something that must happen before it fails.
inline constexpr std::chrono::milliseconds patience{10'000};

/// Polls `pred` until it holds or `timeout` passes; the failure names `what`.
/// Use as ASSERT_TRUE(wait_until(...)).
[[nodiscard]] ::testing::AssertionResult wait_until(const std::function<bool()>& pred,
                                                    std::chrono::milliseconds timeout,
                                                    std::string_view what);

/// Checks that `pred` holds now and keeps holding for `period`: something that must not
/// happen, watched for a bounded time (these move to a manual clock once the engine has one).
[[nodiscard]] ::testing::AssertionResult expect_stays(const std::function<bool()>& pred,
                                                      std::chrono::milliseconds period,
                                                      std::string_view what);

// ---- cards and campaigns ------------------------------------------------------------------

/// Card i of the tests: ICCID 8900000000000(100000 + i), MSISDN 4670(100000 + i).
[[nodiscard]] std::string iccid(int i);
[[nodiscard]] std::string msisdn(int i);
[[nodiscard]] card_info card(int i);

/// Campaign "c1" with one variant ("default", one command), fast retries and PoR timeout.
[[nodiscard]] std::shared_ptr<campaign_ctx> test_campaign(
    std::uint32_t window = policy_def{}.window,
    std::chrono::milliseconds retry_base = std::chrono::milliseconds(5),
    std::chrono::milliseconds por_timeout = std::chrono::milliseconds(200));

/// A small engine: 2 scheduler threads, crypto batches of 64, journal batches of 256,
/// expansion chunks of 16.
[[nodiscard]] engine_options test_engine_options();

// ---- packet factory -----------------------------------------------------------------------

/// Counters per card from 1 (a request's skip jumps ahead as the counter store does); records what
/// each card was last packaged with; opens PoRs as verified with SW 9000 and `executed` commands.
class fake_factory final : public packet_factory {
 public:
  struct packaged_card {
    std::string variant;
    std::uint8_t keyset = 0;
    bytes script;
    bytes kic_key;
    std::uint64_t counter = 0;
  };

  std::vector<result<packaged>> package(std::span<const package_request> requests) override;
  result<por_info> open_por(const card_info& card, const campaign_ctx& campaign,
                            byte_view user_data) override;

  /// Commands a PoR says were executed (default 1).
  void set_executed(std::uint8_t n);
  /// Every card has seen counters up to `c`: a PoR of a packet whose counter is not above it
  /// says 02 "counter low" (default 0: never).
  void set_card_counter(std::uint64_t c);
  /// How the card answers a packet of a multi-step job: the script's last SW and executed
  /// count, or lost (open_por fails, as if the PoR never came).
  struct step_answer {
    std::uint16_t sw = 0x9000;
    std::uint8_t executed = 1;
    bool lost = false;
  };
  /// Answers by (ICCID, step, page, n-th send of that step and page, 1-based); unset: 9000.
  using step_rule = std::function<step_answer(const std::string& iccid, std::uint16_t step,
                                              std::uint16_t page, int send)>;
  void set_step_rule(step_rule rule);
  /// (step, page) of every packet packaged for a card, in order.
  [[nodiscard]] std::vector<std::pair<std::uint16_t, std::uint16_t>> steps_sent(
      const std::string& iccid) const;
  /// package() calls so far (crypto batches).
  [[nodiscard]] int batches() const;
  /// What each card was last packaged with, by ICCID.
  [[nodiscard]] std::map<std::string, packaged_card> cards() const;

 private:
  mutable std::mutex mu_;
  int batches_ = 0;
  std::uint8_t executed_ = 1;
  std::uint64_t card_counter_ = 0;
  std::map<std::string, std::uint64_t> counters_;
  std::map<std::string, packaged_card> cards_;
  struct sent_step {
    std::uint16_t step = 0, page = 0;
    int send = 0;
  };
  step_rule step_rule_;
  std::map<std::string, std::vector<std::pair<std::uint16_t, std::uint16_t>>> steps_sent_;
  std::map<std::pair<std::string, std::uint64_t>, sent_step> by_counter_;
};

// ---- SMPP transport -----------------------------------------------------------------------

/// Answers every submit from its own thread, in order: the bind's submit_sm outcome
/// (throttled first every `throttle_every`-th submit, then accepted), on_submitted with a
/// message id ("1", "2", ...), a DELIVRD receipt and a PoR by MO with the PoR status.
/// A silent card gets only the submit_sm_resp; an absent-once card gets an UNDELIVERABLE
/// receipt (error "001") for its first message and no PoR. While held, submits queue
/// unanswered.
class fake_transport final : public transport {
 public:
  fake_transport();
  ~fake_transport() override;
  fake_transport(const fake_transport&) = delete;
  fake_transport& operator=(const fake_transport&) = delete;

  void set_listener(transport_listener* listener) override;
  void submit(submit_request request) override;

  /// The status of the PoRs sent from now on (default 00, PoR OK).
  void set_por_status(std::uint8_t status);
  /// Every card silent (no receipt, no PoR), or none but those silenced one by one.
  void set_silent(bool all);
  /// This card never answers.
  void silence(const std::string& msisdn);
  /// This card's next message is undeliverable.
  void absent_once(const std::string& msisdn);
  /// Every n-th submit (1-based; 0 = none) is first reported throttled.
  void throttle_every(int n);
  /// While on, submits wait unanswered; off answers them in order.
  void hold(bool on);

  /// submit() calls so far.
  [[nodiscard]] int submits() const;
  /// submit() calls for one MSISDN.
  [[nodiscard]] int submits_to(const std::string& msisdn) const;
  /// Submits answered so far (at least with on_submitted).
  [[nodiscard]] int answered() const;

 private:
  void loop();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<submit_request> queue_;
  transport_listener* listener_ = nullptr;
  bool stop_ = false;
  bool hold_ = false;
  bool silent_all_ = false;
  std::uint8_t por_status_ = 0x00;
  int throttle_every_ = 0;
  std::set<std::string> silent_, absent_once_;
  std::map<std::string, int> per_card_;
  std::atomic<int> submits_{0};
  std::atomic<int> answered_{0};
  std::thread worker_;
};

// ---- job store ----------------------------------------------------------------------------

/// Job records by (campaign, ICCID). Saves may be slowed (a slow disk) or held (blocked
/// until released: the journal falls behind).
class fake_job_store final : public job_store {
 public:
  result<std::optional<job_record>> load(const std::string& campaign,
                                         const std::string& iccid) override;
  status save(std::span<const job_update> updates, bool sync) override;

  /// Each save() takes this long before it applies its batch.
  void set_save_delay(std::chrono::milliseconds delay);
  /// While on, save() blocks. Release before the engine goes (its journal would block).
  void hold(bool on);
  /// save() fails (a permanent error naming the ICCID) for any batch holding a row of this
  /// card; with `failed_too` false, a row in state `failed` is taken.
  void refuse(const std::string& iccid, bool failed_too = true);
  /// save() calls so far (failed ones too).
  [[nodiscard]] int saves() const;

  /// A record as if an earlier run had saved it.
  void put(const std::string& campaign, const std::string& iccid, job_record job);
  [[nodiscard]] std::optional<job_record> get(const std::string& campaign,
                                              const std::string& iccid) const;
  /// Records stored, of every campaign.
  [[nodiscard]] std::size_t size() const;
  /// Records stored per state.
  [[nodiscard]] std::map<job_state, int> states() const;
  /// Every record, keyed "campaign/iccid".
  [[nodiscard]] std::map<std::string, job_record> jobs() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable released_;
  bool hold_ = false;
  std::chrono::milliseconds save_delay_{0};
  std::map<std::string, job_record> jobs_;
  std::map<std::string, bool> refused_;  // ICCID -> failed rows refused too
  int saves_ = 0;
};

// ---- status sink --------------------------------------------------------------------------

/// Records every status event, and the terminal ones per card.
class fake_sink final : public status_sink {
 public:
  void emit(std::span<const status_event> events) override;

  [[nodiscard]] std::vector<status_event> events() const;
  /// The terminal events of each card that has one, by ICCID.
  [[nodiscard]] std::map<std::string, std::vector<status_event>> terminal() const;
  /// Cards with at least one terminal event.
  [[nodiscard]] std::size_t terminal_count() const;
  /// Every card with a terminal event has exactly one (the failure lists those that don't).
  [[nodiscard]] ::testing::AssertionResult one_terminal_each() const;

 private:
  mutable std::mutex mu_;
  std::vector<status_event> events_;
  std::map<std::string, std::vector<status_event>> terminal_;
};

// ---- cursors ------------------------------------------------------------------------------

/// Cards [from, to) of card(i).
class range_cursor final : public target_cursor {
 public:
  range_cursor(int from, int to) : i_(from), to_(to) {}
  result<std::vector<card_info>> next(std::size_t n) override;

 private:
  int i_, to_;
};

/// Cards [0, n): a whole campaign's targets.
[[nodiscard]] std::unique_ptr<target_cursor> first_cards(int n);

/// The cards of [0, n) whose job in `campaign` exists and is not terminal (what serve
/// admits again on a resume), read from the store now.
[[nodiscard]] std::unique_ptr<target_cursor> non_terminal_cards(const fake_job_store& store,
                                                                const std::string& campaign, int n);

// ---- the four ports together --------------------------------------------------------------

/// A fixture's ports; the engine borrows them, so declare the engine after.
struct engine_ports {
  fake_factory factory;
  fake_transport tp;
  fake_job_store store;
  fake_sink sink;
};

}  // namespace otaflow::actors::fakes
