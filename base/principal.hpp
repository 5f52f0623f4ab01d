#pragma once
// Who asked, for the audit log (docs/AUDIT.md): the operating-system user running this
// process and the host it runs on. Commands run by an operator record this; serve records
// the Kafka record or HTTP token that carried a request instead.

#include <string>

namespace otaflow {

/// "os:NAME (uid N) on HOST, pid P"; the uid alone when the user has no passwd entry.
[[nodiscard]] std::string os_principal();

}  // namespace otaflow
