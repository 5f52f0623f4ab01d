#include "actors/campaign_runner.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "actors/campaign_control.hpp"
#include "actors/ota_packets.hpp"
#include "actors/storage_cursor.hpp"
#include "actors/storage_ports.hpp"
#include "base/log.hpp"
#include "base/principal.hpp"
#include "secure/scp80_algorithm.hpp"
#include "secure/signing.hpp"
#include "secure/simd_backend.hpp"

namespace otaflow::actors {
namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Control requests left by `campaign pause|resume|cancel` while no run held the directory
// long enough to apply them (actors/campaign_control.hpp).
void apply_left_requests(storage::state& state, const std::shared_ptr<spdlog::logger>& log) {
  for (const auto& r : pending_control_requests(state.database().dir())) {
    auto applied = apply_control(state, r.campaign, r.action, r.origin);
    if (applied) {
      log->info("campaign '{}': {} request applied ({} -> {})", r.campaign, to_string(r.action),
                storage::name(applied->before), storage::name(applied->after));
    } else {
      log->warn("campaign '{}': {} request dropped: {}", r.campaign, to_string(r.action),
                applied.error().message);
    }
    std::error_code ec;
    std::filesystem::remove(r.file, ec);
  }
}

// The audit record of a stored campaign definition: its SHA-256 and who ran it.
status audit_definition(storage::state& state, const storage::campaign_record& rec, bool changed) {
  const auto h = secure::sha256({byte_view(
      reinterpret_cast<const std::uint8_t*>(rec.definition.data()), rec.definition.size())});
  storage::audit_event e;
  e.campaign = rec.id;
  e.type = storage::audit_type::campaign;
  e.details = nlohmann::json{{"action", changed ? "changed" : "defined"},
                             {"sha256", to_hex(byte_view(h.data(), h.size()))},
                             {"by", "campaign run"},
                             {"who", os_principal()}}
                  .dump();
  return state.audit().append(e, true);
}

// Keeps the definition beside its jobs, so `campaign status` and a resume see it. A paused
// campaign stays paused until resumed; a cancelled one is over. A new or changed definition
// is audited.
status store_definition(storage::state& state, const campaign_def& def, bool resume) {
  storage::campaign_record rec;
  rec.id = def.id;
  rec.status = storage::campaign_status::running;
  rec.format = "json";
  rec.definition = to_json(def).dump();
  rec.created_ms = rec.updated_ms = wall_ms();
  auto old = state.campaigns().get(def.id);
  if (!old) return old.error();
  if (!*old || (*old)->definition != rec.definition) {
    OTAFLOW_TRY(audit_definition(state, rec, old->has_value()));
  }
  if (*old) {
    rec.created_ms = (*old)->created_ms;
    if ((*old)->status == storage::campaign_status::cancelled) {
      return make_error(errc::conflict, "campaign '" + def.id + "' is cancelled");
    }
    if ((*old)->status == storage::campaign_status::paused && !resume) {
      return make_error(errc::conflict,
                        "campaign '" + def.id +
                            "' is paused; run it with --resume, or `otaflow campaign resume` it");
    }
    if ((*old)->status == storage::campaign_status::paused) {
      OTAFLOW_TRY(state.campaigns().put(rec));
      return audit_control(state, def.id, control_action::resume,
                           {storage::campaign_status::paused, rec.status, 0}, "run --resume");
    }
  }
  return state.campaigns().put(rec);
}

// One request for the running campaign: durable first, then the engine's mode. False: the
// request file stays, to be tried again.
bool apply_to_running(storage::state& state, engine& eng, const campaign_def& def,
                      const control_request& req, const std::shared_ptr<spdlog::logger>& log) {
  const auto action = req.action;
  if (action == control_action::retry) {
    // `campaign retry` refuses a directory in use: such a file was not written by otaflow.
    log->warn("campaign '{}': retry request dropped (retry the campaign after the run ends)",
              def.id);
    return true;
  }
  const auto mode = action == control_action::pause    ? campaign_mode::paused
                    : action == control_action::resume ? campaign_mode::running
                                                       : campaign_mode::cancelled;
  const auto st = action == control_action::pause    ? storage::campaign_status::paused
                  : action == control_action::resume ? storage::campaign_status::running
                                                     : storage::campaign_status::cancelled;
  auto cur = state.campaigns().get(def.id);
  if (cur && *cur && (*cur)->status == storage::campaign_status::cancelled) {
    log->warn("campaign '{}' is cancelled: {} request dropped", def.id, to_string(action));
  } else if (auto s = state.campaigns().set_status(def.id, st); !s) {
    log->error("campaign '{}': {} request: {}", def.id, to_string(action), s.error().message);
    return false;
  } else {
    log->warn("campaign '{}': {} requested by {}", def.id, to_string(action),
              model::describe(req.origin));
    eng.set_mode(def.id, mode);
    control_result r;
    r.before = cur && *cur ? (*cur)->status : storage::campaign_status::running;
    r.after = st;
    if (auto a = audit_control(state, def.id, action, r, req.origin); !a) {
      log->error("campaign '{}': auditing the {}: {}", def.id, to_string(action),
                 a.error().message);
    }
  }
  return true;
}

// Looks for control requests every `period` while the campaign runs: those for this
// campaign change the running engine's mode (durably first); those for other campaigns of
// the directory are applied to storage directly.
class control_poller {
 public:
  control_poller(storage::state& state, engine& eng, const campaign_def& def,
                 std::chrono::milliseconds period, std::shared_ptr<spdlog::logger> log)
      : state_(state), eng_(eng), def_(def), log_(std::move(log)) {
    if (period.count() > 0) thread_ = std::thread([this, period] { loop(period); });
  }
  ~control_poller() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  control_poller(const control_poller&) = delete;
  control_poller& operator=(const control_poller&) = delete;

 private:
  void loop(std::chrono::milliseconds period) {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, period, [&] { return stop_; })) {
      for (const auto& r : pending_control_requests(state_.database().dir())) {
        if (r.campaign != def_.id) {
          auto applied = apply_control(state_, r.campaign, r.action, r.origin);
          if (!applied) {
            log_->warn("campaign '{}': {} request dropped: {}", r.campaign, to_string(r.action),
                       applied.error().message);
          }
        } else if (!apply_to_running(state_, eng_, def_, r, log_)) {
          continue;
        }
        std::error_code ec;
        std::filesystem::remove(r.file, ec);
      }
    }
  }

  storage::state& state_;
  engine& eng_;
  const campaign_def& def_;
  std::shared_ptr<spdlog::logger> log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// The campaign's stored status after the run. A request applied as the run ended may have
// reached storage but not the engine: the stored status stands.
status settle_status(storage::state& state, const campaign_def& def, campaign_summary& summary) {
  auto final_status = storage::campaign_status::done;
  auto stored = state.campaigns().get(def.id);
  if (!stored) return stored.error();
  const auto now_status = *stored ? (*stored)->status : storage::campaign_status::running;
  if (summary.cancelled || now_status == storage::campaign_status::cancelled) {
    summary.cancelled = true;
    // Jobs the run did not reach (an earlier run's, held) fail now: one terminal state each.
    auto n = fail_open_jobs(state, def.id, ev_cancel{"campaign cancelled"});
    if (!n) return n.error();
    if (*n > 0) {
      summary.cards += *n;
      summary.failed += *n;
      summary.failure_reasons["cancelled: campaign cancelled"] += *n;
    }
    final_status = storage::campaign_status::cancelled;
  } else if (summary.paused || now_status == storage::campaign_status::paused) {
    summary.paused = true;
    final_status = storage::campaign_status::paused;
  }
  return state.campaigns().set_status(def.id, final_status);
}

}  // namespace

result<runner_result> run_campaign(storage::state& state, const campaign_def& def,
                                   const runner_options& options, status_sink& sink,
                                   progress_fn progress) {
  if (options.binds.empty() && options.routes.empty()) {
    return make_error(errc::bad_argument, "no SMSC bind configured");
  }
  const bool routed = !options.routes.empty();
  auto ctx = prepare_campaign(def);
  if (!ctx) return ctx.error();
  auto log = log::get("campaign");
  apply_left_requests(state, log);
  OTAFLOW_TRY(store_definition(state, def, options.resume));

  routed_transport tp(routed ? options.routes : route_table::single(options.binds));
  if (auto bound = tp.wait_bound(options.bind_timeout); !bound) {
    return make_error(errc::io, "cannot bind to the SMSC: " + bound.error().message,
                      error_class::retriable);
  }
  auto backend = secure::make_best_backend();
  ota_packet_factory ota_factory(state.counters(), *backend, &state);
  auto* m = options.metrics;
  std::optional<metered_packet_factory> metered;
  if (m != nullptr) {
    metered.emplace(ota_factory, m->packaging);
    m->statuses.set_inner(&sink);
    m->attach_transport(&tp);
  }
  packet_factory& factory = metered ? static_cast<packet_factory&>(*metered) : ota_factory;
  status_sink& engine_sink = m != nullptr ? static_cast<status_sink&>(m->statuses) : sink;
  // The metrics stop reading the transport before it stops, whichever way this returns.
  struct transport_detach {
    run_metrics* m;
    ~transport_detach() {
      if (m != nullptr) m->detach_transport();
    }
  } transport_guard{m};
  storage_job_store store(state);
  runner_result out;
  {
    engine eng(options.engine, factory, tp, store, engine_sink);
    // The metrics stop reading the engine before it goes.
    struct engine_detach {
      run_metrics* m;
      ~engine_detach() {
        if (m != nullptr) m->detach_engine();
      }
    } engine_guard{m};
    if (m != nullptr) m->attach_engine(&eng);
    // A pausing alert is durable before the engine stops starting cards.
    eng.set_alert_handler([&state, &options, id = def.id, log, m](const alert& a) {
      if (a.paused) {
        if (auto s = state.campaigns().set_status(id, storage::campaign_status::paused); !s) {
          log->error("campaign '{}': storing the pause failed: {}", id, s.error().message);
        } else if (auto c = audit_control(
                       state, id, control_action::pause,
                       {storage::campaign_status::running, storage::campaign_status::paused, 0},
                       "alert");
                   !c) {
          log->error("campaign '{}': auditing the pause: {}", id, c.error().message);
        }
      }
      if (m != nullptr) m->statuses.on_alert(a);
      if (auto s = audit_alert(state, a); !s) {
        log->error("campaign '{}': auditing an alert failed: {}", id, s.error().message);
      }
      if (options.on_alert) options.on_alert(a);
    });
    if (m != nullptr) {
      progress = [m, inner = std::move(progress)](const campaign_progress& p) {
        m->in_flight.store(p.in_flight, std::memory_order_relaxed);
        if (inner) inner(p);
      };
    }
    result<campaign_summary> s = make_error(errc::internal, "not run");
    {
      control_poller poller(state, eng, def, options.control_poll, log);
      // Without routes every card takes the one catch-all route: no route to match.
      cursor_options co;
      if (routed) co.routes = &tp.table();
      s = eng.run(*ctx, std::make_unique<subscriber_cursor>(state, def, co), std::move(progress));
    }
    if (!s) return s.error();
    out.summary = std::move(s).value();
  }
  out.summary.por_rejected = ota_factory.por_rejected();
  out.summary.allow_insecure = allows_insecure(def);
  out.smpp = tp.stats();
  if (routed) out.routes = tp.routes_stats();
  if (m != nullptr) m->detach_transport();
  tp.stop();
  OTAFLOW_TRY(settle_status(state, def, out.summary));
  return out;
}

nlohmann::json routes_json(const std::vector<route_stats>& routes) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& r : routes) {
    j[r.name] = {{"submitted", r.submitted},    {"accepted", r.accepted},
                 {"failed", r.failed},          {"lost", r.lost},
                 {"receipts", r.receipts},      {"mo", r.mo},
                 {"fallbacks", r.fallback_out}, {"carried_for_others", r.fallback_in},
                 {"handed_on", r.reclaimed},    {"up", r.up}};
  }
  return j;
}

nlohmann::json summary_json(const campaign_summary& s) {
  nlohmann::json j;
  j["campaign"] = s.campaign;
  j["cards"] = s.cards;
  j["done"] = s.done;
  j["failed"] = s.failed;
  j["skipped"] = s.skipped;
  j["seconds"] = std::round(s.seconds * 1000) / 1000;
  j["cards_per_s"] = s.seconds > 0 ? std::round(static_cast<double>(s.cards) / s.seconds) : 0.0;
  nlohmann::json por = nlohmann::json::object();
  for (const auto& [k, v] : s.por_status) por[to_hex(k, 2, hex_case::upper)] = v;
  j["por_status"] = por;
  j["por_rejected"] = s.por_rejected;
  if (s.allow_insecure) j["allow_insecure"] = true;
  if (!s.failure_reasons.empty()) j["failure_reasons"] = s.failure_reasons;
  if (!s.skip_reasons.empty()) j["skip_reasons"] = s.skip_reasons;
  nlohmann::json variants = nlohmann::json::object();
  for (const auto& [name, v] : s.variants) {
    variants[name] = {
        {"cards", v.cards}, {"done", v.done}, {"failed", v.failed}, {"skipped", v.skipped}};
  }
  j["variants"] = variants;
  if (s.resumed_terminal) j["resumed_terminal"] = s.resumed_terminal;
  j["latency_ms"] = {
      {"p50", s.latency_p50_ms}, {"p99", s.latency_p99_ms}, {"max", s.latency_max_ms}};
  j["paused"] = s.paused;
  if (s.cancelled) j["cancelled"] = true;
  j["alerts"] = nlohmann::json::array();
  for (const auto& a : s.alerts) j["alerts"].push_back(alert_json(a));
  return j;
}

status audit_alert(storage::state& state, const alert& a) {
  storage::audit_event e;
  e.time_ms = a.ts_ms;
  e.campaign = a.campaign;
  e.type = storage::audit_type::alert;
  auto j = alert_json(a);
  if (a.cleared) j["cleared"] = true;
  e.details = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return state.audit().append(e, true);
}

nlohmann::json alert_json(const alert& a) {
  nlohmann::json j = {{"type", "alert"}, {"campaign", a.campaign}};
  if (a.bind) j["bind"] = *a.bind;
  j["kind"] = to_string(a.kind);
  j["rate"] = std::round(a.rate * 10000) / 10000;
  j["threshold"] = a.threshold;
  j["sample"] = a.sample;
  j["count"] = a.count;
  j["action"] = a.paused ? "paused" : "none";
  j["message"] = a.message;
  j["ts"] = a.ts_ms;
  return j;
}

}  // namespace otaflow::actors
