// Fuzz target: the records otaflow reads back from its own RocksDB (storage/job_store.hpp job
// records, versions 1 and 2, and storage/audit_log.hpp audit events). A damaged or hostile
// state directory must give a clear error, never a crash or a read past the end.
//
// The first input byte picks the decoder; the rest is the stored value.
// Checks beyond "no crash": what decodes, encodes and decodes again to the same record (the
// encoder writes the newest version, so a v1 record reads back equal through v2).

#include <cstdint>
#include <cstdlib>

#include "storage/audit_log.hpp"
#include "storage/job_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otaflow;
  if (size == 0) return 0;
  const byte_view in(data + 1, size - 1);
  if (data[0] & 1) {
    auto r = storage::job_store::decode(in);
    if (!r) return 0;
    if (static_cast<std::size_t>(r->state) >= model::job_state_count) std::abort();
    auto back = storage::job_store::decode(storage::job_store::encode(*r));
    if (!back || !(*back == *r)) std::abort();
  } else {
    auto e = storage::audit_log::decode(in);
    if (!e) return 0;
    auto back = storage::audit_log::decode(storage::audit_log::encode(*e));
    if (!back || storage::audit_log::encode(*back) != storage::audit_log::encode(*e)) std::abort();
  }
  return 0;
}
