// The fleet's batch delivery (issue 6: the card side's verification through the batch crypto
// backend): deliver_batch() gives the same outcomes, PoR octets, MO messages and card states
// as deliver() one at a time, for a mix of good packets (3DES, AES, PoR secured or not, by
// DELIVER-REPORT or SMS-SUBMIT), replayed counters, wrong keys, unknown TARs, packets below
// the minimum security level, concatenated packets, plain SMs and unknown MSISDNs; and the
// SMSC worker pool hands the gateway what was queued together.

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "codec/ts23040_tpdu.hpp"
#include "sim/fleet.hpp"
#include "sim/smsc_config.hpp"
#include "sim/smsc_worker_pool.hpp"
#include "uicc_test_util.hpp"

namespace otaflow::sim {
namespace {

struct rng {
  std::uint64_t x;
  std::uint64_t next() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

struct message {
  std::string msisdn;
  bytes tpdu;
};

/// The SMs of one card, in the order they must reach it.
std::vector<message> card_messages(const card_identity& id, rng& r, std::uint64_t& counter) {
  const auto* ks = id.keyset(1);
  const bytes small = hex("00a40004023f00");
  bytes big = hex("00a40004023f00");
  for (int i = 0; i < 30; ++i) big.insert(big.end(), {0x00, 0xb0, 0x00, 0x00, 0x04});
  auto packet = [&](std::uint16_t spi, std::uint8_t kic_kid, std::uint32_t tar, std::uint64_t cntr,
                    const bytes& data, const bytes* kid = nullptr) {
    return test::command_packet(spi, kic_kid, tar, cntr, data, &ks->kic, kid ? kid : &ks->kid);
  };
  std::vector<bytes> packets;
  switch (r.below(9)) {
    case 0:  // 3DES, PoR unsecured by SMS-SUBMIT, then the same counter again (02)
      packets.push_back(packet(0x1621, 0x15, 0xB00010, ++counter, small));
      packets.push_back(packets.back());
      break;
    case 1:  // AES, PoR ciphered with CC in the DELIVER-REPORT
      packets.push_back(packet(0x1619, 0x12, 0xB00011, ++counter, small));
      break;
    case 2: {  // wrong KID key (01)
      const bytes wrong = hex("0102030405060708090a0b0c0d0e0f10");
      packets.push_back(packet(0x1621, 0x15, 0xB00010, ++counter, small, &wrong));
      break;
    }
    case 3:  // unknown TAR (09)
      packets.push_back(packet(0x1621, 0x15, 0x000001, ++counter, small));
      break;
    case 4:  // below the minimum security level (0A): no CC
      packets.push_back(packet(0x0021, 0x15, 0xB00010, ++counter, small));
      break;
    case 5:  // concatenated: left to the card
      packets.push_back(packet(0x1639, 0x15, 0xB00001, ++counter, big));
      break;
    case 6:  // counter "one higher" skipping ahead (03)
      counter += 5;
      packets.push_back(packet(0x1E21, 0x15, 0xB00010, counter, small));
      break;
    case 7: {  // a plain SM, then a good 3DES packet with a secured PoR
      std::vector<message> out{
          {id.msisdn, test::sms_deliver(hex("48656c6c6f"), 0x04, 0x00, false)}};
      for (auto& sm : test::command_sms(packet(0x1639, 0x15, 0xB00010, ++counter, small)))
        out.push_back({id.msisdn, std::move(sm)});
      return out;
    }
    default:  // a flipped bit in the ciphered part (CC fails after deciphering)
      packets.push_back(packet(0x1621, 0x15, 0xB00010, ++counter, small));
      packets.back().back() ^= 0x40;
      break;
  }
  std::vector<message> out;
  for (const auto& p : packets)
    for (auto& sm : test::command_sms(p, static_cast<std::uint16_t>(counter)))
      out.push_back({id.msisdn, std::move(sm)});
  return out;
}

void expect_same(const mt_outcome& a, const mt_outcome& b, std::size_t i) {
  EXPECT_EQ(a.result, b.result) << "message " << i;
  EXPECT_EQ(a.fcs, b.fcs) << "message " << i;
  EXPECT_EQ(to_hex(a.deliver_report_tpdu), to_hex(b.deliver_report_tpdu)) << "message " << i;
  ASSERT_EQ(a.mo.size(), b.mo.size()) << "message " << i;
  for (std::size_t k = 0; k < a.mo.size(); ++k) {
    EXPECT_EQ(a.mo[k].from_msisdn, b.mo[k].from_msisdn) << "message " << i;
    EXPECT_EQ(to_hex(a.mo[k].submit_tpdu), to_hex(b.mo[k].submit_tpdu)) << "message " << i;
  }
}

TEST(fleet_batch, same_outcomes_por_octets_and_states_as_one_at_a_time) {
  constexpr std::uint64_t cards = 2000;
  fleet_options single_opts;
  single_opts.batch_verify = false;
  auto single = fleet::generated("batch-equivalence", cards, single_opts);
  auto batched = fleet::generated("batch-equivalence", cards);
  ASSERT_TRUE(single.ok() && batched.ok());

  // Messages of 300 cards (some of them twice), interleaved at random but in order per card.
  rng r{0xB47C4ull};
  std::map<std::uint64_t, std::vector<message>> per_card;
  std::map<std::uint64_t, std::uint64_t> counters;
  for (int k = 0; k < 400; ++k) {
    const std::uint64_t index = r.below(300) * 6;
    auto id = (*single)->source().identity(index);
    ASSERT_TRUE(id.ok());
    for (auto& m : card_messages(*id, r, counters[index])) per_card[index].push_back(m);
  }
  std::vector<message> all;
  std::vector<std::pair<std::uint64_t, std::size_t>> queues;
  for (auto& [index, v] : per_card) queues.push_back({index, 0});
  while (!queues.empty()) {
    const std::size_t q = r.below(queues.size());
    auto& [index, pos] = queues[q];
    all.push_back(per_card[index][pos]);
    if (++pos == per_card[index].size()) queues.erase(queues.begin() + static_cast<long>(q));
    if (r.below(40) == 0) all.push_back({"467009999999999", hex("00")});  // no such card
  }

  std::vector<mt_outcome> one;
  for (const auto& m : all) one.push_back((*single)->deliver(m.msisdn, m.tpdu));

  std::vector<mt_outcome> many;
  const std::size_t sizes[] = {1, 2, 7, 64, 300, 512};
  for (std::size_t at = 0, k = 0; at < all.size(); ++k) {
    const std::size_t n = std::min(sizes[k % std::size(sizes)], all.size() - at);
    std::vector<mt_delivery> batch;
    for (std::size_t i = at; i < at + n; ++i) batch.push_back({all[i].msisdn, all[i].tpdu, {}});
    (*batched)->deliver_batch(batch);
    for (auto& d : batch) many.push_back(std::move(d.outcome));
    at += n;
  }

  ASSERT_EQ(one.size(), many.size());
  for (std::size_t i = 0; i < one.size(); ++i) expect_same(one[i], many[i], i);

  const auto a = (*single)->stats(), b = (*batched)->stats();
  EXPECT_EQ(a.por_status, b.por_status);
  EXPECT_EQ(a.cards_changed, b.cards_changed);
  EXPECT_EQ(a.unknown, b.unknown);
  EXPECT_EQ(a.batch_opened, 0u);
  // Every status of the mix occurred, and most packets were opened in a batch.
  for (int st : {0x00, 0x01, 0x02, 0x03, 0x09, 0x0A}) EXPECT_GT(a.por_status[st], 0u) << st;
  EXPECT_GT(b.batch_opened, all.size() / 3);
  for (const auto& [index, v] : per_card) {
    bytes sa, sb;
    ASSERT_TRUE((*single)->visit(index, [&](virtual_card& c) { sa = c.data().state().encode(); }));
    ASSERT_TRUE((*batched)->visit(index, [&](virtual_card& c) { sb = c.data().state().encode(); }));
    EXPECT_EQ(to_hex(sa), to_hex(sb)) << "card " << index;
  }
}

TEST(fleet_batch, changed_cards_are_written_together_and_the_newest_state_wins) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("otaflow_fleet_batch_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  // The first write of a state (a batch's, on another thread) is held back until a newer
  // state of the same card has been queued and written: the older one must then be dropped.
  std::mutex mu;
  std::condition_variable cv;
  int writes = 0;
  bool held = false, newer_written = false;
  fleet_options o;
  o.state_dir = dir;
  o.memory_budget = 1;  // evicted once written: what a visit sees is what the store holds
  o.before_state_write = [&] {
    std::unique_lock lk(mu);
    if (++writes != 2) return;  // write 1: the first batch below, not held
    held = true;
    cv.notify_all();
    cv.wait(lk, [&] { return newer_written; });
  };
  auto sm = [](const card_identity& id, std::uint64_t counter) {
    return test::command_sms(test::command_packet(0x1621, 0x15, 0xB00010, counter,
                                                  hex("00a40004023f00"), &id.keyset(1)->kic,
                                                  &id.keyset(1)->kid))
        .front();
  };
  {
    auto f = fleet::generated("batch-writes", 100, o);
    ASSERT_TRUE(f.ok()) << f.error().message;
    std::vector<card_identity> ids;
    for (std::uint64_t i = 0; i < 3; ++i) ids.push_back(*(*f)->source().identity(i));

    // One batch of 3 cards: 3 states, one write.
    std::vector<bytes> first;
    for (const auto& id : ids) first.push_back(sm(id, 1));
    std::vector<mt_delivery> batch;
    for (std::size_t i = 0; i < ids.size(); ++i) batch.push_back({ids[i].msisdn, first[i], {}});
    (*f)->deliver_batch(batch);
    EXPECT_EQ((*f)->stats().persisted, 3u);
    EXPECT_EQ((*f)->stats().store_writes, 1u);

    // Card 0 takes counter 5 in a batch on another thread, whose write is held; then
    // counter 6 in a batch here. (A batch of one SM is written under the card's lock.)
    const bytes five = sm(ids[0], 5), six = sm(ids[0], 6), two = sm(ids[2], 2),
                one_two = sm(ids[1], 2);
    std::thread older([&] {
      std::vector<mt_delivery> b{{ids[0].msisdn, five, {}}, {ids[2].msisdn, two, {}}};
      (*f)->deliver_batch(b);
      EXPECT_EQ(b[0].outcome.result, mt_outcome::kind::ack);
    });
    {
      std::unique_lock lk(mu);
      cv.wait(lk, [&] { return held; });
    }
    std::vector<mt_delivery> b{{ids[0].msisdn, six, {}}, {ids[1].msisdn, one_two, {}}};
    (*f)->deliver_batch(b);
    {
      std::lock_guard lk(mu);
      newer_written = true;
    }
    cv.notify_all();
    older.join();
    // 3, then card 0's counter 6 and card 1's, then card 2's; card 0's 5 was superseded.
    EXPECT_EQ((*f)->stats().persisted, 6u);
    EXPECT_EQ((*f)->stats().store_writes, 3u);
  }
  // Reopened: card 0 holds counter 6, cards 1 and 2 counter 2.
  auto f = fleet::generated("batch-writes", 100, o);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(
      (*f)->visit(0, [&](virtual_card& c) { EXPECT_EQ(c.data().state().counter(1), 6u); }).ok());
  for (std::uint64_t i : {1, 2})
    ASSERT_TRUE(
        (*f)->visit(i, [&](virtual_card& c) { EXPECT_EQ(c.data().state().counter(1), 2u) << i; })
            .ok());
  f->reset();
  std::filesystem::remove_all(dir);
}

TEST(fleet_batch, por_histogram_and_cards_changed) {
  auto f = fleet::generated("histogram", 100);
  ASSERT_TRUE(f.ok());
  auto id = (*f)->source().identity(7);
  ASSERT_TRUE(id.ok());
  const auto* ks = id->keyset(1);
  const bytes good =
      test::command_packet(0x1621, 0x15, 0xB00010, 1, hex("00a40004023f00"), &ks->kic, &ks->kid);
  std::vector<mt_delivery> batch;
  const auto sms = test::command_sms(good);
  for (int i = 0; i < 3; ++i) batch.push_back({id->msisdn, sms.front(), {}});
  const bytes plain = test::sms_deliver(hex("41"), 0x04, 0x00, false);
  batch.push_back({id->msisdn, plain, {}});
  (*f)->deliver_batch(batch);
  const auto st = (*f)->stats();
  EXPECT_EQ(st.por_status[0x00], 1u);
  EXPECT_EQ(st.por_status[0x02], 2u);
  EXPECT_EQ(st.cards_changed, 1u);
  EXPECT_EQ(st.batch_opened, 3u);
  EXPECT_EQ(st.delivered, 4u);
  EXPECT_EQ(batch[3].outcome.result, mt_outcome::kind::ack);
  EXPECT_EQ(to_hex(batch[3].outcome.deliver_report_tpdu), "0000");
  EXPECT_EQ(batch[1].outcome.mo.size(), 1u);  // PoR 02 by SMS-SUBMIT
}

TEST(fleet_batch, default_gateway_batch_calls_deliver_in_order) {
  struct recorder final : card_gateway {
    std::vector<std::string> seen;
    mt_outcome deliver(std::string_view m, byte_view) override {
      seen.emplace_back(m);
      mt_outcome o;
      o.fcs = static_cast<std::uint8_t>(seen.size());
      return o;
    }
  } g;
  std::vector<mt_delivery> batch{{"1", {}, {}}, {"2", {}, {}}, {"3", {}, {}}};
  g.deliver_batch(batch);
  EXPECT_EQ(g.seen, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(batch[2].outcome.fcs, 3);
}

TEST(smsc_worker_pool, hands_queued_jobs_over_in_batches) {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::vector<std::size_t> sizes;
  std::atomic<int> done{0};
  std::vector<int> jobs(200);
  {
    smsc_worker_pool<int> pool(
        1,
        [&](std::span<int* const> b) {
          std::unique_lock lk(mu);
          cv.wait(lk, [&] { return open; });
          sizes.push_back(b.size());
          done += static_cast<int>(b.size());
        },
        -1, 64);
    std::vector<int*> all;
    for (auto& j : jobs) all.push_back(&j);
    pool.post(all.front());
    std::vector<int*> rest(all.begin() + 1, all.end());
    pool.post_batch(rest);
    {
      std::lock_guard lk(mu);
      open = true;
    }
    cv.notify_all();
    std::vector<int*> back;
    for (int i = 0; i < 500 && back.size() < 200; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      (void)pool.collect(back);
    }
    EXPECT_EQ(back.size(), 200u);
  }
  EXPECT_EQ(done, 200);
  std::size_t largest = 0;
  for (auto s : sizes) largest = std::max(largest, s);
  EXPECT_EQ(largest, 64u);  // at most worker_batch at once, and full batches when queued
}

TEST(smsc_config, worker_batch_is_parsed_and_checked) {
  EXPECT_EQ(smsc_config{}.worker_batch, 256u);
  auto c = parse_smsc_config("[smsc]\nworker_batch = 32\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->worker_batch, 32u);
  for (const char* bad : {"[smsc]\nworker_batch = 0\n", "[smsc]\nworker_batch = 5000\n"}) {
    auto e = parse_smsc_config(bad);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_NE(e.error().message.find("worker_batch"), std::string::npos) << e.error().message;
  }
}

}  // namespace
}  // namespace otaflow::sim
