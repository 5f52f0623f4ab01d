// The real engine (run_campaign: the SMPP client over TCP, RocksDB state in a temporary
// directory, the SCP80 packet factory with counters from storage, keys imported from a small
// generated fleet) against an SMSC that misbehaves on purpose (hostile_smsc.hpp). Each case
// checks what the engine does: no wrong `done`, every card ends in exactly one terminal state
// (or the asserted one), no key committed on a forged answer, no OTA counter ever used twice.
//
// Campaigns use SPI 1629 (ciphered, CC, counter higher; PoR by SMS-SUBMIT with a CC, not
// ciphered): an unprotected PoR is therefore never believed, only an error PoR 01-0A fails
// the attempt (docs/standards/ts102225-secured-packets.md §11).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "actors/campaign_def.hpp"
#include "actors/campaign_runner.hpp"
#include "demo/generated_csv.hpp"
#include "sim/fleet.hpp"
#include "tests/integration/hostile_smsc.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

namespace otaflow::hostile {
namespace {

using namespace std::chrono_literals;
using actors::campaign_def;
using actors::runner_result;
using model::job_state;
using smpp_state = codec::smpp::message_state;

constexpr const char* kSeed = "hostile-smsc";

/// Status events, kept for the checks.
class recording_sink final : public actors::status_sink {
 public:
  void emit(std::span<const actors::status_event> events) override {
    std::lock_guard lock(mu_);
    events_.insert(events_.end(), events.begin(), events.end());
  }
  /// Terminal status events per card of a campaign.
  std::map<std::string, int> terminal(const std::string& campaign) const {
    std::lock_guard lock(mu_);
    std::map<std::string, int> n;
    for (const auto& e : events_) {
      if (e.campaign == campaign && model::is_terminal(e.state)) ++n[e.iccid];
    }
    return n;
  }
  /// Events of a card of a campaign with this state.
  int count(const std::string& campaign, const std::string& iccid, job_state s) const {
    std::lock_guard lock(mu_);
    return static_cast<int>(std::count_if(events_.begin(), events_.end(), [&](const auto& e) {
      return e.campaign == campaign && e.iccid == iccid && e.state == s;
    }));
  }

 private:
  mutable std::mutex mu_;
  std::vector<actors::status_event> events_;
};

/// A PoR OK without RC/CC (TS 102 225 §5.2.2): what a forger who knows the TAR and the
/// counter sends. RHL 0A = TAR + CNTR + PCNTR + status; RPL = RHL + 1.
bytes forged_por_ok(std::uint64_t counter) {
  bytes ud = {0x02, 0x71, 0x00, 0x00, 0x0B, 0x0A, 0xB0, 0x00, 0x10};
  for (int i = 4; i >= 0; --i) ud.push_back(static_cast<std::uint8_t>(counter >> (8 * i)));
  ud.push_back(0x00);  // PCNTR
  ud.push_back(0x00);  // PoR OK
  return ud;
}

class hostile_smsc_test : public ::testing::Test {
 protected:
  static constexpr std::uint64_t kCards = 6;

  void SetUp() override {
    state_ = storage::test::open_state(dir_.path());
    ASSERT_TRUE(state_);
    auto f = sim::fleet::generated(kSeed, kCards);
    ASSERT_TRUE(f.ok()) << f.error().message;
    fleet_ = std::move(*f);
    auto imported = demo::import_generated_fleet(*state_, kSeed, kCards);
    ASSERT_TRUE(imported.ok()) << imported.error().message;
    for (std::uint64_t i = 0; i < kCards; ++i) {
      auto id = fleet_->source().identity(i);
      ASSERT_TRUE(id.ok());
      iccids_.push_back(id->iccid);
      msisdns_.push_back(id->msisdn);
    }
    smsc_ = std::make_unique<hostile_smsc>(*fleet_);
  }

  void TearDown() override {
    smsc_.reset();
    // Whatever the case, the engine never sent a packet twice under one counter.
    expect_counters_unique();
  }

  /// A campaign writing EF_FPLMN on every card; short PoR timeout and back-off so that the
  /// failing cases end in a second or two.
  static campaign_def campaign(const std::string& id, const std::string& update = "",
                               int max_attempts = 2) {
    const std::string text = "id = \"" + id + R"("
[security]
spi = "1629"
kic = "15"
kid = "15"
tar = "B00010"
[target]
all = true
[policy]
window = 8
max_attempts = )" + std::to_string(max_attempts) +
                             R"(
por_timeout = "400ms"
retry_backoff = "50ms"
)" +
                             (update.empty()
                                  ? "[update]\nfiles = [{ path = \"3F00/7FFF/6F7B\", data = "
                                    "\"00F120FFFFFFFFFFFFFFFFFF\" }]\n"
                                  : update);
    auto c = actors::campaign_from_toml(text);
    EXPECT_TRUE(c.ok()) << c.error().message;
    return c.ok() ? std::move(*c) : campaign_def{};
  }

  actors::smpp_options bind() const {
    actors::smpp_options b;
    b.host = "127.0.0.1";
    b.port = smsc_->port();
    b.system_id = "hostile";
    b.password = "test";
    b.window = 16;
    b.reconnect_min = 20ms;
    b.reconnect_max = 200ms;
    b.throttle_min = 5ms;
    b.throttle_max = 50ms;
    return b;
  }

  result<runner_result> run(const campaign_def& def, actors::smpp_options b) {
    actors::runner_options ro;
    ro.binds.push_back(std::move(b));
    ro.bind_timeout = 5s;
    ro.control_poll = 0ms;
    ro.engine.scheduler_threads = 2;
    return actors::run_campaign(*state_, def, ro, sink_);
  }
  result<runner_result> run(const campaign_def& def) { return run(def, bind()); }

  model::job_record job(const std::string& campaign, const std::string& iccid) {
    auto j = state_->jobs().get(campaign, iccid);
    EXPECT_TRUE(j.ok() && *j) << campaign << "/" << iccid;
    return j.ok() && *j ? **j : model::job_record{};
  }

  /// Every card: exactly one terminal status event and a terminal job record; none `done`
  /// when `none_done`.
  void expect_one_terminal_each(const std::string& campaign, bool none_done) {
    const auto terminal = sink_.terminal(campaign);
    for (const auto& iccid : iccids_) {
      EXPECT_EQ(terminal.count(iccid) ? terminal.at(iccid) : 0, 1) << iccid;
      const auto j = job(campaign, iccid);
      EXPECT_TRUE(model::is_terminal(j.state)) << iccid << " " << model::to_string(j.state);
      if (none_done) {
        EXPECT_NE(j.state, job_state::done) << iccid;
        EXPECT_EQ(sink_.count(campaign, iccid, job_state::done), 0) << iccid;
      }
      if (j.state == job_state::failed) {
        EXPECT_FALSE(j.reason.empty()) << iccid;
      }
    }
  }

  void expect_counters_unique() const {
    if (!smsc_) return;
    EXPECT_EQ(smsc_->unreadable(), 0u) << "submits whose counter could not be read";
    for (const auto& [msisdn, seen] : smsc_->counters()) {
      for (std::size_t i = 1; i < seen.size(); ++i) {
        EXPECT_LT(seen[i - 1], seen[i]) << msisdn << ": counter " << seen[i] << " after "
                                        << seen[i - 1] << " (packet " << i << ")";
      }
    }
  }

  storage::test::temp_dir dir_;
  std::unique_ptr<storage::state> state_;
  std::unique_ptr<sim::fleet> fleet_;
  std::unique_ptr<hostile_smsc> smsc_;
  recording_sink sink_;
  std::vector<std::string> iccids_, msisdns_;
};

// The genuine path first: the SMSC delivers to the cards and every card ends done, one
// status each, with a PoR whose CC verified.
TEST_F(hostile_smsc_test, GenuinePorsMakeEveryCardDone) {
  auto r = run(campaign("genuine"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->summary.done, kCards);
  EXPECT_EQ(r->summary.por_rejected, 0u);
  expect_one_terminal_each("genuine", false);
  for (const auto& iccid : iccids_) EXPECT_EQ(job("genuine", iccid).state, job_state::done);
  EXPECT_EQ(smsc_->deliveries().size(), kCards);
  const auto counters = smsc_->counters();
  ASSERT_EQ(counters.size(), kCards);
  for (const auto& m : msisdns_) EXPECT_EQ(counters.at(m).size(), 1u) << m;
}

// (a) The SMSC accepts every packet and, instead of the card, sends an unsecured PoR OK
// (no RC/CC) from the card's MSISDN, echoing the packet's real TAR and counter.
TEST_F(hostile_smsc_test, ForgedUnsecuredPorOkIsNeverDone) {
  smsc_->set_policy([](const submit_seen&) { return reply::accept; });
  smsc_->set_after_deliver([this](const delivery& d) {
    smsc_->send_receipt(d.message_id, smpp_state::delivered);
    smsc_->send_mo(d.submit.msisdn, forged_por_ok(d.submit.counter.value_or(0)));
  });
  auto r = run(campaign("forged"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->summary.done, 0u);
  EXPECT_EQ(r->summary.failed, kCards);
  EXPECT_GE(r->summary.por_rejected, kCards);
  expect_one_terminal_each("forged", true);
}

}  // namespace
}  // namespace otaflow::hostile
