#include "service/mo_forwarder.hpp"

#include <nlohmann/json.hpp>

#include "base/log.hpp"
#include "kafka/partition_reader.hpp"
#include "service/serve_partitions.hpp"
#include "storage/card_record.hpp"

namespace otaflow::service {
namespace {

std::shared_ptr<spdlog::logger> logger() {
  static const auto l = log::get("serve");
  return l;
}

}  // namespace

// ---- msisdn_directory ----------------------------------------------------------------------

msisdn_directory::~msisdn_directory() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

status msisdn_directory::refresh() {
  std::vector<kafka::topic_partition> from;
  {
    std::lock_guard lock(mu_);
    from = next_;
  }
  if (from.empty()) {
    auto n = kafka::partition_count(opts_, opts_.subscribers_topic, std::chrono::seconds(10));
    if (!n) return n.error();
    for (std::int32_t p = 0; p < *n; ++p) {
      from.push_back({opts_.subscribers_topic, p, kafka::from_beginning});
    }
  }
  std::vector<std::pair<std::string, std::string>> found;
  auto next = kafka::read_partitions(
      opts_, from,
      [&](std::int32_t, std::string_view key, std::optional<std::string_view> value,
          std::int64_t) -> status {
        if (!value) return {};
        auto rec = storage::decode_card(key, *value);
        if (!rec) return {};  // the owner dead-letters it
        for (const auto& row : rec->rows) {
          if (row.col == storage::column::by_msisdn) found.emplace_back(row.key, rec->iccid);
        }
        return {};
      },
      std::chrono::minutes(5));
  if (!next) return next.error();
  std::lock_guard lock(mu_);
  for (auto& [m, i] : found) by_msisdn_[std::move(m)] = std::move(i);
  next_ = std::move(*next);
  return {};
}

status msisdn_directory::start(std::chrono::milliseconds every) {
  OTAFLOW_TRY(refresh());
  logger()->info("MSISDN directory: {} cards of {}", size(), opts_.subscribers_topic);
  thread_ = std::thread([this, every] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      wake_.wait_for(lock, every, [this] { return stop_; });
      if (stop_) break;
      lock.unlock();
      if (auto s = refresh(); !s) logger()->warn("MSISDN directory: {}", s.error().message);
      lock.lock();
    }
  });
  return {};
}

std::optional<std::string> msisdn_directory::iccid_of(const std::string& msisdn) const {
  std::lock_guard lock(mu_);
  auto it = by_msisdn_.find(msisdn);
  if (it == by_msisdn_.end()) return std::nullopt;
  return it->second;
}

std::size_t msisdn_directory::size() const {
  std::lock_guard lock(mu_);
  return by_msisdn_.size();
}

void msisdn_directory::add_for_test(std::string msisdn, std::string iccid) {
  std::lock_guard lock(mu_);
  by_msisdn_[std::move(msisdn)] = std::move(iccid);
}

// ---- forwarding_transport ------------------------------------------------------------------

void forwarding_transport::set_listener(actors::transport_listener* l) {
  listener_ = l;
  inner_.set_listener(this);
}

std::optional<std::string> forwarding_transport::elsewhere(const std::string& msisdn) const {
  const auto* owner = owner_.load();
  if (owner == nullptr) return std::nullopt;
  auto iccid = dir_.iccid_of(msisdn);
  if (!iccid || owner->owns_card(*iccid)) return std::nullopt;
  return iccid;
}

void forwarding_transport::forward(const std::string& iccid, const std::string& payload) {
  // Keyed by ICCID: the producer's murmur2 partitioner puts it on the card's partition.
  if (auto s = producer_.produce(topic_, iccid, payload); !s) {
    logger()->warn("answer for {} not forwarded to {}: {}", iccid, topic_, s.error().message);
    return;
  }
  ++forwarded_;
}

void forwarding_transport::on_receipt_from(std::string msisdn, std::string id, std::uint8_t state,
                                           std::string error) {
  if (auto iccid = elsewhere(msisdn)) {
    const nlohmann::json j = {
        {"kind", "receipt"}, {"msisdn", msisdn}, {"id", id}, {"state", state}, {"error", error}};
    forward(*iccid, j.dump());
    return;
  }
  listener_->on_receipt(std::move(id), state, std::move(error));
}

void forwarding_transport::on_mo(std::string from, bytes ud) {
  if (auto iccid = elsewhere(from)) {
    const nlohmann::json j = {{"kind", "mo"}, {"msisdn", from}, {"ud", to_hex(ud)}};
    forward(*iccid, j.dump());
    return;
  }
  listener_->on_mo(std::move(from), std::move(ud));
}

status forwarding_transport::deliver(const kafka::message& m) {
  const auto j = nlohmann::json::parse(m.payload, nullptr, false);
  auto bad = [&](const std::string& why) {
    return make_error(errc::bad_value, "forwarded answer: " + why);
  };
  if (!j.is_object() || !j.contains("kind") || !j["kind"].is_string() || !j.contains("msisdn") ||
      !j["msisdn"].is_string()) {
    return bad("not an object with string fields kind and msisdn");
  }
  const auto kind = j["kind"].get<std::string>();
  auto msisdn = j["msisdn"].get<std::string>();
  if (kind == "mo") {
    if (!j.contains("ud") || !j["ud"].is_string()) return bad("mo without a hex string ud");
    auto ud = from_hex(j["ud"].get<std::string>());
    if (!ud) return bad("ud: " + ud.error().message);
    ++delivered_;
    listener_->on_mo(std::move(msisdn), std::move(*ud));
    return {};
  }
  if (kind == "receipt") {
    if (!j.contains("id") || !j["id"].is_string() || !j.contains("state") ||
        !j["state"].is_number_unsigned() || j["state"].get<std::uint64_t>() > 255 ||
        !j.contains("error") || !j["error"].is_string()) {
      return bad("receipt needs string id, state 0..255 and string error");
    }
    ++delivered_;
    listener_->on_receipt(j["id"].get<std::string>(),
                          static_cast<std::uint8_t>(j["state"].get<std::uint64_t>()),
                          j["error"].get<std::string>());
    return {};
  }
  return bad("unknown kind '" + kind + "'");
}

}  // namespace otaflow::service
