#include "actors/campaign_runner.hpp"

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "actors/campaign_control.hpp"
#include "actors/ota_packets.hpp"
#include "actors/storage_cursor.hpp"
#include "actors/storage_ports.hpp"
#include "base/log.hpp"
#include "secure/scp80_algorithm.hpp"
#include "secure/simd_backend.hpp"

namespace otaflow::actors {
namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

result<runner_result> run_campaign(storage::state& state, const campaign_def& def,
                                   const runner_options& options, status_sink& sink,
                                   progress_fn progress) {
  if (options.binds.empty()) return make_error(errc::bad_argument, "no SMSC bind configured");
  auto ctx = prepare_campaign(def);
  if (!ctx) return ctx.error();

  auto log = log::get("campaign");
  const auto state_dir = state.database().dir();
  // Control requests left by `campaign pause|resume|cancel` while no run held the directory
  // long enough to apply them (actors/campaign_control.hpp).
  for (const auto& r : pending_control_requests(state_dir)) {
    auto applied = apply_control(state, r.campaign, r.action);
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

  // Keep the definition beside its jobs, so `campaign status` and a resume see it.
  storage::campaign_record rec;
  rec.id = def.id;
  rec.status = storage::campaign_status::running;
  rec.format = "json";
  rec.definition = to_json(def).dump();
  rec.created_ms = rec.updated_ms = wall_ms();
  if (auto old = state.campaigns().get(def.id); old.ok() && *old) {
    rec.created_ms = (*old)->created_ms;
    // A paused campaign stays paused until resumed; a cancelled one is over.
    if ((*old)->status == storage::campaign_status::cancelled) {
      return make_error(errc::conflict, "campaign '" + def.id + "' is cancelled");
    }
    if ((*old)->status == storage::campaign_status::paused && !options.resume) {
      return make_error(errc::conflict,
                        "campaign '" + def.id +
                            "' is paused; run it with --resume, or `otaflow campaign resume` it");
    }
  }
  OTAFLOW_TRY(state.campaigns().put(rec));

  smpp_transport tp(options.binds);
  if (auto bound = tp.wait_bound(options.bind_timeout); !bound) {
    return make_error(errc::io, "cannot bind to the SMSC: " + bound.error().message,
                      error_class::retriable);
  }
  auto backend = secure::make_best_backend();
  ota_packet_factory factory(state.counters(), *backend, &state);
  storage_job_store store(state);
  runner_result out;
  {
    engine eng(options.engine, factory, tp, store, sink);
    // A pausing alert is durable before the engine stops starting cards.
    eng.set_alert_handler([&state, &options, id = def.id, log](const alert& a) {
      if (a.paused) {
        if (auto s = state.campaigns().set_status(id, storage::campaign_status::paused); !s) {
          log->error("campaign '{}': storing the pause failed: {}", id, s.error().message);
        }
      }
      if (options.on_alert) options.on_alert(a);
    });
    // Requests for this campaign change the running engine's mode (durably first); requests
    // for other campaigns of the directory are applied to storage directly.
    std::mutex mu;
    std::condition_variable cv;
    bool stop = false;
    std::thread poller;
    if (options.control_poll.count() > 0) {
      poller = std::thread([&] {
        std::unique_lock lock(mu);
        while (!cv.wait_for(lock, options.control_poll, [&] { return stop; })) {
          for (const auto& r : pending_control_requests(state_dir)) {
            if (r.campaign != def.id) {
              auto applied = apply_control(state, r.campaign, r.action);
              if (!applied) {
                log->warn("campaign '{}': {} request dropped: {}", r.campaign, to_string(r.action),
                          applied.error().message);
              }
            } else {
              const auto mode = r.action == control_action::pause    ? campaign_mode::paused
                                : r.action == control_action::resume ? campaign_mode::running
                                                                     : campaign_mode::cancelled;
              const auto st = r.action == control_action::pause ? storage::campaign_status::paused
                              : r.action == control_action::resume
                                  ? storage::campaign_status::running
                                  : storage::campaign_status::cancelled;
              auto cur = state.campaigns().get(def.id);
              if (cur && *cur && (*cur)->status == storage::campaign_status::cancelled) {
                log->warn("campaign '{}' is cancelled: {} request dropped", def.id,
                          to_string(r.action));
              } else if (auto s = state.campaigns().set_status(def.id, st); !s) {
                log->error("campaign '{}': {} request: {}", def.id, to_string(r.action),
                           s.error().message);
                continue;  // the file stays: tried again
              } else {
                log->warn("campaign '{}': {} requested from the command line", def.id,
                          to_string(r.action));
                eng.set_mode(def.id, mode);
              }
            }
            std::error_code ec;
            std::filesystem::remove(r.file, ec);
          }
        }
      });
    }
    auto cursor = std::make_unique<subscriber_cursor>(state, def);
    auto s = eng.run(*ctx, std::move(cursor), std::move(progress));
    if (poller.joinable()) {
      {
        std::lock_guard lock(mu);
        stop = true;
      }
      cv.notify_all();
      poller.join();
    }
    if (!s) return s.error();
    out.summary = std::move(s).value();
  }
  out.smpp = tp.stats();
  tp.stop();
  auto final_status = storage::campaign_status::done;
  // A request applied as the run ended may have reached storage but not the engine: the
  // stored status stands.
  auto stored = state.campaigns().get(def.id);
  if (!stored) return stored.error();
  const auto now_status = *stored ? (*stored)->status : storage::campaign_status::running;
  if (out.summary.cancelled || now_status == storage::campaign_status::cancelled) {
    out.summary.cancelled = true;
    // Jobs the run did not reach (an earlier run's, held) fail now: one terminal state each.
    auto n = fail_open_jobs(state, def.id, ev_cancel{"campaign cancelled"});
    if (!n) return n.error();
    if (*n > 0) {
      out.summary.cards += *n;
      out.summary.failed += *n;
      out.summary.failure_reasons["cancelled: campaign cancelled"] += *n;
    }
    final_status = storage::campaign_status::cancelled;
  } else if (out.summary.paused || now_status == storage::campaign_status::paused) {
    out.summary.paused = true;
    final_status = storage::campaign_status::paused;
  }
  OTAFLOW_TRY(state.campaigns().set_status(def.id, final_status));
  return out;
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
  for (const auto& [k, v] : s.por_status) {
    char key[4];
    std::snprintf(key, sizeof key, "%02X", k);
    por[key] = v;
  }
  j["por_status"] = por;
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
