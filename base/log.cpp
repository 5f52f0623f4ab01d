#include "base/log.hpp"

#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace otaflow::log {
namespace {

std::mutex mu;
spdlog::level::level_enum current = spdlog::level::info;

}  // namespace

std::shared_ptr<spdlog::logger> get(const std::string& name) {
  std::lock_guard lock(mu);
  if (auto l = spdlog::get(name)) return l;
  auto l = spdlog::stderr_color_mt(name);
  l->set_level(current);
  return l;
}

bool set_level(const std::string& level) {
  const auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") return false;
  std::lock_guard lock(mu);
  current = lvl;
  spdlog::set_level(lvl);
  return true;
}

}  // namespace otaflow::log
