// Tests of the SMSC simulator's configuration, fault injection and SMPP time.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "sim/smsc_config.hpp"
#include "sim/smsc_fault.hpp"
#include "sim/smsc_time.hpp"

namespace otaflow::sim {
namespace {

using namespace std::chrono_literals;

TEST(SmscConfig, DefaultsAreValid) {
  smsc_config c;
  // No default account: a server needs one configured, a configuration file may leave it out.
  EXPECT_TRUE(c.accounts.empty());
  EXPECT_EQ(validate(c).error().message,
            "smsc config: accounts: at least one account is needed (there is no default)");
  EXPECT_TRUE(validate(c, false).ok());
  c.accounts = {{"test", "test"}};
  EXPECT_TRUE(validate(c).ok());
  EXPECT_EQ(c.deliver_window, 64u);
  EXPECT_EQ(c.mo_delivery, smsc_mo_delivery::round_robin);
  EXPECT_EQ(c.faults.absent_fraction, 0.0);
}

TEST(SmscConfig, ParsesEverySection) {
  auto c = parse_smsc_config(R"(
[smsc]
listen = "0.0.0.0:2776"
system_id = "SIMSMSC"
accounts = [ { system_id = "engine", password = "secret" }, { system_id = "b", password = "" } ]
deliver_window = 8
mo_delivery = "origin"
submit_queue_limit = 100
tps_per_bind = 50.5
tps_burst = 10
workers = 3
retry_schedule_ms = [10, 20]
default_validity_s = 60
response_timeout_ms = 1000
idle_timeout_ms = 0
bind_timeout_ms = 0
max_pdu_length = 4096
scts_timezone_quarters = -8

[smsc.faults]
seed = 42
absent_fraction = 0.25
absent_attempts = 3
drop_fraction = 0.01
drop_expires = false
throttle_fraction = 0.1
disconnect_fraction = 0.001
sim_busy_fraction = 0.05
por_drop_fraction = 0.25

[smsc.faults.delivery_delay]
fixed_ms = 5
distribution = "uniform"
min_ms = 1
max_ms = 9
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->listen_host, "0.0.0.0");
  EXPECT_EQ(c->listen_port, 2776);
  EXPECT_EQ(c->smsc_system_id, "SIMSMSC");
  ASSERT_EQ(c->accounts.size(), 2u);
  EXPECT_EQ(c->accounts[0].password, "secret");
  EXPECT_EQ(c->deliver_window, 8u);
  EXPECT_EQ(c->mo_delivery, smsc_mo_delivery::origin);
  EXPECT_EQ(c->submit_queue_limit, 100u);
  EXPECT_DOUBLE_EQ(c->tps_per_bind, 50.5);
  EXPECT_EQ(c->tps_burst, 10u);
  EXPECT_EQ(c->workers, 3u);
  EXPECT_EQ(c->retry_schedule_ms, (std::vector<std::uint32_t>{10, 20}));
  EXPECT_EQ(c->default_validity_s, 60u);
  EXPECT_EQ(c->max_pdu_length, 4096u);
  EXPECT_EQ(c->scts_timezone_quarters, -8);
  EXPECT_EQ(c->faults.seed, 42u);
  EXPECT_DOUBLE_EQ(c->faults.absent_fraction, 0.25);
  EXPECT_EQ(c->faults.absent_attempts, 3u);
  EXPECT_FALSE(c->faults.drop_expires);
  EXPECT_DOUBLE_EQ(c->faults.sim_busy_fraction, 0.05);
  EXPECT_DOUBLE_EQ(c->faults.por_drop_fraction, 0.25);
  EXPECT_EQ(c->faults.delivery_delay.dist, smsc_delay_config::distribution::uniform);
  EXPECT_EQ(c->faults.delivery_delay.max_ms, 9u);
}

TEST(SmscConfig, RootTableWorksWithoutSmscSection) {
  auto c = parse_smsc_config("deliver_window = 3\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->deliver_window, 3u);
}

TEST(SmscConfig, ErrorsNameTheField) {
  struct row {
    const char* name;
    const char* toml;
    const char* needle;
  };
  const row rows[] = {
      {"unknown key", "[smsc]\nwindow = 3\n", "window: unknown key"},
      {"fraction > 1", "[smsc.faults]\nabsent_fraction = 1.5\n", "faults.absent_fraction"},
      {"negative int", "[smsc]\nworkers = -1\n", "workers"},
      {"zero window", "[smsc]\ndeliver_window = 0\n", "deliver_window"},
      {"string for int", "[smsc]\nmax_binds = \"x\"\n", "max_binds: expected an integer"},
      {"bad distribution", "[smsc.faults.delivery_delay]\ndistribution = \"gauss\"\n",
       "distribution"},
      {"uniform max < min", "[smsc.faults.delivery_delay]\nmin_ms = 5\nmax_ms = 1\n", "max_ms"},
      {"bad listen", "[smsc]\nlisten = \"nocolon\"\n", "HOST:PORT"},
      {"syntax", "[smsc\n", "syntax error at line 1"},
      {"long system_id", "[smsc]\naccounts = [{system_id = \"0123456789abcdef\", password=\"\"}]\n",
       "accounts.system_id"},
      {"empty accounts", "[smsc]\naccounts = []\n", "accounts"},
      {"negative retry", "[smsc]\nretry_schedule_ms = [1, -2]\n", "retry_schedule_ms"},
      {"bad mo_delivery", "[smsc]\nmo_delivery = \"sticky\"\n",
       "mo_delivery: 'sticky' is not one of round_robin, origin"},
      {"mo_delivery not a string", "[smsc]\nmo_delivery = 1\n", "mo_delivery: expected a string"},
  };
  for (const auto& r : rows) {
    auto c = parse_smsc_config(r.toml);
    ASSERT_FALSE(c.ok()) << r.name;
    EXPECT_NE(c.error().message.find(r.needle), std::string::npos)
        << r.name << ": " << c.error().message;
  }
}

TEST(SmscConfig, MoDeliveryNames) {
  for (auto m : {smsc_mo_delivery::round_robin, smsc_mo_delivery::origin}) {
    auto back = parse_mo_delivery(to_string(m));
    ASSERT_TRUE(back.ok()) << to_string(m);
    EXPECT_EQ(*back, m);
  }
  EXPECT_EQ(std::string(to_string(smsc_mo_delivery::round_robin)), "round_robin");
  auto bad = parse_mo_delivery("Origin");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'Origin'"), std::string::npos) << bad.error().message;
}

TEST(SmscConfig, LoadsFromFile) {
  const std::string path = ::testing::TempDir() + "/smsc_config_test.toml";
  {
    std::ofstream f(path);
    f << "[smsc]\ntps_per_bind = 7\n";
  }
  auto c = load_smsc_config(path);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_DOUBLE_EQ(c->tps_per_bind, 7.0);
  std::remove(path.c_str());
  auto missing = load_smsc_config(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find(path), std::string::npos);
}

TEST(SmscConfig, ListenAddress) {
  smsc_config c;
  ASSERT_TRUE(parse_listen_address("127.0.0.1:0", c).ok());
  EXPECT_EQ(c.listen_port, 0);
  EXPECT_FALSE(parse_listen_address("127.0.0.1:65536", c).ok());
  EXPECT_FALSE(parse_listen_address(":2775", c).ok());
  EXPECT_FALSE(parse_listen_address("host:", c).ok());
}

TEST(SmscFault, NoFaultsByDefault) {
  smsc_fault_injector f{smsc_fault_config{}};
  for (std::uint64_t i = 0; i < 1000; ++i) {
    EXPECT_FALSE(f.card_absent(std::to_string(i), 0));
    EXPECT_FALSE(f.sim_busy(i, 0));
    EXPECT_FALSE(f.dropped(i));
    EXPECT_FALSE(f.throttled(i));
    EXPECT_FALSE(f.disconnect(i));
    EXPECT_EQ(f.delivery_delay(i, 0), 0ms);
  }
}

TEST(SmscFault, FractionsAreRoughlyHonouredAndDeterministic) {
  smsc_fault_config c;
  c.seed = 7;
  c.absent_fraction = 0.3;
  c.absent_attempts = 2;
  c.drop_fraction = 0.1;
  smsc_fault_injector f(c), g(c);
  int absent = 0, dropped = 0;
  for (int i = 0; i < 10000; ++i) {
    const std::string msisdn = "4670000" + std::to_string(i);
    const bool a = f.card_absent(msisdn, 0);
    absent += a ? 1 : 0;
    EXPECT_EQ(a, g.card_absent(msisdn, 0));
    EXPECT_EQ(a, f.card_absent(msisdn, 1));  // absent for absent_attempts attempts
    EXPECT_FALSE(f.card_absent(msisdn, 2));  // then reachable
    dropped += f.dropped(static_cast<std::uint64_t>(i)) ? 1 : 0;
  }
  EXPECT_NEAR(absent, 3000, 300);
  EXPECT_NEAR(dropped, 1000, 150);
  c.seed = 8;
  smsc_fault_injector h(c);
  int same = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string msisdn = "4670000" + std::to_string(i);
    same += f.card_absent(msisdn, 0) == h.card_absent(msisdn, 0) ? 1 : 0;
  }
  EXPECT_LT(same, 1000);  // another seed, other cards
}

TEST(SmscFault, DelayDistributions) {
  smsc_fault_config c;
  c.delivery_delay.fixed_ms = 10;
  c.delivery_delay.dist = smsc_delay_config::distribution::uniform;
  c.delivery_delay.min_ms = 5;
  c.delivery_delay.max_ms = 15;
  smsc_fault_injector u(c);
  for (std::uint64_t i = 0; i < 1000; ++i) {
    const auto d = u.delivery_delay(i, 0);
    EXPECT_GE(d, 15ms);
    EXPECT_LE(d, 25ms);
  }
  c.delivery_delay = {};
  c.delivery_delay.dist = smsc_delay_config::distribution::exponential;
  c.delivery_delay.mean_ms = 100;
  smsc_fault_injector e(c);
  double sum = 0;
  for (std::uint64_t i = 0; i < 20000; ++i)
    sum += static_cast<double>(e.delivery_delay(i, 0).count());
  EXPECT_NEAR(sum / 20000.0, 100.0, 5.0);
}

TEST(SmppTime, EmptyMeansNotGiven) {
  auto t = resolve_smpp_time("", std::chrono::system_clock::now());
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->has_value());
}

TEST(SmppTime, RelativeAndAbsolute) {
  using namespace std::chrono;
  const auto now = sys_days{2024y / 1 / 1} + 12h;
  // SMPP 3.4 §7.1.1.2: relative, 1 day 2 hours 3 minutes 4 seconds.
  auto r = resolve_smpp_time("000001020304000R", now);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(**r, now + 26h + 3min + 4s);
  // SMPP 3.4 §7.1.1.1: 2024-03-05 10:20:30.4 local, 8 quarter hours (2 h) ahead of UTC.
  auto a = resolve_smpp_time("240305102030408+", now);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(**a, sys_days{2024y / 3 / 5} + 8h + 20min + 30s + 400ms);
  auto b = resolve_smpp_time("240305102030004-", now);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(**b, sys_days{2024y / 3 / 5} + 11h + 20min + 30s);
}

TEST(SmppTime, Rejects) {
  const auto now = std::chrono::system_clock::now();
  for (const char* bad :
       {"1", "000001020304000X", "24023010203000+0", "240230102030000+", "241305102030000+",
        "240305252030000+", "240305102030049+", "2403051020300a0+"}) {
    EXPECT_FALSE(resolve_smpp_time(bad, now).ok()) << bad;
  }
}

}  // namespace
}  // namespace otaflow::sim
