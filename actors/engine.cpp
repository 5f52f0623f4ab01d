#include "actors/engine.hpp"

#include <map>
#include <mutex>
#include <string_view>

#include <caf/all.hpp>

#include "actors/alerts_actor.hpp"
#include "actors/campaign_actor.hpp"
#include "actors/crypto_stage.hpp"
#include "actors/journal.hpp"
#include "actors/messages.hpp"
#include "actors/router.hpp"
#include "actors/service_actor.hpp"
#include "base/log.hpp"

// The engine object: it owns the CAF actor system and the long-lived actors (crypto stage,
// journal, router, alerts; the service actor in service mode), and turns its public calls
// into messages. Each actor lives in a file of its own; docs/DESIGN.md has the picture.

namespace otaflow::actors {
namespace {

using namespace msg;

// The engine's clock: the system's until set_clock() is called (before run() or
// start_service(); the actors hold a pointer to this slot, not to what it holds).
class clock_slot final : public engine_clock {
 public:
  [[nodiscard]] std::int64_t wall_ms() const override {
    return wall_ ? wall_() : inner_->wall_ms();
  }
  [[nodiscard]] time_point now() const override { return inner_->now(); }
  [[nodiscard]] bool manual() const noexcept override { return inner_->manual(); }
  void set(std::shared_ptr<engine_clock> c) {
    inner_ = std::move(c);
    wall_ = nullptr;
  }
  void set_wall(std::function<std::int64_t()> wall) { wall_ = std::move(wall); }

 private:
  std::shared_ptr<engine_clock> inner_ = std::make_shared<system_clock>();
  std::function<std::int64_t()> wall_;
};

}  // namespace

struct engine::impl {
  engine_options options;
  packet_factory& factory;
  transport& tp;
  job_store& store;
  status_sink& sink;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> system;
  caf::actor crypto, journal_actor, router_actor;
  std::unique_ptr<router_listener> listener;
  caf::actor service;  // service mode only
  std::shared_ptr<service_counters> counters = std::make_shared<service_counters>();
  // Alerts, clock and campaign control (set before run() / start_service()).
  caf::actor alerts;
  alert_fn on_alert;
  clock_slot clock;
  reopen_fn on_reopen;
  std::mutex runs_mu;
  std::map<std::string, caf::actor> runs;  // campaign actors of run(), by campaign id
  std::atomic<std::uint64_t> tags{1};
  std::atomic<std::uint64_t> journal_backlog{0};
  std::atomic<std::uint64_t> timers_armed{0};
  // A manual clock's advance() reaches the router through this while the engine lives (the
  // clock may outlive the engine: the router's handle is dropped with the actor system).
  struct tick_target {
    std::mutex mu;
    caf::actor router;
  };
  std::shared_ptr<tick_target> ticks = std::make_shared<tick_target>();

  shared_actors shared() {
    return shared_actors{crypto,   journal_actor,    router_actor,
                         &factory, alerts,           &clock,
                         &tags,    &journal_backlog, options.journal_backlog_max};
  }

  impl(engine_options o, packet_factory& f, transport& t, job_store& s, status_sink& k)
      : options(o), factory(f), tp(t), store(s), sink(k) {
    if (options.scheduler_threads > 0) {
      cfg.set("scheduler.max-threads", options.scheduler_threads);
    }
    cfg.set("logger.verbosity", caf::atom("quiet"));
    // An unknown name falls back to sharing (serve's configuration validates it first).
    const std::string_view policy = options.scheduler_policy == "stealing" ? "stealing" : "sharing";
    cfg.set("scheduler.policy",
            caf::atom_from_string(caf::string_view(policy.data(), policy.size())));
    system = std::make_unique<caf::actor_system>(cfg);
    crypto = spawn_crypto_stage(*system, &factory, options.crypto_batch_max);
    alerts = spawn_alerts(*system, &tp, &on_alert, &clock);
    journal_setup js;
    js.store = &store;
    js.sink = &sink;
    js.batch_max = options.journal_batch_max;
    js.backlog = &journal_backlog;
    js.alerts = alerts;
    js.save_attempts = options.journal_save_attempts;
    journal_actor = spawn_journal(*system, std::move(js));
    router_actor = spawn_router(*system, &tp, &clock, &timers_armed);
    listener = std::make_unique<router_listener>(router_actor);
    tp.set_listener(listener.get());
  }

  ~impl() {
    {
      std::lock_guard lock(ticks->mu);
      ticks->router = caf::actor{};
    }
    tp.set_listener(nullptr);
    // The service first: it ends its subscribers (its exit handler).
    if (service) caf::anon_send_exit(service, caf::exit_reason::user_shutdown);
    for (auto* a : {&crypto, &journal_actor, &router_actor, &alerts}) {
      caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
    }
    system->await_all_actors_done();
  }
};

engine::engine(engine_options options, packet_factory& factory, transport& transport,
               job_store& store, status_sink& sink)
    : impl_(std::make_unique<impl>(options, factory, transport, store, sink)) {}

std::uint64_t engine::journal_backlog() const {
  return impl_->journal_backlog.load(std::memory_order_relaxed);
}

engine::~engine() = default;

result<campaign_summary> engine::run(std::shared_ptr<const campaign_ctx> campaign,
                                     std::unique_ptr<target_cursor> targets, progress_fn progress) {
  auto& sys = *impl_->system;
  auto setup = std::make_shared<campaign_setup>();
  setup->ctx = std::move(campaign);
  setup->cursor = std::move(targets);
  setup->store = &impl_->store;
  setup->shared = impl_->shared();
  setup->chunk = std::max<std::size_t>(1, impl_->options.expand_chunk);
  if (progress) {
    setup->progress = [this, progress = std::move(progress)](campaign_progress p) {
      p.timers_armed = timers_armed();
      progress(p);
    };
  }
  const auto id = setup->ctx->def.id;
  auto actor = spawn_campaign(sys, std::move(setup));
  {
    std::lock_guard lock(impl_->runs_mu);
    impl_->runs[id] = actor;
  }
  caf::scoped_actor self{sys};
  result<campaign_summary> out = make_error(errc::internal, "campaign ended without a summary");
  std::optional<error> failure;
  self->request(actor, caf::infinite, start_atom::value)
      .receive([&](campaign_summary& s) { out = std::move(s); },
               [&](caf::error& e) {
                 out = make_error(errc::internal, "campaign actor failed: " + sys.render(e));
               });
  {
    std::lock_guard lock(impl_->runs_mu);
    impl_->runs.erase(id);
  }
  return out;
}

void engine::set_clock(std::function<std::int64_t()> clock) {
  impl_->clock.set_wall(std::move(clock));
}

void engine::set_clock(std::shared_ptr<engine_clock> clock) {
  if (!clock) return;
  if (clock->manual()) {
    // Due timers fire when the test advances the clock (and not after the engine is gone).
    {
      std::lock_guard lock(impl_->ticks->mu);
      impl_->ticks->router = impl_->router_actor;
    }
    clock->on_advance([target = impl_->ticks] {
      std::lock_guard lock(target->mu);
      if (target->router) tick_router(target->router);
    });
  }
  impl_->clock.set(std::move(clock));
}

std::uint64_t engine::timers_armed() const {
  return impl_->timers_armed.load(std::memory_order_relaxed);
}

void engine::set_alert_handler(std::function<void(const alert&)> handler) {
  impl_->on_alert = std::move(handler);
}

void engine::set_reopen_handler(std::function<void(const std::string&)> handler) {
  impl_->on_reopen = std::move(handler);
}

std::string_view to_string(campaign_mode m) noexcept {
  switch (m) {
    case campaign_mode::running:
      return "running";
    case campaign_mode::paused:
      return "paused";
    case campaign_mode::cancelled:
      return "cancelled";
  }
  return "unknown";
}

status engine::start_service(service_options options, admitted_fn on_admitted) {
  auto& i = *impl_;
  if (i.service) return make_error(errc::conflict, "engine: the service is already started");
  service_setup setup;
  setup.shared = i.shared();
  setup.store = &i.store;
  setup.window = options.window;
  setup.chunk = i.options.expand_chunk;
  setup.counters = i.counters;
  setup.on_admitted = std::move(on_admitted);
  setup.on_reopen = &i.on_reopen;
  i.service = spawn_service(*i.system, std::move(setup));
  return {};
}

void engine::set_campaign(std::shared_ptr<const campaign_ctx> campaign, campaign_mode mode) {
  if (!impl_->service || !campaign) return;
  auto id = campaign->def.id;
  caf::anon_send(impl_->service, svc_campaign{std::move(id), std::move(campaign), mode});
}

void engine::set_mode(const std::string& campaign, campaign_mode mode) {
  {
    // A campaign run by run() (campaign run): its campaign actor changes mode.
    std::lock_guard lock(impl_->runs_mu);
    if (auto it = impl_->runs.find(campaign); it != impl_->runs.end()) {
      caf::anon_send(it->second, svc_campaign{campaign, nullptr, mode});
    }
  }
  if (!impl_->service) return;
  caf::anon_send(impl_->service, svc_campaign{campaign, nullptr, mode});
}

void engine::admit(const std::string& campaign, std::unique_ptr<target_cursor> cards,
                   std::uint64_t token, std::size_t count) {
  if (!impl_->service) return;
  count = std::max<std::size_t>(1, count);
  impl_->counters->open_admissions += count;
  caf::anon_send(
      impl_->service,
      svc_admit{campaign, std::shared_ptr<target_cursor>(std::move(cards)), token, count});
}

std::vector<std::uint64_t> engine::withdraw(std::function<bool(std::uint64_t)> which) {
  std::vector<std::uint64_t> out;
  if (!impl_->service) return out;
  caf::scoped_actor self{*impl_->system};
  self->request(
          impl_->service, caf::infinite,
          svc_withdraw{std::make_shared<std::function<bool(std::uint64_t)>>(std::move(which))})
      .receive([&](std::vector<std::uint64_t>& tokens) { out = std::move(tokens); },
               [&](caf::error&) {});
  return out;
}

std::size_t engine::release(std::function<bool(std::string_view)> which) {
  std::size_t out = 0;
  if (!impl_->service) return out;
  caf::scoped_actor self{*impl_->system};
  self->request(
          impl_->service, caf::infinite,
          svc_release{std::make_shared<std::function<bool(std::string_view)>>(std::move(which))})
      .receive([&](std::uint64_t n) { out = static_cast<std::size_t>(n); }, [&](caf::error&) {});
  return out;
}

void engine::reclaim(std::function<bool(std::string_view)> which) {
  if (!impl_->service) return;
  caf::scoped_actor self{*impl_->system};
  self->request(
          impl_->service, caf::infinite,
          svc_reclaim{std::make_shared<std::function<bool(std::string_view)>>(std::move(which))})
      .receive([](std::uint64_t) {}, [](caf::error&) {});
}

std::size_t engine::backlog() const noexcept {
  return impl_->counters->in_flight.load() + impl_->counters->waiting.load();
}

std::size_t engine::waiting() const noexcept {
  return impl_->counters->open_admissions.load();
}

service_stats engine::stats() const {
  const auto& c = *impl_->counters;
  service_stats s;
  s.admissions = c.admissions;
  s.cards = c.cards;
  s.started = c.started;
  s.queued_paused = c.queued_paused;
  s.skipped_terminal = c.skipped_terminal;
  s.skipped_active = c.skipped_active;
  s.skipped = c.skipped;
  s.expired = c.expired;
  s.queued_window = c.queued_window;
  s.cancelled = c.cancelled;
  s.done = c.done;
  s.failed = c.failed;
  s.in_flight = c.in_flight;
  s.parked = c.parked;
  s.waiting = c.waiting;
  s.journal_backlog = impl_->journal_backlog.load(std::memory_order_relaxed);
  return s;
}

void engine::stop_service(std::chrono::milliseconds grace) {
  auto& i = *impl_;
  if (!i.service) return;
  caf::scoped_actor self{*i.system};
  self->request(i.service, grace, stop_atom::value)
      .receive([](stop_atom) {},
               [&](caf::error&) {
                 log::get("engine")->warn(
                     "service: {} jobs still running after {} ms; their "
                     "state is durable and resumes at the next start",
                     i.counters->in_flight.load(), grace.count());
               });
  self->request(i.journal_actor, caf::infinite, sync_atom::value)
      .receive([](sync_atom) {}, [](caf::error&) {});
}

}  // namespace otaflow::actors
