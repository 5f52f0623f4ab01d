#include "base/principal.hpp"

#include <pwd.h>
#include <unistd.h>

#include <array>
#include <vector>

namespace otaflow {

std::string os_principal() {
  const uid_t uid = ::geteuid();
  std::string name;
  std::vector<char> buf(4096);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    name = found->pw_name;
  }
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  std::string out = "os:";
  out += name.empty() ? "uid " + std::to_string(uid) : name + " (uid " + std::to_string(uid) + ")";
  if (host[0] != '\0') out += std::string(" on ") + host.data();
  out += ", pid " + std::to_string(::getpid());
  return out;
}

}  // namespace otaflow
