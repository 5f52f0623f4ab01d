#include "secure/key_rotation.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <memory>
#include <string>

namespace otaflow::secure {
namespace {

namespace kf = codec::keyfile;

using cipher_ptr = std::unique_ptr<EVP_CIPHER, decltype(&EVP_CIPHER_free)>;
using ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const char* wrap_name(std::size_t kek_len) noexcept {
  switch (kek_len) {
    case 16:
      return "AES-128-WRAP";  // id-aes128-wrap, RFC 3394 §2.2.3.1 default IV
    case 24:
      return "AES-192-WRAP";
    case 32:
      return "AES-256-WRAP";
    default:
      return nullptr;
  }
}

// One RFC 3394 operation through EVP; enc selects wrap (1) or unwrap (0).
result<bytes> run_wrap(byte_view kek, byte_view in, int enc) {
  const char* name = wrap_name(kek.size());
  if (!name)
    return make_error(errc::bad_length, "AES key wrap KEK must be 16, 24 or 32 bytes, got " +
                                            std::to_string(kek.size()));
  const std::size_t min_in = enc ? 16 : 24;
  if (in.size() < min_in || in.size() % 8 != 0)
    return make_error(errc::bad_length,
                      std::string(enc ? "key data" : "wrapped data") + " length " +
                          std::to_string(in.size()) +
                          " must be a multiple of 8 and >= " + std::to_string(min_in));
  cipher_ptr cipher(EVP_CIPHER_fetch(nullptr, name, nullptr), &EVP_CIPHER_free);
  ctx_ptr ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!cipher || !ctx) return make_error(errc::internal, std::string("cannot fetch ") + name);
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  if (EVP_CipherInit_ex2(ctx.get(), cipher.get(), kek.data(), nullptr, enc, nullptr) != 1)
    return make_error(errc::internal, std::string(name) + " init failed");
  bytes out(in.size() + 16);
  int len = 0, fin = 0;
  const bool ok =
      EVP_CipherUpdate(ctx.get(), out.data(), &len, in.data(), static_cast<int>(in.size())) == 1 &&
      EVP_CipherFinal_ex(ctx.get(), out.data() + len, &fin) == 1;
  if (!ok) {
    secure_wipe(out);
    if (enc) return make_error(errc::internal, std::string(name) + " wrap failed");
    return make_error(errc::verification,
                      "AES key unwrap: integrity check failed (wrong KEK or altered data)");
  }
  out.resize(static_cast<std::size_t>(len + fin));
  return out;
}

}  // namespace

result<std::array<std::uint8_t, 3>> key_check_value(byte_view key) {
  if (key.size() != 16)
    return make_error(errc::bad_length,
                      "KCV key must be 16 bytes, got " + std::to_string(key.size()));
  ctx_ptr ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  std::array<std::uint8_t, 16> zero{}, out{};
  int len = 0;
  if (!ctx ||
      EVP_EncryptInit_ex2(ctx.get(), EVP_aes_128_ecb(), key.data(), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, zero.data(), 16) != 1 || len != 16)
    return make_error(errc::internal, "AES-128 failed while computing a key check value");
  return std::array<std::uint8_t, 3>{out[0], out[1], out[2]};
}

result<bytes> aes_key_wrap(byte_view kek, byte_view plain) {
  return run_wrap(kek, plain, 1);
}

result<bytes> aes_key_unwrap(byte_view kek, byte_view wrapped) {
  return run_wrap(kek, wrapped, 0);
}

result<bytes> seal_key_file(byte_view kik, const kf::header& hdr, const subscriber_keys& keys) {
  if (kik.size() != 16)
    return make_error(errc::bad_length,
                      "KIK for algorithm 01 must be 16 bytes, got " + std::to_string(kik.size()));
  {
    // Validate the header exactly as the card will.
    byte_writer hw;
    kf::encode_header(hdr, hw);
    auto check = kf::decode_header(hw.data());
    if (!check) return std::move(check).error();
  }
  bytes plain;
  byte_writer pw(plain);
  kf::encode_header(hdr, pw);
  pw.append(keys.ki);
  pw.append(keys.opc);
  auto wrapped = aes_key_wrap(kik, plain);
  secure_wipe(plain);
  if (!wrapped) return std::move(wrapped).error();
  if (wrapped->size() != kf::wrapped_size)
    return make_error(errc::internal, "key wrap produced " + std::to_string(wrapped->size()) +
                                          " bytes, expected 48");
  auto kcv = key_check_value(keys.ki);
  if (!kcv) return std::move(kcv).error();
  kf::file f;
  f.hdr = hdr;
  std::copy(wrapped->begin(), wrapped->end(), f.wrapped.begin());
  f.kcv = *kcv;
  byte_writer w;
  kf::encode(f, w);
  return w.take();
}

result<opened_key_file> open_key_file(byte_view kik, byte_view image, std::uint32_t last_sequence) {
  auto f = kf::decode(image);
  if (!f) return std::move(f).error();
  if (kik.size() != 16)
    return make_error(errc::bad_length,
                      "KIK for algorithm 01 must be 16 bytes, got " + std::to_string(kik.size()));
  auto plain = aes_key_unwrap(kik, f->wrapped);
  if (!plain) return std::move(plain).error();
  // The unwrapped block must be header || Ki || OPc with the header equal to the clear one:
  // this is what binds version, KIK index and sequence to the keys.
  if (plain->size() != kf::header_size + 32) {
    secure_wipe(*plain);
    return make_error(errc::verification, "key file: unwrapped block has " +
                                              std::to_string(plain->size()) + " bytes, not 40");
  }
  const byte_view inner = byte_view(*plain).first(kf::header_size);
  byte_writer hw;
  kf::encode_header(f->hdr, hw);
  if (!std::equal(inner.begin(), inner.end(), hw.data().begin())) {
    secure_wipe(*plain);
    return make_error(errc::verification, "key file: clear header differs from wrapped header");
  }
  opened_key_file out;
  out.hdr = f->hdr;
  std::copy_n(plain->begin() + kf::header_size, 16, out.keys.ki.begin());
  std::copy_n(plain->begin() + kf::header_size + 16, 16, out.keys.opc.begin());
  secure_wipe(*plain);
  auto kcv = key_check_value(out.keys.ki);
  if (!kcv) return std::move(kcv).error();
  if (!equal_ct(*kcv, f->kcv))
    return make_error(errc::verification, "key file: key check value does not match the new Ki");
  if (f->hdr.sequence <= last_sequence)
    return make_error(errc::conflict, "key file sequence " + std::to_string(f->hdr.sequence) +
                                          " is not above the last applied " +
                                          std::to_string(last_sequence));
  return out;
}

status random_bytes(std::span<std::uint8_t> out) {
  if (out.empty()) return {};
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1)
    return make_error(errc::internal, "OpenSSL: RAND_bytes failed (no entropy?)");
  return {};
}

result<subscriber_keys> draw_subscriber_keys(const subscriber_keys& current, bool ki, bool opc) {
  subscriber_keys k = current;
  if (ki) OTAFLOW_TRY(random_bytes(k.ki));
  if (opc) OTAFLOW_TRY(random_bytes(k.opc));
  return k;
}

}  // namespace otaflow::secure
