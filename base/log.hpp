#pragma once
// Logging: one named spdlog logger per folder ("engine", "smsc", "kafka", ...).
// Never log a key or a plaintext secret.

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace otaflow::log {

/// The logger with this name, created on first use (stderr, shared level).
std::shared_ptr<spdlog::logger> get(const std::string& name);

/// Sets the level of every otaflow logger ("trace".."off"); false if unknown.
bool set_level(const std::string& level);

}  // namespace otaflow::log
