#include "actors/campaign_runner.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

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

  // Keep the definition beside its jobs, so `campaign status` and a resume see it.
  storage::campaign_record rec;
  rec.id = def.id;
  rec.status = storage::campaign_status::running;
  rec.format = "json";
  rec.definition = to_json(def).dump();
  rec.created_ms = rec.updated_ms = wall_ms();
  if (auto old = state.campaigns().get(def.id); old.ok() && *old) {
    rec.created_ms = (*old)->created_ms;
  }
  OTAFLOW_TRY(state.campaigns().put(rec));

  smpp_transport tp(options.binds);
  if (auto bound = tp.wait_bound(options.bind_timeout); !bound) {
    return make_error(errc::io, "cannot bind to the SMSC: " + bound.error().message,
                      error_class::retriable);
  }
  auto backend = secure::make_best_backend();
  ota_packet_factory factory(state.counters(), *backend);
  storage_job_store store(state);
  runner_result out;
  {
    engine eng(options.engine, factory, tp, store, sink);
    auto cursor = std::make_unique<subscriber_cursor>(state, def.target, def.security.keyset());
    auto s = eng.run(*ctx, std::move(cursor), std::move(progress));
    if (!s) return s.error();
    out.summary = std::move(s).value();
  }
  out.smpp = tp.stats();
  tp.stop();
  OTAFLOW_TRY(state.campaigns().set_status(def.id, storage::campaign_status::done));
  return out;
}

nlohmann::json summary_json(const campaign_summary& s) {
  nlohmann::json j;
  j["campaign"] = s.campaign;
  j["cards"] = s.cards;
  j["done"] = s.done;
  j["failed"] = s.failed;
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
  if (s.resumed_terminal) j["resumed_terminal"] = s.resumed_terminal;
  j["latency_ms"] = {
      {"p50", s.latency_p50_ms}, {"p99", s.latency_p99_ms}, {"max", s.latency_max_ms}};
  return j;
}

}  // namespace otaflow::actors
