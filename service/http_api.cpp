#include "service/http_api.hpp"

#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>
#include <variant>

#include "service/campaign_view.hpp"
#include "service/dashboard_assets.hpp"
#include "service/http_token.hpp"

namespace otaflow::service {
namespace {

http_response json_answer(int status, const nlohmann::json& body) {
  http_response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

http_response error_answer(int status, const std::string& message) {
  return json_answer(status, {{"error", message}});
}

http_response failed(const error& e) {
  return error_answer(e.code == errc::not_found ? 404 : 500, e.message);
}

std::string_view header(const http_request& req, std::string_view name) {
  for (const auto& [k, v] : req.headers) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(k[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return v;
  }
  return {};
}

// Control needs a configured token and the request's bearer token. The refusal, or who asked:
// {"http", the token's name, the client's address}.
std::variant<http_response, model::control_origin> control_origin_of(const api_context& c,
                                                                     const http_request& req) {
  if (c.tokens.empty() || !c.control) {
    return error_answer(403,
                        "control is off: no token configured (OTAFLOW_HTTP_TOKEN or "
                        "[http] token_file)");
  }
  auto name = bearer_token_name(header(req, "Authorization"), c.tokens);
  if (!name) {
    return error_answer(401, "a valid 'Authorization: Bearer <token>' header is needed");
  }
  model::control_origin o{"http", std::move(*name), req.remote_addr};
  if (!model::valid_origin_field(o.from)) o.from.clear();
  return o;
}

// The body of POST .../retry: empty, or {"reason": "text", "iccids": ["89...", ...]}.
result<std::pair<std::string, std::vector<std::string>>> retry_body(const std::string& body) {
  std::pair<std::string, std::vector<std::string>> out;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return out;
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return make_error(errc::bad_argument, "retry body: not a JSON object");
  }
  for (const auto& [k, v] : j.items()) {
    if (k == "reason" && v.is_string()) {
      out.first = v.get<std::string>();
    } else if (k == "iccids" && v.is_array()) {
      for (const auto& i : v) {
        if (!i.is_string())
          return make_error(errc::bad_argument, "retry body: iccids: not a string");
        out.second.push_back(i.get<std::string>());
      }
    } else {
      return make_error(errc::bad_argument, "retry body: unexpected field '" + k +
                                                "' (reason: a string, iccids: an array)");
    }
  }
  return out;
}

}  // namespace

std::int64_t wall_now_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::function<std::string(const std::string&)> stored_campaign_status(storage::state& state) {
  return [&state](const std::string& id) -> std::string {
    auto rec = state.campaigns().get(id);
    if (!rec || !*rec) return {};
    return std::string(storage::name((*rec)->status));
  };
}

dashboard_snapshot take_snapshot(const dashboard_source& source, std::int64_t now_ms) {
  dashboard_snapshot s;
  s.mode = source.mode;
  s.instance = source.instance;
  s.started_ms = source.started_ms;
  s.now_ms = now_ms;
  if (source.metrics == nullptr) return s;
  auto v = source.metrics->statuses.snapshot();
  for (auto& [id, states] : v.campaigns) {
    dashboard_campaign c;
    c.id = id;
    if (source.campaign_status) c.status = source.campaign_status(id);
    if (c.status.empty()) c.status = "running";
    if (source.campaign_targets) c.targets = source.campaign_targets(id);
    c.states = states;
    s.campaigns.push_back(std::move(c));
  }
  s.latency_le = std::move(v.latency.bounds);
  s.latency_counts = std::move(v.latency.counts);
  s.por = std::move(v.por);
  s.failures.assign(v.failures.begin(), v.failures.end());
  for (const auto& a : v.alerts) {
    s.alerts.push_back({a.ts_ms, a.cleared ? "cleared" : (a.paused ? "critical" : "warning"),
                        a.campaign, a.message});
  }
  for (const auto& [name, b] : source.metrics->binds()) {
    s.binds.push_back({name, b.bound, b.submits, b.receipts, b.throttled, b.disconnects});
  }
  return s;
}

dashboard_sampler::dashboard_sampler(dashboard_history& history,
                                     std::function<dashboard_snapshot()> snapshot) {
  thread_ = std::thread([this, &history, snapshot = std::move(snapshot)] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      history.sample(snapshot());
      lock.lock();
      cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; });
    }
  });
}

dashboard_sampler::~dashboard_sampler() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void add_api_routes(http_server& server, api_context ctx) {
  if (!ctx.now_ms) ctx.now_ms = wall_now_ms;
  auto shared = std::make_shared<const api_context>(std::move(ctx));

  server.get("/|/assets/[a-z.]+", [](const http_request& req) {
    const auto* a = find_dashboard_asset(req.path);
    if (a == nullptr) return error_answer(404, "no such asset: " + req.path);
    http_response r;
    r.content_type = std::string(a->content_type);
    r.body = std::string(a->body);
    return r;
  });

  server.get("/api/v1/dashboard", [c = shared](const http_request&) {
    http_response r;
    r.body = c->history->render(c->snapshot());
    return r;
  });

  server.get("/api/v1/campaigns", [c = shared](const http_request&) {
    if (c->state == nullptr) return error_answer(404, "no state directory behind this endpoint");
    auto list = campaign_list(*c->state);
    if (!list) return failed(list.error());
    return json_answer(200, {{"campaigns", *list}});
  });

  server.get("/api/v1/campaigns/([^/]+)", [c = shared](const http_request& req) {
    if (c->state == nullptr) return error_answer(404, "no state directory behind this endpoint");
    auto one = campaign_detail(*c->state, req.matches.at(0), c->now_ms());
    if (!one) return failed(one.error());
    if (!*one) return error_answer(404, "no campaign " + req.matches.at(0));
    // The campaign's alerts this process raised (the last 50 of all campaigns are kept).
    auto alerts = nlohmann::json::array();
    if (c->snapshot) {
      for (const auto& a : c->snapshot().alerts) {
        if (a.campaign != req.matches.at(0)) continue;
        alerts.push_back({{"at_ms", a.at_ms}, {"severity", a.severity}, {"message", a.message}});
      }
    }
    (**one)["alerts"] = std::move(alerts);
    return json_answer(200, **one);
  });

  server.get("/api/v1/campaigns/([^/]+)/cards/([^/]+)", [c = shared](const http_request& req) {
    if (c->state == nullptr) return error_answer(404, "no state directory behind this endpoint");
    auto card = card_detail(*c->state, req.matches.at(0), req.matches.at(1));
    if (!card) return failed(card.error());
    if (!*card) {
      return error_answer(
          404, "campaign " + req.matches.at(0) + " has no job for card " + req.matches.at(1));
    }
    return json_answer(200, **card);
  });

  server.post("/api/v1/campaigns/([^/]+)/(pause|resume|cancel)", [c = shared](
                                                                     const http_request& req) {
    auto origin = control_origin_of(*c, req);
    if (auto* refused = std::get_if<http_response>(&origin)) return *refused;
    const auto action = model::parse_control_action(req.matches.at(1));
    if (!action) return error_answer(400, "unknown action " + req.matches.at(1));
    auto done = c->control(req.matches.at(0), *action, std::get<model::control_origin>(origin));
    if (!done) {
      if (done.error().code == errc::conflict) return error_answer(409, done.error().message);
      return failed(done.error());
    }
    return json_answer(
        202, {{"campaign", req.matches.at(0)}, {"action", req.matches.at(1)}, {"result", *done}});
  });

  server.post("/api/v1/campaigns/([^/]+)/retry", [c = shared](const http_request& req) {
    auto origin = control_origin_of(*c, req);
    if (auto* refused = std::get_if<http_response>(&origin)) return *refused;
    if (!c->retry) {
      return error_answer(409,
                          "this process cannot retry while it runs the campaign: retry after "
                          "`campaign run` ends (`otaflow campaign retry`), or through serve");
    }
    auto body = retry_body(req.body);
    if (!body) return error_answer(400, body.error().message);
    auto done = c->retry(req.matches.at(0), body->first, body->second,
                         std::get<model::control_origin>(origin));
    if (!done) {
      if (done.error().code == errc::conflict) return error_answer(409, done.error().message);
      if (done.error().code == errc::bad_argument) return error_answer(400, done.error().message);
      return failed(done.error());
    }
    return json_answer(202,
                       {{"campaign", req.matches.at(0)}, {"action", "retry"}, {"result", *done}});
  });
}

}  // namespace otaflow::service
