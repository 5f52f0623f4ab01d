// Test driver for tests/integration/smsc_smpplib_test.py: runs the SMSC simulator on a free
// loopback port with account test/test and a fake card gateway that answers every
// SMS-DELIVER with an RP-ACK carrying a canned PoR; prints "PORT <n>" on stdout, runs until
// stdin closes (or SIGTERM), then prints the summary on stderr.
// (The lead will switch the gateway to the virtual UICC fleet, sim/fleet.hpp.)

#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>

#include "sim/smsc_server.hpp"
#include "tests/unit/sim/smsc_fake_gateway.hpp"

int main() {
  std::signal(SIGPIPE, SIG_IGN);
  otaflow::sim::smsc_config cfg;
  cfg.listen_host = "127.0.0.1";
  cfg.listen_port = 0;
  cfg.accounts = {{"test", "test"}};
  cfg.retry_schedule_ms = {100, 200};
  otaflow::sim::testing::fake_gateway gateway;  // default answer: RP-ACK with canned_por()
  otaflow::sim::smsc_server server(cfg, gateway);
  if (auto st = server.start(); !st.ok()) {
    std::fprintf(stderr, "smsc_sim_driver: %s\n", st.error().message.c_str());
    return 1;
  }
  std::printf("PORT %u\n", static_cast<unsigned>(server.port()));
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  server.stop();
  std::fprintf(stderr, "%s", server.summary().to_string().c_str());
  return 0;
}
