// `otaflow campaign run|status|plan`: run a campaign file against an SMSC, show where it
// stands, or show what it would do without sending anything; pause|resume|cancel control a
// campaign (actors/campaign_control.hpp).

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "actors/campaign_approval.hpp"
#include "actors/campaign_control.hpp"
#include "actors/campaign_plan.hpp"
#include "actors/campaign_runner.hpp"
#include "actors/storage_ports.hpp"
#include "app/approvals.hpp"
#include "app/command.hpp"
#include "app/progress.hpp"
#include "app/smpp_secrets.hpp"
#include "app/state_dir.hpp"
#include "base/log.hpp"
#include "base/principal.hpp"
#include "kafka/events.hpp"
#include "kafka/producer.hpp"
#include "model/job.hpp"
#include "service/campaign_view.hpp"
#include "service/http_token.hpp"
#include "service/kafka_status_sink.hpp"
#include "service/metrics_endpoint.hpp"
#include "service/serve_config.hpp"

namespace otaflow::app {
namespace {

struct run_args {
  std::string state_dir;
  std::string smsc = "127.0.0.1:2775";
  std::string system_id;
  password_args password;
  tls_args tls;
  std::string kek_file;
  std::string campaign_file;
  int binds = 1;
  std::uint32_t window = 0;
  double bind_timeout_s = 10;
  bool resume = false;
  std::string kafka;  ///< --kafka HOST:PORT[,...]: status and alert events, as serve emits
  std::string status_topic = "ota.status";
  std::string alert_topic = "ota.alerts";
  std::string http;              ///< HOST:PORT of the metrics endpoint; empty: none
  int http_linger = 0;           ///< seconds the endpoint stays up after the run
  std::string http_token_file;   ///< the API's control token (else OTAFLOW_HTTP_TOKEN; else off)
  std::string routes_file;       ///< --routes: SMSC routes (instead of --smsc/--system-id/password)
  std::string approvals_config;  ///< --approvals-config: the [approvals] policy (app/approvals.hpp)
};

// --kafka: the status sink and alert producer of a run (the same records as serve and the
// demo: service/kafka_status_sink.hpp, kafka::serialise of the alert). Broker acknowledgements
// are counted; the run waits for them at its end.
struct kafka_events {
  std::unique_ptr<kafka::producer> producer;
  std::unique_ptr<service::kafka_status_sink> sink;
  std::string alert_topic;
  std::atomic<std::uint64_t> acked{0}, failed{0};

  static result<std::unique_ptr<kafka_events>> create(const run_args& a) {
    auto k = std::make_unique<kafka_events>();
    kafka::kafka_options ko;
    ko.brokers = a.kafka;
    ko.status_topic = a.status_topic;
    ko.alerts_topic = a.alert_topic;
    if (auto s = kafka::validate(ko); !s) {
      return make_error(errc::bad_argument, "--status-topic '" + a.status_topic +
                                                "' / --alert-topic '" + a.alert_topic +
                                                "': " + s.error().message);
    }
    auto* self = k.get();
    auto p = kafka::producer::create(ko, [self](const kafka::delivery_report& r) {
      (r.err ? self->failed : self->acked).fetch_add(1, std::memory_order_relaxed);
      if (r.err) {
        log::get("kafka")->error("event not delivered to Kafka: {}", r.err->message);
      }
    });
    if (!p) return p.error();
    k->producer = std::move(*p);
    k->sink = std::make_unique<service::kafka_status_sink>(*k->producer, a.status_topic);
    k->alert_topic = a.alert_topic;
    return k;
  }
  void alert(const actors::alert& al) {
    auto s = producer->produce(alert_topic, al.campaign, kafka::serialise(service::to_kafka(al)));
    if (!s) log::get("kafka")->error("alert not produced: {}", s.error().message);
  }
};

// Exit code of `campaign run` when the campaign is paused (by an alert, a pause request, or
// before the run) or cancelled: not every target got its update.
constexpr int kExitPaused = 3;

result<actors::smpp_options> parse_endpoint(const std::string& hp) {
  const auto colon = hp.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return make_error(errc::bad_argument, "--smsc: expected HOST:PORT, got '" + hp + "'");
  }
  actors::smpp_options o;
  o.host = hp.substr(0, colon);
  try {
    const auto port = std::stoi(hp.substr(colon + 1));
    if (port <= 0 || port > 65535) throw std::out_of_range("port");
    o.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    return make_error(errc::bad_argument, "--smsc: bad port in '" + hp + "'");
  }
  return o;
}

// Prints the run's outcome; the exit code.
// The API of a run: the views read the run's own state; control drops a request file that the
// run applies within about a second (actors/campaign_control.hpp), as `campaign pause` does.
service::api_context run_api(const run_args& a, storage::state& state) {
  service::api_context api;
  api.state = &state;
  auto tokens = service::load_http_tokens(a.http_token_file);
  if (!tokens) usage_error("--http-token-file: " + tokens.error().message);
  api.tokens = std::move(*tokens);
  api.control = [dir = a.state_dir](const std::string& campaign, model::control_action action,
                                    const model::control_origin& origin) -> result<std::string> {
    auto file = actors::write_control_request(dir, campaign, action, origin);
    if (!file) return file.error();
    return std::string("requested: the run applies it within a second");
  };
  return api;
}

service::dashboard_source run_source(const run_args& a, storage::state& state) {
  service::dashboard_source src;
  src.mode = "run";
  src.instance = a.state_dir;
  src.started_ms = service::wall_now_ms();
  src.campaign_status = service::stored_campaign_status(state);
  return src;
}

int report_run(const std::string& id, const result<actors::runner_result>& r, bool routed) {
  if (!r) {
    std::fprintf(stderr, "otaflow: campaign %s: %s\n", id.c_str(), r.error().message.c_str());
    return r.error().code == make_error_code(errc::conflict) ? kExitPaused : 1;
  }
  auto summary = actors::summary_json(r->summary);
  if (routed) summary["routes"] = actors::routes_json(r->routes);
  std::cout << summary.dump() << std::endl;
  if (r->summary.paused || r->summary.cancelled) {
    std::fprintf(stderr, "otaflow: campaign %s %s\n", id.c_str(),
                 r->summary.cancelled ? "cancelled" : "paused: resume it with --resume");
    return kExitPaused;
  }
  return 0;
}

// Four eyes (docs/SECURITY.md): the campaign's approvals against the policy, before anything
// is sent. A refusal is audited when the state directory can be opened, and ends the command
// with exit code 2; an accepted one is audited by the run. Empty: refused (message printed).
std::optional<actors::approval_check> check_run_approvals(const run_args& a,
                                                          const actors::signed_campaign& c) {
  auto policy = approval_policy_for(a.approvals_config, a.state_dir);
  if (!policy) {
    std::fprintf(stderr, "otaflow: %s\n", policy.error().message.c_str());
    return std::nullopt;
  }
  auto check = actors::check_approvals(c.def, c.approvals, *policy);
  if (check.ok()) return check;
  std::fprintf(stderr, "otaflow: %s\n", check.error_text().c_str());
  if (auto st = open_state(a.state_dir, a.kek_file, false); st) {
    auto e = actors::approval_audit_event(check, "campaign run", os_principal());
    if (auto s = (*st)->audit().append(e, true); !s) {
      std::fprintf(stderr, "otaflow: auditing the refusal: %s\n", s.error().message.c_str());
    }
  }
  return std::nullopt;
}

int run(const run_args& a) {
  harden_key_process();
  auto signed_def = actors::load_signed_campaign_file(a.campaign_file);
  if (!signed_def) {
    std::fprintf(stderr, "otaflow: %s\n", signed_def.error().message.c_str());
    return 2;
  }
  const auto approval = check_run_approvals(a, *signed_def);
  if (!approval) return 2;
  auto def = std::optional<actors::campaign_def>(std::move(signed_def->def));
  if (a.window > 0) def->policy.window = a.window;
  actors::runner_options ro;
  if (!a.routes_file.empty()) {
    auto routes = service::load_routes_file(a.routes_file);
    if (!routes) {
      std::fprintf(stderr, "otaflow: --routes: %s\n", routes.error().message.c_str());
      return 2;
    }
    ro.routes = std::move(*routes);
  } else {
    if (a.system_id.empty()) usage_error("--system-id is required (or --routes)");
    auto ep = parse_endpoint(a.smsc);
    if (!ep) usage_error(ep.error().message);
    const auto pw = password_from(a.password);
    if (!pw) {
      usage_error("an SMPP password is needed: --password-file FILE or " +
                  std::string(smpp_password_env));
    }
    const auto& t = a.tls.options;
    const bool tls = a.tls.tls || !t.ca_file.empty() || !t.cert_file.empty() ||
                     !t.key_file.empty() || !t.server_name.empty();
    for (int i = 0; i < std::max(1, a.binds); ++i) {
      auto o = *ep;
      o.system_id = a.system_id;
      o.password = *pw;
      o.tls = tls;
      o.tls_options = a.tls.options;
      o.rate = def->policy.rate;
      ro.binds.push_back(o);
    }
  }
  // --kafka is checked before the state directory is created.
  actors::counting_sink counting;
  actors::status_sink* sink = &counting;
  std::unique_ptr<kafka_events> events;
  if (!a.kafka.empty()) {
    auto k = kafka_events::create(a);
    if (!k) {
      std::fprintf(stderr, "otaflow: --kafka %s: %s\n", a.kafka.c_str(), k.error().message.c_str());
      return 2;
    }
    events = std::move(*k);
    sink = events->sink.get();
  }
  auto st = open_state(a.state_dir, a.kek_file, true);
  if (!st) {
    std::fprintf(stderr, "otaflow: %s\n", st.error().message.c_str());
    return 1;
  }
  if (approval->required > 0 || !approval->verdicts.empty()) {
    auto e = actors::approval_audit_event(*approval, "campaign run", os_principal());
    if (auto s = (*st)->audit().append(e, true); !s) {
      std::fprintf(stderr, "otaflow: auditing the approvals: %s\n", s.error().message.c_str());
      return 1;
    }
  }
  if (events) ro.on_alert = [&events](const actors::alert& al) { events->alert(al); };
  ro.bind_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(a.bind_timeout_s * 1000));
  ro.resume = a.resume;
  std::optional<service::run_endpoint> endpoint;
  if (!a.http.empty()) {
    endpoint.emplace();
    if (auto s = endpoint->start(a.http); !s) usage_error("--http: " + s.error().message);
    std::fprintf(stderr, "otaflow: dashboard on http://%s/ (metrics on /metrics)\n",
                 endpoint->address().c_str());
    ro.metrics = &endpoint->metrics();
    endpoint->enable_api(run_api(a, **st), run_source(a, **st));
  }
  progress_line bar;
  auto r = actors::run_campaign(**st, *def, ro, *sink, bar.callback());
  bar.finish();
  if (events) {
    // Every event queued reaches the broker (or its failure is counted) before the exit.
    if (auto s = events->producer->flush(std::chrono::seconds(30)); !s) {
      std::fprintf(stderr, "otaflow: Kafka events left unacknowledged: %s\n",
                   s.error().message.c_str());
    }
    if (events->failed > 0 || events->producer->outstanding() > 0) {
      std::fprintf(
          stderr, "otaflow: %llu Kafka events not delivered\n",
          static_cast<unsigned long long>(events->failed.load() + events->producer->outstanding()));
      if (r) return 1;
    }
  }
  const int code = report_run(def->id, r, !ro.routes.empty());
  // After the summary: a scraper reads the final values meanwhile.
  if (endpoint) endpoint->linger(std::chrono::seconds(a.http_linger));
  return code;
}

// pause / resume / cancel: directly in storage when no process holds the state directory,
// else through a request file the running `campaign run` applies within about a second.
int control(const std::string& dir, const std::string& kek_file, const std::string& id,
            actors::control_action action) {
  const auto what = std::string(actors::to_string(action));
  auto request = [&]() -> int {
    auto f = actors::write_control_request(dir, id, action);
    if (!f) {
      std::fprintf(stderr, "otaflow: %s\n", f.error().message.c_str());
      return 1;
    }
    // Wait for the holder to pick it up (it removes the file once applied).
    for (int i = 0; i < 50 && std::filesystem::exists(*f); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const bool applied = !std::filesystem::exists(*f);
    nlohmann::json out = {
        {"campaign", id}, {"action", what}, {"via", "request"}, {"applied", applied}};
    if (!applied) out["request"] = f->string();
    std::cout << out.dump() << std::endl;
    if (!applied) {
      std::fprintf(stderr,
                   "otaflow: %s is in use by another process that has not applied the %s "
                   "request yet; it stays in %s (the next `campaign run` on the directory "
                   "applies it)\n",
                   dir.c_str(), what.c_str(), f->string().c_str());
    }
    return 0;
  };
  if (actors::state_dir_in_use(dir)) return request();
  auto st = open_state(dir, kek_file, false);
  if (!st) {
    // Taken between the check and the open: the holder applies a request.
    if (st.error().code == make_error_code(errc::conflict)) return request();
    std::fprintf(stderr, "otaflow: %s\n", st.error().message.c_str());
    return 1;
  }
  auto r = actors::apply_control(**st, id, action);
  if (!r) {
    std::fprintf(stderr, "otaflow: %s\n", r.error().message.c_str());
    return r.error().code == make_error_code(errc::conflict) ? kExitPaused : 1;
  }
  nlohmann::json out = {{"campaign", id},
                        {"action", what},
                        {"via", "storage"},
                        {"applied", true},
                        {"before", std::string(storage::name(r->before))},
                        {"status", std::string(storage::name(r->after))}};
  if (action == actors::control_action::cancel) out["jobs_failed"] = r->jobs_failed;
  std::cout << out.dump() << std::endl;
  return 0;
}

// --json: the views of service/campaign_view.hpp (what GET /api/v1/campaigns/... serves).
int show_status_json(storage::state& s, const std::string& dir, const std::string& id,
                     const std::string& iccid) {
  auto view = iccid.empty() ? service::campaign_detail(s, id, storage::now_ms())
                            : service::card_detail(s, id, iccid);
  if (!view) {
    std::fprintf(stderr, "otaflow: %s\n", view.error().message.c_str());
    return 1;
  }
  if (!view->has_value()) {
    if (iccid.empty()) {
      std::fprintf(stderr, "otaflow: no campaign '%s' in %s\n", id.c_str(), dir.c_str());
    } else {
      std::fprintf(stderr, "otaflow: campaign '%s' has no job for ICCID %s\n", id.c_str(),
                   iccid.c_str());
    }
    return 1;
  }
  std::cout << (*view)->dump() << std::endl;
  return 0;
}

// Read-only (a secondary RocksDB instance): works while `campaign run` or `serve` holds the
// directory.
int show_status(const std::string& dir, const std::string& kek_file, const std::string& id,
                const std::string& iccid, bool json) {
  auto st = open_state_read_only(dir, kek_file);
  if (!st) {
    std::fprintf(stderr, "otaflow: %s\n", st.error().message.c_str());
    return 1;
  }
  auto& s = **st;
  auto camp = s.campaigns().get(id);
  if (!camp || !*camp) {
    std::fprintf(stderr, "otaflow: no campaign '%s' in %s\n", id.c_str(), dir.c_str());
    return 1;
  }
  if (json) return show_status_json(s, dir, id, iccid);
  if (!iccid.empty()) {
    auto job = s.jobs().get(id, iccid);
    if (!job || !*job) {
      std::fprintf(stderr, "otaflow: campaign '%s' has no job for ICCID %s\n", id.c_str(),
                   iccid.c_str());
      return 1;
    }
    const auto& j = **job;
    nlohmann::json out = {
        {"campaign", id},       {"iccid", iccid},     {"state", actors::to_string(j.state)},
        {"attempt", j.attempt}, {"reason", j.reason}, {"updated_ms", j.updated_ms}};
    if (j.por_status) out["por_status"] = *j.por_status;
    if (!j.counters.empty()) out["counter"] = j.counters.back();
    if (!j.message_id.empty()) out["message_id"] = j.message_id;
    if (!j.variant.empty()) out["variant"] = j.variant;
    if (j.step != 0 || j.step_at != 0) out["step"] = j.step;  // a multi-step job past step 0
    out["history"] = service::history_json(j);
    if (model::has_listing(j)) out["listing"] = service::listing_json(j);
    std::cout << out.dump() << std::endl;
    return 0;
  }
  // One scan gives the counts per state and per variant.
  auto by_variant = s.jobs().count_by_variant(id);
  if (!by_variant) {
    std::fprintf(stderr, "otaflow: %s\n", by_variant.error().message.c_str());
    return 1;
  }
  std::map<model::job_state, std::uint64_t> counts;
  nlohmann::json variants = nlohmann::json::object();
  for (const auto& [variant, per_state] : *by_variant) {
    std::uint64_t vc = 0, vd = 0, vf = 0, vs = 0;
    for (const auto& [state, n] : per_state) {
      counts[state] += n;
      vc += n;
      if (state == model::job_state::done) vd += n;
      if (state == model::job_state::failed) vf += n;
      if (state == model::job_state::skipped) vs += n;
    }
    if (!variant.empty()) {
      variants[variant] = {{"cards", vc}, {"done", vd}, {"failed", vf}, {"skipped", vs}};
    }
  }
  nlohmann::json states = nlohmann::json::object();
  std::uint64_t cards = 0, done = 0, failed = 0, skipped = 0;
  for (const auto& [state, n] : counts) {
    states[std::string(model::to_string(state))] = n;
    cards += n;
    if (state == model::job_state::done) done += n;
    if (state == model::job_state::failed) failed += n;
    if (state == model::job_state::skipped) skipped += n;
  }
  nlohmann::json out = {{"campaign", id},
                        {"status", std::string(storage::name((*camp)->status))},
                        {"cards", cards},
                        {"done", done},
                        {"failed", failed},
                        {"skipped", skipped},
                        {"in_progress", cards - done - failed - skipped},
                        {"states", states},
                        {"variants", variants}};
  std::cout << out.dump() << std::endl;
  return 0;
}

int list_campaigns(const std::string& dir, const std::string& kek_file) {
  auto st = open_state_read_only(dir, kek_file);
  if (!st) {
    std::fprintf(stderr, "otaflow: %s\n", st.error().message.c_str());
    return 1;
  }
  auto list = service::campaign_list(**st);
  if (!list) {
    std::fprintf(stderr, "otaflow: %s\n", list.error().message.c_str());
    return 1;
  }
  std::cout << list->dump() << std::endl;
  return 0;
}

struct plan_args {
  std::string state_dir;
  std::string kek_file;
  std::string campaign_file;
  bool json = false;
  std::size_t examples = 3;
  std::string routes_file;       ///< --routes: count the cards per SMSC route
  std::string approvals_config;  ///< --approvals-config: the [approvals] policy
};

// Sends nothing and writes nothing: the selection and the rules over the repository.
int plan(const plan_args& a) {
  auto signed_def = actors::load_signed_campaign_file(a.campaign_file);
  if (!signed_def) {
    std::fprintf(stderr, "otaflow: %s\n", signed_def.error().message.c_str());
    return 2;
  }
  auto policy = approval_policy_for(a.approvals_config, a.state_dir);
  if (!policy) {
    std::fprintf(stderr, "otaflow: %s\n", policy.error().message.c_str());
    return 2;
  }
  const auto approval = actors::check_approvals(signed_def->def, signed_def->approvals, *policy);
  const auto* def = &signed_def->def;
  auto st = open_state(a.state_dir, a.kek_file, false);
  if (!st) {
    std::fprintf(stderr, "otaflow: %s\n", st.error().message.c_str());
    return 1;
  }
  std::optional<actors::route_table> routes;
  if (!a.routes_file.empty()) {
    auto r = service::load_routes_file(a.routes_file);
    if (!r) {
      std::fprintf(stderr, "otaflow: --routes: %s\n", r.error().message.c_str());
      return 2;
    }
    routes = std::move(*r);
  }
  auto p = actors::plan_campaign(**st, *def, a.examples, routes ? &*routes : nullptr);
  if (!p) {
    std::fprintf(stderr, "otaflow: campaign %s: %s\n", def->id.c_str(), p.error().message.c_str());
    return 1;
  }
  if (a.json) {
    auto j = actors::plan_json(*p);
    j["approvals"] = actors::approval_check_json(approval);
    std::cout << j.dump() << std::endl;
  } else {
    std::cout << actors::plan_table(*p) << "approvals: " << approval.valid << " valid of "
              << approval.required << " required"
              << (approval.ok() ? "" : " (campaign run refuses it: otaflow campaign approvals)")
              << std::endl;
  }
  return 0;
}

const command_registrar reg("campaign", [](CLI::App& root) {
  auto* campaign = root.add_subcommand("campaign", "Run campaigns and show their state");
  campaign->require_subcommand(1);

  auto a = std::make_shared<run_args>();
  auto* run_cmd = campaign->add_subcommand(
      "run", "Run a campaign file until every target is terminal (resumes an interrupted run)");
  run_cmd->add_option("--state", a->state_dir, "State directory (RocksDB)")->required();
  auto* routes_opt = run_cmd->add_option(
      "--routes", a->routes_file,
      "SMSC routes file (TOML [[route]] tables, mode 600: it holds the passwords; "
      "docs/OPERATIONS.md \"Routes\")");
  auto* smsc_opt =
      run_cmd->add_option("--smsc", a->smsc, "SMSC address HOST:PORT")->capture_default_str();
  auto* sid_opt = run_cmd->add_option("--system-id", a->system_id, "SMPP system_id");
  add_password_options(run_cmd, a->password);
  add_tls_options(run_cmd, a->tls);
  auto* binds_opt =
      run_cmd->add_option("--binds", a->binds, "Parallel SMPP binds")->capture_default_str();
  for (auto* o : {smsc_opt, sid_opt, binds_opt}) o->excludes(routes_opt);
  run_cmd->add_option("--window", a->window, "Cards in flight (overrides policy.window)");
  run_cmd->add_option("--kek-file", a->kek_file,
                      "File with the key-encryption key (else OTAFLOW_KEK)");
  run_cmd->add_option("--bind-timeout", a->bind_timeout_s, "Seconds to wait for the first bind")
      ->capture_default_str();
  run_cmd->add_flag("--resume", a->resume, "Run the campaign even if it is paused (resumes it)");
  run_cmd->add_option("--kafka", a->kafka,
                      "Kafka brokers HOST:PORT[,...]: emit status and alert events as serve does");
  run_cmd->add_option("--status-topic", a->status_topic, "Topic of status events (with --kafka)")
      ->capture_default_str();
  run_cmd->add_option("--alert-topic", a->alert_topic, "Topic of alert events (with --kafka)")
      ->capture_default_str();
  run_cmd->add_option(
      "--http-token-file", a->http_token_file,
      "File with the API's control token, or NAME TOKEN lines (mode 600; else OTAFLOW_HTTP_TOKEN; "
      "without either the API is read-only)");
  run_cmd->add_option("--http", a->http,
                      "Serve /metrics, /healthz, /readyz on HOST:PORT (port 0: any free port)");
  run_cmd
      ->add_option("--http-linger", a->http_linger,
                   "Seconds the HTTP endpoint stays up after the run (a last scrape)")
      ->check(CLI::Range(0, 86400))
      ->capture_default_str();
  run_cmd->add_option("--approvals-config", a->approvals_config, approvals_config_help);
  run_cmd->add_option("campaign", a->campaign_file, "Campaign file (TOML)")->required();
  run_cmd->callback([a] { exit_with(run(*a)); });

  auto dir = std::make_shared<std::string>();
  auto id = std::make_shared<std::string>();
  auto iccid = std::make_shared<std::string>();
  auto kek = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* status_cmd = campaign->add_subcommand(
      "status", "Counts per state, or one card's job (read-only: works during a run)");
  status_cmd->add_option("--state", *dir, "State directory")->required();
  status_cmd->add_option("--iccid", *iccid, "Show one card's job");
  status_cmd->add_option("--kek-file", *kek, "File with the key-encryption key (else OTAFLOW_KEK)");
  status_cmd->add_flag("--json", *json,
                       "The full view: definition summary, PoR statuses, rate, ETA (as the API)");
  status_cmd->add_option("id", *id, "Campaign id")->required();
  status_cmd->callback([=] { exit_with(show_status(*dir, *kek, *id, *iccid, *json)); });

  auto ldir = std::make_shared<std::string>();
  auto lkek = std::make_shared<std::string>();
  auto* list_cmd = campaign->add_subcommand(
      "list", "Every campaign with its status and counts, as JSON (read-only)");
  list_cmd->add_option("--state", *ldir, "State directory")->required();
  list_cmd->add_option("--kek-file", *lkek, "File with the key-encryption key (else OTAFLOW_KEK)");
  list_cmd->callback([=] { exit_with(list_campaigns(*ldir, *lkek)); });

  for (auto action : {actors::control_action::pause, actors::control_action::resume,
                      actors::control_action::cancel}) {
    auto cdir = std::make_shared<std::string>();
    auto cid = std::make_shared<std::string>();
    auto ckek = std::make_shared<std::string>();
    const char* help = action == actors::control_action::pause
                           ? "Pause a campaign: no new card starts; cards in flight finish"
                       : action == actors::control_action::resume
                           ? "Resume a paused campaign"
                           : "Cancel a campaign: every job not terminal fails (final)";
    auto* cmd = campaign->add_subcommand(std::string(actors::to_string(action)), help);
    cmd->add_option("--state", *cdir, "State directory")->required();
    cmd->add_option("--kek-file", *ckek, "File with the key-encryption key (else OTAFLOW_KEK)");
    cmd->add_option("id", *cid, "Campaign id")->required();
    cmd->callback([=] { exit_with(control(*cdir, *ckek, *cid, action)); });
  }

  auto p = std::make_shared<plan_args>();
  auto* plan_cmd = campaign->add_subcommand(
      "plan", "Show how many cards each variant would get, without sending anything");
  plan_cmd->add_option("--state", p->state_dir, "State directory (RocksDB)")->required();
  plan_cmd->add_option("--kek-file", p->kek_file,
                       "File with the key-encryption key (else OTAFLOW_KEK)");
  plan_cmd->add_flag("--json", p->json, "One JSON object instead of a table");
  plan_cmd->add_option("--routes", p->routes_file,
                       "SMSC routes file: also count the cards each route would carry");
  plan_cmd
      ->add_option("--examples", p->examples,
                   "Example cards per variant: their ICCIDs and the bytes their templated "
                   "files and records would get")
      ->capture_default_str();
  plan_cmd->add_option("--approvals-config", p->approvals_config, approvals_config_help);
  plan_cmd->add_option("campaign", p->campaign_file, "Campaign file (TOML)")->required();
  plan_cmd->callback([p] { exit_with(plan(*p)); });
});

}  // namespace
}  // namespace otaflow::app
