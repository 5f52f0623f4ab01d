// SCP80 secured command and response packets (ETSI TS 102 225 §5, TS 31.115 §4).

#include "secure/scp80.hpp"

#include <optional>
#include <string>

namespace otaflow::secure {
namespace {

using codec::por_status;

std::string num(std::size_t v) {
  return std::to_string(v);
}

class scp80_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "scp80"; }
  std::string message(int c) const override { return codec::name(static_cast<por_status>(c)); }
};

/// The PoR UDH that pySim and SJA5 cards put in front of RPL in the PoR CC input.
constexpr std::uint8_t rpi_udh[] = {0x02, 0x71, 0x00};

/// Padding that brings n octets to a multiple of block.
std::size_t padding_for(std::size_t n, std::size_t block) {
  return (block - n % block) % block;
}

/// Checksum octets allowed for a CC algorithm (docs/standards/ts102225-secured-packets.md §5:
/// configurable, 8 by default; a DES MAC has at most one block, AES-CMAC at most 16).
bool cc_length_ok(cc_alg alg, std::size_t len) {
  return len >= 4 && len <= block_size(alg);
}

std::size_t rc_length(rc_alg alg) {
  return alg == rc_alg::crc16 ? 2 : 4;
}

/// The integrity algorithm an SPI integrity field and a KID select.
struct integrity_choice {
  codec::integrity kind = codec::integrity::none;
  rc_alg rc{};
  cc_alg cc{};
};

result<integrity_choice> choose_integrity(codec::integrity kind, std::uint8_t kid,
                                          const char* what) {
  integrity_choice c;
  c.kind = kind;
  switch (kind) {
    case codec::integrity::none:
      return c;
    case codec::integrity::rc: {
      auto a = rc_from_kid(kid);
      if (!a) return std::move(a).error();
      c.rc = *a;
      return c;
    }
    case codec::integrity::cc: {
      auto a = cc_from_kid(kid);
      if (!a) return std::move(a).error();
      c.cc = *a;
      return c;
    }
    case codec::integrity::ds:
      break;
  }
  return make_error(errc::unsupported,
                    std::string(what) + ": digital signature (DS) is not implemented");
}

/// A command laid out with a zeroed checksum slot, before the crypto runs.
struct prepared_command {
  bytes packet;     ///< CPL..end, unciphered, checksum zero
  bytes mac_input;  ///< CPL..PCNTR ‖ data ‖ padding (when RC or CC)
  integrity_choice integrity;
  std::size_t integrity_length = 0;
  std::optional<cipher_alg> cipher;
  byte_view kic_key;
  byte_view kid_key;

  std::span<std::uint8_t> checksum_slot() {
    return std::span<std::uint8_t>(packet).subspan(16, integrity_length);
  }
  std::span<std::uint8_t> ciphered_part() {
    return std::span<std::uint8_t>(packet).subspan(codec::command_clear_size);
  }
};

result<prepared_command> prepare_command(const command_params& p, byte_view data) {
  prepared_command pc;
  pc.kic_key = p.kic_key;
  pc.kid_key = p.kid_key;
  auto ic = choose_integrity(p.spi.command_integrity, p.kid, "command");
  if (!ic) return std::move(ic).error();
  pc.integrity = *ic;
  switch (ic->kind) {
    case codec::integrity::rc:
      pc.integrity_length = rc_length(ic->rc);
      break;
    case codec::integrity::cc:
      if (!cc_length_ok(ic->cc, p.cc_length))
        return make_error(errc::bad_argument, "CC length " + num(p.cc_length) + " for " +
                                                  std::string(name(ic->cc)) + ": allowed 4.." +
                                                  num(block_size(ic->cc)));
      OTAFLOW_TRY(check_key(ic->cc, p.kid_key.size()));
      pc.integrity_length = p.cc_length;
      break;
    default:
      break;
  }
  std::size_t pad = 0;
  if (p.spi.ciphered) {
    auto alg = cipher_from_kic(p.kic);
    if (!alg) return std::move(alg).error();
    OTAFLOW_TRY(check_key(*alg, p.kic_key.size()));
    pc.cipher = *alg;
    pad = padding_for(6 + pc.integrity_length + data.size(), block_size(*alg));
  }
  codec::command_fields f;
  f.spi = codec::spi_value(p.spi);
  f.kic = p.kic;
  f.kid = p.kid;
  f.tar = p.tar;
  f.counter = p.counter;
  f.pcntr = static_cast<std::uint8_t>(pad);
  f.integrity.assign(pc.integrity_length, 0);
  f.data.reserve(data.size() + pad);
  f.data.assign(data.begin(), data.end());
  f.data.resize(data.size() + pad, 0);
  auto packet = codec::encode_command_packet(f);
  if (!packet) return std::move(packet).error();
  pc.packet = std::move(*packet);
  if (pc.integrity_length > 0) {
    const std::size_t head = codec::command_clear_size + 6;  // CPL..PCNTR
    pc.mac_input.reserve(pc.packet.size() - pc.integrity_length);
    pc.mac_input.assign(pc.packet.begin(), pc.packet.begin() + head);
    pc.mac_input.insert(pc.mac_input.end(), pc.packet.begin() + head + pc.integrity_length,
                        pc.packet.end());
  }
  if (ic->kind == codec::integrity::rc)
    OTAFLOW_TRY(compute_rc(ic->rc, pc.mac_input, pc.checksum_slot()));
  return pc;
}

}  // namespace

const std::error_category& scp80_category() noexcept {
  static const scp80_category_impl c;
  return c;
}

codec::por_status por_status_of(const error& e) noexcept {
  if (e.code.category() == scp80_category()) return static_cast<por_status>(e.code.value());
  return por_status::unidentified_security_error;
}

result<bytes> secure_command(const command_params& p, byte_view secured_data) {
  auto pc = prepare_command(p, secured_data);
  if (!pc) return std::move(pc).error();
  if (pc->integrity.kind == codec::integrity::cc)
    OTAFLOW_TRY(compute_cc(pc->integrity.cc, pc->kid_key, pc->mac_input, pc->checksum_slot()));
  if (pc->cipher) OTAFLOW_TRY(encrypt(*pc->cipher, pc->kic_key, pc->ciphered_part()));
  return std::move(pc->packet);
}

std::vector<result<bytes>> secure_commands(std::span<const command_request> requests,
                                           crypto_backend& backend) {
  const std::size_t n = requests.size();
  std::vector<std::optional<prepared_command>> prepared(n);
  std::vector<std::optional<error>> failed(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto pc = prepare_command(requests[i].params, requests[i].data);
    if (pc)
      prepared[i] = std::move(*pc);
    else
      failed[i] = std::move(pc).error();
  }

  // Stage 1: every CC (it sits inside the part that is ciphered afterwards).
  std::vector<status> cc_status(n);
  std::vector<cc_job> cc_jobs;
  for (std::size_t i = 0; i < n; ++i) {
    auto& pc = prepared[i];
    if (pc && pc->integrity.kind == codec::integrity::cc)
      cc_jobs.push_back(
          {pc->integrity.cc, pc->kid_key, pc->mac_input, pc->checksum_slot(), &cc_status[i]});
  }
  if (!cc_jobs.empty()) backend.run(std::span<cc_job>(cc_jobs));

  // Stage 2: every encipherment of CNTR..end.
  std::vector<status> cipher_status(n);
  std::vector<cipher_job> cipher_jobs;
  for (std::size_t i = 0; i < n; ++i) {
    auto& pc = prepared[i];
    if (!pc) continue;
    if (!cc_status[i]) {
      failed[i] = cc_status[i].error();
      continue;
    }
    if (pc->cipher)
      cipher_jobs.push_back(
          {*pc->cipher, pc->kic_key, pc->ciphered_part(), true, &cipher_status[i]});
  }
  if (!cipher_jobs.empty()) backend.run(std::span<cipher_job>(cipher_jobs));

  std::vector<result<bytes>> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!failed[i] && !cipher_status[i]) failed[i] = cipher_status[i].error();
    if (failed[i])
      out.emplace_back(std::move(*failed[i]));
    else
      out.emplace_back(std::move(prepared[i]->packet));
  }
  return out;
}

namespace {

/// One command packet on its way through inspect_command / inspect_commands: the checks
/// before the crypto (open_header), between deciphering and the checksum (open_deciphered),
/// and after it (open_verified). The single and the batch path share these steps, so they
/// answer the same report for the same packet and keys.
struct command_opening {
  command_report r;
  bool done = false;  ///< r is final: a check failed
  codec::command_packet_view v;
  integrity_choice ic;
  std::size_t ilen = 0;
  std::optional<cipher_alg> cipher;
  const keyset* kic_set = nullptr;
  const keyset* kid_set = nullptr;
  bytes plain;                             ///< CNTR..end, deciphered in place
  bytes mac_input;                         ///< CPL..PCNTR ‖ data ‖ padding, when RC or CC
  bytes expected;                          ///< the RC/CC computed over mac_input
  std::optional<codec::command_inner> in;  ///< views into plain

  command_opening() = default;
  command_opening(const command_opening&) = delete;
  command_opening& operator=(const command_opening&) = delete;
  ~command_opening() { secure_wipe(plain); }

  void fail(scp80_errc code, std::string why) {
    r.status = static_cast<por_status>(code);
    r.failure = make_error(code, std::move(why));
    done = true;
  }
  /// Whether the secured part must be deciphered (with kic_set's key) before open_deciphered.
  [[nodiscard]] bool needs_decipher() const noexcept { return !done && cipher.has_value(); }
  /// Whether a CC must be computed into `expected` (with kid_set's key) before open_verified.
  [[nodiscard]] bool needs_cc() const noexcept { return !done && ic.kind == codec::integrity::cc; }
};

constexpr auto e06 = scp80_errc::unidentified_security_error;

/// Parses the header, picks the algorithms, looks the keys up, copies the secured part.
void open_header(command_opening& o, byte_view packet, const key_lookup& keys) {
  auto v = codec::parse_command_packet(packet);
  if (!v) return o.fail(e06, v.error().message);
  o.v = *v;
  auto& c = o.r.command;
  c.spi_raw = v->spi;
  c.kic = v->kic;
  c.kid = v->kid;
  c.tar = v->tar;
  o.r.header_known = true;

  auto s = codec::decode_spi(v->spi);
  if (!s) return o.fail(e06, s.error().message);
  c.spi = *s;

  o.ilen = v->integrity_length();
  auto ic = choose_integrity(s->command_integrity, v->kid, "command");
  if (!ic) return o.fail(e06, ic.error().message);
  o.ic = *ic;
  switch (ic->kind) {
    case codec::integrity::none:
      if (o.ilen != 0)
        return o.fail(e06, "command packet: CHL " + num(v->chl) + " announces " + num(o.ilen) +
                               " octets of RC/CC/DS but SPI asks for none");
      break;
    case codec::integrity::rc:
      if (o.ilen != rc_length(ic->rc))
        return o.fail(e06, "command packet: CHL announces " + num(o.ilen) + " octets of RC, " +
                               std::string(name(ic->rc)) + " has " + num(rc_length(ic->rc)));
      break;
    case codec::integrity::cc:
      if (!cc_length_ok(ic->cc, o.ilen))
        return o.fail(e06, "command packet: CHL announces " + num(o.ilen) + " octets of CC, " +
                               std::string(name(ic->cc)) + " allows 4.." + num(block_size(ic->cc)));
      break;
    default:
      break;
  }

  if (s->ciphered) {
    auto a = cipher_from_kic(v->kic);
    if (!a) return o.fail(e06, a.error().message);
    o.cipher = *a;
    o.kic_set = keys ? keys(v->tar, v->kic >> 4) : nullptr;
    if (!o.kic_set)
      return o.fail(e06, "no keyset of version " + num(v->kic >> 4) + " for TAR " +
                             to_hex(v->tar, 6) + " (KIc)");
    if (auto k = check_key(*a, o.kic_set->kic_key.size()); !k)
      return o.fail(e06, k.error().message);
  }
  if (ic->kind == codec::integrity::cc) {
    o.kid_set = keys ? keys(v->tar, v->kid >> 4) : nullptr;
    if (!o.kid_set)
      return o.fail(e06, "no keyset of version " + num(v->kid >> 4) + " for TAR " +
                             to_hex(v->tar, 6) + " (KID)");
    if (auto k = check_key(ic->cc, o.kid_set->kid_key.size()); !k)
      return o.fail(e06, k.error().message);
  }

  o.plain.assign(v->secured.begin(), v->secured.end());
  if (o.cipher) {
    const std::size_t block = block_size(*o.cipher);
    if (o.plain.empty() || o.plain.size() % block != 0)
      return o.fail(scp80_errc::ciphering_error, "command packet: " + num(o.plain.size()) +
                                                     " ciphered octets, not a multiple of " +
                                                     std::string(name(*o.cipher)) + "'s block of " +
                                                     num(block));
  }
}

/// After deciphering (`deciphered` is its outcome; ok when nothing was ciphered): parses
/// CNTR, PCNTR and the checksum field, lays out the checksum input, computes an RC.
void open_deciphered(command_opening& o, const status& deciphered) {
  if (o.done) return;
  if (!deciphered) return o.fail(scp80_errc::ciphering_error, deciphered.error().message);
  auto in = codec::parse_command_inner(o.plain, o.ilen);
  if (!in) return o.fail(o.cipher ? scp80_errc::ciphering_error : e06, in.error().message);
  auto& c = o.r.command;
  c.counter = in->counter;
  c.pcntr = in->pcntr;
  c.integrity.assign(in->integrity.begin(), in->integrity.end());
  o.r.counter_known = true;
  o.in = *in;
  if (o.ic.kind == codec::integrity::none) return;
  o.mac_input.reserve(codec::command_clear_size + 6 + in->data.size());
  o.mac_input.assign(o.v.clear.begin(), o.v.clear.end());
  o.mac_input.insert(o.mac_input.end(), o.plain.begin(), o.plain.begin() + 6);
  o.mac_input.insert(o.mac_input.end(), in->data.begin(), in->data.end());
  o.expected.assign(o.ilen, 0);
  if (o.ic.kind == codec::integrity::rc) {
    if (auto st = compute_rc(o.ic.rc, o.mac_input, o.expected); !st)
      return o.fail(e06, st.error().message);
  }
}

/// After the CC (`checked` is its outcome; ok for RC or none): compares in constant time and
/// hands the data out.
void open_verified(command_opening& o, const status& checked) {
  if (o.done) return;
  if (!checked) return o.fail(e06, checked.error().message);
  if (o.ic.kind != codec::integrity::none && !equal_ct(o.expected, o.in->integrity))
    return o.fail(scp80_errc::rc_cc_ds_failed,
                  std::string("command packet: ") +
                      (o.ic.kind == codec::integrity::rc ? "RC" : "CC") + " mismatch for TAR " +
                      to_hex(o.v.tar, 6));
  const auto data = o.in->unpadded();
  o.r.command.data.assign(data.begin(), data.end());
}

}  // namespace

command_report inspect_command(byte_view packet, const key_lookup& keys) {
  command_opening o;
  open_header(o, packet, keys);
  status st;
  if (o.needs_decipher()) st = decrypt(*o.cipher, o.kic_set->kic_key, o.plain);
  open_deciphered(o, st);
  st = {};
  if (o.needs_cc()) st = compute_cc(o.ic.cc, o.kid_set->kid_key, o.mac_input, o.expected);
  open_verified(o, st);
  return std::move(o.r);
}

std::vector<command_report> inspect_commands(std::span<const command_to_inspect> items,
                                             crypto_backend& backend) {
  const std::size_t n = items.size();
  std::vector<command_opening> o(n);
  for (std::size_t i = 0; i < n; ++i) open_header(o[i], items[i].packet, items[i].keys);

  // Stage 1: every deciphering (the checksum sits inside the ciphered part).
  std::vector<status> deciphered(n);
  std::vector<cipher_job> cipher_jobs;
  for (std::size_t i = 0; i < n; ++i)
    if (o[i].needs_decipher())
      cipher_jobs.push_back(
          {*o[i].cipher, o[i].kic_set->kic_key, o[i].plain, false, &deciphered[i]});
  if (!cipher_jobs.empty()) backend.run(std::span<cipher_job>(cipher_jobs));
  for (std::size_t i = 0; i < n; ++i) open_deciphered(o[i], deciphered[i]);

  // Stage 2: every CC.
  std::vector<status> checked(n);
  std::vector<cc_job> cc_jobs;
  for (std::size_t i = 0; i < n; ++i)
    if (o[i].needs_cc())
      cc_jobs.push_back(
          {o[i].ic.cc, o[i].kid_set->kid_key, o[i].mac_input, o[i].expected, &checked[i]});
  if (!cc_jobs.empty()) backend.run(std::span<cc_job>(cc_jobs));

  std::vector<command_report> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    open_verified(o[i], checked[i]);
    out.push_back(std::move(o[i].r));
  }
  return out;
}

result<opened_command> open_command(byte_view packet, const key_lookup& keys) {
  auto r = inspect_command(packet, keys);
  if (r.status != por_status::ok) return std::move(r.failure);
  return std::move(r.command);
}

codec::por_status check_counter(codec::counter_mode mode, std::uint64_t stored,
                                std::uint64_t received) noexcept {
  switch (mode) {
    case codec::counter_mode::none:
    case codec::counter_mode::no_check:
      return por_status::ok;
    case codec::counter_mode::higher:
      if (received > stored) return por_status::ok;
      return stored >= codec::max_counter ? por_status::cntr_blocked : por_status::cntr_low;
    case codec::counter_mode::one_higher:
      if (stored >= codec::max_counter) return por_status::cntr_blocked;
      if (received == stored + 1) return por_status::ok;
      return received <= stored ? por_status::cntr_low : por_status::cntr_high;
  }
  return por_status::unidentified_security_error;
}

result<bytes> secure_response(const response_params& p, byte_view data) {
  const auto& sec = p.security;
  const bool bare = p.status == por_status::unidentified_security_error;
  integrity_choice ic;
  std::size_t ilen = 0;
  if (!bare) {
    auto c = choose_integrity(sec.spi.por_integrity, sec.kid, "PoR");
    if (!c) return std::move(c).error();
    ic = *c;
    if (ic.kind == codec::integrity::rc) ilen = rc_length(ic.rc);
    if (ic.kind == codec::integrity::cc) {
      if (!cc_length_ok(ic.cc, sec.cc_length))
        return make_error(errc::bad_argument, "CC length " + num(sec.cc_length) + " for " +
                                                  std::string(name(ic.cc)) + ": allowed 4.." +
                                                  num(block_size(ic.cc)));
      OTAFLOW_TRY(check_key(ic.cc, sec.kid_key.size()));
      ilen = sec.cc_length;
    }
  }
  std::optional<cipher_alg> cipher;
  std::size_t pad = 0;
  if (!bare && sec.spi.por_ciphered) {
    auto a = cipher_from_kic(sec.kic);
    if (!a) return std::move(a).error();
    OTAFLOW_TRY(check_key(*a, sec.kic_key.size()));
    cipher = *a;
    pad = padding_for(7 + ilen + data.size(), block_size(*a));
  }
  codec::response_fields f;
  f.tar = p.tar;
  f.counter = p.counter;
  f.pcntr = static_cast<std::uint8_t>(pad);
  f.status = static_cast<std::uint8_t>(p.status);
  f.integrity.assign(ilen, 0);
  f.data.assign(data.begin(), data.end());
  f.data.resize(data.size() + pad, 0);
  auto enc = codec::encode_response_packet(f);
  if (!enc) return std::move(enc).error();
  bytes packet = std::move(*enc);
  const std::size_t head = codec::response_clear_size + 7;  // RPL..Status
  if (ilen > 0) {
    bytes mac_input;
    if (sec.cc_input == por_cc_input::with_udh)
      mac_input.assign(std::begin(rpi_udh), std::end(rpi_udh));
    mac_input.insert(mac_input.end(), packet.begin(), packet.begin() + head);
    mac_input.insert(mac_input.end(), packet.begin() + head + ilen, packet.end());
    auto slot = std::span<std::uint8_t>(packet).subspan(head, ilen);
    if (ic.kind == codec::integrity::rc)
      OTAFLOW_TRY(compute_rc(ic.rc, mac_input, slot));
    else
      OTAFLOW_TRY(compute_cc(ic.cc, sec.kid_key, mac_input, slot));
  }
  if (cipher)
    OTAFLOW_TRY(encrypt(*cipher, sec.kic_key,
                        std::span<std::uint8_t>(packet).subspan(codec::response_clear_size)));
  return packet;
}

namespace {

void fill_fields(response_report& r, const codec::response_inner& in) {
  auto& o = r.response;
  o.counter = in.counter;
  o.pcntr = in.pcntr;
  o.status = static_cast<por_status>(in.status);
  o.integrity.assign(in.integrity.begin(), in.integrity.end());
  const auto d = in.unpadded();
  o.data.assign(d.begin(), d.end());
  r.fields_known = true;
}

/// Opens the PoR with the protection SPI octet 2 asks for; fills r as far as it gets.
status open_secured(const codec::response_packet_view& v, const response_security& sec,
                    response_report& r) {
  const std::size_t ilen = v.integrity_length();
  auto ic = choose_integrity(sec.spi.por_integrity, sec.kid, "PoR");
  if (!ic) return std::move(ic).error();
  switch (ic->kind) {
    case codec::integrity::none:
      if (ilen != 0)
        return make_error(errc::bad_length, "response packet: RHL " + num(v.rhl) +
                                                " announces RC/CC/DS but SPI asks for none");
      break;
    case codec::integrity::rc:
      if (ilen != rc_length(ic->rc))
        return make_error(errc::bad_length, "response packet: RHL announces " + num(ilen) +
                                                " octets of RC, " + std::string(name(ic->rc)) +
                                                " has " + num(rc_length(ic->rc)));
      break;
    case codec::integrity::cc:
      if (!cc_length_ok(ic->cc, ilen))
        return make_error(errc::bad_length, "response packet: RHL announces " + num(ilen) +
                                                " octets of CC, " + std::string(name(ic->cc)) +
                                                " allows 4.." + num(block_size(ic->cc)));
      break;
    default:
      break;
  }
  bytes plain(v.secured.begin(), v.secured.end());
  if (sec.spi.por_ciphered) {
    auto a = cipher_from_kic(sec.kic);
    if (!a) return std::move(a).error();
    const std::size_t block = block_size(*a);
    if (plain.empty() || plain.size() % block != 0)
      return make_error(scp80_errc::ciphering_error,
                        "response packet: " + num(plain.size()) +
                            " ciphered octets, not a multiple of the block of " + num(block));
    OTAFLOW_TRY(decrypt(*a, sec.kic_key, plain));
  }
  auto in = codec::parse_response_inner(plain, ilen);
  if (!in) return std::move(in).error();
  fill_fields(r, *in);
  if (ic->kind != codec::integrity::none) {
    const std::size_t head = 7;  // CNTR PCNTR Status
    bytes mac_input;
    if (sec.cc_input == por_cc_input::with_udh)
      mac_input.assign(std::begin(rpi_udh), std::end(rpi_udh));
    mac_input.insert(mac_input.end(), v.clear.begin(), v.clear.end());
    mac_input.insert(mac_input.end(), plain.begin(), plain.begin() + head);
    mac_input.insert(mac_input.end(), in->data.begin(), in->data.end());
    bytes expected(ilen);
    OTAFLOW_TRY(ic->kind == codec::integrity::rc
                    ? compute_rc(ic->rc, mac_input, expected)
                    : compute_cc(ic->cc, sec.kid_key, mac_input, expected));
    if (!equal_ct(expected, in->integrity))
      return make_error(scp80_errc::rc_cc_ds_failed,
                        std::string("response packet: ") +
                            (ic->kind == codec::integrity::rc ? "RC" : "CC") + " mismatch");
  }
  return {};
}

}  // namespace

response_report inspect_response(byte_view packet, const response_security& sec) {
  response_report r;
  auto v = codec::parse_response_packet(packet);
  if (!v) {
    r.failure = std::move(v).error();
    return r;
  }
  r.response.tar = v->tar;
  r.header_known = true;
  const bool protection = sec.spi.por_ciphered || sec.spi.por_integrity != codec::integrity::none;

  // An unsecured error PoR: no RC/CC/DS, a non-zero status in clear. Status 06 must come
  // so; it is taken first when SPI asks for ciphering only, where both forms have RHL 10.
  auto unsecured = [&]() -> bool {
    if (!protection || v->integrity_length() != 0) return false;
    auto in = codec::parse_response_inner(v->secured, 0);
    if (!in || in->status == 0) return false;
    r = response_report{};
    r.response.tar = v->tar;
    r.header_known = true;
    fill_fields(r, *in);
    r.response.secured = false;
    r.valid = true;
    return true;
  };
  if (protection && v->integrity_length() == 0) {
    auto in = codec::parse_response_inner(v->secured, 0);
    const bool expects_checksum = sec.spi.por_integrity != codec::integrity::none;
    if (in && in->pcntr == 0 &&
        (expects_checksum ||
         in->status == static_cast<std::uint8_t>(por_status::unidentified_security_error)) &&
        unsecured())
      return r;
  }
  if (auto st = open_secured(*v, sec, r); !st) {
    error why = std::move(st).error();
    if (unsecured()) return r;
    r.failure = std::move(why);
    return r;
  }
  r.valid = true;
  return r;
}

result<opened_response> open_response(byte_view packet, const response_security& sec) {
  auto r = inspect_response(packet, sec);
  if (!r.valid) return std::move(r.failure);
  return std::move(r.response);
}

}  // namespace otaflow::secure
