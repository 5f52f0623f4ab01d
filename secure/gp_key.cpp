#include "secure/gp_key.hpp"

#include <array>
#include <string>

#include "secure/scp80_algorithm.hpp"

namespace otaflow::secure {
namespace {

namespace gp = codec::gp;

error bad_key(std::string message) {
  return make_error(errc::bad_argument, std::move(message));
}

std::string key_name(std::size_t index) {
  return "key " + std::to_string(index + 1);
}

status check_des(byte_view v, std::string_view what) {
  if (v.size() != 16)
    return bad_key(std::string(what) + ": a DES (2-key 3DES) key has 16 octets, got " +
                   std::to_string(v.size()));
  return {};
}

status check_aes(byte_view v, std::string_view what) {
  if (v.size() != 16 && v.size() != 24 && v.size() != 32)
    return bad_key(std::string(what) + ": an AES key has 16, 24 or 32 octets, got " +
                   std::to_string(v.size()));
  return {};
}

/// 2-key 3DES in ECB mode: each 8-octet block on its own with a zero IV (CBC of one block).
status tdes_ecb(byte_view kik, std::span<std::uint8_t> data, bool enc) {
  for (std::size_t off = 0; off < data.size(); off += 8) {
    auto block = data.subspan(off, 8);
    OTAFLOW_TRY(enc ? encrypt(cipher_alg::tdes2_cbc, kik, block)
                    : decrypt(cipher_alg::tdes2_cbc, kik, block));
  }
  return {};
}

}  // namespace

result<bytes> gp_kcv(gp_key_kind kind, byte_view key) {
  if (kind == gp_key_kind::des) {
    OTAFLOW_TRY(check_des(key, "KCV"));
    std::array<std::uint8_t, 8> block{};
    OTAFLOW_TRY(encrypt(cipher_alg::tdes2_cbc, key, block));
    return bytes(block.begin(), block.begin() + gp::kcv_length);
  }
  OTAFLOW_TRY(check_aes(key, "KCV"));
  std::array<std::uint8_t, 16> block;
  block.fill(0x01);
  OTAFLOW_TRY(encrypt(cipher_alg::aes_cbc, key, block));
  return bytes(block.begin(), block.begin() + gp::kcv_length);
}

result<gp::key_component> gp_wrap_key(gp_key_kind kind, byte_view kik, byte_view key,
                                      std::size_t index, gp_aes_form form) {
  gp::key_component k;
  if (kind == gp_key_kind::des) {
    OTAFLOW_TRY(check_des(kik, "KIK"));
    OTAFLOW_TRY(check_des(key, key_name(index)));
    k.type = gp::key_type::des;
    k.encrypted.assign(key.begin(), key.end());
    if (auto st = tdes_ecb(kik, k.encrypted, true); !st) {
      secure_wipe(k.encrypted);
      return std::move(st).error();
    }
  } else {
    OTAFLOW_TRY(check_aes(kik, "KIK"));
    OTAFLOW_TRY(check_aes(key, key_name(index)));
    const bool padded = key.size() % 16 != 0;
    if (padded && form == gp_aes_form::bare)
      return bad_key(key_name(index) +
                     ": a 24-octet AES key is padded, so it needs the "
                     "length-prefixed form");
    k.type = gp::key_type::aes;
    if (form == gp_aes_form::length_prefixed || padded)
      k.key_length = static_cast<std::uint8_t>(key.size());
    k.encrypted.assign(key.begin(), key.end());
    k.encrypted.resize((key.size() + 15) / 16 * 16, 0x00);
    if (auto st = encrypt(cipher_alg::aes_cbc, kik, k.encrypted); !st) {
      secure_wipe(k.encrypted);
      return std::move(st).error();
    }
  }
  auto kcv = gp_kcv(kind, key);
  if (!kcv) return std::move(kcv).error();
  k.kcv = std::move(*kcv);
  return k;
}

result<bytes> gp_unwrap_key(byte_view kik, const gp::key_component& k) {
  gp_key_kind kind;
  bytes key = k.encrypted;
  if (k.type == gp::key_type::des) {
    kind = gp_key_kind::des;
    OTAFLOW_TRY(check_des(kik, "KIK"));
    OTAFLOW_TRY(check_des(key, "encrypted DES key"));
    OTAFLOW_TRY(tdes_ecb(kik, key, false));
  } else if (k.type == gp::key_type::aes) {
    kind = gp_key_kind::aes;
    OTAFLOW_TRY(check_aes(kik, "KIK"));
    if (key.empty() || key.size() % 16 != 0 || key.size() > 32)
      return bad_key("encrypted AES key: " + std::to_string(key.size()) + " octets, want 16 or 32");
    const std::size_t clear = k.key_length ? *k.key_length : key.size();
    if (clear > key.size()) return bad_key("AES key component: length above the encrypted octets");
    OTAFLOW_TRY(decrypt(cipher_alg::aes_cbc, kik, key));
    if (clear != 16 && clear != 24 && clear != 32) {
      secure_wipe(key);
      return bad_key("AES key component: clear length " + std::to_string(clear) +
                     ", want 16, 24 or 32");
    }
    secure_wipe(std::span<std::uint8_t>(key).subspan(clear));
    key.resize(clear);
  } else {
    return make_error(errc::unsupported,
                      "key type " + to_hex(k.type, 2) + ": only 80 (DES) and 88 (AES)");
  }
  if (!k.kcv.empty()) {
    auto kcv = gp_kcv(kind, key);
    if (!kcv || !equal_ct(*kcv, k.kcv)) {
      secure_wipe(key);
      return make_error(errc::verification, "key check value does not match the decrypted key");
    }
  }
  return key;
}

result<codec::command_apdu> gp_put_key(const gp_put_key_request& req,
                                       codec::gp::put_key_command* sent) {
  gp::put_key_command cmd;
  cmd.new_kvn = req.new_kvn;
  cmd.replace_kvn = req.replace_kvn;
  cmd.first_key_id = req.first_key_id;
  for (std::size_t i = 0; i < req.keys.size(); ++i) {
    auto k = gp_wrap_key(req.kind, req.kik, req.keys[i], i, req.aes_form);
    if (!k) return std::move(k).error();
    cmd.keys.push_back(std::move(*k));
  }
  auto apdu = gp::build_put_key(cmd);
  if (apdu && sent) *sent = std::move(cmd);
  return apdu;
}

}  // namespace otaflow::secure
