// OpenSSL EVP engine: cached contexts per algorithm, re-keyed per message.
//
// OpenSSL 3 notes (see docs/library-notes.md, "OpenSSL 3"):
// - single DES lives in the legacy provider. We load "default" and "legacy" into a private
//   library context so the process-wide default context is left as the application set it.
//   Where the legacy provider is missing, single DES runs as DES-EDE3 with K||K||K, which is
//   the same permutation (EDE with three equal keys collapses to one encryption).
// - a context keeps its cipher; re-keying with EVP_CipherInit_ex2(ctx, NULL, key, iv, enc)
//   skips the algorithm fetch and context allocation a fresh context pays for.
#include "secure/openssl_evp.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace otaflow::secure::detail {
namespace {

// Slot indexes into the cipher cache.
enum slot : std::size_t {
  s_des_cbc,
  s_des_ecb,
  s_tdes2_cbc,
  s_tdes3_cbc,
  s_aes128_cbc,
  s_aes192_cbc,
  s_aes256_cbc
};

constexpr std::array<const char*, evp_engine::cipher_slots> slot_names = {
    "DES-CBC",     "DES-ECB",     "DES-EDE-CBC", "DES-EDE3-CBC",
    "AES-128-CBC", "AES-192-CBC", "AES-256-CBC"};

// Fetched algorithms, shared by every thread (EVP_CIPHER objects are immutable
// once fetched). Created once and deliberately never freed: freeing after OPENSSL_cleanup
// has run at exit would touch released provider state.
struct evp_algorithms {
  OSSL_LIB_CTX* libctx = nullptr;
  std::array<EVP_CIPHER*, evp_engine::cipher_slots> ciphers{};
  bool des_via_ede3 = false;  // the legacy provider could not be loaded
};

const evp_algorithms& algorithms() {
  static const evp_algorithms* algs = [] {
    auto* a = new evp_algorithms;  // NOLINT: intentionally immortal, see above
    a->libctx = OSSL_LIB_CTX_new();
    if (a->libctx != nullptr) {
      // Loading any provider explicitly turns off the implicit "default"; load both.
      (void)OSSL_PROVIDER_load(a->libctx, "default");
      (void)OSSL_PROVIDER_load(a->libctx, "legacy");
    }
    for (std::size_t i = 0; i < a->ciphers.size(); ++i) {
      a->ciphers[i] = EVP_CIPHER_fetch(a->libctx, slot_names[i], nullptr);
    }
    if (a->ciphers[s_des_cbc] == nullptr || a->ciphers[s_des_ecb] == nullptr) {
      a->des_via_ede3 = true;
      EVP_CIPHER_free(a->ciphers[s_des_cbc]);
      EVP_CIPHER_free(a->ciphers[s_des_ecb]);
      a->ciphers[s_des_cbc] = EVP_CIPHER_fetch(a->libctx, "DES-EDE3-CBC", nullptr);
      a->ciphers[s_des_ecb] = EVP_CIPHER_fetch(a->libctx, "DES-EDE3-ECB", nullptr);
    }
    ERR_clear_error();  // a missing legacy provider is handled above, not an error to report
    return a;
  }();
  return *algs;
}

std::size_t cipher_slot(cipher_alg alg, std::size_t key_len) noexcept {
  switch (alg) {
    case cipher_alg::des_cbc:
      return s_des_cbc;
    case cipher_alg::des_ecb:
      return s_des_ecb;
    case cipher_alg::tdes2_cbc:
      return s_tdes2_cbc;
    case cipher_alg::tdes3_cbc:
      return s_tdes3_cbc;
    case cipher_alg::aes_cbc:
      return key_len == 16 ? s_aes128_cbc : key_len == 24 ? s_aes192_cbc : s_aes256_cbc;
  }
  return s_aes128_cbc;
}

std::size_t cc_slot(cc_alg alg) noexcept {
  switch (alg) {
    case cc_alg::des_cbc_mac:
      return s_des_cbc;
    case cc_alg::tdes2_cbc_mac:
      return s_tdes2_cbc;
    case cc_alg::tdes3_cbc_mac:
      return s_tdes3_cbc;
    case cc_alg::aes_cmac:
      break;
  }
  return s_aes128_cbc;
}

constexpr std::uint8_t zero_iv[16] = {};

status openssl_failure(const char* what, const char* alg) {
  ERR_clear_error();  // keep the thread's OpenSSL error queue from growing
  return make_error(errc::internal, std::string("OpenSSL ") + what + " failed for " + alg);
}

}  // namespace

status validate_cipher(cipher_alg alg, std::size_t key_len, std::size_t data_len) {
  OTAFLOW_TRY(check_key(alg, key_len));
  const std::size_t bs = block_size(alg);
  if (data_len % bs != 0) {
    return make_error(errc::bad_argument,
                      std::string(name(alg)) + ": data length " + std::to_string(data_len) +
                          " is not a multiple of the block size " + std::to_string(bs));
  }
  return {};
}

status validate_cc(cc_alg alg, std::size_t key_len, std::size_t out_len) {
  OTAFLOW_TRY(check_key(alg, key_len));
  const std::size_t max = block_size(alg);
  if (out_len < 4 || out_len > max) {
    return make_error(errc::bad_argument, std::string(name(alg)) + ": checksum length " +
                                              std::to_string(out_len) + " outside 4.." +
                                              std::to_string(max));
  }
  return {};
}

evp_engine::~evp_engine() {
  for (auto* c : cipher_) EVP_CIPHER_CTX_free(c);  // cleanses the key schedule
}

EVP_CIPHER_CTX* evp_engine::cipher_ctx(std::size_t slot, status& err) {
  if (cipher_[slot] != nullptr) return cipher_[slot];
  const EVP_CIPHER* c = algorithms().ciphers[slot];
  if (c == nullptr) {
    err = make_error(errc::unsupported,
                     std::string("OpenSSL has no ") + slot_names[slot] + " (provider missing)");
    return nullptr;
  }
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr || EVP_CipherInit_ex2(ctx, c, nullptr, nullptr, 1, nullptr) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    err = openssl_failure("cipher context setup", slot_names[slot]);
    return nullptr;
  }
  // SCP80 pads itself (PCNTR); EVP's PKCS#7 padding would also hold back the last block on
  // decryption. The flag survives re-keying with a NULL cipher.
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  cipher_[slot] = ctx;
  return ctx;
}

status evp_engine::run_cipher(std::size_t slot, byte_view key, std::span<std::uint8_t> data,
                              bool encrypt) {
  status err;
  EVP_CIPHER_CTX* ctx = cipher_ctx(slot, err);
  if (ctx == nullptr) return err;
  // Single DES without the legacy provider: DES-EDE3 with K||K||K.
  std::uint8_t key3[24];
  const std::uint8_t* k = key.data();
  const bool expand = (slot == s_des_cbc || slot == s_des_ecb) && algorithms().des_via_ede3;
  if (expand) {
    for (int i = 0; i < 3; ++i) std::memcpy(key3 + 8 * i, key.data(), 8);
    k = key3;
  }
  const bool ecb = slot == s_des_ecb;
  const int ok =
      EVP_CipherInit_ex2(ctx, nullptr, k, ecb ? nullptr : zero_iv, encrypt ? 1 : 0, nullptr);
  if (expand) secure_wipe(key3);
  if (ok != 1) return openssl_failure("re-keying", slot_names[slot]);
  int outl = 0;
  if (!data.empty() &&
      (EVP_CipherUpdate(ctx, data.data(), &outl, data.data(), static_cast<int>(data.size())) != 1 ||
       static_cast<std::size_t>(outl) != data.size())) {
    return openssl_failure("ciphering", slot_names[slot]);
  }
  return {};
}

status evp_engine::cipher(cipher_alg alg, byte_view key, std::span<std::uint8_t> data,
                          bool encrypt) {
  return run_cipher(cipher_slot(alg, key.size()), key, data, encrypt);
}

// CBC-MAC (ISO/IEC 9797-1 MAC algorithm 1, padding method 1): CBC-encrypt the zero-padded
// input with a zero IV and keep the last cipher block. An empty input is one zero block.
status evp_engine::cbc_mac(std::size_t slot, byte_view key, byte_view data,
                           std::span<std::uint8_t> out) {
  status err;
  EVP_CIPHER_CTX* ctx = cipher_ctx(slot, err);
  if (ctx == nullptr) return err;
  std::uint8_t key3[24];
  const std::uint8_t* k = key.data();
  const bool expand = slot == s_des_cbc && algorithms().des_via_ede3;
  if (expand) {
    for (int i = 0; i < 3; ++i) std::memcpy(key3 + 8 * i, key.data(), 8);
    k = key3;
  }
  const int ok = EVP_CipherInit_ex2(ctx, nullptr, k, zero_iv, 1, nullptr);
  if (expand) secure_wipe(key3);
  if (ok != 1) return openssl_failure("re-keying", slot_names[slot]);

  // The intermediate cipher blocks are discarded: encrypt through a small scratch buffer.
  constexpr std::size_t chunk = 256;
  std::uint8_t scratch[chunk];
  std::uint8_t last[8] = {};
  const std::size_t full = data.size() / 8 * 8;
  int outl = 0;
  for (std::size_t pos = 0; pos < full; pos += chunk) {
    const std::size_t n = std::min(chunk, full - pos);
    if (EVP_CipherUpdate(ctx, scratch, &outl, data.data() + pos, static_cast<int>(n)) != 1 ||
        static_cast<std::size_t>(outl) != n) {
      return openssl_failure("CBC-MAC", slot_names[slot]);
    }
    std::memcpy(last, scratch + n - 8, 8);
  }
  const std::size_t rem = data.size() - full;
  if (rem != 0 || data.empty()) {
    std::uint8_t block[8] = {};
    if (rem != 0) std::memcpy(block, data.data() + full, rem);
    if (EVP_CipherUpdate(ctx, last, &outl, block, 8) != 1 || outl != 8) {
      return openssl_failure("CBC-MAC", slot_names[slot]);
    }
  }
  std::memcpy(out.data(), last, out.size());
  return {};
}

// AES-CMAC (NIST SP 800-38B, RFC 4493) on the cached AES-CBC context, so that a job costs
// one AES key schedule and no EVP_MAC parameter handling: L = E_K(0^128) is the zero-IV CBC
// encryption of one zero block; the IV is then reset (no re-key) and the message is run
// through CBC with its last block masked by K1 (complete) or K2 (padded with 10*).
status evp_engine::aes_cmac(byte_view key, byte_view data, std::span<std::uint8_t> out) {
  const std::size_t slot = cipher_slot(cipher_alg::aes_cbc, key.size());
  status err;
  EVP_CIPHER_CTX* ctx = cipher_ctx(slot, err);
  if (ctx == nullptr) return err;
  std::uint8_t l[16] = {};
  int outl = 0;
  if (EVP_CipherInit_ex2(ctx, nullptr, key.data(), zero_iv, 1, nullptr) != 1 ||
      EVP_CipherUpdate(ctx, l, &outl, zero_iv, 16) != 1 || outl != 16 ||
      EVP_CipherInit_ex2(ctx, nullptr, nullptr, zero_iv, 1, nullptr) != 1) {
    return openssl_failure("CMAC subkey generation", slot_names[slot]);
  }
  // Subkeys: K1 = dbl(L), K2 = dbl(K1) in GF(2^128), R128 = 0x87.
  auto dbl = [](const std::uint8_t* in, std::uint8_t* o) {
    const std::uint8_t carry = in[0] >> 7;
    for (int i = 0; i < 15; ++i) o[i] = static_cast<std::uint8_t>((in[i] << 1) | (in[i + 1] >> 7));
    o[15] = static_cast<std::uint8_t>((in[15] << 1) ^ (carry ? 0x87 : 0x00));
  };
  std::uint8_t k1[16], k2[16];
  dbl(l, k1);
  dbl(k1, k2);

  // All complete blocks but the last go straight through CBC.
  const std::size_t n_blocks = data.empty() ? 1 : (data.size() + 15) / 16;
  const bool complete = !data.empty() && data.size() % 16 == 0;
  const std::size_t head = (n_blocks - 1) * 16;
  constexpr std::size_t chunk = 256;
  std::uint8_t scratch[chunk];
  for (std::size_t pos = 0; pos < head; pos += chunk) {
    const std::size_t n = std::min(chunk, head - pos);
    if (EVP_CipherUpdate(ctx, scratch, &outl, data.data() + pos, static_cast<int>(n)) != 1 ||
        static_cast<std::size_t>(outl) != n) {
      return openssl_failure("CMAC", slot_names[slot]);
    }
  }
  std::uint8_t last[16] = {};
  const std::size_t rem = data.size() - head;
  if (rem != 0) std::memcpy(last, data.data() + head, rem);
  if (!complete) last[rem] = 0x80;
  const std::uint8_t* k = complete ? k1 : k2;
  for (int i = 0; i < 16; ++i) last[i] ^= k[i];
  std::uint8_t tag[16];
  if (EVP_CipherUpdate(ctx, tag, &outl, last, 16) != 1 || outl != 16) {
    return openssl_failure("CMAC", slot_names[slot]);
  }
  std::memcpy(out.data(), tag, out.size());
  secure_wipe(l);
  secure_wipe(k1);
  secure_wipe(k2);
  return {};
}

status evp_engine::cc(cc_alg alg, byte_view key, byte_view data, std::span<std::uint8_t> out) {
  if (alg != cc_alg::aes_cmac) return cbc_mac(cc_slot(alg), key, data, out);
  return aes_cmac(key, data, out);
}

}  // namespace otaflow::secure::detail
