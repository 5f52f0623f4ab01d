// SCP80 algorithm selection (TS 102 225 §5.1.2/§5.1.3), redundancy checks and the
// single-message ciphering and CC functions.
#include "secure/scp80_algorithm.hpp"

#include <array>
#include <string>

#include "secure/openssl_evp.hpp"

namespace otaflow::secure {
namespace {

// KIc/KID: b8-b5 key version, b4-b3 algorithm within the family, b2-b1 family
// (00 implicit, 01 DES, 10 AES, 11 proprietary) [TS 102 225 §5.1.2, §5.1.3].
error implicit_or_proprietary(const char* field, std::uint8_t v) {
  const bool implicit = (v & 0x03) == 0x00;
  return make_error(errc::unsupported,
                    std::string(field) + " 0x" + to_hex(v, 2, hex_case::upper) + ": " +
                        (implicit ? "algorithm implicit (b2b1=00), agreed out of band"
                                  : "proprietary algorithm (b2b1=11)") +
                        " is not supported");
}

error reserved(const char* field, std::uint8_t v) {
  return make_error(errc::bad_value,
                    std::string(field) + " 0x" + to_hex(v, 2, hex_case::upper) +
                        ": reserved algorithm (b4..b1=" + std::to_string((v >> 3) & 1) +
                        std::to_string((v >> 2) & 1) + std::to_string((v >> 1) & 1) +
                        std::to_string(v & 1) + ")");
}

// Reflected table CRCs, one table each, computed at compile time.
template <class T, T poly>
constexpr std::array<T, 256> make_crc_table() {
  std::array<T, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    T c = static_cast<T>(i);
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? static_cast<T>((c >> 1) ^ poly) : static_cast<T>(c >> 1);
    t[i] = c;
  }
  return t;
}
// 0xEDB88320 = 0x04C11DB7 reflected; 0x8408 = 0x1021 reflected.
constexpr auto crc32_table = make_crc_table<std::uint32_t, 0xEDB88320u>();
constexpr auto crc16_table = make_crc_table<std::uint16_t, 0x8408u>();

detail::evp_engine& thread_engine() {
  thread_local detail::evp_engine engine;
  return engine;
}

}  // namespace

result<cipher_alg> cipher_from_kic(std::uint8_t kic) {
  switch (kic & 0x03) {
    case 0x01:
      switch ((kic >> 2) & 0x03) {
        case 0:
          return cipher_alg::des_cbc;
        case 1:
          return cipher_alg::tdes2_cbc;
        case 2:
          return cipher_alg::tdes3_cbc;
        default:
          return cipher_alg::des_ecb;
      }
    case 0x02:
      if ((kic & 0x0C) == 0) return cipher_alg::aes_cbc;
      return reserved("KIc", kic);
    default:
      return implicit_or_proprietary("KIc", kic);
  }
}

result<cc_alg> cc_from_kid(std::uint8_t kid) {
  switch (kid & 0x03) {
    case 0x01:
      switch ((kid >> 2) & 0x03) {
        case 0:
          return cc_alg::des_cbc_mac;
        case 1:
          return cc_alg::tdes2_cbc_mac;
        case 2:
          return cc_alg::tdes3_cbc_mac;
        default:
          return reserved("KID", kid);  // DES-ECB is not a CC algorithm
      }
    case 0x02:
      if ((kid & 0x0C) == 0) return cc_alg::aes_cmac;
      return reserved("KID", kid);
    default:
      return implicit_or_proprietary("KID", kid);
  }
}

result<rc_alg> rc_from_kid(std::uint8_t kid) {
  switch (kid & 0x03) {
    case 0x01:
      switch ((kid >> 2) & 0x03) {
        case 0:
          return rc_alg::crc16;
        case 1:
          return rc_alg::crc32;
        default:
          return reserved("KID", kid);
      }
    case 0x02:
      return reserved("KID", kid);  // no RC family 10
    default:
      return implicit_or_proprietary("KID", kid);
  }
}

std::size_t block_size(cipher_alg alg) noexcept {
  return alg == cipher_alg::aes_cbc ? 16 : 8;
}

std::size_t block_size(cc_alg alg) noexcept {
  return alg == cc_alg::aes_cmac ? 16 : 8;
}

namespace {
status key_error(std::string_view alg, const char* want, std::size_t got) {
  return make_error(errc::bad_argument, std::string(alg) + " key must be " + want +
                                            " octets, got " + std::to_string(got));
}
}  // namespace

status check_key(cipher_alg alg, std::size_t key_len) {
  switch (alg) {
    case cipher_alg::des_cbc:
    case cipher_alg::des_ecb:
      if (key_len == 8) return {};
      return key_error(name(alg), "8", key_len);
    case cipher_alg::tdes2_cbc:
      if (key_len == 16) return {};
      return key_error(name(alg), "16", key_len);
    case cipher_alg::tdes3_cbc:
      if (key_len == 24) return {};
      return key_error(name(alg), "24", key_len);
    case cipher_alg::aes_cbc:
      if (key_len == 16 || key_len == 24 || key_len == 32) return {};
      return key_error(name(alg), "16, 24 or 32", key_len);
  }
  return make_error(errc::bad_argument, "unknown cipher algorithm");
}

status check_key(cc_alg alg, std::size_t key_len) {
  switch (alg) {
    case cc_alg::des_cbc_mac:
      if (key_len == 8) return {};
      return key_error(name(alg), "8", key_len);
    case cc_alg::tdes2_cbc_mac:
      if (key_len == 16) return {};
      return key_error(name(alg), "16", key_len);
    case cc_alg::tdes3_cbc_mac:
      if (key_len == 24) return {};
      return key_error(name(alg), "24", key_len);
    case cc_alg::aes_cmac:
      if (key_len == 16 || key_len == 24 || key_len == 32) return {};
      return key_error(name(alg), "16, 24 or 32", key_len);
  }
  return make_error(errc::bad_argument, "unknown CC algorithm");
}

std::string_view name(cipher_alg alg) noexcept {
  switch (alg) {
    case cipher_alg::des_cbc:
      return "DES-CBC";
    case cipher_alg::tdes2_cbc:
      return "3DES-2KEY-CBC";
    case cipher_alg::tdes3_cbc:
      return "3DES-3KEY-CBC";
    case cipher_alg::des_ecb:
      return "DES-ECB";
    case cipher_alg::aes_cbc:
      return "AES-CBC";
  }
  return "?";
}

std::string_view name(cc_alg alg) noexcept {
  switch (alg) {
    case cc_alg::des_cbc_mac:
      return "DES-CBC-MAC";
    case cc_alg::tdes2_cbc_mac:
      return "3DES-2KEY-CBC-MAC";
    case cc_alg::tdes3_cbc_mac:
      return "3DES-3KEY-CBC-MAC";
    case cc_alg::aes_cmac:
      return "AES-CMAC";
  }
  return "?";
}

std::string_view name(rc_alg alg) noexcept {
  switch (alg) {
    case rc_alg::crc16:
      return "CRC16";
    case rc_alg::crc32:
      return "CRC32";
  }
  return "?";
}

status encrypt(cipher_alg alg, byte_view key, std::span<std::uint8_t> data) {
  OTAFLOW_TRY(detail::validate_cipher(alg, key.size(), data.size()));
  return thread_engine().cipher(alg, key, data, true);
}

status decrypt(cipher_alg alg, byte_view key, std::span<std::uint8_t> data) {
  OTAFLOW_TRY(detail::validate_cipher(alg, key.size(), data.size()));
  return thread_engine().cipher(alg, key, data, false);
}

status compute_cc(cc_alg alg, byte_view key, byte_view data, std::span<std::uint8_t> out) {
  OTAFLOW_TRY(detail::validate_cc(alg, key.size(), out.size()));
  return thread_engine().cc(alg, key, data, out);
}

std::uint32_t crc32(byte_view data) noexcept {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::uint8_t b : data) c = crc32_table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

// TS 102 225 §5.1.3 (as quoted in opentelecoms gsm0348's CRC16X25): ISO/IEC 13239,
// generator X^16+X^12+X^5+1, the LSB of the first octet is the most significant term
// (reflected input), initial value FFFF, final XOR FFFF: CRC-16/X-25, check 906E.
std::uint16_t crc16(byte_view data) noexcept {
  std::uint16_t c = 0xFFFF;
  for (std::uint8_t b : data) {
    c = static_cast<std::uint16_t>(crc16_table[(c ^ b) & 0xFF] ^ (c >> 8));
  }
  return static_cast<std::uint16_t>(c ^ 0xFFFF);
}

status compute_rc(rc_alg alg, byte_view data, std::span<std::uint8_t> out) {
  const std::size_t want = alg == rc_alg::crc16 ? 2 : 4;
  if (out.size() != want) {
    return make_error(errc::bad_argument, std::string(name(alg)) + ": output length " +
                                              std::to_string(out.size()) + ", expected " +
                                              std::to_string(want));
  }
  // Big-endian, as pySim writes its CRC32 RC [docs/standards/ts102225-secured-packets.md §5].
  const std::uint32_t v = alg == rc_alg::crc16 ? crc16(data) : crc32(data);
  for (std::size_t i = 0; i < want; ++i) {
    out[i] = static_cast<std::uint8_t>(v >> (8 * (want - 1 - i)));
  }
  return {};
}

}  // namespace otaflow::secure
