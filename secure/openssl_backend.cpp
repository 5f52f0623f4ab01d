// The OpenSSL EVP batch backend: one engine (cached contexts) per backend instance.
#include <memory>

#include "secure/openssl_evp.hpp"
#include "secure/scp80_algorithm.hpp"

namespace otaflow::secure {
namespace {

class openssl_backend final : public crypto_backend {
 public:
  std::string_view name() const noexcept override { return "openssl-evp"; }

  void run(std::span<cipher_job> jobs) override {
    for (cipher_job& j : jobs) {
      status s = detail::validate_cipher(j.alg, j.key.size(), j.data.size());
      if (s.ok()) s = engine_.cipher(j.alg, j.key, j.data, j.encrypt);
      if (j.result != nullptr) *j.result = std::move(s);
    }
  }

  void run(std::span<cc_job> jobs) override {
    for (cc_job& j : jobs) {
      status s = detail::validate_cc(j.alg, j.key.size(), j.out.size());
      if (s.ok()) s = engine_.cc(j.alg, j.key, j.data, j.out);
      if (j.result != nullptr) *j.result = std::move(s);
    }
  }

 private:
  detail::evp_engine engine_;
};

}  // namespace

std::unique_ptr<crypto_backend> make_openssl_backend() {
  return std::make_unique<openssl_backend>();
}

}  // namespace otaflow::secure
