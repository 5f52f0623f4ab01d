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
#include <set>
#include <string>
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

  /// A campaign writing EF_FPLMN on every card (or `update`). Cases where no genuine PoR
  /// comes use kShort (each card then ends in about a second); the others a PoR timeout no
  /// loaded machine reaches, so that no card retries by chance.
  static constexpr const char* kShort = "400ms";
  static campaign_def campaign(const std::string& id, const std::string& update = "",
                               const std::string& por_timeout = "5s", int max_attempts = 2) {
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
por_timeout = ")" + por_timeout +
                             R"("
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
  smsc_->set_after_answer([this](const delivery& d) {
    smsc_->send_receipt(d.message_id, smpp_state::delivered);
    smsc_->send_mo(d.submit.msisdn, forged_por_ok(d.submit.counter.value_or(0)));
  });
  auto r = run(campaign("forged", "", kShort));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->summary.done, 0u);
  EXPECT_EQ(r->summary.failed, kCards);
  EXPECT_GE(r->summary.por_rejected, kCards);
  expect_one_terminal_each("forged", true);
}

// (b) The card's genuine PoR with one octet of its CC flipped (SPI2 29: the PoR is not
// ciphered, so the CC sits right after the status octet, at offset 16 of the TP-UD).
TEST_F(hostile_smsc_test, PorWithAWrongCcIsNeverDone) {
  smsc_->set_mangle([](const delivery&, bytes por) {
    if (por.size() > 16) por[16] ^= 0x5A;
    return por;
  });
  // Alerts judged from the second PoR on: the rejected PoRs raise a por_rejected alert for
  // the campaign and for the bind that carried them.
  auto r = run(campaign("wrong-cc",
                        "[update]\nfiles = [{ path = \"3F00/7FFF/6F7B\", data = "
                        "\"00F120FFFFFFFFFFFFFFFFFF\" }]\n[alerts]\nmin_cards = 2\nwindow = 10\n",
                        kShort));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->summary.done, 0u);
  EXPECT_EQ(r->summary.failed, kCards);
  bool campaign_alert = false, bind_alert = false;
  for (const auto& a : r->summary.alerts) {
    if (a.kind != actors::alert_kind::por_rejected || a.cleared) continue;
    (a.bind ? bind_alert : campaign_alert) = true;
    EXPECT_NE(a.message.find("PoRs rejected"), std::string::npos) << a.message;
  }
  EXPECT_TRUE(campaign_alert) << "no por_rejected alert for the campaign";
  EXPECT_TRUE(bind_alert) << "no por_rejected alert for the bind";
  // Every PoR was corrupted: those that reached a job in flight were rejected (one that
  // arrives after its job's PoR timeout may find no job to open it).
  EXPECT_GE(r->summary.por_rejected, kCards);
  EXPECT_LE(r->summary.por_rejected, smsc_->deliveries().size());
  expect_one_terminal_each("wrong-cc", true);
}

// (c) A genuine PoR (valid CC, the card's keys) of an earlier campaign's packet, replayed
// to a later campaign's job: its counter is none of this job's, so it proves nothing.
TEST_F(hostile_smsc_test, GenuinePorOfAnotherCampaignIsIgnored) {
  auto first = run(campaign("first"));
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->summary.done, kCards);
  std::map<std::string, bytes> old;
  for (const auto& d : smsc_->deliveries()) {
    ASSERT_EQ(d.pors.size(), 1u);
    old[d.submit.msisdn] = d.pors.front();
  }
  ASSERT_EQ(old.size(), kCards);
  smsc_->set_policy([](const submit_seen&) { return reply::accept; });
  smsc_->set_after_answer([&](const delivery& d) {
    smsc_->send_receipt(d.message_id, smpp_state::delivered);
    smsc_->send_mo(d.submit.msisdn, old.at(d.submit.msisdn));
  });
  auto second = run(campaign("second", "", kShort));
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->summary.done, 0u);
  EXPECT_EQ(second->summary.failed, kCards);
  expect_one_terminal_each("second", true);
  expect_one_terminal_each("first", false);
}

// (c) The genuine PoR arrives twice more after the one that made the job done, then an
// UNDELIVERABLE receipt for the same message: no second terminal status, the job stays done.
TEST_F(hostile_smsc_test, DuplicateGenuinePorAfterDoneChangesNothing) {
  smsc_->set_after_answer([this](const delivery& d) {
    for (int i = 0; i < 2; ++i) {
      for (const auto& por : d.pors) smsc_->send_mo(d.submit.msisdn, por);
    }
    smsc_->send_receipt(d.message_id, smpp_state::undeliverable);
  });
  auto r = run(campaign("dup"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->summary.done, kCards);
  expect_one_terminal_each("dup", false);
  for (const auto& iccid : iccids_) {
    EXPECT_EQ(job("dup", iccid).state, job_state::done);
    EXPECT_EQ(sink_.count("dup", iccid, job_state::failed), 0) << iccid;
  }
}

// (d) Receipts for message ids the engine never got, the real receipt three times, and a
// receipt that is not one: ignored, no crash, every card done once.
TEST_F(hostile_smsc_test, StrayAndRepeatedReceiptsAreIgnored) {
  smsc_->set_after_answer([this](const delivery& d) {
    smsc_->send_receipt("nope-" + std::to_string(d.submit.n), smpp_state::undeliverable);
    smsc_->send_receipt("", smpp_state::undeliverable);
    smsc_->send_receipt(d.message_id, smpp_state::delivered);
    smsc_->send_receipt(d.message_id, smpp_state::delivered);
    smsc_->send_garbage_receipt();
  });
  auto r = run(campaign("receipts"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->summary.done, kCards);
  EXPECT_GE(r->smpp.receipts, 5 * kCards);
  expect_one_terminal_each("receipts", false);
}

// (e) A generic_nack storm: nacks for sequence numbers never sent before every answer, and
// each card's first submit refused with a final generic_nack (ESME_RINVCMDID). The engine
// survives; every card ends failed once, with the nack as its reason, and nothing is sent
// for it again.
TEST_F(hostile_smsc_test, GenericNackStormIsSurvived) {
  std::mutex mu;
  std::set<std::string> refused;
  smsc_->set_policy([&](const submit_seen& s) {
    for (std::uint32_t k = 0; k < 5; ++k) {
      smsc_->send_nack(codec::smpp::command_status::esme_rinvcmdid, 0x7FFF0000u + k);
    }
    smsc_->send_nack(codec::smpp::command_status::esme_rsyserr, 0);
    std::lock_guard lock(mu);
    return refused.insert(s.msisdn).second ? reply::nack : reply::deliver;
  });
  auto r = run(campaign("nacks"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->summary.failed, kCards);
  EXPECT_EQ(refused.size(), kCards);
  EXPECT_EQ(r->smpp.submit_failed, kCards);
  expect_one_terminal_each("nacks", true);
  for (const auto& iccid : iccids_) {
    const auto j = job("nacks", iccid);
    EXPECT_NE(j.reason.find("generic_nack ESME_RINVCMDID"), std::string::npos)
        << iccid << ": " << j.reason;
  }
  for (const auto& [msisdn, seen] : smsc_->counters()) EXPECT_EQ(seen.size(), 1u) << msisdn;
}

// A generic_nack whose status is transient (ESME_RTHROTTLED, ESME_RSYSERR: some SMSCs nack
// a submit they cannot take right now) fails the attempt as retriable, as the same status in
// a submit_sm_resp does: each card is retried with a new counter and ends done.
TEST_F(hostile_smsc_test, GenericNackWithATransientStatusIsRetried) {
  std::mutex mu;
  std::set<std::string> nacked;
  smsc_->set_policy([&](const submit_seen& s) {
    std::lock_guard lock(mu);
    if (!nacked.insert(s.msisdn).second) return reply::deliver;
    smsc_->send_nack(s.n % 2 ? codec::smpp::command_status::esme_rthrottled
                             : codec::smpp::command_status::esme_rsyserr,
                     s.sequence);
    return reply::withhold;  // answered by the nack
  });
  auto r = run(campaign("nack-transient"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->summary.done, kCards);
  expect_one_terminal_each("nack-transient", false);
  for (const auto& [msisdn, seen] : smsc_->counters()) EXPECT_EQ(seen.size(), 2u) << msisdn;
}

// (f) ESME_RTHROTTLED for the first 20 answers: the session backs off and resends the same
// packet; every card ends done.
TEST_F(hostile_smsc_test, ThrottlingBacksOffAndEveryCardEndsDone) {
  smsc_->set_policy(
      [](const submit_seen& s) { return s.n < 20 ? reply::throttle : reply::deliver; });
  auto r = run(campaign("throttled"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->summary.done, kCards);
  EXPECT_GE(r->smpp.throttled, 20u);
  expect_one_terminal_each("throttled", false);
  // A throttled packet is resent as it was: one counter per card.
  for (const auto& [msisdn, seen] : smsc_->counters()) EXPECT_EQ(seen.size(), 1u) << msisdn;
}

// (g) The window (4) fills with unanswered submits, then the SMSC drops the connection: the
// submits are lost, re-packaged with new counters after the reconnect, and every card ends
// done.
TEST_F(hostile_smsc_test, DisconnectWithAFullWindowLosesNoCard) {
  std::mutex mu;
  std::set<std::string> cut;
  smsc_->set_policy([&](const submit_seen& s) {
    if (s.n >= 4) return reply::deliver;
    std::lock_guard lock(mu);
    cut.insert(s.msisdn);
    return s.n < 3 ? reply::withhold : reply::drop;
  });
  auto b = bind();
  b.window = 4;
  auto r = run(campaign("disconnect"), b);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->summary.done, kCards);
  EXPECT_GE(smsc_->binds(), 2u);
  EXPECT_EQ(r->smpp.lost, 4u);
  expect_one_terminal_each("disconnect", false);
  ASSERT_EQ(cut.size(), 4u);
  const auto counters = smsc_->counters();
  for (std::size_t i = 0; i < kCards; ++i) {
    const auto& seen = counters.at(msisdns_[i]);
    EXPECT_EQ(seen.size(), cut.count(msisdns_[i]) ? 2u : 1u) << msisdns_[i];
    if (cut.count(msisdns_[i])) {
      EXPECT_GE(job("disconnect", iccids_[i]).resends, 1u) << iccids_[i];
    }
  }
}

// (h) The first two submit_sm are never answered: after response_timeout the session gives
// the link up, the submits are lost and sent again with new counters; every card ends done
// (or failed with a reason).
TEST_F(hostile_smsc_test, WithheldAnswersTimeOutAndAreResent) {
  smsc_->set_policy(
      [](const submit_seen& s) { return s.n < 2 ? reply::withhold : reply::deliver; });
  auto b = bind();
  b.response_timeout = 300ms;
  auto r = run(campaign("withheld", "", "5s", 3), b);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->summary.done + r->summary.failed, kCards);
  EXPECT_GE(r->smpp.lost, 2u);
  EXPECT_GE(smsc_->binds(), 2u);
  expect_one_terminal_each("withheld", false);
  EXPECT_EQ(r->summary.done, kCards);
}

// (i) Key rotation ([update.keys]) answered by forged unsecured PoRs OK: no card done, and
// the repository's current Ki/OPc stay those the cards were personalised with.
TEST_F(hostile_smsc_test, KeyRotationWithForgedPorCommitsNoKey) {
  std::map<std::string, storage::card_keys> before;
  for (const auto& iccid : iccids_) {
    auto k = state_->keys().get(iccid);
    ASSERT_TRUE(k.ok()) << k.error().message;
    before[iccid] = *k;
  }
  smsc_->set_policy([](const submit_seen&) { return reply::accept; });
  smsc_->set_after_answer([this](const delivery& d) {
    smsc_->send_receipt(d.message_id, smpp_state::delivered);
    smsc_->send_mo(d.submit.msisdn, forged_por_ok(d.submit.counter.value_or(0)));
  });
  auto r = run(campaign("rot", "[update.keys]\nrotate = [\"ki\", \"opc\"]\n", kShort));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->summary.done, 0u);
  EXPECT_GE(r->summary.por_rejected, kCards);
  expect_one_terminal_each("rot", true);
  for (const auto& iccid : iccids_) {
    auto k = state_->keys().get(iccid);
    ASSERT_TRUE(k.ok()) << k.error().message;
    EXPECT_TRUE(k->ki == before[iccid].ki) << iccid << ": Ki changed";
    EXPECT_TRUE(k->opc == before[iccid].opc) << iccid << ": OPc changed";
    // The packets carrying the keys left, so the card may hold them: a failed job keeps its
    // pending keys for `subscribers keys resolve` (docs/storage.md "pending keys").
    auto pending = state_->keys().get_pending(iccid, "rot");
    ASSERT_TRUE(pending.ok()) << pending.error().message;
    EXPECT_TRUE(*pending) << iccid << ": pending keys dropped although the card may hold them";
    auto job = state_->jobs().get("rot", iccid);
    ASSERT_TRUE(job.ok() && *job) << iccid;
    EXPECT_NE((*job)->reason.find("card keys uncertain"), std::string::npos) << (*job)->reason;
  }
}

// A fast card: its receipt and PoR reach the engine before the submit_sm_resp (the SMSC
// delivered before answering). The PoR proves the packet: every card done, once, without a
// second packet.
TEST_F(hostile_smsc_test, PorBeforeTheSubmitResponseCompletesTheJob) {
  smsc_->set_policy([](const submit_seen&) { return reply::early; });
  auto r = run(campaign("early"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->summary.done, kCards);
  expect_one_terminal_each("early", false);
  for (const auto& [msisdn, seen] : smsc_->counters()) EXPECT_EQ(seen.size(), 1u) << msisdn;
}

// The SMSC writes the PoR's originator in international form with a '+' (SMPP 3.4 leaves the
// form of source_addr to the SMSC; TON 1 already says international): the engine still finds
// the card (the repository stores digits only; actors/smpp_client.cpp mo_originator).
TEST_F(hostile_smsc_test, PorFromAPlusPrefixedMsisdnFindsItsCard) {
  smsc_->set_por_source([](const std::string& m) { return "+" + m; });
  auto r = run(campaign("plus"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->summary.done, kCards);
  expect_one_terminal_each("plus", false);
}

// Malformed PoRs from the card's MSISDN before its real one: empty, a bare UDH, a UDH longer
// than the message, RPL/RHL pointing past the end, 140 octets of noise, and one well-formed
// PoR OK for the right TAR whose CC is zeros. Nothing crashes; the junk that does not parse
// as a response packet claims no campaign and is dropped uncounted (actors/ota_packets.cpp
// open_por), the zero CC is rejected and counted, and the genuine PoR makes the card done.
TEST_F(hostile_smsc_test, MalformedPorsAreRejectedAndTheGenuineOneCounts) {
  bytes zero_cc = {0x02, 0x71, 0x00, 0x00, 0x13, 0x12, 0xB0, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0x00};
  zero_cc.resize(zero_cc.size() + 8, 0x00);
  const std::vector<bytes> junk = {
      {},
      {0x02, 0x71, 0x00},
      {0x09, 0x71, 0x00},
      {0x02, 0x71, 0x00, 0xFF, 0xFF, 0xFF, 0xB0, 0x00, 0x10},
      bytes(140, 0xA5),
      zero_cc,
  };
  smsc_->set_policy([&](const submit_seen& s) {
    for (const auto& j : junk) smsc_->send_mo(s.msisdn, j);
    return reply::deliver;
  });
  auto r = run(campaign("junk"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->summary.done, kCards);
  EXPECT_EQ(r->summary.por_rejected, kCards);  // the zero CCs
  expect_one_terminal_each("junk", false);
}

}  // namespace
}  // namespace otaflow::hostile
