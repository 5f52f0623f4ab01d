// `otaflow packet encode|decode|por-encode|por-decode`: secured packets (ETSI TS 102 225 /
// 3GPP TS 31.115) and their SMS TP-UD, as one JSON object on stdout. All values are hex.
// Exit 0 ok, 1 when a verification fails (the JSON says "valid": false, the reason goes to
// stderr), 2 on bad usage with a message naming the bad argument.

#include <charconv>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/command.hpp"
#include "base/bytes.hpp"
#include "codec/ts102225_packet.hpp"
#include "codec/ts102225_spi.hpp"
#include "codec/ts23040_udh.hpp"
#include "codec/ts31115_sms.hpp"
#include "secure/scp80.hpp"

namespace otaflow::app {
namespace {

using json = nlohmann::ordered_json;

bytes hex_arg(const std::string& flag, const std::string& v) {
  auto b = from_hex(v);
  if (!b) usage_error(flag + ": " + b.error().message);
  return std::move(*b);
}

/// An unsigned value given as 1..2*octets hex digits.
std::uint64_t uint_arg(const std::string& flag, const std::string& v, std::size_t octets) {
  if (v.empty() || v.size() > 2 * octets)
    usage_error(flag + ": '" + v + "' must be 1 to " + std::to_string(2 * octets) + " hex digits");
  std::uint64_t out = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out, 16);
  if (ec != std::errc{} || end != v.data() + v.size())
    usage_error(flag + ": '" + v + "' is not hex");
  return out;
}

codec::spi spi_arg(const std::string& v) {
  auto s = codec::decode_spi(static_cast<std::uint16_t>(uint_arg("--spi", v, 2)));
  if (!s) usage_error("--spi: " + s.error().message);
  return *s;
}

void print(const json& j) {
  std::printf("%s\n", j.dump().c_str());
}

json hex_list(const std::vector<bytes>& uds) {
  json a = json::array();
  for (const auto& ud : uds) a.push_back(to_hex(ud));
  return a;
}

/// Options shared by the four subcommands (each uses the ones it declares).
struct packet_opts {
  std::string spi, kic, kid, tar, counter, kic_key, kid_key, data, status, input;
  std::size_t cc_length = 8;
  std::uint16_t concat_ref = 0;
  bool ref16 = false;
  bool cc_without_udh = false;
};

void add_keys(CLI::App* c, packet_opts& o) {
  c->add_option("--kic-key", o.kic_key, "ciphering key (hex), needed when ciphering is on");
  c->add_option("--kid-key", o.kid_key, "checksum key (hex), needed for a CC");
}

void add_concat(CLI::App* c, packet_opts& o) {
  c->add_option("--concat-ref", o.concat_ref,
                "concatenation reference when more than one SM is needed (default 0)");
  c->add_flag("--ref16", o.ref16, "use IEI 08 with a 16-bit concatenation reference");
}

void need_keys(const codec::spi& s, bool por, const bytes& kic_key, const bytes& kid_key) {
  const bool ciphered = por ? s.por_ciphered : s.ciphered;
  const auto integ = por ? s.por_integrity : s.command_integrity;
  const std::string what = por ? "the PoR" : "the command";
  if (ciphered && kic_key.empty())
    usage_error("--kic-key: required, the SPI asks for ciphering of " + what);
  if (integ == codec::integrity::cc && kid_key.empty())
    usage_error("--kid-key: required, the SPI asks for a CC on " + what);
}

void run_encode(const packet_opts& o) {
  secure::command_params p;
  p.spi = spi_arg(o.spi);
  p.kic = static_cast<std::uint8_t>(uint_arg("--kic", o.kic, 1));
  p.kid = static_cast<std::uint8_t>(uint_arg("--kid", o.kid, 1));
  p.tar = static_cast<std::uint32_t>(uint_arg("--tar", o.tar, 3));
  p.counter = uint_arg("--counter", o.counter, 5);
  const bytes kic_key = hex_arg("--kic-key", o.kic_key);
  const bytes kid_key = hex_arg("--kid-key", o.kid_key);
  const bytes data = hex_arg("--data", o.data);
  need_keys(p.spi, false, kic_key, kid_key);
  p.kic_key = kic_key;
  p.kid_key = kid_key;
  p.cc_length = o.cc_length;
  auto packet = secure::secure_command(p, data);
  if (!packet) usage_error("packet encode: " + packet.error().message);
  auto uds = codec::command_to_tp_ud(*packet, {o.concat_ref, o.ref16});
  if (!uds) usage_error("--concat-ref: " + uds.error().message);
  json j;
  j["command_packet"] = to_hex(*packet);
  j["sms"] = hex_list(*uds);
  print(j);
}

/// The command packet in a decode input: a TP-UD with `70` in its UDH, or a bare packet.
byte_view command_input(const bytes& in) {
  if (auto split = codec::split_ud(in); split && split->header.has(codec::iei::command_packet)) {
    if (codec::find_concat(split->header))
      usage_error("PACKET: a part of a concatenated packet; pass the reassembled packet");
    return split->body;
  }
  return in;
}

void run_decode(const packet_opts& o) {
  const bytes in = hex_arg("PACKET", o.input);
  const secure::keyset ks{0, hex_arg("--kic-key", o.kic_key), hex_arg("--kid-key", o.kid_key)};
  const byte_view packet = command_input(in);
  auto v = codec::parse_command_packet(packet);
  if (!v) usage_error("PACKET: " + v.error().message);
  if (auto s = codec::decode_spi(v->spi)) need_keys(*s, false, ks.kic_key, ks.kid_key);
  auto r = secure::inspect_command(
      packet, [&ks](std::uint32_t, std::uint8_t) -> const secure::keyset* { return &ks; });
  const auto& c = r.command;
  const bool valid = r.status == codec::por_status::ok;
  json j;
  j["spi"] = to_hex(c.spi_raw, 4);
  j["kic"] = to_hex(c.kic, 2);
  j["kid"] = to_hex(c.kid, 2);
  j["tar"] = to_hex(c.tar, 6);
  j["counter"] = r.counter_known ? json(to_hex(c.counter, 10)) : json(nullptr);
  j["pcntr"] = r.counter_known ? json(to_hex(c.pcntr, 2)) : json(nullptr);
  j["valid"] = valid;
  j["data"] = to_hex(c.data);
  print(j);
  if (!valid) {
    std::fprintf(stderr, "otaflow: packet not valid (PoR status %02x %s): %s\n",
                 static_cast<unsigned>(r.status), codec::name(r.status), r.failure.message.c_str());
    exit_with(1);
  }
}

secure::response_security por_security(const packet_opts& o, bytes& kic_key, bytes& kid_key) {
  secure::response_security sec;
  sec.spi = spi_arg(o.spi);
  sec.kic = static_cast<std::uint8_t>(uint_arg("--kic", o.kic, 1));
  sec.kid = static_cast<std::uint8_t>(uint_arg("--kid", o.kid, 1));
  kic_key = hex_arg("--kic-key", o.kic_key);
  kid_key = hex_arg("--kid-key", o.kid_key);
  sec.kic_key = kic_key;
  sec.kid_key = kid_key;
  sec.cc_length = o.cc_length;
  sec.cc_input =
      o.cc_without_udh ? secure::por_cc_input::without_udh : secure::por_cc_input::with_udh;
  return sec;
}

void run_por_encode(const packet_opts& o) {
  bytes kic_key, kid_key;
  secure::response_params p;
  p.security = por_security(o, kic_key, kid_key);
  p.tar = static_cast<std::uint32_t>(uint_arg("--tar", o.tar, 3));
  p.counter = uint_arg("--counter", o.counter, 5);
  p.status = static_cast<codec::por_status>(uint_arg("--status", o.status, 1));
  // A status 06 PoR goes out bare (TS 102 225 §5.2), so it needs no keys.
  if (p.status != codec::por_status::unidentified_security_error)
    need_keys(p.security.spi, true, kic_key, kid_key);
  const bytes data = hex_arg("--data", o.data);
  auto packet = secure::secure_response(p, data);
  if (!packet) usage_error("packet por-encode: " + packet.error().message);
  auto uds = codec::response_to_tp_ud(*packet, {o.concat_ref, o.ref16});
  if (!uds) usage_error("--concat-ref: " + uds.error().message);
  json j;
  j["response_packet"] = to_hex(*packet);
  j["sms"] = hex_list(*uds);
  print(j);
}

void run_por_decode(const packet_opts& o) {
  bytes kic_key, kid_key;
  const auto sec = por_security(o, kic_key, kid_key);
  const bytes in = hex_arg("PACKET", o.input);
  auto packet = codec::response_from_tp_ud(in);
  if (!packet) usage_error("PACKET: " + packet.error().message);
  auto framing = codec::parse_response_packet(*packet);
  if (!framing) usage_error("PACKET: " + framing.error().message);
  auto r = secure::inspect_response(*packet, sec);
  const auto& resp = r.response;
  json j;
  j["tar"] = to_hex(resp.tar, 6);
  j["counter"] = r.fields_known ? json(to_hex(resp.counter, 10)) : json(nullptr);
  j["pcntr"] = r.fields_known ? json(to_hex(resp.pcntr, 2)) : json(nullptr);
  j["status"] =
      r.fields_known ? json(to_hex(static_cast<std::uint8_t>(resp.status), 2)) : json(nullptr);
  j["valid"] = r.valid;
  j["data"] = r.fields_known ? to_hex(resp.data) : std::string();
  print(j);
  if (r.valid && !resp.secured)
    std::fprintf(stderr, "otaflow: PoR status %02x came unsecured\n",
                 static_cast<unsigned>(resp.status));
  if (!r.valid) {
    std::fprintf(stderr, "otaflow: PoR not valid: %s\n", r.failure.message.c_str());
    exit_with(1);
  }
}

const command_registrar reg("packet", [](CLI::App& root) {
  auto* cmd = root.add_subcommand(
      "packet", "Secured packets (ETSI TS 102 225 / 3GPP TS 31.115) and their SMS TP-UD");
  cmd->require_subcommand(1);
  auto o = std::make_shared<packet_opts>();

  auto* enc = cmd->add_subcommand("encode", "Secure a command packet and split it into SMS");
  enc->add_option("--spi", o->spi, "SPI, 4 hex digits")->required();
  enc->add_option("--kic", o->kic, "KIc octet")->required();
  enc->add_option("--kid", o->kid, "KID octet")->required();
  enc->add_option("--tar", o->tar, "TAR, 6 hex digits")->required();
  enc->add_option("--counter", o->counter, "CNTR, up to 10 hex digits")->required();
  add_keys(enc, *o);
  enc->add_option("--data", o->data, "secured data (hex), e.g. RFM/RAM commands");
  enc->add_option("--cc-length", o->cc_length, "CC octets: 4..8 (DES), 4..16 (AES); default 8");
  add_concat(enc, *o);
  enc->callback([o] { run_encode(*o); });

  auto* dec = cmd->add_subcommand("decode", "Open a command packet or the TP-UD of one SMS");
  add_keys(dec, *o);
  dec->add_option("PACKET", o->input, "command packet from CPL, or TP-UD from the UDH")->required();
  dec->callback([o] { run_decode(*o); });

  auto* penc = cmd->add_subcommand("por-encode", "Build a PoR response packet and its TP-UD");
  penc->add_option("--spi", o->spi, "SPI of the command answered")->required();
  penc->add_option("--kic", o->kic, "KIc of the command answered")->required();
  penc->add_option("--kid", o->kid, "KID of the command answered")->required();
  add_keys(penc, *o);
  penc->add_option("--tar", o->tar, "TAR, 6 hex digits")->required();
  penc->add_option("--counter", o->counter, "CNTR, up to 10 hex digits")->required();
  penc->add_option("--status", o->status, "response status, 2 hex digits")->required();
  penc->add_option("--data", o->data, "additional response data (hex)");
  penc->add_option("--cc-length", o->cc_length, "CC octets; default 8");
  penc->add_flag("--cc-without-udh", o->cc_without_udh,
                 "leave 02 71 00 out of the PoR CC input (gsm0348 profile option)");
  add_concat(penc, *o);
  penc->callback([o] { run_por_encode(*o); });

  auto* pdec = cmd->add_subcommand("por-decode", "Open a PoR response packet or its TP-UD");
  pdec->add_option("--spi", o->spi, "SPI of the command answered")->required();
  pdec->add_option("--kic", o->kic, "KIc of the command answered")->required();
  pdec->add_option("--kid", o->kid, "KID of the command answered")->required();
  add_keys(pdec, *o);
  pdec->add_flag("--cc-without-udh", o->cc_without_udh,
                 "leave 02 71 00 out of the PoR CC input (gsm0348 profile option)");
  pdec->add_option("PACKET", o->input, "response packet from RPL, or TP-UD from the UDH")
      ->required();
  pdec->callback([o] { run_por_decode(*o); });
});

}  // namespace
}  // namespace otaflow::app
