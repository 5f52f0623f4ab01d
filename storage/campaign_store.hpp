#pragma once
// Campaigns: id -> status and the definition as the operator wrote it (TOML or
// JSON text, kept verbatim so a resumed campaign runs exactly what was given).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "storage/db.hpp"

namespace otaflow::storage {

/// Lifecycle of a campaign.
enum class campaign_status : std::uint8_t { paused = 0, running = 1, cancelled = 2, done = 3 };

/// "paused", "running", "cancelled", "done".
[[nodiscard]] std::string_view name(campaign_status s) noexcept;
/// Parses a status name.
[[nodiscard]] result<campaign_status> parse_campaign_status(std::string_view s);

/// One campaign.
struct campaign_record {
  std::string id;  ///< 1-128 characters of [A-Za-z0-9._:-]
  campaign_status status = campaign_status::paused;
  std::string format;      ///< "toml" or "json": how to read `definition`
  std::string definition;  ///< the definition text, verbatim
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;

  friend bool operator==(const campaign_record&, const campaign_record&) = default;
};

/// Checks a campaign id (it is a key prefix of the jobs family: no NUL).
[[nodiscard]] status validate_campaign_id(std::string_view id);

/// The campaigns family. Thread-safe.
class campaign_store {
 public:
  explicit campaign_store(db& d) : db_(d) {}

  /// Writes a campaign (insert or replace).
  [[nodiscard]] status put(const campaign_record& c, bool sync = true);
  /// Stages put() into a batch.
  [[nodiscard]] status stage_put(rocksdb::WriteBatch& b, const campaign_record& c) const;
  /// One campaign, or nullopt.
  [[nodiscard]] result<std::optional<campaign_record>> get(std::string_view id) const;
  /// Changes the status (and updated_ms); errc::not_found if unknown.
  [[nodiscard]] status set_status(std::string_view id, campaign_status s, bool sync = true);
  /// Every campaign, in id order.
  [[nodiscard]] result<std::vector<campaign_record>> list() const;

  [[nodiscard]] static bytes encode(const campaign_record& c);
  [[nodiscard]] static result<campaign_record> decode(std::string_view id, byte_view value);

 private:
  db& db_;
};

}  // namespace otaflow::storage
