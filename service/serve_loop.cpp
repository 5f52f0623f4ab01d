#include "service/serve_loop.hpp"

#include <random>
#include <set>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "actors/campaign_approval.hpp"
#include "actors/campaign_control.hpp"
#include "actors/campaign_retry.hpp"
#include "actors/ota_packets.hpp"
#include "actors/service_cursor.hpp"
#include "actors/storage_cursor.hpp"
#include "base/log.hpp"
#include "secure/signing.hpp"
#include "storage/card_record.hpp"

namespace otaflow::service {
namespace {

using clock = std::chrono::steady_clock;

std::shared_ptr<spdlog::logger> logger() {
  static const auto l = log::get("serve");
  return l;
}

actors::campaign_mode mode_of(storage::campaign_status s) {
  switch (s) {
    case storage::campaign_status::paused:
      return actors::campaign_mode::paused;
    case storage::campaign_status::cancelled:
      return actors::campaign_mode::cancelled;
    case storage::campaign_status::running:
    case storage::campaign_status::done:
      break;
  }
  return actors::campaign_mode::running;
}

storage::campaign_status status_of(actors::campaign_mode m) {
  switch (m) {
    case actors::campaign_mode::paused:
      return storage::campaign_status::paused;
    case actors::campaign_mode::cancelled:
      return storage::campaign_status::cancelled;
    case actors::campaign_mode::running:
      break;
  }
  return storage::campaign_status::running;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A trigger's target selector, read through the campaign schema (one set of field rules).
result<actors::target_def> parse_target(const nlohmann::json& target,
                                        const actors::campaign_def& campaign) {
  auto j = actors::to_json(campaign);
  j["target"] = target;
  auto c = actors::campaign_from_json(j);
  if (!c) return c.error();
  return std::move(c->target);
}

// Four eyes for a selection trigger: one that selects every card runs a campaign on all of
// them, which the target_all rule guards; it is refused unless the campaign's own approved
// target selects every card too. Empty: allowed.
std::string selection_refusal(const actors::target_def& target, const actors::campaign_def& def,
                              const actors::approval_policy& policy) {
  const auto needs = policy.needs(actors::approval_rule::target_all);
  if (needs == 0 || !actors::selects_everything(target) || actors::selects_everything(def.target)) {
    return {};
  }
  return "trigger: its target selects every card, which needs " + std::to_string(needs) +
         " approval(s) (target_all), and campaign '" + def.id +
         "' was approved for a narrower target: define it with target all and approvals";
}

// Where a record came from, for the audit log ("kafka ota.triggers[0]@12"): a Kafka record
// carries no verified principal (docs/AUDIT.md).
std::string record_ref(const kafka::message& m) {
  return "kafka " + m.topic + "[" + std::to_string(m.partition) + "]@" + std::to_string(m.offset);
}

}  // namespace

// ---- campaign_registry -------------------------------------------------------------------

void campaign_registry::resume_jobs(const std::string& id, const actors::campaign_ctx& ctx) {
  std::unique_ptr<actors::target_cursor> c =
      std::make_unique<actors::active_job_cursor>(state_, id, ctx.def, routes_);
  if (owned_) c = std::make_unique<owned_cursor>(std::move(c), owned_);
  engine_.admit(id, std::move(c), 0);
}

void campaign_registry::resume_where(const std::function<bool(std::string_view)>& which) {
  std::lock_guard lock(mu_);
  // Checked as each card is reached, with the card filter (this instance's ownership now): a
  // cursor outliving a revoke starts no job whose writes would be refused.
  auto keep = [which, owned = owned_](std::string_view iccid) {
    return which(iccid) && (!owned || owned(iccid));
  };
  for (const auto& [id, e] : campaigns_) {
    if (e.mode == actors::campaign_mode::paused) continue;
    engine_.admit(
        id,
        std::make_unique<owned_cursor>(
            std::make_unique<actors::active_job_cursor>(state_, id, e.ctx->def, routes_), keep),
        0);
  }
}

result<std::size_t> campaign_registry::load() {
  auto list = state_.campaigns().list();
  if (!list) return list.error();
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& rec : *list) {
    result<actors::campaign_def> def = make_error(errc::bad_value, "unknown format");
    if (rec.format == "json") {
      auto j = nlohmann::json::parse(rec.definition, nullptr, false);
      def = j.is_discarded() ? result<actors::campaign_def>(make_error(errc::bad_value, "not JSON"))
                             : actors::campaign_from_json(j);
    } else if (rec.format == "toml") {
      def = actors::campaign_from_toml(rec.definition, rec.id);
    }
    if (!def) {
      logger()->error("campaign '{}': stored definition unusable: {}", rec.id, def.error().message);
      continue;
    }
    auto ctx = actors::prepare_campaign(*def);
    if (!ctx) {
      logger()->error("campaign '{}': {}", rec.id, ctx.error().message);
      continue;
    }
    const auto mode = mode_of(rec.status);
    engine_.set_campaign(*ctx, mode);
    campaigns_[rec.id] = entry{*ctx, mode};
    definitions_[rec.id] = actors::to_json(*def).dump();
    // Running jobs resume; a cancelled campaign's leftovers fail; a paused one waits.
    if (mode != actors::campaign_mode::paused && !owned_) resume_jobs(rec.id, **ctx);
    ++n;
  }
  return n;
}

status campaign_registry::define(const actors::campaign_def& def,
                                 const actors::approval_check* approval, std::string_view by) {
  auto canonical = actors::to_json(def).dump();
  std::lock_guard lock(mu_);
  if (auto d = definitions_.find(def.id); d != definitions_.end() && d->second == canonical) {
    return {};
  }
  auto ctx = actors::prepare_campaign(def);
  if (!ctx) return ctx.error();
  storage::campaign_record rec;
  rec.id = def.id;
  rec.status = storage::campaign_status::running;
  rec.created_ms = wall_ms();
  auto old = state_.campaigns().get(def.id);
  if (!old) return old.error();
  if (*old) {
    rec.status = (*old)->status;
    rec.created_ms = (*old)->created_ms;
  }
  rec.format = "json";
  rec.definition = canonical;
  rec.updated_ms = wall_ms();
  if (approval != nullptr && (approval->required > 0 || !approval->verdicts.empty())) {
    OTAFLOW_TRY(state_.audit().append(actors::approval_audit_event(*approval, by), true));
  }
  OTAFLOW_TRY(state_.campaigns().put(rec));
  {
    // Audited with its SHA-256; a Kafka record carries no verified principal (docs/AUDIT.md).
    const auto h = secure::sha256(
        {byte_view(reinterpret_cast<const std::uint8_t*>(canonical.data()), canonical.size())});
    storage::audit_event e;
    e.campaign = def.id;
    e.type = storage::audit_type::campaign;
    e.details = nlohmann::json{{"action", old->has_value() ? "changed" : "defined"},
                               {"sha256", to_hex(byte_view(h.data(), h.size()))},
                               {"by", std::string(by)}}
                    .dump();
    OTAFLOW_TRY(state_.audit().append(e, true));
  }
  const auto mode = mode_of(rec.status);
  engine_.set_campaign(*ctx, mode);
  const bool fresh = campaigns_.find(def.id) == campaigns_.end();
  campaigns_[def.id] = entry{*ctx, mode};
  definitions_[def.id] = std::move(canonical);
  logger()->info("campaign '{}' {} ({})", def.id, fresh ? "defined" : "updated",
                 storage::name(rec.status));
  return {};
}

status campaign_registry::control(const std::string& id, kafka::control_action action,
                                  std::string_view by, const model::control_origin& origin) {
  if (action == kafka::control_action::retry) return retry({action, id, {}, {}, origin}, by);
  std::lock_guard lock(mu_);
  auto it = campaigns_.find(id);
  if (it == campaigns_.end()) {
    return make_error(errc::not_found, "campaign '" + id + "' is not defined");
  }
  auto& e = it->second;
  const auto mode = action == kafka::control_action::pause    ? actors::campaign_mode::paused
                    : action == kafka::control_action::resume ? actors::campaign_mode::running
                                                              : actors::campaign_mode::cancelled;
  if (e.mode == mode) return {};
  if (e.mode == actors::campaign_mode::cancelled) {
    logger()->warn("campaign '{}' is cancelled: '{}' ignored", id, actors::to_string(mode));
    return {};
  }
  OTAFLOW_TRY(state_.campaigns().set_status(id, status_of(mode)));
  actors::control_result r{status_of(e.mode), status_of(mode), 0};
  const auto act = mode == actors::campaign_mode::paused    ? actors::control_action::pause
                   : mode == actors::campaign_mode::running ? actors::control_action::resume
                                                            : actors::control_action::cancel;
  auto a = origin.by.empty() ? actors::audit_control(state_, id, act, r, by)
                             : actors::audit_control(state_, id, act, r, origin, by);
  if (!a) {
    logger()->error("campaign '{}': auditing the {}: {}", id, actors::to_string(act),
                    a.error().message);
  }
  e.mode = mode;
  engine_.set_mode(id, mode);
  // Jobs held while paused run again; a cancel fails every job not in flight.
  if (mode != actors::campaign_mode::paused) resume_jobs(id, *e.ctx);
  return {};
}

status campaign_registry::retry(const kafka::control_event& ev, std::string_view by) {
  std::lock_guard lock(mu_);
  auto it = campaigns_.find(ev.campaign);
  if (it == campaigns_.end()) {
    return make_error(errc::not_found, "campaign '" + ev.campaign + "' is not defined");
  }
  const auto& e = it->second;
  if (e.mode == actors::campaign_mode::cancelled) {
    logger()->warn("campaign '{}' is cancelled: 'retry' ignored", ev.campaign);
    return {};
  }
  // A stated origin (serve's HTTP API) goes into the job reasons and the audit record.
  const std::string who = ev.origin.by.empty()
                              ? std::string(by)
                              : model::describe(ev.origin) + " via " + std::string(by);
  auto s = actors::retry_failed_jobs(state_, ev.campaign, {ev.reason, ev.iccids}, who, owned_);
  if (!s) return s.error();
  logger()->warn("campaign '{}': retry from {}: {} failed jobs queued again", ev.campaign, who,
                 s->queued);
  if (s->queued > 0 && e.mode != actors::campaign_mode::paused) resume_jobs(ev.campaign, *e.ctx);
  return {};
}

void campaign_registry::reopen(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = campaigns_.find(id);
  if (it != campaigns_.end()) resume_jobs(id, *it->second.ctx);
}

std::optional<campaign_registry::entry> campaign_registry::find(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = campaigns_.find(id);
  if (it == campaigns_.end()) return std::nullopt;
  return it->second;
}

// ---- control_reader ----------------------------------------------------------------------

control_reader::control_reader(const serve_config& config, campaign_registry& registry,
                               serve_producer& producer, std::unique_ptr<kafka::consumer> consumer)
    : config_(config), registry_(registry), producer_(producer), consumer_(std::move(consumer)) {}

result<std::unique_ptr<control_reader>> control_reader::start(const serve_config& config,
                                                              campaign_registry& registry,
                                                              serve_producer& producer,
                                                              const std::string& group) {
  auto opts = config.kafka;
  opts.group_id = group;
  auto c = kafka::consumer::create(opts, {opts.triggers_topic});
  if (!c) return c.error();
  std::unique_ptr<control_reader> r(new control_reader(config, registry, producer, std::move(*c)));
  r->thread_ = std::thread([p = r.get()] { p->loop(); });
  logger()->info("control reader: group {}", opts.group_id);
  return r;
}

result<std::string> control_group(const serve_config& config, storage::state& state) {
  constexpr std::string_view key = "serve.control_group";
  auto& db = state.database();
  auto stored = db.get(storage::column::meta, key);
  if (!stored) return stored.error();
  if (stored->has_value()) return **stored;
  std::string group = config.kafka.group_id + ".control." + config.instance_id;
  auto campaigns = state.campaigns().list();
  if (!campaigns) return campaigns.error();
  if (campaigns->empty()) {
    std::random_device rd;
    group += "." + to_hex(static_cast<std::uint64_t>(rd()) << 32 | rd(), 16);
  }
  rocksdb::WriteBatch b;
  b.Put(db.handle(storage::column::meta), rocksdb::Slice(key.data(), key.size()),
        rocksdb::Slice(group));
  OTAFLOW_TRY(db.apply(b, true));
  return group;
}

control_reader::~control_reader() {
  stop();
}

void control_reader::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (consumer_) {
    (void)consumer_->close();
    consumer_.reset();
  }
}

// Applies one record. Records that are not campaign or control events, or do not parse,
// are the trigger loop's (it dead-letters them): nothing to apply here.
status control_reader::apply(const kafka::message& m) {
  auto ev = kafka::parse_trigger_event(m.payload);
  if (!ev) return {};
  if (auto* c = std::get_if<kafka::campaign_event>(&*ev)) {
    auto sc = actors::signed_campaign_from_json(c->campaign);
    if (!sc) return {};
    const auto check = actors::check_approvals(sc->def, sc->approvals, config_.approvals);
    if (!check.ok()) {
      // Not defined: its triggers are those of an unknown campaign. The trigger loop
      // dead-letters the record with the same text; every instance audits its refusal.
      logger()->warn("{}: {}", record_ref(m), check.error_text());
      return registry_.audit(actors::approval_audit_event(check, record_ref(m)));
    }
    return registry_.define(sc->def, &check, record_ref(m));
  }
  if (auto* ctl = std::get_if<kafka::control_event>(&*ev)) {
    if (ctl->action == kafka::control_action::retry) return registry_.retry(*ctl);
    return registry_.control(ctl->campaign, ctl->action, "kafka", ctl->origin);
  }
  return {};
}

std::optional<std::int64_t> control_reader::advance(std::deque<pending>& q,
                                                    const std::set<std::uint64_t>& delivered) {
  std::optional<std::int64_t> position;
  while (!q.empty()) {
    auto& p = q.front();
    const auto& m = p.msg;
    if (p.dlq_token != 0) {
      if (delivered.count(p.dlq_token) == 0) break;  // its dead-letter record is on its way
    } else if (auto s = apply(m); !s) {
      const auto why = "control reader " + config_.instance_id + ": " + s.error().message;
      if (std::chrono::steady_clock::now() - p.since < config_.serve.unknown_campaign_grace) {
        // A campaign event may be on another partition, or storage may recover: again later.
        if (!p.logged) {
          logger()->warn("{}[{}]@{} not applied yet (retried): {}", m.topic, m.partition, m.offset,
                         why);
          p.logged = true;
        }
        break;
      }
      ++dead_lettered_;
      p.dlq_token = next_token_++;
      logger()->warn("dead-letter {}[{}]@{}: {}", m.topic, m.partition, m.offset, why);
      (void)producer_.send_dlq({why, m.topic, m.partition, m.offset, m.payload}, p.dlq_token,
                               &dlq_done_);
      break;
    }
    position = m.offset + 1;
    q.pop_front();
  }
  return position;
}

void control_reader::loop() {
  std::set<std::uint64_t> delivered;
  while (!stop_) {
    auto msgs = consumer_->poll(1000, std::chrono::milliseconds(200));
    const auto now = std::chrono::steady_clock::now();
    for (auto& m : msgs) {
      if (m.err) continue;  // the client logs broker trouble
      queue_[{m.topic, m.partition}].push_back({std::move(m), now, 0, false});
    }
    for (const auto t : dlq_done_.take()) delivered.insert(t);
    std::vector<kafka::topic_partition> list;
    for (auto& [k, q] : queue_) {
      if (auto pos = advance(q, delivered)) list.push_back({k.first, k.second, *pos});
    }
    // Tokens of records already passed are not needed any more.
    std::erase_if(delivered, [&](std::uint64_t t) {
      for (const auto& [k, q] : queue_) {
        if (!q.empty() && q.front().dlq_token == t) return false;
      }
      return true;
    });
    if (list.empty()) continue;
    if (auto s = consumer_->commit(list); !s) {
      logger()->debug("control reader commit: {}", s.error().message);
    }
  }
}

// ---- trigger_loop ------------------------------------------------------------------------

std::uint64_t trigger_loop::token_for(const kafka::message& m) {
  const auto t = next_token_++;
  tokens_.emplace(t, record_ref{{m.topic, m.partition}, {m.offset}});
  return t;
}

void trigger_loop::group_trigger(const kafka::message& m, const campaign_registry::entry& camp,
                                 const std::string& iccid) {
  const partition_key tp{m.topic, m.partition};
  if (!group_.iccids.empty() && (group_.ctx != camp.ctx || group_.tp != tp)) flush_group();
  if (group_.iccids.empty()) {
    group_.ctx = camp.ctx;
    group_.tp = tp;
  }
  group_.iccids.push_back(iccid);
  group_.offsets.push_back(m.offset);
  if (group_.iccids.size() >= group_max) flush_group();
}

void trigger_loop::flush_group() {
  if (group_.iccids.empty()) return;
  const auto t = next_token_++;
  tokens_.emplace(t, record_ref{group_.tp, std::move(group_.offsets)});
  const auto n = group_.iccids.size();
  actors::target_def target;
  target.iccids = std::move(group_.iccids);
  engine_.admit(group_.ctx->def.id,
                std::make_unique<actors::subscriber_cursor>(
                    state_, group_.ctx->def, std::move(target),
                    actors::cursor_options{.routes = &config_.routes}),
                t, n);
  group_.iccids.clear();
  group_.offsets.clear();
  group_.ctx.reset();
}

void trigger_loop::done(const kafka::message& m) {
  tracker_.done(m.topic, m.partition, m.offset);
}

void trigger_loop::dead_letter(const kafka::message& m, const std::string& reason) {
  ++stats_.dead_lettered;
  logger()->warn("dead-letter {}[{}]@{}: {}", m.topic, m.partition, m.offset, reason);
  kafka::dlq_record rec{reason, m.topic, m.partition, m.offset, m.payload};
  if (auto s = producer_.send_dlq(rec, token_for(m)); !s) {
    // Its offset is not committed: the record comes again after a restart.
    logger()->error("dead-letter record for {}[{}]@{} not produced: {}", m.topic, m.partition,
                    m.offset, s.error().message);
  }
}

bool trigger_loop::unknown_campaign(const kafka::message& m, const std::string& campaign,
                                    clock::time_point since) {
  // The campaign event may sit on another partition, or the control reader may lag: wait.
  if (clock::now() - since < config_.serve.unknown_campaign_grace) return false;
  dead_letter(m, "campaign '" + campaign + "' is not defined");
  return true;
}

bool trigger_loop::try_subscriber(const kafka::message& m) {
  // Applied in groups (flush_subscribers): one transaction for all the records of a poll.
  subscribers_.push_back(m);
  return true;
}

void trigger_loop::flush_subscribers() {
  if (subscribers_.empty()) return;
  rocksdb::WriteBatch b;
  std::vector<const kafka::message*> staged;
  std::set<std::string> cards;  // a card twice in a group: the group before it is committed first
  auto commit_staged = [&]() -> bool {
    if (b.Count() > 0) {
      if (auto s = state_.database().commit(b, true); !s) {
        logger()->warn("{} subscriber records: {} (tried again)", staged.size(), s.error().message);
        return false;
      }
    }
    for (const auto* m : staged) done(*m);
    stats_.subscribers += staged.size();
    b.Clear();
    staged.clear();
    cards.clear();
    return true;
  };
  std::size_t used = 0;
  for (const auto& m : subscribers_) {
    auto rec = storage::decode_card(m.key, m.payload);
    if (!rec) {
      dead_letter(m, "subscriber record: " + rec.error().message);
      ++used;
      continue;
    }
    if (const auto p = owner_->partition_of(rec->iccid); p != m.partition) {
      dead_letter(m, "subscriber record for " + rec->iccid + " on partition " +
                         std::to_string(m.partition) + ", but the card's partition is " +
                         std::to_string(p) +
                         " (key the records by ICCID with Kafka's default partitioner)");
      ++used;
      continue;
    }
    if (cards.count(rec->iccid) > 0 && !commit_staged()) break;
    auto applied = storage::apply_card(state_, *rec, b);
    if (!applied) {
      dead_letter(m, "subscriber record for " + rec->iccid + ": " + applied.error().message);
      ++used;
      continue;
    }
    cards.insert(rec->iccid);
    staged.push_back(&m);
    ++used;
  }
  if (!commit_staged()) used -= std::min(used, staged.size());
  subscribers_.erase(subscribers_.begin(),
                     subscribers_.begin() + static_cast<std::ptrdiff_t>(used));
}

// Partition-owned mode: a carrier's selection goes to every partition (one copy each, in one
// transaction; the record's offset follows in a later one, so a crash in between copies it
// again: harmless, triggers are idempotent); each copy is expanded by its partition's owner
// over that partition's cards only, so no rebalance can start a card on two instances.
bool trigger_loop::try_selection(const kafka::message& m, const kafka::trigger_event& t,
                                 const campaign_registry::entry& camp) {
  if (!t.partition) {
    std::vector<extra_record> copies;
    for (std::int32_t p = 0; p < owner_->partitions(); ++p) {
      auto c = t;
      c.partition = p;
      copies.push_back({config_.kafka.triggers_topic, p, t.campaign,
                        kafka::serialise(kafka::trigger_topic_event(std::move(c)))});
    }
    if (auto s = committer_->publish(std::move(copies)); !s) {
      logger()->warn("selection trigger {}[{}]@{}: copies not published: {} (tried again)", m.topic,
                     m.partition, m.offset, s.error().message);
      return false;
    }
    done(m);
    return true;
  }
  if (*t.partition != m.partition) {
    dead_letter(m, "trigger: a selection copy for partition " + std::to_string(*t.partition) +
                       " read from partition " + std::to_string(m.partition));
    return true;
  }
  auto parsed = parse_target(*t.target, camp.ctx->def);
  if (!parsed) {
    dead_letter(m, "trigger: " + parsed.error().message);
    return true;
  }
  if (auto why = selection_refusal(*parsed, camp.ctx->def, config_.approvals); !why.empty()) {
    dead_letter(m, why);
    return true;
  }
  const auto p = m.partition;
  auto* owner = owner_;
  engine_.admit(t.campaign,
                std::make_unique<owned_cursor>(
                    std::make_unique<actors::subscriber_cursor>(
                        state_, camp.ctx->def, std::move(*parsed),
                        actors::cursor_options{.routes = &config_.routes}),
                    [owner, p](std::string_view iccid) { return owner->partition_of(iccid) == p; }),
                token_for(m));
  return true;
}

bool trigger_loop::try_process(const kafka::message& m, clock::time_point since) {
  if (owner_ != nullptr && m.topic == config_.kafka.subscribers_topic) return try_subscriber(m);
  if (forwarder_ != nullptr && m.topic == config_.kafka.mo_topic) {
    // An answer another instance's bind received for a card of this one (at most once: a
    // lost one costs the job a PoR timeout and a retry, as on the air).
    if (auto s = forwarder_->deliver(m); !s) {
      dead_letter(m, s.error().message);
      return true;
    }
    done(m);
    return true;
  }
  auto ev = kafka::parse_trigger_event(m.payload);
  if (!ev) {
    dead_letter(m, ev.error().message);
    return true;
  }
  if (auto* c = std::get_if<kafka::campaign_event>(&*ev)) {
    // Applied by every instance's control reader; here it is only checked.
    auto sc = actors::signed_campaign_from_json(c->campaign);
    if (!sc) {
      dead_letter(m, "campaign '" + c->id + "': " + sc.error().message);
      return true;
    }
    const auto* def = &sc->def;
    if (auto check = actors::check_approvals(*def, sc->approvals, config_.approvals); !check.ok()) {
      dead_letter(m, check.error_text());
      return true;
    }
    if (auto ctx = actors::prepare_campaign(*def); !ctx) {
      dead_letter(m, "campaign '" + def->id + "': " + ctx.error().message);
      return true;
    }
    done(m);
    return true;
  }
  if (std::holds_alternative<kafka::control_event>(*ev)) {
    // Applied by every instance's control reader, which dead-letters it if it cannot be.
    done(m);
    return true;
  }
  const auto& t = std::get<kafka::trigger_event>(*ev);
  auto camp = registry_.find(t.campaign);
  if (!camp) return unknown_campaign(m, t.campaign, since);
  if (owner_ != nullptr && !t.iccid.empty() && owner_->partition_of(t.iccid) != m.partition) {
    dead_letter(m, "trigger for " + t.iccid + " on partition " + std::to_string(m.partition) +
                       ", but the card's partition is " +
                       std::to_string(owner_->partition_of(t.iccid)) +
                       " (key triggers by ICCID with Kafka's default partitioner)");
    return true;
  }
  if (owner_ != nullptr && t.target) return try_selection(m, t, *camp);
  if (owner_ != nullptr && !t.iccid.empty() &&
      clock::now() - since < config_.serve.unknown_campaign_grace) {
    // The card's subscriber record may still be on its way (another topic: no order between
    // the two): hold the trigger a while rather than fail the card as unknown.
    auto known = state_.subscribers().get(t.iccid);
    if (known && !known->has_value()) return false;
  }
  if (!t.iccid.empty()) {
    group_trigger(m, *camp, t.iccid);
    return true;
  }
  auto parsed = parse_target(*t.target, camp->ctx->def);
  if (!parsed) {
    dead_letter(m, "trigger: " + parsed.error().message);
    return true;
  }
  if (auto why = selection_refusal(*parsed, camp->ctx->def, config_.approvals); !why.empty()) {
    dead_letter(m, why);
    return true;
  }
  actors::target_def target = std::move(*parsed);
  flush_group();  // admitted in the order read
  engine_.admit(t.campaign,
                std::make_unique<actors::subscriber_cursor>(
                    state_, camp->ctx->def, std::move(target),
                    actors::cursor_options{.routes = &config_.routes}),
                token_for(m));
  return true;
}

void trigger_loop::handle(kafka::message&& m) {
  if (m.err) {
    logger()->debug("consumer: {}", m.err->message);
    return;
  }
  ++stats_.records;
  tracker_.received(m.topic, m.partition, m.offset);
  const partition_key key{m.topic, m.partition};
  // Records of a partition are handled in order: one held back holds the ones behind it.
  if (auto h = held_.find(key); h != held_.end() && !h->second.empty()) {
    h->second.push_back({std::move(m), clock::now()});
    ++held_count_;
    return;
  }
  const auto now = clock::now();
  if (!try_process(m, now)) {
    held_[key].push_back({std::move(m), now});
    ++held_count_;
  }
}

void trigger_loop::retry_held() {
  for (auto& [key, q] : held_) {
    while (!q.empty() && try_process(q.front().msg, q.front().since)) {
      q.pop_front();
      --held_count_;
    }
  }
}

void trigger_loop::drain() {
  for (const auto t : completions_.take()) {
    auto it = tokens_.find(t);
    if (it == tokens_.end()) continue;  // its partition was revoked meanwhile
    const auto& ref = it->second;
    for (const auto o : ref.offsets) tracker_.done(ref.tp.first, ref.tp.second, o);
    tokens_.erase(it);
  }
}

void trigger_loop::commit(bool force) {
  for (const auto& p : tracker_.take_commits()) to_commit_[{p.topic, p.partition}] = p.offset;
  const auto now = clock::now();
  if (to_commit_.empty() || (!force && now - last_commit_ < config_.serve.commit_interval)) return;
  last_commit_ = now;
  std::vector<kafka::topic_partition> list;
  for (const auto& [k, off] : to_commit_) list.push_back({k.first, k.second, off});
  if (committer_ != nullptr) {
    // Carried by the next transaction (at the latest after [serve] commit_interval).
    committer_->set_offsets(list);
    ++stats_.commits;
    to_commit_.clear();
    return;
  }
  if (auto s = consumer_->commit(list); !s) {
    logger()->debug("commit of {} partitions: {} (retried)", list.size(), s.error().message);
    return;
  }
  ++stats_.commits;
  to_commit_.clear();
}

void trigger_loop::back_pressure() {
  // Counted: admissions waiting for the window, not the jobs in it. Pausing on the jobs in
  // flight left the window empty while librdkafka fetched again after each resume (it backs
  // off up to 1 s once its prefetch queue was full): the engine idled half of the time.
  const auto high = std::max<std::size_t>(1, config_.serve.max_waiting);
  const auto low = static_cast<std::size_t>(static_cast<double>(high) * config_.serve.resume_below);
  const auto load = engine_.waiting() + held_count_;
  if (!paused_ && load >= high) {
    if (auto s = consumer_->pause(); s) {
      paused_ = true;
      ++stats_.pauses;
      logger()->debug("{} admissions waiting for the window: consumption paused", load);
    }
  } else if (paused_ && load <= low) {
    if (auto s = consumer_->resume(); s) {
      paused_ = false;
      ++stats_.resumes;
      logger()->debug("admissions waiting below {}: consumption resumed", low);
    }
  }
}

std::vector<std::int32_t> trigger_loop::triggers_partitions(
    const std::vector<kafka::topic_partition>& parts) const {
  std::vector<std::int32_t> out;
  for (const auto& p : parts) {
    if (p.topic == config_.kafka.triggers_topic) out.push_back(p.partition);
  }
  return out;
}

void trigger_loop::on_rebalance(kafka::rebalance_event ev,
                                const std::vector<kafka::topic_partition>& parts) {
  flush_group();  // empty between polls; admitted before anything moves
  std::set<partition_key> keys;
  for (const auto& p : parts) keys.insert({p.topic, p.partition});
  auto drop_held = [&] {
    for (const auto& k : keys) {
      auto h = held_.find(k);
      if (h == held_.end()) continue;
      held_count_ -= h->second.size();
      held_.erase(h);
    }
  };
  if (ev == kafka::rebalance_event::assigned) {
    // Reading starts again at the committed offsets: nothing of before is pending.
    drop_held();
    for (const auto& k : keys) {
      tracker_.forget(k.first, k.second);
      to_commit_.erase(k);
    }
    if (owner_ != nullptr) {
      if (auto s = owner_->assigned(*consumer_, triggers_partitions(parts)); !s) {
        logger()->error("partitions assigned but not restored: {}; stopping", s.error().message);
        fatal_ = s.error();
      }
    }
    return;
  }
  // Revoked or lost: the records not admitted yet are someone else's now. Withdraw them
  // from the engine (admissions not taken yet: a suffix of each partition, since records
  // are admitted in order), let the ones taken become durable, and commit that prefix.
  drop_held();
  if (owner_ != nullptr) {
    flush_subscribers();  // still ours: applied with the last transaction
    std::erase_if(subscribers_, [&](const kafka::message& m) {
      return keys.count({m.topic, m.partition}) > 0;
    });
  }
  std::unordered_set<std::uint64_t> mine;
  for (const auto& [t, ref] : tokens_) {
    if (keys.count(ref.tp)) mine.insert(t);
  }
  if (!mine.empty()) {
    const auto withdrawn = engine_.withdraw([&mine](std::uint64_t t) { return mine.count(t) > 0; });
    for (const auto t : withdrawn) tokens_.erase(t);
    if (!withdrawn.empty()) {
      logger()->info("rebalance: {} queued admissions withdrawn", withdrawn.size());
    }
  }
  drain();
  if (ev == kafka::rebalance_event::revoked) {
    for (const auto& p : tracker_.take_commits()) to_commit_[{p.topic, p.partition}] = p.offset;
    std::vector<kafka::topic_partition> list;
    for (const auto& [k, off] : to_commit_) {
      if (keys.count(k)) list.push_back({k.first, k.second, off});
    }
    if (committer_ != nullptr) {
      committer_->set_offsets(list);  // committed by the owner's last transaction below
    } else if (auto s = consumer_->commit(list); !s) {
      logger()->warn("rebalance: commit of {} partitions: {}", list.size(), s.error().message);
    }
  }
  for (const auto& k : keys) {
    tracker_.forget(k.first, k.second);
    to_commit_.erase(k);
  }
  std::erase_if(tokens_, [&](const auto& kv) { return keys.count(kv.second.tp) > 0; });
  if (owner_ != nullptr) {
    owner_->released(triggers_partitions(parts), ev == kafka::rebalance_event::revoked);
  }
}

loop_stats trigger_loop::stats() const {
  auto s = stats_;
  s.paused = paused_;
  s.held = held_count_;
  if (consumer_) s.lag = consumer_->lag(config_.kafka.triggers_topic).value_or(-1);
  if (consumer_ && owner_ != nullptr) {
    s.subscribers_lag = consumer_->lag(config_.kafka.subscribers_topic).value_or(-1);
  }
  return s;
}

status trigger_loop::run(const std::atomic<bool>& stop, const std::function<void()>& tick) {
  std::vector<std::string> topics{config_.kafka.triggers_topic};
  if (owner_ != nullptr) topics.push_back(config_.kafka.subscribers_topic);
  if (forwarder_ != nullptr) topics.push_back(config_.kafka.mo_topic);
  auto c = kafka::consumer::create(
      config_.kafka, topics,
      [this](kafka::rebalance_event ev, const std::vector<kafka::topic_partition>& parts) {
        on_rebalance(ev, parts);
      });
  if (!c) return c.error();
  consumer_ = std::move(*c);
  if (on_consumer_) on_consumer_(consumer_.get());
  logger()->info("consuming {} as group {} (window {})", config_.kafka.triggers_topic,
                 config_.kafka.group_id, config_.service.window);
  auto last_tick = clock::now();
  bool reported_down = false;
  while (!stop.load() && !fatal_ && !(committer_ != nullptr && committer_->stats().fenced)) {
    drain();
    retry_held();
    flush_group();
    commit(false);
    back_pressure();
    const auto now = clock::now();
    if (now - last_tick >= config_.serve.commit_interval) {
      last_tick = now;
      if (tick) tick();
    }
    if (!consumer_->brokers_reachable()) {
      if (!reported_down)
        logger()->warn("waiting for the Kafka brokers ({})", config_.kafka.brokers);
      reported_down = true;
    } else if (reported_down) {
      reported_down = false;
      logger()->info("Kafka brokers reachable again: consuming");
    }
    auto msgs = consumer_->poll(config_.serve.poll_batch, std::chrono::milliseconds(100));
    for (auto& m : msgs) handle(std::move(m));
    flush_group();
    flush_subscribers();
  }
  // Leaving the group runs the revoke callback: what is durable is committed there.
  drain();
  commit(true);
  auto s = consumer_->close();
  if (on_consumer_) on_consumer_(nullptr);
  consumer_.reset();
  if (fatal_) return *fatal_;
  if (committer_ != nullptr && committer_->stats().fenced) {
    return make_error(errc::conflict,
                      "this instance was fenced: another instance owns its partitions");
  }
  return s;
}

}  // namespace otaflow::service
