#include "base/error.hpp"

namespace otaflow {
namespace {

class base_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "otaflow"; }
  std::string message(int c) const override {
    switch (static_cast<errc>(c)) {
      case errc::ok:
        return "ok";
      case errc::truncated:
        return "truncated input";
      case errc::bad_value:
        return "bad value";
      case errc::bad_length:
        return "bad length";
      case errc::unsupported:
        return "unsupported";
      case errc::too_long:
        return "too long";
      case errc::bad_argument:
        return "bad argument";
      case errc::verification:
        return "verification failed";
      case errc::io:
        return "i/o error";
      case errc::not_found:
        return "not found";
      case errc::conflict:
        return "conflict";
      case errc::internal:
        return "internal error";
    }
    return "unknown";
  }
};

}  // namespace

const std::error_category& base_category() noexcept {
  static const base_category_impl c;
  return c;
}

std::string error::describe() const {
  if (!code) return message;
  return message + " (" + code.category().name() + ": " + code.message() + ")";
}

}  // namespace otaflow
