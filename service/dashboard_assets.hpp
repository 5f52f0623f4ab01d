#pragma once
// The dashboard page's files (service/dashboard/), embedded in the binary at build time by
// cmake/embed_assets.cmake.

#include <span>
#include <string_view>

namespace otaflow::service {

/// One file served over HTTP.
struct web_asset {
  std::string_view path;          ///< "/", "/assets/dashboard.js", ...
  std::string_view content_type;  ///< with its charset
  std::string_view body;
};

/// Every embedded file.
[[nodiscard]] std::span<const web_asset> dashboard_assets() noexcept;

/// The asset served at `path`, or nullptr.
[[nodiscard]] inline const web_asset* find_dashboard_asset(std::string_view path) noexcept {
  for (const auto& a : dashboard_assets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

}  // namespace otaflow::service
