#include "secure/key_cipher.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <string>

#include <openssl/evp.h>
#include <openssl/rand.h>

namespace otaflow::secure {
namespace {

struct ctx_free {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, ctx_free>;

// AES-256-GCM fetched once: EVP_aes_256_gcm() in an init call makes OpenSSL 3 look the
// algorithm up by name again every time (locks and string compares: 5% of an import).
const EVP_CIPHER* gcm() {
  static EVP_CIPHER* const c = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return c;
}

// One context per thread and direction, keyed once per KEK: only the nonce changes from one
// value to the next, so the AES key schedule is not redone for every 100-octet value.
// The KEK the context holds is remembered (wiped at thread exit) to notice a different one.
struct keyed_ctx {
  ctx_ptr ctx{EVP_CIPHER_CTX_new()};
  std::array<std::uint8_t, 32> key{};
  bool keyed = false;
  keyed_ctx() = default;
  keyed_ctx(const keyed_ctx&) = delete;
  keyed_ctx& operator=(const keyed_ctx&) = delete;
  ~keyed_ctx() { secure_wipe(key); }

  // The context ready for a value under `kek` with this nonce; nullptr on failure.
  EVP_CIPHER_CTX* start(byte_view k, const std::uint8_t* nonce, bool encrypt) {
    if (!ctx || gcm() == nullptr) return nullptr;
    if (!keyed || !equal_ct(k, key)) {
      keyed = false;
      const int ok = encrypt ? EVP_EncryptInit_ex2(ctx.get(), gcm(), k.data(), nullptr, nullptr)
                             : EVP_DecryptInit_ex2(ctx.get(), gcm(), k.data(), nullptr, nullptr);
      if (ok != 1) return nullptr;
      std::copy(k.begin(), k.end(), key.begin());
      keyed = true;
    }
    // GCM's default IV length is 12 octets, so no parameter is needed.
    const int ok = encrypt ? EVP_EncryptInit_ex2(ctx.get(), nullptr, nullptr, nonce, nullptr)
                           : EVP_DecryptInit_ex2(ctx.get(), nullptr, nullptr, nonce, nullptr);
    return ok == 1 ? ctx.get() : nullptr;
  }
};

keyed_ctx& thread_ctx(bool encrypt) {
  thread_local keyed_ctx enc, dec;
  return encrypt ? enc : dec;
}

status check_kek(byte_view kek) {
  if (kek.size() != 32) {
    return make_error(errc::bad_length,
                      "key-encryption key: 32 octets needed, got " + std::to_string(kek.size()));
  }
  return {};
}

error crypto_error(const char* what) {
  return make_error(errc::internal, std::string("AES-256-GCM: ") + what + " failed");
}

}  // namespace

result<bytes> seal(byte_view kek, byte_view aad, byte_view plaintext) {
  OTAFLOW_TRY(check_kek(kek));
  bytes out(sealed_overhead + plaintext.size());
  out[0] = sealed_version;
  std::uint8_t* nonce = out.data() + 1;
  std::uint8_t* body = nonce + gcm_nonce_size;
  std::uint8_t* tag = body + plaintext.size();
  if (RAND_bytes(nonce, static_cast<int>(gcm_nonce_size)) != 1) return crypto_error("RAND_bytes");
  EVP_CIPHER_CTX* ctx = thread_ctx(true).start(kek, nonce, true);
  if (ctx == nullptr) return crypto_error("encrypt init");
  int len = 0;
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return crypto_error("AAD");
  }
  if (!plaintext.empty() && EVP_EncryptUpdate(ctx, body, &len, plaintext.data(),
                                              static_cast<int>(plaintext.size())) != 1) {
    return crypto_error("encrypt");
  }
  if (EVP_EncryptFinal_ex(ctx, body + plaintext.size(), &len) != 1) return crypto_error("final");
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(gcm_tag_size), tag) != 1) {
    return crypto_error("get tag");
  }
  return out;
}

result<bytes> unseal(byte_view kek, byte_view aad, byte_view sealed) {
  OTAFLOW_TRY(check_kek(kek));
  if (sealed.size() < sealed_overhead) {
    return make_error(errc::truncated, "sealed value: " + std::to_string(sealed.size()) +
                                           " octets, at least " + std::to_string(sealed_overhead) +
                                           " needed");
  }
  if (sealed[0] != sealed_version) {
    return make_error(errc::unsupported,
                      "sealed value: version " + std::to_string(sealed[0]) + ", expected 1");
  }
  const std::uint8_t* nonce = sealed.data() + 1;
  const std::uint8_t* body = nonce + gcm_nonce_size;
  const std::size_t body_len = sealed.size() - sealed_overhead;
  const std::uint8_t* tag = body + body_len;
  EVP_CIPHER_CTX* ctx = thread_ctx(false).start(kek, nonce, false);
  if (ctx == nullptr) return crypto_error("decrypt init");
  int len = 0;
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return crypto_error("AAD");
  }
  bytes out(body_len);
  if (body_len > 0 &&
      EVP_DecryptUpdate(ctx, out.data(), &len, body, static_cast<int>(body_len)) != 1) {
    return crypto_error("decrypt");
  }
  // OpenSSL takes a non-const pointer for the expected tag but only reads it.
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(gcm_tag_size),
                          const_cast<std::uint8_t*>(tag)) != 1) {
    return crypto_error("set tag");
  }
  if (EVP_DecryptFinal_ex(ctx, out.data() + body_len, &len) != 1) {
    secure_wipe(out);
    return make_error(errc::verification,
                      "sealed value: authentication failed (wrong key-encryption key, value "
                      "moved from another row, or altered)");
  }
  return out;
}

}  // namespace otaflow::secure
