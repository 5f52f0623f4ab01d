#pragma once
// Error and result types shared by every module. No exceptions cross a module
// boundary: functions that can fail return result<T>.

#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace otaflow {

/// Whether retrying the same operation later may succeed (librdkafka's model).
enum class error_class { permanent, retriable };

/// Error codes of base/ (other folders define their own enum + category).
enum class errc {
  ok = 0,
  truncated,     ///< input ended before a length field was satisfied
  bad_value,     ///< a field holds a value the spec does not allow
  bad_length,    ///< a length field disagrees with the data
  unsupported,   ///< valid per spec but not implemented
  too_long,      ///< the output would exceed a limit (e.g. 140 octets of TP-UD)
  bad_argument,  ///< a caller passed an invalid argument
  verification,  ///< a checksum/signature/counter check failed
  io,            ///< an I/O operation failed
  not_found,     ///< a looked-up entity does not exist
  conflict,      ///< state does not allow the operation
  internal,      ///< a bug: an invariant was broken
};

const std::error_category& base_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), base_category()};
}

/// An error: a code, a message that names the bad input, and a class.
struct error {
  std::error_code code;
  std::string message;
  error_class cls = error_class::permanent;

  [[nodiscard]] bool retriable() const noexcept { return cls == error_class::retriable; }
  /// "message (category: code text)"
  [[nodiscard]] std::string describe() const;
};

/// Builds an error from any code enum registered with std::is_error_code_enum.
template <class E>
[[nodiscard]] error make_error(E code, std::string message,
                               error_class cls = error_class::permanent) {
  using std::make_error_code;
  return error{make_error_code(code), std::move(message), cls};
}

/// Builds an error from an error_code that is already made (e.g. copied from another error).
[[nodiscard]] inline error make_error(std::error_code code, std::string message,
                                      error_class cls = error_class::permanent) {
  return error{code, std::move(message), cls};
}

/// The value of a fallible operation, or the error that stopped it.
template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  result(otaflow::error err) : v_(std::in_place_index<1>, std::move(err)) {}  // NOLINT

  [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }

  const otaflow::error& error() const& { return std::get<1>(v_); }
  otaflow::error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, otaflow::error> v_;
};

/// result<void>: success carries nothing.
template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(otaflow::error err) : err_(std::move(err)), ok_(false) {}  // NOLINT

  [[nodiscard]] bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const otaflow::error& error() const& { return err_; }
  otaflow::error&& error() && { return std::move(err_); }

 private:
  otaflow::error err_;
  bool ok_ = true;
};

using status = result<void>;

}  // namespace otaflow

template <>
struct std::is_error_code_enum<otaflow::errc> : std::true_type {};

/// Propagates the error of a result expression; otherwise yields nothing.
#define OTAFLOW_TRY(expr)                                    \
  do {                                                       \
    auto&& otaflow_try_r_ = (expr);                          \
    if (!otaflow_try_r_.ok()) return otaflow_try_r_.error(); \
  } while (0)
