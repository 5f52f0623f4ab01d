#include "storage/secret.hpp"

#include <algorithm>
#include <string>

namespace otaflow::storage {

result<secret> secret::from(byte_view data) {
  if (data.size() > max_size) {
    return make_error(errc::bad_length, "secret: at most " + std::to_string(max_size) +
                                            " octets, got " + std::to_string(data.size()));
  }
  secret s;
  std::copy(data.begin(), data.end(), s.buf_.begin());
  s.size_ = static_cast<std::uint8_t>(data.size());
  return s;
}

secret::secret(const secret& other) noexcept : buf_(other.buf_), size_(other.size_) {}

secret& secret::operator=(const secret& other) noexcept {
  if (this != &other) {
    buf_ = other.buf_;
    size_ = other.size_;
  }
  return *this;
}

secret::secret(secret&& other) noexcept : buf_(other.buf_), size_(other.size_) {
  other.clear();
}

secret& secret::operator=(secret&& other) noexcept {
  if (this != &other) {
    buf_ = other.buf_;
    size_ = other.size_;
    other.clear();
  }
  return *this;
}

secret::~secret() {
  secure_wipe(buf_);
}

void secret::clear() noexcept {
  secure_wipe(buf_);
  size_ = 0;
}

bool operator==(const secret& a, const secret& b) noexcept {
  return a.size_ == b.size_ && equal_ct(a.view(), b.view());
}

}  // namespace otaflow::storage
