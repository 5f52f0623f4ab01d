#include "app/state_dir.hpp"

#include <cstdio>
#include <cstdlib>

#include "app/command.hpp"

namespace otaflow::app {

std::string audit_key_file_from_env() {
  const char* v = std::getenv("OTAFLOW_AUDIT_KEY_FILE");
  return v != nullptr ? v : "";
}

result<std::unique_ptr<storage::state>> open_state(const std::string& dir,
                                                   const std::string& kek_file, bool create) {
  storage::db_options o;
  o.dir = dir;
  o.create_if_missing = create;
  o.audit_key_file = audit_key_file_from_env();
  storage::kek_source k;
  if (!kek_file.empty()) k.file = kek_file;
  return storage::state::open(o, k);
}

std::unique_ptr<storage::state> open_state_or_exit(const std::string& dir,
                                                   const std::string& kek_file, bool create) {
  auto st = open_state(dir, kek_file, create);
  if (!st) {
    std::fprintf(stderr, "otaflow: %s\n", st.error().message.c_str());
    exit_with(1);
  }
  return std::move(*st);
}

result<std::unique_ptr<storage::state>> open_state_read_only(const std::string& dir,
                                                             const std::string& kek_file) {
  storage::db_options o;
  o.dir = dir;
  o.create_if_missing = false;
  o.read_only = true;
  storage::kek_source k;
  if (!kek_file.empty()) k.file = kek_file;
  return storage::state::open(o, k);
}

std::unique_ptr<storage::state> open_state_read_only_or_exit(const std::string& dir,
                                                             const std::string& kek_file) {
  auto st = open_state_read_only(dir, kek_file);
  if (!st) {
    std::fprintf(stderr, "otaflow: %s\n", st.error().message.c_str());
    exit_with(1);
  }
  return std::move(*st);
}

}  // namespace otaflow::app
