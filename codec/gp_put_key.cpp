#include "codec/gp_put_key.hpp"

#include <string>

#include "codec/tlv.hpp"

namespace otaflow::codec::gp {
namespace {

error bad(std::string message) {
  return make_error(errc::bad_value, std::move(message));
}

error truncated(std::string message) {
  return make_error(errc::truncated, std::move(message));
}

status check_range(unsigned v, unsigned lo, std::string_view what) {
  if (v < lo || v > key_version_max)
    return bad(std::string(what) + " " + std::to_string(v) + ": must be " + std::to_string(lo) +
               "..127 (b8 of its octet has another meaning, GP 2.3 §11.8.2)");
  return {};
}

status encode_component(const key_component& k, std::size_t index, byte_writer& w) {
  const std::string what = "key " + std::to_string(index + 1);
  if (k.encrypted.empty()) return bad(what + ": no key value");
  if (k.key_length && *k.key_length > 0x7F)
    return bad(what + ": clear key length " + std::to_string(*k.key_length) + " above 127");
  if (k.kcv.size() > 0x7F)
    return bad(what + ": KCV of " + std::to_string(k.kcv.size()) + " octets, at most 127");
  w.u8(k.type);
  ber_write_length(k.encrypted.size() + (k.key_length ? 1 : 0), w);
  if (k.key_length) w.u8(*k.key_length);
  w.append(k.encrypted);
  w.u8(static_cast<std::uint8_t>(k.kcv.size()));
  w.append(k.kcv);
  return {};
}

/// Cipher block of a key type, 0 when the type has no block rule here.
std::size_t block_of(std::uint8_t type) {
  if (type >= key_type::des && type <= key_type::des_cbc) return 8;
  if (type == key_type::aes) return 16;
  return 0;
}

/// The key component block length: BER, except that a lone 80 means 128 (§11.8.2.3.1).
bool read_block_length(byte_reader& r, std::size_t& len) {
  std::uint8_t first = 0;
  if (!r.peek(first)) return false;
  if (first <= 0x80) {
    len = first;
    return r.skip(1);
  }
  auto l = ber_read_length(r);
  if (!l) return false;
  len = *l;
  return true;
}

/// Splits a key component block into the optional clear length and the encrypted value.
status split_block(key_component& k, byte_view block, const std::string& what) {
  if (block.empty()) return bad(what + ": empty key component block");
  const std::size_t bs = block_of(k.type);
  const bool prefixed = k.type == key_type::tls_psk || (bs != 0 && block.size() % bs != 0);
  if (!prefixed) {
    k.encrypted.assign(block.begin(), block.end());
    return {};
  }
  byte_reader r(block);
  auto len = ber_read_length(r);
  if (!len) return bad(what + ": key length: " + len.error().message);
  if (*len > 0x7F || *len > r.remaining())
    return bad(what + ": clear key length " + std::to_string(*len) + " exceeds the " +
               std::to_string(r.remaining()) + " encrypted octets");
  if (bs != 0 && r.remaining() % bs != 0)
    return bad(what + ": " + std::to_string(r.remaining()) +
               " encrypted octets are not whole cipher blocks of " + std::to_string(bs));
  k.key_length = static_cast<std::uint8_t>(*len);
  k.encrypted.assign(r.rest().begin(), r.rest().end());
  return {};
}

}  // namespace

result<command_apdu> build_put_key(const put_key_command& cmd) {
  OTAFLOW_TRY(check_range(cmd.new_kvn, 1, "new key version number"));
  OTAFLOW_TRY(check_range(cmd.replace_kvn, 0, "key version number to replace"));
  OTAFLOW_TRY(check_range(cmd.first_key_id, 1, "key identifier"));
  if (cmd.keys.empty()) return bad("PUT KEY: no keys");
  if (cmd.first_key_id + cmd.keys.size() - 1 > key_id_max)
    return bad("PUT KEY: key identifiers " + std::to_string(cmd.first_key_id) + ".." +
               std::to_string(cmd.first_key_id + cmd.keys.size() - 1) + " pass 127");
  command_apdu c;
  c.cla = cla;
  c.ins = ins::put_key;
  c.p1 = static_cast<std::uint8_t>(cmd.replace_kvn | (cmd.more_commands ? put_key_p1_more : 0));
  c.p2 =
      static_cast<std::uint8_t>(cmd.first_key_id | (cmd.keys.size() > 1 ? put_key_p2_multiple : 0));
  byte_writer w(c.data);
  w.u8(cmd.new_kvn);
  for (std::size_t i = 0; i < cmd.keys.size(); ++i)
    OTAFLOW_TRY(encode_component(cmd.keys[i], i, w));
  c.le = 256;
  return c;
}

result<put_key_command> parse_put_key(const command_apdu& apdu) {
  if (apdu.ins != ins::put_key) return bad("PUT KEY: INS " + to_hex(apdu.ins, 2) + ", want d8");
  put_key_command cmd;
  cmd.replace_kvn = apdu.p1 & key_version_max;
  cmd.more_commands = (apdu.p1 & put_key_p1_more) != 0;
  cmd.first_key_id = apdu.p2 & key_id_max;
  const bool multiple = (apdu.p2 & put_key_p2_multiple) != 0;
  byte_reader r(apdu.data);
  if (!r.u8(cmd.new_kvn)) return truncated("PUT KEY: no data (the new key version number)");
  while (!r.empty()) {
    const std::string what = "PUT KEY key " + std::to_string(cmd.keys.size() + 1);
    key_component k;
    std::size_t len = 0;
    std::uint8_t kcv_len = 0;
    byte_view block, kcv;
    if (!r.u8(k.type) || !read_block_length(r, len))
      return truncated(what + ": no key type and length");
    if (k.type == key_type::extended)
      return bad(what + ": extended key format (ff) is not supported");
    if (!r.take(len, block))
      return truncated(what + ": key data of " + std::to_string(len) + " octets, " +
                       std::to_string(r.remaining()) + " left");
    OTAFLOW_TRY(split_block(k, block, what));
    if (!r.u8(kcv_len) || !r.take(kcv_len, kcv)) return truncated(what + ": KCV cut short");
    k.kcv.assign(kcv.begin(), kcv.end());
    cmd.keys.push_back(std::move(k));
  }
  if (cmd.keys.empty()) return bad("PUT KEY: no key data after the key version number");
  if (multiple != (cmd.keys.size() > 1))
    return bad("PUT KEY: P2 " + to_hex(apdu.p2, 2) + " disagrees with the " +
               std::to_string(cmd.keys.size()) + " key(s) in the data");
  return cmd;
}

result<put_key_response> parse_put_key_response(byte_view data, std::size_t kcv_len) {
  if (kcv_len == 0) return bad("PUT KEY response: KCV length 0");
  byte_reader r(data);
  put_key_response out;
  if (!r.u8(out.kvn)) return truncated("PUT KEY response: empty (want KVN and KCVs)");
  if (r.remaining() % kcv_len != 0)
    return bad("PUT KEY response: " + std::to_string(r.remaining()) +
               " octets after the KVN are not a whole number of " + std::to_string(kcv_len) +
               "-octet KCVs");
  byte_view v;
  while (r.take(kcv_len, v)) out.kcvs.emplace_back(v.begin(), v.end());
  return out;
}

status verify_put_key_response(const put_key_command& sent, const put_key_response& got) {
  if (got.kvn != sent.new_kvn)
    return make_error(errc::verification, "PUT KEY response: KVN " + std::to_string(got.kvn) +
                                              ", sent " + std::to_string(sent.new_kvn));
  if (got.kcvs.size() != sent.keys.size())
    return make_error(errc::verification, "PUT KEY response: " + std::to_string(got.kcvs.size()) +
                                              " KCVs for " + std::to_string(sent.keys.size()) +
                                              " keys");
  for (std::size_t i = 0; i < got.kcvs.size(); ++i) {
    if (!equal_ct(got.kcvs[i], sent.keys[i].kcv))
      return make_error(errc::verification,
                        "PUT KEY response: KCV of key " + std::to_string(i + 1) + " (id " +
                            std::to_string(sent.first_key_id + i) + ") differs from the key sent");
  }
  return {};
}

}  // namespace otaflow::codec::gp
