#include "actors/service_offsets.hpp"

namespace otaflow::actors {

void commit_tracker::received(const std::string& topic, std::int32_t partition,
                              std::int64_t offset) {
  auto& p = partitions_[{topic, partition}];
  if (offset < p.position) return;  // redelivered below the position: already covered
  if (p.records.emplace(offset, false).second) ++outstanding_;
}

void commit_tracker::done(const std::string& topic, std::int32_t partition, std::int64_t offset) {
  auto it = partitions_.find({topic, partition});
  if (it == partitions_.end()) return;
  auto& p = it->second;
  auto r = p.records.find(offset);
  if (r == p.records.end()) return;
  r->second = true;
  // Advance over the done prefix.
  while (!p.records.empty() && p.records.begin()->second) {
    p.position = p.records.begin()->first + 1;
    p.records.erase(p.records.begin());
    --outstanding_;
    p.advanced = true;
  }
}

std::vector<offset_position> commit_tracker::take_commits() {
  std::vector<offset_position> out;
  for (auto& [k, p] : partitions_) {
    if (!p.advanced) continue;
    p.advanced = false;
    out.push_back({k.first, k.second, p.position});
  }
  return out;
}

std::vector<offset_position> commit_tracker::positions() const {
  std::vector<offset_position> out;
  for (const auto& [k, p] : partitions_) {
    if (p.position >= 0) out.push_back({k.first, k.second, p.position});
  }
  return out;
}

void commit_tracker::forget(const std::string& topic, std::int32_t partition) {
  auto it = partitions_.find({topic, partition});
  if (it == partitions_.end()) return;
  outstanding_ -= it->second.records.size();
  partitions_.erase(it);
}

std::size_t commit_tracker::outstanding() const noexcept {
  return outstanding_;
}

}  // namespace otaflow::actors
