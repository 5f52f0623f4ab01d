#pragma once
// The demo's generated fleet as the SIM vendor's CSV (storage/csv_import.hpp), produced while
// the importer reads it: the file of 1M cards is 214 MB and never exists whole.

#include <cstdint>
#include <string>

#include "base/error.hpp"
#include "storage/api.hpp"

namespace otaflow::demo {

/// Imports cards [first, count) of the fleet generated from `seed` into a new repository
/// (bulk: nothing else may write to it meanwhile). A rejected row is an error.
[[nodiscard]] status import_generated_fleet(storage::state& st, const std::string& seed,
                                            std::uint64_t count, std::uint64_t first = 0);

}  // namespace otaflow::demo
