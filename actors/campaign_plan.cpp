#include "actors/campaign_plan.hpp"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "actors/ota_packets.hpp"
#include "actors/storage_cursor.hpp"
#include "base/bytes.hpp"

namespace otaflow::actors {
namespace {

const char* step_name(step_kind k) {
  switch (k) {
    case step_kind::remove:
      return "DELETE";
    case step_kind::install_for_load:
      return "INSTALL [for load]";
    case step_kind::load:
      return "LOAD";
    case step_kind::list:
      return "GET STATUS";
    case step_kind::script:
      break;
  }
  return "INSTALL";
}

std::size_t ram_sms(const plan_variant& v) {
  std::size_t n = 0;
  for (const auto& s : v.ram_steps) n += s.second;
  return n;
}

// "9 steps, 21 SMS per card (1 DELETE, 1 INSTALL [for load], 5 LOAD, ...)".
std::string ram_summary(const plan_variant& v) {
  std::string kinds;
  for (std::size_t i = 0; i < v.ram_steps.size();) {
    std::size_t j = i;
    while (j < v.ram_steps.size() && v.ram_steps[j].first == v.ram_steps[i].first) ++j;
    kinds +=
        (kinds.empty() ? "" : ", ") + std::to_string(j - i) + " " + step_name(v.ram_steps[i].first);
    i = j;
  }
  return std::to_string(v.ram_steps.size()) + " steps, " + std::to_string(ram_sms(v)) +
         " SMS per card (" + kinds + ")";
}

}  // namespace

result<campaign_plan> plan_campaign(storage::state& state, const campaign_def& def,
                                    std::size_t examples, const route_table* routes) {
  campaign_plan p;
  p.campaign = def.id;
  for (const auto& v : effective_variants(def)) {
    if (!v.security.allow_insecure) continue;
    p.insecure.push_back(v.name + " (SPI " + to_hex(v.security.spi, 4, hex_case::upper) + ")");
  }
  const auto variants = effective_variants(def);
  for (const auto& v : variants) {
    plan_variant pv;
    pv.name = v.name;
    p.variants.push_back(std::move(pv));
  }
  if (std::any_of(variants.begin(), variants.end(),
                  [](const variant_def& v) { return v.update.ram.has_value(); })) {
    // The same packets a run sends (ota_packets.hpp), counted.
    auto ctx = prepare_campaign(def);
    if (!ctx) return ctx.error();
    for (std::size_t i = 0; i < (*ctx)->variants.size() && i < p.variants.size(); ++i)
      for (const auto& s : (*ctx)->variants[i].steps)
        p.variants[i].ram_steps.emplace_back(s.kind, s.sms);
  }
  if (routes != nullptr) {
    for (const auto& r : routes->routes()) p.routes.emplace_back(r.name, 0);
  }
  subscriber_cursor cursor(state, def, cursor_options{.load_keys = false, .routes = routes});
  for (;;) {
    auto cards = cursor.next(1024);
    if (!cards) return cards.error();
    if (cards->empty()) break;
    for (auto& c : *cards) {
      ++p.cards;
      plan_variant* v = c.variant >= 0 && static_cast<std::size_t>(c.variant) < p.variants.size()
                            ? &p.variants[static_cast<std::size_t>(c.variant)]
                            : nullptr;
      if (v) ++v->cards;
      if (!c.skip.empty()) {
        ++p.skipped;
        ++p.skip_reasons[c.skip];
        auto& ex = p.skip_examples[c.skip];
        if (ex.size() < examples) ex.push_back(c.iccid);
        if (v) ++v->skipped;
      } else if (!c.problem.empty()) {
        ++p.failed;
        ++p.failure_reasons[c.problem];
        if (v) ++v->failed;
      } else {
        ++p.send;
        if (c.route >= 0 && static_cast<std::size_t>(c.route) < p.routes.size()) {
          ++p.routes[static_cast<std::size_t>(c.route)].second;
        }
        if (v) {
          ++v->send;
          if (v->examples.size() < examples) {
            v->examples.push_back(c.iccid);
            const auto& up = variants[static_cast<std::size_t>(c.variant)].update;
            v->example_writes.push_back(templated_writes(up, c.imsi));
          }
        }
      }
    }
  }
  return p;
}

nlohmann::json plan_json(const campaign_plan& p) {
  nlohmann::json j;
  j["campaign"] = p.campaign;
  j["cards"] = p.cards;
  j["send"] = p.send;
  j["skipped"] = p.skipped;
  j["failed"] = p.failed;
  nlohmann::json vs = nlohmann::json::object();
  for (const auto& v : p.variants) {
    vs[v.name] = {{"cards", v.cards},
                  {"send", v.send},
                  {"skipped", v.skipped},
                  {"failed", v.failed},
                  {"examples", v.examples}};
    nlohmann::json writes = nlohmann::json::array();
    for (std::size_t i = 0; i < v.example_writes.size() && i < v.examples.size(); ++i) {
      for (const auto& w : v.example_writes[i]) {
        writes.push_back({{"iccid", v.examples[i]},
                          {"template", w.name},
                          {"path", w.path},
                          {"data", to_hex(w.data, hex_case::upper)}});
      }
    }
    if (!writes.empty()) vs[v.name]["templated_writes"] = std::move(writes);
    if (!v.ram_steps.empty()) {
      nlohmann::json steps = nlohmann::json::array();
      for (const auto& [kind, sms] : v.ram_steps)
        steps.push_back({{"kind", step_name(kind)}, {"sms", sms}});
      vs[v.name]["ram"] = {
          {"steps", v.ram_steps.size()}, {"sms", ram_sms(v)}, {"step_sms", std::move(steps)}};
    }
  }
  j["variants"] = vs;
  j["skip_reasons"] = p.skip_reasons;
  j["skip_examples"] = p.skip_examples;
  j["failure_reasons"] = p.failure_reasons;
  j["allow_insecure"] = p.insecure;
  if (!p.routes.empty()) {
    nlohmann::json rs = nlohmann::json::object();
    for (const auto& [name, n] : p.routes) rs[name] = {{"send", n}};
    j["routes"] = rs;
  }
  return j;
}

std::string plan_table(const campaign_plan& p) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line,
                "campaign %s: %llu cards selected, %llu to send, %llu skipped, %llu cannot be "
                "served\n\n",
                p.campaign.c_str(), static_cast<unsigned long long>(p.cards),
                static_cast<unsigned long long>(p.send), static_cast<unsigned long long>(p.skipped),
                static_cast<unsigned long long>(p.failed));
  out += line;
  for (const auto& v : p.insecure) {
    out += "allow_insecure: variant " + v + " is sent below the minimum security level\n";
  }
  if (!p.insecure.empty()) out += "\n";
  std::size_t w = 7;
  for (const auto& v : p.variants) w = std::max(w, v.name.size());
  std::snprintf(line, sizeof line, "%-*s %10s %10s %10s %10s  %s\n", static_cast<int>(w), "variant",
                "cards", "send", "skipped", "failed", "examples");
  out += line;
  for (const auto& v : p.variants) {
    std::string ex;
    for (const auto& e : v.examples) ex += (ex.empty() ? "" : " ") + e;
    std::snprintf(line, sizeof line, "%-*s %10llu %10llu %10llu %10llu  ", static_cast<int>(w),
                  v.name.c_str(), static_cast<unsigned long long>(v.cards),
                  static_cast<unsigned long long>(v.send),
                  static_cast<unsigned long long>(v.skipped),
                  static_cast<unsigned long long>(v.failed));
    out += line;
    out += ex + "\n";
  }
  for (const auto& v : p.variants) {
    if (!v.ram_steps.empty()) out += "\nram (" + v.name + "): " + ram_summary(v) + "\n";
  }
  auto reasons = [&](const char* title, const std::map<std::string, std::uint64_t>& m) {
    if (m.empty()) return;
    out += "\n";
    out += title;
    out += ":\n";
    for (const auto& [reason, n] : m) {
      std::snprintf(line, sizeof line, "%10llu  ", static_cast<unsigned long long>(n));
      out += line + reason + "\n";
    }
  };
  bool titled = false;
  for (const auto& v : p.variants) {
    for (std::size_t i = 0; i < v.example_writes.size() && i < v.examples.size(); ++i) {
      if (v.example_writes[i].empty()) continue;
      if (!titled) out += "\ntemplated writes of the example cards:\n";
      titled = true;
      out += "  " + v.examples[i] + " (" + v.name + ")\n";
      for (const auto& w : v.example_writes[i])
        out += "    " + w.name + " " + w.path + " " + to_hex(w.data, hex_case::upper) + "\n";
    }
  }
  if (!p.routes.empty()) {
    std::size_t rw = 5;
    for (const auto& r : p.routes) rw = std::max(rw, r.first.size());
    std::snprintf(line, sizeof line, "\n%-*s %10s\n", static_cast<int>(rw), "route", "send");
    out += line;
    for (const auto& [name, n] : p.routes) {
      std::snprintf(line, sizeof line, "%-*s %10llu\n", static_cast<int>(rw), name.c_str(),
                    static_cast<unsigned long long>(n));
      out += line;
    }
  }
  reasons("skipped", p.skip_reasons);
  reasons("cannot be served (would fail)", p.failure_reasons);
  return out;
}

}  // namespace otaflow::actors
