// `otaflow campaign report --state DIR ID --out report.html [--csv cards.csv]`: one
// self-contained HTML report of a campaign (service/report.hpp), and optionally one CSV row
// per card. Registered after `campaign` (the registry runs in name order) and added to it.

#include <cstdio>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/command.hpp"
#include "app/state_dir.hpp"
#include "service/report.hpp"

namespace otaflow::app {
namespace {

struct report_args {
  std::string state_dir;
  std::string kek_file;
  std::string id;
  std::string out;
  std::string csv;
};

int report(const report_args& a) {
  auto st = open_state_read_only(a.state_dir, a.kek_file);
  if (!st) {
    std::fprintf(stderr, "otaflow: %s\n", st.error().message.c_str());
    return 1;
  }
  auto r = service::collect_report(**st, a.id);
  if (!r) {
    std::fprintf(stderr, "otaflow: campaign report %s: %s\n", a.id.c_str(),
                 r.error().message.c_str());
    return 1;
  }
  {
    std::ofstream f(a.out, std::ios::binary | std::ios::trunc);
    f << service::render_html(*r);
    if (!f.flush()) {
      std::fprintf(stderr, "otaflow: cannot write the report to %s\n", a.out.c_str());
      return 1;
    }
  }
  nlohmann::json out = {{"campaign", a.id}, {"report", a.out}, {"cards", r->cards}};
  if (!a.csv.empty()) {
    std::ofstream f(a.csv, std::ios::binary | std::ios::trunc);
    if (!f) {
      std::fprintf(stderr, "otaflow: cannot write the cards CSV to %s\n", a.csv.c_str());
      return 1;
    }
    auto n = service::write_cards_csv(**st, a.id, f);
    if (!n || !f.flush()) {
      std::fprintf(stderr, "otaflow: cards CSV %s: %s\n", a.csv.c_str(),
                   n ? "write failed" : n.error().message.c_str());
      return 1;
    }
    out["csv"] = a.csv;
    out["csv_rows"] = *n;
  }
  std::cout << out.dump() << std::endl;
  return 0;
}

const command_registrar reg("campaign_report", [](CLI::App& root) {
  auto* campaign = root.get_subcommand("campaign");
  auto a = std::make_shared<report_args>();
  auto* cmd = campaign->add_subcommand(
      "report", "Write a campaign's report (one HTML file) and optionally a CSV of its cards");
  cmd->add_option("--state", a->state_dir, "State directory")->required();
  cmd->add_option("--kek-file", a->kek_file, "File with the key-encryption key (else OTAFLOW_KEK)");
  cmd->add_option("--out", a->out, "HTML file to write")->required();
  cmd->add_option("--csv", a->csv, "CSV file to write: one row per card");
  cmd->add_option("id", a->id, "Campaign id")->required();
  cmd->callback([a] { exit_with(report(*a)); });
});

}  // namespace
}  // namespace otaflow::app
