// `otaflow demo`: the whole chain in one process, no outside services (demo/demo.hpp says
// what runs). Prints the JSON summary on stdout and, unless --json, a few lines on stderr;
// exits 0 when every card reached a terminal state and each one on the network holds the
// update, 3 when an alert (or a pause request) paused the campaign, 1 otherwise.

#include <atomic>
#include <cstdio>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "actors/campaign_def.hpp"
#include "app/command.hpp"
#include "app/progress.hpp"
#include "app/smpp_secrets.hpp"
#include "demo/demo.hpp"

namespace otaflow::app {
namespace {

struct demo_args {
  demo::options run;
  std::string state_dir;
  bool json = false;
  std::string por_timeout = "20s";
  std::string http;     ///< HOST:PORT of the metrics endpoint; empty: none
  int http_linger = 0;  ///< seconds the endpoint stays up after the run
};

void print_summary(const demo::report& r) {
  const auto& s = r.run.summary;
  std::fprintf(stderr,
               "demo: %llu of %llu cards done, %llu failed; EF_FPLMN verified on %llu cards; "
               "p50 %.0f ms, p99 %.0f ms; peak RSS %.0f MiB\n",
               static_cast<unsigned long long>(s.done), static_cast<unsigned long long>(s.cards),
               static_cast<unsigned long long>(s.failed),
               static_cast<unsigned long long>(r.verified), s.latency_p50_ms, s.latency_p99_ms,
               r.peak_rss_mb);
  for (const auto& [reason, n] : s.failure_reasons) {
    std::fprintf(stderr, "demo:   failed x%llu: %s\n", static_cast<unsigned long long>(n),
                 reason.c_str());
  }
}

// Prints the run's outcome; the exit code.
int report_run(const result<demo::report>& r, bool json) {
  if (!r) {
    std::fprintf(stderr, "otaflow demo: %s\n", r.error().message.c_str());
    return 1;
  }
  if (!json) print_summary(*r);
  std::cout << demo::to_json(*r).dump() << std::endl;
  if (r->run.summary.paused)
    return 3;  // paused by an alert (or a pause request): like campaign run
  return r->complete() ? 0 : 1;
}

int run_demo(demo_args& a) {
  harden_key_process();
  if (a.run.cards == 0) usage_error("--cards must be at least 1");
  a.run.state_dir = a.state_dir;
  auto timeout = actors::parse_duration(a.por_timeout);
  if (!timeout) usage_error("--por-timeout: " + timeout.error().message);
  if (timeout->count() < 1000) usage_error("--por-timeout must be at least 1s");
  a.run.por_timeout = *timeout;
  progress_line bar(a.json ? 0 : a.run.cards + a.run.unknown);
  demo::hooks h;
  if (!a.json) {
    h.progress = bar.callback();
    h.imported = [](std::uint64_t cards, double seconds, const std::filesystem::path& dir) {
      std::fprintf(stderr, "demo: %llu cards generated and imported in %.1f s (state in %s)\n",
                   static_cast<unsigned long long>(cards), seconds, dir.string().c_str());
    };
  }
  std::atomic<bool> demo_finished{false};  // before the endpoint, which reads it
  std::optional<service::run_endpoint> endpoint;
  if (!a.http.empty()) {
    endpoint.emplace();
    if (auto s = endpoint->start(a.http); !s) usage_error("--http: " + s.error().message);
    std::fprintf(stderr, "demo: dashboard on http://%s/ (metrics /metrics, health /healthz)\n",
                 endpoint->address().c_str());
    // The dashboard over the demo's metrics; the demo's state directory is internal to it, so
    // the campaign views and control are not served.
    service::dashboard_source src;
    src.mode = "demo";
    src.instance = "demo";
    src.started_ms = service::wall_now_ms();
    src.campaign_status = [&finished = demo_finished](const std::string&) {
      return std::string(finished ? "done" : "running");
    };
    src.campaign_targets = [n = a.run.cards + a.run.unknown](const std::string&) {
      return static_cast<std::uint64_t>(n);
    };
    endpoint->enable_api(service::api_context{}, std::move(src));
    h.endpoint = &*endpoint;
  }
  auto r = demo::run(a.run, h);
  demo_finished = true;
  bar.finish();
  const int code = report_run(r, a.json);
  // After the summary: a scraper reads the final values meanwhile.
  if (endpoint) endpoint->linger(std::chrono::seconds(a.http_linger));
  return code;
}

const command_registrar reg("demo", [](CLI::App& root) {
  auto a = std::make_shared<demo_args>();
  auto* cmd = root.add_subcommand(
      "demo",
      "Run the whole chain in one process: fleet, SMSC simulator, engine, Kafka (embedded)");
  cmd->add_option("--cards", a->run.cards, "Cards in the fleet")->capture_default_str();
  cmd->add_option("--unknown", a->run.unknown, "Extra subscribers unknown to the network")
      ->capture_default_str();
  cmd->add_option("--absent", a->run.absent, "Fraction of cards absent at first")
      ->capture_default_str();
  cmd->add_option("--seed", a->run.seed, "Fleet seed")->capture_default_str();
  cmd->add_option("--window", a->run.window, "Cards in flight")->capture_default_str();
  cmd->add_option("--binds", a->run.binds, "SMPP binds")->capture_default_str();
  cmd->add_option("--por-timeout", a->por_timeout, "The campaign's PoR timeout (e.g. 20s, 1h)")
      ->capture_default_str();
  cmd->add_option("--state", a->state_dir, "State directory (default: a temporary one)");
  cmd->add_flag("--keep", a->run.keep, "Keep the temporary state directory");
  cmd->add_flag("--json", a->json, "Print only the JSON summary");
  cmd->add_option("--http", a->http,
                  "Serve /metrics, /healthz, /readyz on HOST:PORT (port 0: any free port)");
  cmd->add_option("--http-linger", a->http_linger,
                  "Seconds the HTTP endpoint stays up after the run (a last scrape)")
      ->check(CLI::Range(0, 86400))
      ->capture_default_str();
  cmd->callback([a] { exit_with(run_demo(*a)); });
});

}  // namespace
}  // namespace otaflow::app
