// The fleet: deterministic generation, lookup without a table, materialisation on touch,
// state persisted across reopen, LRU eviction, vendor CSVs, and full round trips through
// deliver() built with the engine-independent encoder.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "codec/ts102226_script.hpp"
#include "codec/ts23040_tpdu.hpp"
#include "codec/ts31102_files.hpp"
#include "sim/fleet.hpp"
#include "uicc_test_util.hpp"

namespace otaflow::sim {
namespace {

namespace fs = std::filesystem;
namespace tp = codec::tpdu;

class temp_dir {
 public:
  temp_dir() {
    static int n = 0;
    path_ = fs::temp_directory_path() /
            ("otaflow_fleet_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~temp_dir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// An OTA command for card `id` secured with its keyset 1 (KIc/KID 15 = 3DES, 12 = AES).
std::vector<bytes> ota_sms(const card_identity& id, std::uint8_t kic_kid, std::uint64_t counter,
                           const bytes& script, std::uint16_t spi = 0x1619,
                           std::uint32_t tar = 0xB00011) {
  const auto* ks = id.keyset(1);
  return test::command_sms(
      test::command_packet(spi, kic_kid, tar, counter, script, &ks->kic, &ks->kid));
}

/// The PoR of a DELIVER-REPORT, opened with card id's keyset 1.
result<secure::opened_response> open_por(const mt_outcome& o, const card_identity& id,
                                         std::uint8_t kic_kid, std::uint16_t spi = 0x1619) {
  auto rep = tp::decode_deliver_report(o.deliver_report_tpdu, false);
  if (!rep) return std::move(rep).error();
  if (!rep->ud) return make_error(errc::not_found, "no PoR in the report");
  auto pkt = codec::response_from_tp_ud(*rep->ud);
  if (!pkt) return std::move(pkt).error();
  secure::response_security sec;
  sec.spi = *codec::decode_spi(spi);
  sec.kic = kic_kid;
  sec.kid = kic_kid;
  sec.kic_key = id.keyset(1)->kic;
  sec.kid_key = id.keyset(1)->kid;
  return secure::open_response(*pkt, sec);
}

mt_outcome deliver_all(fleet& f, const std::string& msisdn, const std::vector<bytes>& sms) {
  mt_outcome last;
  for (const auto& sm : sms) last = f.deliver(msisdn, sm);
  return last;
}

// ---- generation ------------------------------------------------------------------------------

TEST(fleet_generate, same_seed_same_bytes) {
  temp_dir d;
  ASSERT_TRUE(write_fleet_csv(d.path() / "a.csv", "s3cret", 1000, 1).ok());
  ASSERT_TRUE(write_fleet_csv(d.path() / "b.csv", "s3cret", 1000, 3).ok());
  ASSERT_TRUE(write_fleet_csv(d.path() / "c.csv", "other", 1000, 1).ok());
  const std::string a = slurp(d.path() / "a.csv");
  EXPECT_EQ(a, slurp(d.path() / "b.csv"));  // threads do not change the bytes
  EXPECT_NE(a, slurp(d.path() / "c.csv"));
  EXPECT_EQ(a.substr(0, a.find('\n')), "iccid,imsi,msisdn,ki,opc,kic1,kid1,kik1");
  EXPECT_EQ(std::count(a.begin(), a.end(), '\n'), 1001);
  auto meta = read_fleet_meta(d.path() / "a.csv");
  ASSERT_TRUE(meta.ok());
  ASSERT_TRUE(meta->has_value());
  EXPECT_EQ((*meta)->seed, "s3cret");
  EXPECT_EQ((*meta)->count, 1000u);
  // Row 1 = card 0.
  auto der = fleet_deriver::create("s3cret");
  ASSERT_TRUE(der.ok());
  std::string row;
  der->csv_row(0, row);
  EXPECT_EQ(a.substr(a.find('\n') + 1, row.size()), row);
  EXPECT_EQ(row.substr(0, 42), "8946990000000000008,001010000000000,467000");
}

TEST(fleet_generate, numbers_and_keys) {
  auto d = fleet_deriver::create("seed");
  ASSERT_TRUE(d.ok());
  const card_identity c = d->card(1234567);
  EXPECT_EQ(c.iccid.size(), 19u);
  EXPECT_TRUE(luhn_valid(c.iccid));
  EXPECT_EQ(c.iccid.substr(0, 18), "894699000001234567");
  EXPECT_EQ(c.imsi, "001010001234567");
  EXPECT_EQ(c.msisdn, "467001234567");
  EXPECT_EQ(d->index_of_msisdn("467001234567"), 1234567u);
  EXPECT_EQ(d->index_of_msisdn("+467001234567"), 1234567u);
  EXPECT_EQ(d->index_of_msisdn("46700123456"), std::nullopt);
  EXPECT_EQ(d->index_of_msisdn("447001234567"), std::nullopt);
  EXPECT_EQ(d->index_of_iccid(c.iccid), 1234567u);
  std::string bad = c.iccid;
  bad.back() = bad.back() == '0' ? '1' : '0';
  EXPECT_EQ(d->index_of_iccid(bad), std::nullopt);  // Luhn
  ASSERT_EQ(c.keysets.size(), 1u);
  EXPECT_EQ(c.keysets[0].version, 1);
  EXPECT_NE(c.ki, c.opc);
  EXPECT_NE(c.keysets[0].kic, c.keysets[0].kid);
  // Deterministic and index-dependent.
  EXPECT_EQ(d->key(1234567, "ki"), c.ki);
  EXPECT_NE(d->key(1234568, "ki"), c.ki);
  auto e = fleet_deriver::create("seed2");
  EXPECT_NE(e->key(1234567, "ki"), c.ki);
}

TEST(fleet_generate, luhn) {
  EXPECT_EQ(luhn_check_digit("7992739871"), '3');  // ISO/IEC 7812 example
  EXPECT_TRUE(luhn_valid("79927398713"));
  EXPECT_FALSE(luhn_valid("79927398710"));
  EXPECT_EQ(luhn_check_digit("894699000000000001"), '6');
}

TEST(fleet_generate, meta_errors_name_the_field) {
  EXPECT_FALSE(parse_fleet_meta("[]").ok());
  EXPECT_NE(parse_fleet_meta(R"({"format":"otaflow-fleet","version":1,"count":3})")
                .error()
                .message.find("seed"),
            std::string::npos);
  EXPECT_NE(parse_fleet_meta(R"({"format":"otaflow-fleet","version":1,"seed":"a","count":-1})")
                .error()
                .message.find("count"),
            std::string::npos);
  EXPECT_EQ(parse_fleet_meta(R"({"format":"otaflow-fleet","version":2,"seed":"a","count":1})")
                .error()
                .code,
            make_error_code(errc::unsupported));
  EXPECT_FALSE(fleet_deriver::create("").ok());
}

// ---- the fleet -------------------------------------------------------------------------------

TEST(fleet, round_trip_through_deliver_3des_and_aes) {
  auto f = fleet::generated("round-trip", 10'000'000);
  ASSERT_TRUE(f.ok()) << f.error().message;
  auto d = fleet_deriver::create("round-trip");
  const card_identity id = d->card(9'876'543);
  EXPECT_EQ((*f)->stats().cards_in_memory, 0u);

  const bytes script =
      hex("00a4080c047fff6f07"
          "00b0000009");
  for (std::uint8_t kic_kid : {std::uint8_t{0x15}, std::uint8_t{0x12}}) {
    const std::uint64_t counter = kic_kid == 0x15 ? 1 : 2;
    auto o = deliver_all(**f, id.msisdn, ota_sms(id, kic_kid, counter, script));
    ASSERT_EQ(o.result, mt_outcome::kind::ack);
    auto por = open_por(o, id, kic_kid);
    ASSERT_TRUE(por.ok()) << por.error().message;
    EXPECT_EQ(por->status, codec::por_status::ok);
    EXPECT_EQ(por->counter, counter);
    auto resp = codec::decode_compact_response(por->data);
    ASSERT_TRUE(resp.ok());
    EXPECT_EQ(resp->last_sw, 0x9000);
    // EF.IMSI of 001010009876543.
    EXPECT_EQ(to_hex(resp->last_data), "080910100090785634");
  }
  const auto st = (*f)->stats();
  EXPECT_EQ(st.cards_in_memory, 1u);
  EXPECT_EQ(st.materialised, 1u);
  EXPECT_EQ(st.delivered, 2u);
  EXPECT_GT(st.bytes_in_memory, 0u);
}

TEST(fleet, unknown_msisdns) {
  auto f = fleet::generated("u", 100);
  ASSERT_TRUE(f.ok());
  for (const char* m : {"467000000100", "46700000001", "123", ""})
    EXPECT_EQ((*f)->deliver(m, hex("00")).result, mt_outcome::kind::unknown_subscriber) << m;
  EXPECT_EQ((*f)->stats().unknown, 4u);
  EXPECT_EQ((*f)->stats().cards_in_memory, 0u);
}

TEST(fleet, state_persists_across_reopen) {
  temp_dir dir;
  fleet_options o;
  o.state_dir = dir.path() / "state";
  auto d = fleet_deriver::create("persist");
  const card_identity id = d->card(42);
  // EF.SPN := "x" by OTA, counter 5.
  const bytes script =
      hex("00a4080c047fff6f46"
          "00d6000002"
          "0178");
  {
    auto f = fleet::generated("persist", 1000, o);
    ASSERT_TRUE(f.ok()) << f.error().message;
    auto out = deliver_all(**f, id.msisdn, ota_sms(id, 0x15, 5, script));
    auto por = open_por(out, id, 0x15);
    ASSERT_TRUE(por.ok());
    EXPECT_EQ(to_hex(por->data), "029000");
    EXPECT_EQ((*f)->stats().persisted, 1u);
  }
  {
    auto f = fleet::generated("persist", 1000, o);
    ASSERT_TRUE(f.ok()) << f.error().message;
    // The counter is remembered: 5 again is a replay.
    auto out = deliver_all(**f, id.msisdn, ota_sms(id, 0x15, 5, hex("00a4000c023f00")));
    auto por = open_por(out, id, 0x15);
    ASSERT_TRUE(por.ok());
    EXPECT_EQ(por->status, codec::por_status::cntr_low);
    EXPECT_EQ((*f)->stats().loaded, 1u);
    ASSERT_TRUE((*f)->visit(42,
                            [](virtual_card& c) {
                              namespace ts = codec::ts31102;
                              const bytes spn =
                                  c.data().content(0x7FFF, *ts::find_ef(0x7FFF, 0x6F46));
                              EXPECT_EQ(to_hex(byte_view(spn).first(2)), "0178");
                              EXPECT_EQ(c.data().state().counter(1), 5u);
                              EXPECT_EQ(c.data().state().last_por_status(), 0x02);
                            })
                    .ok());
  }
  // The store lists the card with its state; a fleet of another seed is refused.
  auto store = fleet_store::open(o.state_dir, true);
  ASSERT_TRUE(store.ok()) << store.error().message;
  int n = 0;
  ASSERT_TRUE((*store)
                  ->for_each([&](std::string_view iccid, const card_state& st) {
                    ++n;
                    EXPECT_EQ(iccid, id.iccid);
                    EXPECT_EQ(st.files().size(), 1u);
                  })
                  .ok());
  EXPECT_EQ(n, 1);
  store->reset();
  auto other = fleet::generated("another", 1000, o);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, make_error_code(errc::conflict));
}

TEST(fleet, isd_load_interrupted_between_sms_resumes_after_reopen) {
  // RAM on TAR 000000: SM 1 opens a load (SHA-1 hash) and sends block 00; the fleet closes
  // (as smsc-sim stopped with --state); SM 2 after the reopen sends the last block.
  temp_dir dir;
  fleet_options o;
  o.state_dir = dir.path() / "state";
  auto d = fleet_deriver::create("isd");
  const card_identity id = d->card(7);
  const bytes sm1 =
      hex("80e602002108a0000000871005090014"
          "1bac77b2c94d3cee1ec9632be651c3b68f7a78bc0000"
          "80e8000005c406aabbcc");
  const bytes sm2 =
      hex("80e8800103ddeeff"
          "80f220020a4f08a000000087100509");
  {
    auto f = fleet::generated("isd", 100, o);
    ASSERT_TRUE(f.ok()) << f.error().message;
    auto por =
        open_por(deliver_all(**f, id.msisdn, ota_sms(id, 0x15, 1, sm1, 0x1619, 0)), id, 0x15);
    ASSERT_TRUE(por.ok()) << por.error().message;
    EXPECT_EQ(to_hex(por->data), "02900000");
  }
  auto f = fleet::generated("isd", 100, o);
  ASSERT_TRUE(f.ok()) << f.error().message;
  auto por = open_por(deliver_all(**f, id.msisdn, ota_sms(id, 0x15, 2, sm2, 0x1619, 0)), id, 0x15);
  ASSERT_TRUE(por.ok()) << por.error().message;
  EXPECT_EQ(to_hex(por->data), "029000e3184f08a0000000871005099f700101cc08a000000151000000");
  EXPECT_EQ((*f)->stats().loaded, 1u);
}

TEST(fleet, lru_evicts_and_reloads) {
  temp_dir dir;
  fleet_options o;
  o.state_dir = dir.path();
  o.memory_budget = 1;  // keep only the card in use
  auto f = fleet::generated("lru", 1000, o);
  ASSERT_TRUE(f.ok());
  auto d = fleet_deriver::create("lru");
  for (std::uint64_t round = 1; round <= 2; ++round)
    for (std::uint64_t i = 0; i < 5; ++i) {
      const card_identity id = d->card(i);
      auto out = deliver_all(**f, id.msisdn, ota_sms(id, 0x15, round, hex("00a4000c023f00")));
      auto por = open_por(out, id, 0x15);
      ASSERT_TRUE(por.ok());
      EXPECT_EQ(por->status, codec::por_status::ok) << i << " " << round;
    }
  const auto st = (*f)->stats();
  EXPECT_EQ(st.cards_in_memory, 1u);
  EXPECT_EQ(st.evicted, 9u);
  EXPECT_EQ(st.materialised, 10u);
  EXPECT_EQ(st.loaded, 5u);  // the second round reloads every card's counter
}

TEST(fleet, fresh_store_reads_only_the_cards_it_wrote) {
  temp_dir dir;
  fleet_options o;
  o.state_dir = dir.path();
  o.memory_budget = 1;  // keep only the card in use: every touch after the first is a reload
  auto d = fleet_deriver::create("reads");
  auto touch = [&](fleet& f, std::uint64_t i, std::uint64_t counter) {
    const card_identity id = d->card(i);
    auto por = open_por(
        deliver_all(f, id.msisdn, ota_sms(id, 0x15, counter, hex("00a4000c023f00"))), id, 0x15);
    ASSERT_TRUE(por.ok());
    EXPECT_EQ(por->status, codec::por_status::ok) << i;
  };
  {
    auto f = fleet::generated("reads", 1000, o);
    ASSERT_TRUE(f.ok());
    for (std::uint64_t i = 0; i < 5; ++i) touch(**f, i, 1);
    // A new store holds nothing the cards could have: no read.
    EXPECT_EQ((*f)->stats().store_reads, 0u);
    EXPECT_EQ((*f)->stats().materialised, 5u);
    for (std::uint64_t i = 0; i < 5; ++i) touch(**f, i, 2);
    EXPECT_EQ((*f)->stats().store_reads, 5u);  // written this run: read back
    EXPECT_EQ((*f)->stats().loaded, 5u);
  }
  auto f = fleet::generated("reads", 1000, o);
  ASSERT_TRUE(f.ok());
  touch(**f, 7, 1);  // never written, but the store holds cards now: it must look
  touch(**f, 3, 3);  // written by the previous run: its counter 2 is read back (3 is higher)
  EXPECT_EQ((*f)->stats().store_reads, 2u);
  EXPECT_EQ((*f)->stats().loaded, 1u);
  const card_identity id = d->card(3);
  auto replay =
      open_por(deliver_all(**f, id.msisdn, ota_sms(id, 0x15, 3, hex("00a4000c023f00"))), id, 0x15);
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->status, codec::por_status::cntr_low);
}

TEST(fleet, read_only_visits_do_not_fill_the_cache) {
  temp_dir dir;
  fleet_options o;
  o.state_dir = dir.path();
  auto f = fleet::generated("visits", 1000, o);
  ASSERT_TRUE(f.ok());
  auto d = fleet_deriver::create("visits");
  const card_identity id = d->card(4);
  auto por =
      open_por(deliver_all(**f, id.msisdn, ota_sms(id, 0x15, 1, hex("00a4000c023f00"))), id, 0x15);
  ASSERT_TRUE(por.ok());
  EXPECT_EQ((*f)->stats().cards_in_memory, 1u);
  // Reading cards 0..9: only card 4 (delivered to) stays in memory; the rest are dropped.
  for (std::uint64_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(
        (*f)->visit(i,
                    [&](virtual_card& c) { EXPECT_EQ(c.data().identity().iccid.empty(), false); })
            .ok());
  }
  EXPECT_EQ((*f)->stats().cards_in_memory, 1u);
  EXPECT_EQ((*f)->stats().materialised, 10u);  // card 4 once, the 9 others by the visits
  // A visit that changes a card keeps it and writes it.
  const auto persisted = (*f)->stats().persisted;
  ASSERT_TRUE((*f)->visit(7, [](virtual_card& c) { c.data().state().set_sqn_ms(42); }).ok());
  EXPECT_EQ((*f)->stats().cards_in_memory, 2u);
  EXPECT_EQ((*f)->stats().persisted, persisted + 1);
  ASSERT_TRUE(
      (*f)->visit(7, [](virtual_card& c) { EXPECT_EQ(c.data().state().sqn_ms(), 42u); }).ok());
}

TEST(fleet, concurrent_deliveries_serialise_per_card) {
  auto f = fleet::generated("threads", 1000);
  ASSERT_TRUE(f.ok());
  auto d = fleet_deriver::create("threads");
  constexpr int cards = 4, per_card = 20;
  std::vector<card_identity> ids;
  for (int i = 0; i < cards; ++i) ids.push_back(d->card(static_cast<std::uint64_t>(i)));
  // Each thread sends counters 1..20 in no-check mode to every card.
  std::atomic<int> ok{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t)
    pool.emplace_back([&, t] {
      for (int k = 1; k <= per_card; ++k)
        for (int c = 0; c < cards; ++c) {
          const auto& id = ids[static_cast<std::size_t>((c + t) % cards)];
          auto out = deliver_all(
              **f, id.msisdn,
              ota_sms(id, 0x15, static_cast<std::uint64_t>(k), hex("00a4000c023f00"), 0x0E19));
          auto por = open_por(out, id, 0x15, 0x0E19);
          if (por.ok() && por->status == codec::por_status::ok) ++ok;
        }
    });
  for (auto& th : pool) th.join();
  EXPECT_EQ(ok.load(), 4 * cards * per_card);
  for (int c = 0; c < cards; ++c)
    ASSERT_TRUE((*f)->visit(static_cast<std::uint64_t>(c),
                            [&](virtual_card& card) {
                              EXPECT_EQ(card.data().state().counter(1), std::uint64_t{per_card});
                            })
                    .ok());
}

TEST(fleet, generated_csv_is_recognised_by_its_meta) {
  temp_dir dir;
  const fs::path csv = dir.path() / "fleet.csv";
  ASSERT_TRUE(write_fleet_csv(csv, "csv-seed", 50).ok());
  auto s = csv_source(csv);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ((*s)->size(), 50u);
  EXPECT_NE((*s)->describe_json().find("\"generated\""), std::string::npos);
  // Without the sidecar the same file is a vendor file indexed by MSISDN.
  fs::remove(fleet_meta_path(csv));
  auto v = csv_source(csv);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_NE((*v)->describe_json().find("\"csv\""), std::string::npos);
  EXPECT_EQ((*v)->size(), 50u);
  auto d = fleet_deriver::create("csv-seed");
  const card_identity want = d->card(17);
  auto idx = (*v)->find_msisdn("+" + want.msisdn);
  ASSERT_TRUE(idx.has_value());
  auto got = (*v)->identity(*idx);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->iccid, want.iccid);
  EXPECT_EQ(got->ki, want.ki);
  EXPECT_EQ(got->keysets[0].kik, want.keysets[0].kik);
  EXPECT_EQ((*v)->find_iccid(want.iccid), idx);
  // A sidecar whose seed does not match the rows is ignored (read as a vendor file).
  std::ofstream(fleet_meta_path(csv)) << fleet_meta_json({"wrong", 50, {}});
  auto w = csv_source(csv);
  ASSERT_TRUE(w.ok());
  EXPECT_NE((*w)->describe_json().find("\"csv\""), std::string::npos);
}

TEST(fleet, vendor_csv_with_two_keysets) {
  temp_dir dir;
  const fs::path csv = dir.path() / "vendor.csv";
  {
    std::ofstream out(csv);
    out << "ICCID,IMSI,MSISDN,KI,OPC,KIC1,KID1,KIK1,KIC2,KID2,KIK2,PIN1\r\n"
        << "8946990000000000016,001010000000001,+467000000001,"
           "000102030405060708090a0b0c0d0e0f,0f0e0d0c0b0a09080706050403020100,"
           "11111111111111112222222222222222,33333333333333334444444444444444,"
           "000102030405060708090a0b0c0d0e0f,"
           "200102030405060708090a0b0c0d0e0f,201102030405060708090a0b0c0d0e0f,"
           "f0e0d0c0b0a090807060504030201000,1234\r\n"
        << "\r\n"
        << "8946990000000000024,001010000000002,,"  // no MSISDN: skipped
           "000102030405060708090a0b0c0d0e0f,0f0e0d0c0b0a09080706050403020100,"
           "11111111111111112222222222222222,33333333333333334444444444444444,"
           "000102030405060708090a0b0c0d0e0f,,,,1234\r\n";
  }
  auto f = fleet::from_csv(csv);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ((*f)->size(), 1u);
  // Keyset 2 (AES) of the vendor row: the card's PoR opens with the AES keys.
  const bytes packet = test::command_packet(0x1619, 0x22, 0xB00010, 1, hex("00a4000c023f00"));
  mt_outcome out;
  for (const auto& sm : test::command_sms(packet)) out = (*f)->deliver("467000000001", sm);
  auto rep = tp::decode_deliver_report(out.deliver_report_tpdu, false);
  ASSERT_TRUE(rep.ok() && rep->ud);
  auto pkt = codec::response_from_tp_ud(*rep->ud);
  ASSERT_TRUE(pkt.ok());
  auto por = secure::open_response(*pkt, test::por_security(0x1619, 0x22));
  ASSERT_TRUE(por.ok()) << por.error().message;
  EXPECT_EQ(to_hex(por->data), "019000");
}

TEST(fleet, vendor_csv_errors) {
  temp_dir dir;
  const fs::path csv = dir.path() / "bad.csv";
  std::ofstream(csv) << "iccid,imsi,msisdn,ki,opc\n";
  auto f = fleet::from_csv(csv);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("kic1"), std::string::npos);
  EXPECT_FALSE(fleet::from_csv(dir.path() / "missing.csv").ok());
  // A row whose key is malformed fails when its card is touched, without naming the key.
  std::ofstream(csv) << "iccid,imsi,msisdn,ki,opc,kic1,kid1,kik1\n"
                     << "8946990000000000016,001010000000001,467000000001,00zz,"
                        "0f0e0d0c0b0a09080706050403020100,11111111111111112222222222222222,"
                        "33333333333333334444444444444444,000102030405060708090a0b0c0d0e0f\n";
  auto g = fleet::from_csv(csv);
  ASSERT_TRUE(g.ok());
  auto id = (*g)->source().identity(0);
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.error().message.find("ki must be 32 hex digits"), std::string::npos);
  EXPECT_EQ((*g)->deliver("467000000001", hex("00")).result, mt_outcome::kind::unknown_subscriber);
}

}  // namespace
}  // namespace otaflow::sim
