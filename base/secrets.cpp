#include "base/secrets.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "base/bytes.hpp"

namespace otaflow {
namespace {

std::string trimmed(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

}  // namespace

status check_private_file(const std::string& path, std::string_view what) {
  const std::string origin = std::string(what) + " " + path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return make_error(errc::io, origin + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return make_error(errc::bad_argument, origin + ": not a regular file");
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return make_error(errc::bad_argument, origin + ": readable by group or others (mode " +
                                              std::to_string((st.st_mode >> 6) & 7) +
                                              std::to_string((st.st_mode >> 3) & 7) +
                                              std::to_string(st.st_mode & 7) + "; chmod 600 it)");
  }
  return {};
}

result<std::string> read_private_file(const std::string& path, std::string_view what) {
  OTAFLOW_TRY(check_private_file(path, what));
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(errc::io, std::string(what) + " " + path + ": cannot be read");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return trimmed(std::move(text));
}

void secure_wipe(std::string& s) noexcept {
  secure_wipe({reinterpret_cast<std::uint8_t*>(s.data()), s.size()});
}

std::optional<std::string> take_env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  std::string value = trimmed(v);
  // /proc/PID/environ shows the process's initial environment block, which unsetenv leaves as it
  // was: overwrite the value in place first.
  std::memset(const_cast<char*>(v), 0, std::strlen(v));
  ::unsetenv(name);
  return value;
}

hardening_report harden_process() noexcept {
  hardening_report r;
  const rlimit zero{0, 0};
  r.core_limit_zero = ::setrlimit(RLIMIT_CORE, &zero) == 0;
  r.not_dumpable = ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
  return r;
}

}  // namespace otaflow
