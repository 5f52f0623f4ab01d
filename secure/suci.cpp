#include "secure/suci.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <string>
#include <vector>

namespace otaflow::secure::suci {
namespace {

// ---- RAII for the OpenSSL objects used here.

template <class T, void (*F)(T*)>
struct ossl_deleter {
  void operator()(T* p) const noexcept { F(p); }
};
template <class T, void (*F)(T*)>
using ossl_ptr = std::unique_ptr<T, ossl_deleter<T, F>>;

using pkey_ptr = ossl_ptr<EVP_PKEY, EVP_PKEY_free>;
using pkey_ctx_ptr = ossl_ptr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using cipher_ctx_ptr = ossl_ptr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using group_ptr = ossl_ptr<EC_GROUP, EC_GROUP_free>;
using point_ptr = ossl_ptr<EC_POINT, EC_POINT_free>;
using bn_ptr = ossl_ptr<BIGNUM, BN_clear_free>;
using bn_ctx_ptr = ossl_ptr<BN_CTX, BN_CTX_free>;
using param_bld_ptr = ossl_ptr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using param_ptr = ossl_ptr<OSSL_PARAM, OSSL_PARAM_free>;
using kdf_ptr = ossl_ptr<EVP_KDF, EVP_KDF_free>;
using kdf_ctx_ptr = ossl_ptr<EVP_KDF_CTX, EVP_KDF_CTX_free>;

// A fixed-size secret that is wiped when it goes out of scope.
template <std::size_t N>
struct secret {
  std::array<std::uint8_t, N> v{};
  secret() = default;
  secret(const secret&) = delete;
  secret& operator=(const secret&) = delete;
  ~secret() { secure_wipe(v); }
  std::uint8_t* data() noexcept { return v.data(); }
  const std::uint8_t* data() const noexcept { return v.data(); }
  static constexpr std::size_t size() noexcept { return N; }
};

constexpr std::size_t x25519_size = 32;
constexpr std::size_t p256_scalar_size = 32;
constexpr std::size_t p256_compressed_size = 33;
constexpr std::size_t p256_uncompressed_size = 65;
constexpr std::size_t enc_key_size = 16;  // AES-128 (C.3.4.1 / C.3.4.2: enckeylen 128 bits)
constexpr std::size_t icb_size = 16;      // AES-128-CTR initial counter block
constexpr std::size_t mac_key_size = 32;  // HMAC-SHA-256 (mackeylen 256 bits)
constexpr std::size_t kdf_out_size = enc_key_size + icb_size + mac_key_size;

error crypto_error(const char* prefix, const char* what) {
  return make_error(errc::internal, std::string(prefix) + ": OpenSSL " + what + " failed");
}

error length_error(const char* prefix, const char* field, std::size_t want, std::size_t got) {
  return make_error(errc::bad_length, std::string(prefix) + ": " + field + " must be " +
                                          std::to_string(want) + " octets, got " +
                                          std::to_string(got));
}

const char* prefix_of(scheme s) noexcept {
  switch (s) {
    case scheme::null:
      return "SUCI null scheme";
    case scheme::profile_a:
      return "SUCI profile A";
    case scheme::profile_b:
      return "SUCI profile B";
  }
  return "SUCI";
}

bool all_zero(byte_view v) noexcept {
  std::uint8_t acc = 0;
  for (auto b : v) acc |= b;
  return acc == 0;
}

// ---- secp256r1 helpers (SEC 1 §2.3.3 / §2.3.4 point encodings).

group_ptr p256_group() {
  return group_ptr(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
}

// Decodes an encoded point (compressed or uncompressed); oct2point checks it is on the curve.
result<point_ptr> p256_point(const EC_GROUP* g, byte_view enc, const char* what) {
  const char* p = prefix_of(scheme::profile_b);
  const bool form_ok = (enc.size() == p256_compressed_size && (enc[0] == 0x02 || enc[0] == 0x03)) ||
                       (enc.size() == p256_uncompressed_size && enc[0] == 0x04);
  if (!form_ok)
    return make_error(errc::bad_value,
                      std::string(p) + ": " + what +
                          " must be a compressed (33 octets, 02/03) or uncompressed (65 octets, "
                          "04) point, got " +
                          std::to_string(enc.size()) + " octets" +
                          (enc.empty() ? std::string() : " starting " + to_hex(enc.first(1))));
  point_ptr pt(EC_POINT_new(g));
  if (!pt) return crypto_error(p, "EC_POINT_new");
  if (EC_POINT_oct2point(g, pt.get(), enc.data(), enc.size(), nullptr) != 1 ||
      EC_POINT_is_at_infinity(g, pt.get()) == 1)
    return make_error(errc::bad_value,
                      std::string(p) + ": " + what + " is not a point on secp256r1");
  return pt;
}

result<bytes> p256_encode(const EC_GROUP* g, const EC_POINT* pt, bool compressed) {
  bytes out(compressed ? p256_compressed_size : p256_uncompressed_size);
  const auto form = compressed ? POINT_CONVERSION_COMPRESSED : POINT_CONVERSION_UNCOMPRESSED;
  if (EC_POINT_point2oct(g, pt, form, out.data(), out.size(), nullptr) != out.size())
    return crypto_error(prefix_of(scheme::profile_b), "EC_POINT_point2oct");
  return out;
}

// The scalar of a raw private key; 0 and values >= n are errors (SEC 1 §3.2.1).
result<bn_ptr> p256_scalar(const EC_GROUP* g, byte_view priv, const char* what) {
  const char* p = prefix_of(scheme::profile_b);
  if (priv.size() != p256_scalar_size) return length_error(p, what, p256_scalar_size, priv.size());
  bn_ptr d(BN_secure_new());
  if (!d || !BN_bin2bn(priv.data(), static_cast<int>(priv.size()), d.get()))
    return crypto_error(p, "BN_bin2bn");
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(g)) >= 0)
    return make_error(errc::bad_value,
                      std::string(p) + ": " + what + " is not in [1, n-1] of secp256r1");
  return d;
}

result<point_ptr> p256_public_point(const EC_GROUP* g, const BIGNUM* d) {
  point_ptr pub(EC_POINT_new(g));
  bn_ctx_ptr bctx(BN_CTX_secure_new());
  if (!pub || !bctx || EC_POINT_mul(g, pub.get(), d, nullptr, nullptr, bctx.get()) != 1)
    return crypto_error(prefix_of(scheme::profile_b), "EC_POINT_mul");
  return pub;
}

// An EVP_PKEY for secp256r1 from an encoded public point and, optionally, the private scalar.
result<pkey_ptr> p256_pkey(byte_view pub_enc, const BIGNUM* d) {
  const char* p = prefix_of(scheme::profile_b);
  param_bld_ptr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub_enc.data(),
                                       pub_enc.size()) != 1 ||
      (d && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d) != 1))
    return crypto_error(p, "OSSL_PARAM_BLD");
  param_ptr params(OSSL_PARAM_BLD_to_param(bld.get()));
  pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1)
    return crypto_error(p, "EVP_PKEY_fromdata");
  return pkey_ptr(raw);
}

// ---- ECDH (X25519: RFC 7748 §5; P-256: SEC 1 §3.3.1, equal to the cofactor primitive of
// §3.3.2 that C.3.4.2 names, because secp256r1 has cofactor 1).

status derive(scheme s, EVP_PKEY* own, EVP_PKEY* peer, secret<32>& z) {
  const char* p = prefix_of(s);
  pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own, nullptr));
  std::size_t len = z.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer_ex(ctx.get(), peer, 1) != 1)
    return make_error(errc::bad_value, std::string(p) + ": the peer public key was refused");
  if (EVP_PKEY_derive(ctx.get(), z.data(), &len) != 1)
    return make_error(errc::bad_value,
                      std::string(p) + ": key agreement failed (low-order or invalid public key)");
  if (len != z.size()) return crypto_error(p, "EVP_PKEY_derive length");
  // A zero shared secret means a small-order point (RFC 7748 §6.1): reject it.
  if (all_zero(byte_view(z.data(), z.size())))
    return make_error(errc::bad_value, std::string(p) + ": shared secret is all zero");
  return {};
}

result<pkey_ptr> x25519_private(byte_view priv, const char* what) {
  const char* p = prefix_of(scheme::profile_a);
  if (priv.size() != x25519_size) return length_error(p, what, x25519_size, priv.size());
  pkey_ptr k(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, priv.data(), priv.size()));
  if (!k) return crypto_error(p, "EVP_PKEY_new_raw_private_key");
  return k;
}

result<pkey_ptr> x25519_public(byte_view pub, const char* what) {
  const char* p = prefix_of(scheme::profile_a);
  if (pub.size() != x25519_size) return length_error(p, what, x25519_size, pub.size());
  pkey_ptr k(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, pub.data(), pub.size()));
  if (!k) return crypto_error(p, "EVP_PKEY_new_raw_public_key");
  return k;
}

result<bytes> x25519_public_of(EVP_PKEY* k) {
  bytes out(x25519_size);
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(k, out.data(), &len) != 1 || len != x25519_size)
    return crypto_error(prefix_of(scheme::profile_a), "EVP_PKEY_get_raw_public_key");
  return out;
}

// ---- KDF, cipher and MAC (C.3.2 / C.3.3).

// ANSI X9.63 KDF with SHA-256 (SEC 1 §3.6.1): SharedInfo1 = the ephemeral public key octets.
status kdf(scheme s, const secret<32>& z, byte_view shared_info, secret<kdf_out_size>& out) {
  const char* p = prefix_of(s);
  kdf_ptr k(EVP_KDF_fetch(nullptr, "X963KDF", nullptr));
  if (!k) return crypto_error(p, "EVP_KDF_fetch(X963KDF)");
  kdf_ctx_ptr ctx(EVP_KDF_CTX_new(k.get()));
  if (!ctx) return crypto_error(p, "EVP_KDF_CTX_new");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(z.data()),
                                        z.size()),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_INFO, const_cast<std::uint8_t*>(shared_info.data()), shared_info.size()),
      OSSL_PARAM_construct_end()};
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1)
    return crypto_error(p, "EVP_KDF_derive(X963KDF)");
  return {};
}

// AES-128-CTR with the ICB as the initial counter block (the whole 128-bit block counts).
status aes_ctr(scheme s, const secret<kdf_out_size>& k, byte_view in, bytes& out) {
  const char* p = prefix_of(s);
  cipher_ctx_ptr ctx(EVP_CIPHER_CTX_new());
  out.resize(in.size());
  int len = 0;
  int fin = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ctr(), nullptr, k.data(),
                         k.data() + enc_key_size) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, in.data(), static_cast<int>(in.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1 ||
      static_cast<std::size_t>(len + fin) != in.size())
    return crypto_error(p, "AES-128-CTR");
  return {};
}

// HMAC-SHA-256 over the ciphertext (SharedInfo2 is empty), first 8 octets.
status mac_tag(scheme s, const secret<kdf_out_size>& k, byte_view ciphertext,
               std::array<std::uint8_t, mac_tag_size>& tag) {
  secret<32> full;
  std::size_t len = 0;
  char digest[] = "SHA256";
  if (!EVP_Q_mac(nullptr, "HMAC", nullptr, digest, nullptr, k.data() + enc_key_size + icb_size,
                 mac_key_size, ciphertext.data(), ciphertext.size(), full.data(), full.size(),
                 &len) ||
      len != full.size())
    return crypto_error(prefix_of(s), "HMAC-SHA-256");
  std::copy_n(full.data(), tag.size(), tag.begin());
  return {};
}

bool is_digits(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

// =============================================================================================
// Schemes and keys
// =============================================================================================

const char* scheme_name(scheme s) noexcept {
  switch (s) {
    case scheme::null:
      return "null";
    case scheme::profile_a:
      return "profile A";
    case scheme::profile_b:
      return "profile B";
  }
  return "unknown";
}

result<scheme> scheme_from_id(unsigned id) {
  if (id <= 2) return static_cast<scheme>(id);
  if (id <= 15)
    return make_error(errc::unsupported,
                      "protection scheme identifier " + std::to_string(id) +
                          " is reserved or operator specific (TS 33.501 Table C.1-1)");
  return make_error(errc::bad_value,
                    "protection scheme identifier " + std::to_string(id) + " exceeds 4 bits");
}

std::size_t ephemeral_key_size(scheme s) noexcept {
  switch (s) {
    case scheme::profile_a:
      return x25519_size;
    case scheme::profile_b:
      return p256_compressed_size;
    case scheme::null:
      break;
  }
  return 0;
}

std::size_t private_key_size(scheme s) noexcept {
  return s == scheme::null ? 0 : 32;
}

status check_public_key(scheme s, byte_view public_key) {
  switch (s) {
    case scheme::null:
      return {};
    case scheme::profile_a:
      if (public_key.size() != x25519_size)
        return length_error(prefix_of(s), "home network public key", x25519_size,
                            public_key.size());
      return {};
    case scheme::profile_b: {
      group_ptr g = p256_group();
      if (!g) return crypto_error(prefix_of(s), "EC_GROUP_new_by_curve_name");
      auto pt = p256_point(g.get(), public_key, "home network public key");
      if (!pt) return pt.error();
      return {};
    }
  }
  return make_error(errc::bad_argument, "unknown protection scheme");
}

result<bytes> public_key_of(scheme s, byte_view private_key, bool compressed) {
  switch (s) {
    case scheme::profile_a: {
      auto k = x25519_private(private_key, "private key");
      if (!k) return k.error();
      return x25519_public_of(k->get());
    }
    case scheme::profile_b: {
      group_ptr g = p256_group();
      if (!g) return crypto_error(prefix_of(s), "EC_GROUP_new_by_curve_name");
      auto d = p256_scalar(g.get(), private_key, "private key");
      if (!d) return d.error();
      auto pub = p256_public_point(g.get(), d->get());
      if (!pub) return pub.error();
      return p256_encode(g.get(), pub->get(), compressed);
    }
    case scheme::null:
      break;
  }
  return make_error(errc::bad_argument, "the null scheme has no keys");
}

result<key_pair> generate_key_pair(scheme s, bool compressed) {
  key_pair kp;
  switch (s) {
    case scheme::profile_a: {
      pkey_ptr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
      if (!k) return crypto_error(prefix_of(s), "EVP_PKEY_Q_keygen");
      kp.private_key.resize(x25519_size);
      std::size_t len = x25519_size;
      if (EVP_PKEY_get_raw_private_key(k.get(), kp.private_key.data(), &len) != 1 ||
          len != x25519_size)
        return crypto_error(prefix_of(s), "EVP_PKEY_get_raw_private_key");
      break;
    }
    case scheme::profile_b: {
      char curve[] = "P-256";
      pkey_ptr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
      if (!k) return crypto_error(prefix_of(s), "EVP_PKEY_Q_keygen");
      BIGNUM* raw = nullptr;
      if (EVP_PKEY_get_bn_param(k.get(), OSSL_PKEY_PARAM_PRIV_KEY, &raw) != 1)
        return crypto_error(prefix_of(s), "EVP_PKEY_get_bn_param");
      bn_ptr d(raw);
      kp.private_key.resize(p256_scalar_size);
      if (BN_bn2binpad(d.get(), kp.private_key.data(), p256_scalar_size) !=
          static_cast<int>(p256_scalar_size))
        return crypto_error(prefix_of(s), "BN_bn2binpad");
      break;
    }
    case scheme::null:
      return make_error(errc::bad_argument, "the null scheme has no keys");
  }
  auto pub = public_key_of(s, kp.private_key, compressed);
  if (!pub) {
    secure_wipe(kp.private_key);
    return pub.error();
  }
  kp.public_key = std::move(*pub);
  return kp;
}

// =============================================================================================
// Conceal / deconceal
// =============================================================================================

result<bytes> conceal(scheme s, byte_view hn_public_key, byte_view scheme_input,
                      byte_view ephemeral_private_key) {
  if (s == scheme::null) return bytes(scheme_input.begin(), scheme_input.end());
  const char* p = prefix_of(s);
  if (s != scheme::profile_a && s != scheme::profile_b)
    return make_error(errc::bad_argument, "unknown protection scheme");
  if (scheme_input.empty())
    return make_error(errc::bad_argument, std::string(p) + ": scheme input is empty");

  bytes eph_priv_generated;
  struct wipe_on_exit {
    bytes& b;
    ~wipe_on_exit() { secure_wipe(b); }
  } wipe{eph_priv_generated};
  byte_view eph_priv = ephemeral_private_key;
  if (eph_priv.empty()) {
    auto kp = generate_key_pair(s);
    if (!kp) return kp.error();
    eph_priv_generated = std::move(kp->private_key);
    eph_priv = eph_priv_generated;
  }

  secret<32> z;
  bytes eph_pub;
  if (s == scheme::profile_a) {
    auto own = x25519_private(eph_priv, "ephemeral private key");
    if (!own) return own.error();
    auto peer = x25519_public(hn_public_key, "home network public key");
    if (!peer) return peer.error();
    auto pub = x25519_public_of(own->get());
    if (!pub) return pub.error();
    eph_pub = std::move(*pub);
    OTAFLOW_TRY(derive(s, own->get(), peer->get(), z));
  } else {
    group_ptr g = p256_group();
    if (!g) return crypto_error(p, "EC_GROUP_new_by_curve_name");
    auto peer_pt = p256_point(g.get(), hn_public_key, "home network public key");
    if (!peer_pt) return peer_pt.error();
    auto d = p256_scalar(g.get(), eph_priv, "ephemeral private key");
    if (!d) return d.error();
    auto pub_pt = p256_public_point(g.get(), d->get());
    if (!pub_pt) return pub_pt.error();
    auto pub_full = p256_encode(g.get(), pub_pt->get(), false);
    if (!pub_full) return pub_full.error();
    auto pub = p256_encode(g.get(), pub_pt->get(), true);  // C.3.4.2: point compression
    if (!pub) return pub.error();
    eph_pub = std::move(*pub);
    auto own = p256_pkey(*pub_full, d->get());
    if (!own) return own.error();
    auto peer = p256_pkey(hn_public_key, nullptr);
    if (!peer) return peer.error();
    OTAFLOW_TRY(derive(s, own->get(), peer->get(), z));
  }

  secret<kdf_out_size> k;
  OTAFLOW_TRY(kdf(s, z, eph_pub, k));
  bytes ct;
  OTAFLOW_TRY(aes_ctr(s, k, scheme_input, ct));
  std::array<std::uint8_t, mac_tag_size> tag{};
  OTAFLOW_TRY(mac_tag(s, k, ct, tag));

  bytes out;
  out.reserve(eph_pub.size() + ct.size() + tag.size());
  out.insert(out.end(), eph_pub.begin(), eph_pub.end());
  out.insert(out.end(), ct.begin(), ct.end());
  out.insert(out.end(), tag.begin(), tag.end());
  return out;
}

result<bytes> deconceal(scheme s, byte_view hn_private_key, byte_view scheme_output) {
  if (s == scheme::null) return bytes(scheme_output.begin(), scheme_output.end());
  const char* p = prefix_of(s);
  if (s != scheme::profile_a && s != scheme::profile_b)
    return make_error(errc::bad_argument, "unknown protection scheme");
  const std::size_t eph_len = ephemeral_key_size(s);
  if (scheme_output.size() < eph_len + 1 + mac_tag_size)
    return make_error(errc::truncated, std::string(p) + ": scheme output needs at least " +
                                           std::to_string(eph_len + 1 + mac_tag_size) +
                                           " octets (ephemeral key, ciphertext, MAC tag), got " +
                                           std::to_string(scheme_output.size()));
  const byte_view eph_pub = scheme_output.first(eph_len);
  const byte_view ct =
      scheme_output.subspan(eph_len, scheme_output.size() - eph_len - mac_tag_size);
  const byte_view tag = scheme_output.last(mac_tag_size);

  secret<32> z;
  if (s == scheme::profile_a) {
    auto own = x25519_private(hn_private_key, "home network private key");
    if (!own) return own.error();
    auto peer = x25519_public(eph_pub, "ephemeral public key");
    if (!peer) return peer.error();
    OTAFLOW_TRY(derive(s, own->get(), peer->get(), z));
  } else {
    if (eph_pub[0] != 0x02 && eph_pub[0] != 0x03)
      return make_error(errc::bad_value, std::string(p) +
                                             ": ephemeral public key must be compressed (02/03), "
                                             "got first octet " +
                                             to_hex(eph_pub.first(1)));
    group_ptr g = p256_group();
    if (!g) return crypto_error(p, "EC_GROUP_new_by_curve_name");
    auto peer_pt = p256_point(g.get(), eph_pub, "ephemeral public key");
    if (!peer_pt) return peer_pt.error();
    auto d = p256_scalar(g.get(), hn_private_key, "home network private key");
    if (!d) return d.error();
    auto own_pt = p256_public_point(g.get(), d->get());
    if (!own_pt) return own_pt.error();
    auto own_enc = p256_encode(g.get(), own_pt->get(), false);
    if (!own_enc) return own_enc.error();
    auto own = p256_pkey(*own_enc, d->get());
    if (!own) return own.error();
    auto peer = p256_pkey(eph_pub, nullptr);
    if (!peer) return peer.error();
    OTAFLOW_TRY(derive(s, own->get(), peer->get(), z));
  }

  secret<kdf_out_size> k;
  OTAFLOW_TRY(kdf(s, z, eph_pub, k));
  std::array<std::uint8_t, mac_tag_size> want{};
  OTAFLOW_TRY(mac_tag(s, k, ct, want));
  // C.3.3 step 3 before step 4: no decryption unless the MAC matches (constant-time compare).
  if (!equal_ct(want, tag))
    return make_error(errc::verification, std::string(p) + ": MAC tag mismatch");
  bytes plain;
  OTAFLOW_TRY(aes_ctr(s, k, ct, plain));
  return plain;
}

// =============================================================================================
// MSIN, SUCI
// =============================================================================================

result<bytes> msin_to_bcd(std::string_view msin) {
  if (msin.empty() || msin.size() > 10 || !is_digits(msin))
    return make_error(errc::bad_value, "MSIN \"" + std::string(msin) +
                                           "\" must be 1 to 10 decimal digits (TS 23.003 §2.2)");
  bytes out;
  for (std::size_t i = 0; i < msin.size(); i += 2) {
    const unsigned lo = static_cast<unsigned>(msin[i] - '0');
    const unsigned hi = i + 1 < msin.size() ? static_cast<unsigned>(msin[i + 1] - '0') : 0xFu;
    out.push_back(static_cast<std::uint8_t>((hi << 4) | lo));
  }
  return out;
}

result<std::string> bcd_to_msin(byte_view bcd) {
  if (bcd.empty()) return make_error(errc::truncated, "BCD MSIN is empty");
  std::string out;
  for (std::size_t i = 0; i < bcd.size(); ++i) {
    const unsigned lo = bcd[i] & 0x0Fu;
    const unsigned hi = bcd[i] >> 4;
    const bool last = i + 1 == bcd.size();
    if (lo > 9 || (hi > 9 && hi != 0xF) || (hi == 0xF && !last))
      return make_error(errc::bad_value, "BCD MSIN octet " + std::to_string(i) + " (" +
                                             to_hex(bcd.subspan(i, 1)) +
                                             ") is not two BCD digits (F only pads the last)");
    out.push_back(static_cast<char>('0' + lo));
    if (hi != 0xF) out.push_back(static_cast<char>('0' + hi));
  }
  if (out.size() > 10)
    return make_error(errc::too_long, "BCD MSIN has " + std::to_string(out.size()) +
                                          " digits, at most 10 (TS 23.003 §2.2)");
  return out;
}

namespace {

status check_ri(std::string_view ri) {
  if (ri.empty() || ri.size() > 4 || !is_digits(ri))
    return make_error(errc::bad_value, "routing indicator \"" + std::string(ri) +
                                           "\" must be 1 to 4 decimal digits (TS 23.003 §2.2B)");
  return {};
}

status check_mcc_mnc(std::string_view mcc, std::string_view mnc) {
  if (mcc.size() != 3 || !is_digits(mcc))
    return make_error(errc::bad_value, "MCC \"" + std::string(mcc) + "\" must be 3 digits");
  if ((mnc.size() != 2 && mnc.size() != 3) || !is_digits(mnc))
    return make_error(errc::bad_value, "MNC \"" + std::string(mnc) + "\" must be 2 or 3 digits");
  return {};
}

result<unsigned> parse_uint(std::string_view s, unsigned base, unsigned max, const char* what) {
  unsigned v = 0;
  const auto* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, v, static_cast<int>(base));
  if (s.empty() || ec != std::errc() || ptr != end || v > max)
    return make_error(errc::bad_value, std::string(what) + " \"" + std::string(s) +
                                           "\" is not a number in 0.." + std::to_string(max));
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const auto pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

}  // namespace

status check_suci(const suci& s) {
  if (static_cast<unsigned>(s.type) > 7)
    return make_error(
        errc::bad_value,
        "SUPI type " + std::to_string(static_cast<unsigned>(s.type)) + " exceeds 3 bits");
  if (s.type == supi_type::imsi) {
    OTAFLOW_TRY(check_mcc_mnc(s.mcc, s.mnc));
  } else if (s.home_network.empty()) {
    return make_error(errc::bad_value, "SUCI of SUPI type " +
                                           std::to_string(static_cast<unsigned>(s.type)) +
                                           " needs a home network identifier");
  }
  OTAFLOW_TRY(check_ri(s.routing_indicator));
  if (s.scheme_id > 15)
    return make_error(errc::bad_value, "protection scheme identifier " +
                                           std::to_string(s.scheme_id) + " exceeds 4 bits");
  // TS 24.501 §9.11.3.4: key id 0 with the null scheme; TS 29.571 "Suci": 1..255 otherwise.
  if (s.scheme_id == 0 && s.hn_key_id != 0)
    return make_error(errc::bad_value, "home network public key identifier " +
                                           std::to_string(s.hn_key_id) +
                                           " must be 0 with the null scheme");
  if (s.scheme_id != 0 && s.hn_key_id == 0)
    return make_error(errc::bad_value,
                      "home network public key identifier 0 is reserved for the null scheme");
  if (s.scheme_output.empty()) return make_error(errc::bad_value, "SUCI scheme output is empty");
  if (s.scheme_id == 0 && s.type == supi_type::imsi) {
    auto m = bcd_to_msin(s.scheme_output);
    if (!m) return m.error();
  }
  if (s.scheme_id == 1 || s.scheme_id == 2) {
    const auto sch = static_cast<scheme>(s.scheme_id);
    if (s.scheme_output.size() < ephemeral_key_size(sch) + 1 + mac_tag_size)
      return make_error(errc::bad_length, std::string(prefix_of(sch)) + ": scheme output of " +
                                              std::to_string(s.scheme_output.size()) +
                                              " octets is shorter than key + 1 + MAC tag");
  }
  return {};
}

status encode_suci(const suci& s, byte_writer& w) {
  OTAFLOW_TRY(check_suci(s));
  if (s.type != supi_type::imsi)
    return make_error(errc::unsupported, "binary SUCI of SUPI type " +
                                             std::to_string(static_cast<unsigned>(s.type)) +
                                             " (SUCI NAI, TS 24.501 §9.11.3.4) is not implemented");
  w.u8(0x01);  // spare 0, SUPI format 000 (IMSI), spare 0, type of identity 001 (SUCI)
  // PLMN as TS 24.008 §10.5.1.3: MCC2|MCC1, MNC3|MCC3, MNC2|MNC1.
  auto d = [](char c) { return static_cast<unsigned>(c - '0'); };
  const unsigned mnc3 = s.mnc.size() == 3 ? d(s.mnc[2]) : 0xFu;
  w.u8(static_cast<std::uint8_t>((d(s.mcc[1]) << 4) | d(s.mcc[0])));
  w.u8(static_cast<std::uint8_t>((mnc3 << 4) | d(s.mcc[2])));
  w.u8(static_cast<std::uint8_t>((d(s.mnc[1]) << 4) | d(s.mnc[0])));
  // Routing indicator: digit 2|digit 1, digit 4|digit 3; absent digits '1111'.
  std::array<unsigned, 4> ri{0xF, 0xF, 0xF, 0xF};
  for (std::size_t i = 0; i < s.routing_indicator.size(); ++i) ri[i] = d(s.routing_indicator[i]);
  w.u8(static_cast<std::uint8_t>((ri[1] << 4) | ri[0]));
  w.u8(static_cast<std::uint8_t>((ri[3] << 4) | ri[2]));
  w.u8(s.scheme_id);  // spare bits 8..5 = 0
  w.u8(s.hn_key_id);
  w.append(s.scheme_output);
  return {};
}

result<suci> decode_suci(byte_view data) {
  byte_reader r(data);
  std::uint8_t b0 = 0;
  std::uint8_t plmn[3] = {};
  std::uint8_t ri0 = 0;
  std::uint8_t ri1 = 0;
  std::uint8_t sch = 0;
  std::uint8_t kid = 0;
  if (!r.u8(b0) || !r.u8(plmn[0]) || !r.u8(plmn[1]) || !r.u8(plmn[2]) || !r.u8(ri0) || !r.u8(ri1) ||
      !r.u8(sch) || !r.u8(kid))
    return make_error(errc::truncated,
                      "SUCI needs at least 8 octets before the scheme output, got " +
                          std::to_string(data.size()));
  if ((b0 & 0x07) != 0x01)
    return make_error(errc::bad_value, "SUCI octet 1 (" + to_hex(data.first(1)) +
                                           "): type of identity is not 001 (SUCI)");
  if (((b0 >> 4) & 0x07) != 0)
    return make_error(errc::unsupported, "SUCI octet 1 (" + to_hex(data.first(1)) +
                                             "): only SUPI format 000 (IMSI) is implemented");
  if ((b0 & 0x88) != 0)
    return make_error(errc::bad_value,
                      "SUCI octet 1 (" + to_hex(data.first(1)) + "): spare bits 8 and 4 are not 0");
  suci s;
  auto digit = [](unsigned n) { return static_cast<char>('0' + n); };
  const unsigned mcc1 = plmn[0] & 0xF, mcc2 = plmn[0] >> 4, mcc3 = plmn[1] & 0xF,
                 mnc3 = plmn[1] >> 4, mnc1 = plmn[2] & 0xF, mnc2 = plmn[2] >> 4;
  if (mcc1 > 9 || mcc2 > 9 || mcc3 > 9 || mnc1 > 9 || mnc2 > 9 || (mnc3 > 9 && mnc3 != 0xF))
    return make_error(errc::bad_value,
                      "SUCI home network identifier " + to_hex(data.subspan(1, 3)) + " is not BCD");
  s.mcc = {digit(mcc1), digit(mcc2), digit(mcc3)};
  s.mnc = {digit(mnc1), digit(mnc2)};
  if (mnc3 != 0xF) s.mnc.push_back(digit(mnc3));
  const unsigned ri[4] = {ri0 & 0xFu, static_cast<unsigned>(ri0 >> 4), ri1 & 0xFu,
                          static_cast<unsigned>(ri1 >> 4)};
  s.routing_indicator.clear();
  for (unsigned i = 0; i < 4; ++i) {
    if (ri[i] == 0xF) {
      for (unsigned j = i; j < 4; ++j)
        if (ri[j] != 0xF)
          return make_error(errc::bad_value, "SUCI routing indicator " +
                                                 to_hex(data.subspan(4, 2)) +
                                                 ": digit after the '1111' filler");
      break;
    }
    if (ri[i] > 9)
      return make_error(errc::bad_value,
                        "SUCI routing indicator " + to_hex(data.subspan(4, 2)) + " is not BCD");
    s.routing_indicator.push_back(digit(ri[i]));
  }
  if ((sch & 0xF0) != 0)
    return make_error(errc::bad_value, "SUCI protection scheme octet " +
                                           to_hex(data.subspan(6, 1)) +
                                           ": spare bits 8..5 are not 0");
  s.scheme_id = sch;
  s.hn_key_id = kid;
  const byte_view out = r.rest();
  s.scheme_output.assign(out.begin(), out.end());
  OTAFLOW_TRY(check_suci(s));
  return s;
}

result<std::string> to_string(const suci& s) {
  OTAFLOW_TRY(check_suci(s));
  std::string out = "suci-" + std::to_string(static_cast<unsigned>(s.type)) + "-";
  if (s.type == supi_type::imsi)
    out += s.mcc + "-" + s.mnc;
  else
    out += s.home_network;
  out += "-" + s.routing_indicator + "-";
  out += to_hex(s.scheme_id & 0xFu, 1);
  out += "-" + std::to_string(s.hn_key_id) + "-";
  if (s.scheme_id == 0 && s.type == supi_type::imsi) {
    auto m = bcd_to_msin(s.scheme_output);
    if (!m) return m.error();
    out += *m;
  } else if (s.scheme_id == 0) {
    out.append(s.scheme_output.begin(), s.scheme_output.end());  // the NAI username
  } else {
    out += to_hex(s.scheme_output);
  }
  return out;
}

result<suci> parse_suci(std::string_view text) {
  const auto f = split(text, '-');
  if (f.size() < 7 || f[0] != "suci")
    return make_error(errc::bad_value, "\"" + std::string(text.substr(0, 40)) +
                                           "\" is not of the form suci-<type>-...");
  suci s;
  auto type = parse_uint(f[1], 10, 7, "SUPI type");
  if (!type) return type.error();
  s.type = static_cast<supi_type>(*type);
  std::size_t i = 2;
  if (s.type == supi_type::imsi) {
    if (f.size() != 8)
      return make_error(errc::bad_value, "SUCI string of SUPI type 0 needs 8 fields, got " +
                                             std::to_string(f.size()));
    s.mcc = f[2];
    s.mnc = f[3];
    i = 4;
  } else {
    // The home network (a realm) may itself contain '-': the last 4 fields are fixed.
    const auto first = f.begin() + 2;
    const auto last = f.end() - 4;
    for (auto it = first; it != last; ++it) {
      if (it != first) s.home_network.push_back('-');
      s.home_network += *it;
    }
    i = f.size() - 4;
  }
  s.routing_indicator = f[i];
  auto sch = parse_uint(f[i + 1], 16, 15, "protection scheme identifier");
  if (!sch) return sch.error();
  if (f[i + 1].size() != 1)
    return make_error(errc::bad_value, "protection scheme identifier \"" + std::string(f[i + 1]) +
                                           "\" must be one hex digit");
  s.scheme_id = static_cast<std::uint8_t>(*sch);
  auto kid = parse_uint(f[i + 2], 10, 255, "home network public key identifier");
  if (!kid) return kid.error();
  s.hn_key_id = static_cast<std::uint8_t>(*kid);
  const std::string_view out = f[i + 3];
  if (s.scheme_id == 0 && s.type == supi_type::imsi) {
    auto bcd = msin_to_bcd(out);
    if (!bcd) return bcd.error();
    s.scheme_output = std::move(*bcd);
  } else if (s.scheme_id == 0) {
    s.scheme_output.assign(out.begin(), out.end());
  } else {
    auto h = from_hex(out);
    if (!h)
      return make_error(errc::bad_value, "SUCI scheme output is not hex: " + h.error().message);
    s.scheme_output = std::move(*h);
  }
  OTAFLOW_TRY(check_suci(s));
  return s;
}

result<suci> conceal_imsi(std::string_view imsi, unsigned mnc_length,
                          std::string_view routing_indicator, scheme sch, std::uint8_t hn_key_id,
                          byte_view hn_public_key, byte_view ephemeral_private_key) {
  if (mnc_length != 2 && mnc_length != 3)
    return make_error(errc::bad_argument,
                      "MNC length " + std::to_string(mnc_length) + " must be 2 or 3");
  if (imsi.size() < 6 || imsi.size() > 15 || !is_digits(imsi))
    return make_error(errc::bad_value,
                      "IMSI \"" + std::string(imsi) + "\" must be 6 to 15 decimal digits");
  suci s;
  s.mcc = imsi.substr(0, 3);
  s.mnc = imsi.substr(3, mnc_length);
  s.routing_indicator = routing_indicator;
  s.scheme_id = static_cast<std::uint8_t>(sch);
  s.hn_key_id = sch == scheme::null ? 0 : hn_key_id;
  auto msin = msin_to_bcd(imsi.substr(3 + mnc_length));
  if (!msin) return msin.error();
  auto out = conceal(sch, hn_public_key, *msin, ephemeral_private_key);
  if (!out) return out.error();
  s.scheme_output = std::move(*out);
  OTAFLOW_TRY(check_suci(s));
  return s;
}

result<std::string> deconceal_imsi(const suci& s, std::span<const hn_private_key> keys) {
  OTAFLOW_TRY(check_suci(s));
  if (s.type != supi_type::imsi)
    return make_error(errc::bad_argument, "SUCI of SUPI type " +
                                              std::to_string(static_cast<unsigned>(s.type)) +
                                              " does not carry an IMSI");
  auto sch = scheme_from_id(s.scheme_id);
  if (!sch) return sch.error();
  bytes plain;
  if (*sch == scheme::null) {
    plain = s.scheme_output;
  } else {
    const auto it = std::find_if(keys.begin(), keys.end(), [&](const hn_private_key& k) {
      return k.protection == *sch && k.key_id == s.hn_key_id;
    });
    if (it == keys.end())
      return make_error(errc::not_found, std::string("no home network private key for ") +
                                             scheme_name(*sch) + " key id " +
                                             std::to_string(s.hn_key_id));
    auto p = deconceal(*sch, it->private_key, s.scheme_output);
    if (!p) return p.error();
    plain = std::move(*p);
  }
  auto msin = bcd_to_msin(plain);
  secure_wipe(plain);
  // The plaintext stays out of the message: it is the subscriber's identity.
  if (!msin)
    return error{msin.error().code, "de-concealed scheme input is not a BCD MSIN",
                 error_class::permanent};
  if (s.mcc.size() + s.mnc.size() + msin->size() > 15)
    return make_error(errc::bad_value,
                      "IMSI from the SUCI would have " +
                          std::to_string(s.mcc.size() + s.mnc.size() + msin->size()) +
                          " digits, at most 15");
  return s.mcc + s.mnc + *msin;
}

}  // namespace otaflow::secure::suci
