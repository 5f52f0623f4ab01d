#include "codec/ts102226_script.hpp"

#include <fmt/format.h>

#include <string>

#include "codec/tlv.hpp"

namespace otaflow::codec {
namespace {

std::string header_text(std::uint8_t cla, std::uint8_t ins, std::uint8_t p1, std::uint8_t p2) {
  return fmt::format("{:02X}{:02X}{:02X}{:02X}", cla, ins, p1, p2);
}

// Reads the template header (AA/AB L or AE/AF 80). For the definite form `content` is the value
// and nothing may follow it; for the indefinite form `r` is left on the first inner TLV and the
// caller reads up to 00 00 itself.
struct template_head {
  template_length form = template_length::definite;
  byte_view content;  // definite form only
};

result<template_head> read_template_head(std::uint8_t definite_tag, std::uint8_t indefinite_tag,
                                         const char* name, byte_reader& r) {
  std::uint8_t t = 0;
  if (!r.peek(t)) return make_error(errc::truncated, fmt::format("{}: empty input", name));
  template_head h;
  if (t == definite_tag) {
    auto v = ber_read(r);
    if (!v) {
      auto e = std::move(v).error();
      e.message = fmt::format("{}: {}", name, e.message);
      return e;
    }
    h.content = v->value;
    if (!r.empty()) {
      return make_error(errc::bad_length, fmt::format("{} {:02X}: {} octets after the template",
                                                      name, t, r.remaining()));
    }
    return h;
  }
  if (t == indefinite_tag) {
    (void)r.skip(1);
    std::uint8_t l = 0;
    if (!r.u8(l)) {
      return make_error(errc::truncated,
                        fmt::format("{} {:02X}: input ended before the length", name, t));
    }
    if (l != 0x80) {
      return make_error(
          errc::bad_value,
          fmt::format("{} {:02X}: expected indefinite length 80, got {:02X}", name, t, l));
    }
    h.form = template_length::indefinite;
    return h;
  }
  return make_error(errc::bad_value, fmt::format("{}: tag {:02X}, expected {:02X} or {:02X}", name,
                                                 t, definite_tag, indefinite_tag));
}

// In the indefinite form: true (and consumes it) when the next two octets are 00 00.
bool at_end_of_contents(byte_reader& r) {
  const byte_view rest = r.rest();
  if (rest.size() >= 2 && rest[0] == 0x00 && rest[1] == 0x00) {
    (void)r.skip(2);
    return true;
  }
  return false;
}

status write_template(std::uint8_t definite_tag, std::uint8_t indefinite_tag, template_length form,
                      byte_view content, byte_writer& out) {
  if (form == template_length::definite) return ber_encode(definite_tag, content, out);
  return ber_encode_indefinite(indefinite_tag, content, out);
}

errc bad_format_errc(bad_format b) {
  switch (b) {
    case bad_format::unknown_tag:
      return errc::bad_value;
    case bad_format::wrong_length:
      return errc::bad_length;
    case bad_format::length_missing:
      return errc::truncated;
  }
  return errc::bad_value;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Compact format
// ---------------------------------------------------------------------------------------------

p3_kind default_p3_kind(std::uint8_t /*cla*/, std::uint8_t ins, std::uint8_t p1) noexcept {
  switch (ins) {
    case ins::read_binary:
    case ins::read_record:
    case ins::get_response:
    case ins::get_challenge:
    case ins::fetch:
    case ins::get_data:
      return p3_kind::le;
    case ins::status:
      // TS 102 221 STATUS has P1 00/01/02 (TS 51.011: 00) and P3 = Le; GlobalPlatform
      // GET STATUS shares INS F2 but has P1 80/40/20/10 and data (AID search criteria).
      return (p1 & 0xF0) == 0 ? p3_kind::le : p3_kind::lc;
    case ins::manage_channel:
      // TS 102 221 MANAGE CHANNEL: P1 = 00 opens (Le = 01), P1 = 80 closes (no data).
      return p1 == 0x00 ? p3_kind::le : p3_kind::lc;
    default:
      return p3_kind::lc;
  }
}

status encode_compact_command(const command_apdu& a, byte_writer& out,
                              const compact_options& opts) {
  const p3_kind kind = opts.resolver(a.cla, a.ins, a.p1);
  const auto hdr = [&] { return header_text(a.cla, a.ins, a.p1, a.p2); };
  std::uint8_t p3 = 0;
  if (kind == p3_kind::le) {
    if (!a.data.empty()) {
      return make_error(errc::bad_argument,
                        fmt::format("compact C-APDU {}: INS {:02X} takes P3 = Le, but {} data "
                                    "octets were given",
                                    hdr(), a.ins, a.data.size()));
    }
    if (!a.le) {
      return make_error(errc::bad_argument,
                        fmt::format("compact C-APDU {}: INS {:02X} takes P3 = Le, but no Le was "
                                    "given",
                                    hdr(), a.ins));
    }
    if (*a.le == 0 || *a.le > short_max_ne) {
      return make_error(errc::bad_argument,
                        fmt::format("compact C-APDU {}: Le {} outside 1..256", hdr(), *a.le));
    }
    p3 = static_cast<std::uint8_t>(*a.le & 0xFF);
  } else {
    if (a.le && !(opts.drop_case4_le && !a.data.empty())) {
      return make_error(errc::bad_argument,
                        fmt::format("compact C-APDU {}: INS {:02X} takes P3 = Lc, so Le {} cannot "
                                    "be sent in T=0 form",
                                    hdr(), a.ins, *a.le));
    }
    if (a.data.size() > short_max_nc) {
      return make_error(errc::too_long, fmt::format("compact C-APDU {}: {} data octets, P3 holds "
                                                    "at most 255",
                                                    hdr(), a.data.size()));
    }
    p3 = static_cast<std::uint8_t>(a.data.size());
  }
  out.u8(a.cla);
  out.u8(a.ins);
  out.u8(a.p1);
  out.u8(a.p2);
  out.u8(p3);
  if (kind == p3_kind::lc) out.append(a.data);
  return {};
}

result<bytes> compact_script(const std::vector<command_apdu>& commands,
                             const compact_options& opts) {
  if (commands.empty()) {
    return make_error(errc::bad_argument, "compact script: no commands given");
  }
  byte_writer w;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    auto st = encode_compact_command(commands[i], w, opts);
    if (!st) {
      auto e = std::move(st).error();
      e.message = fmt::format("command {}: {}", i, e.message);
      return e;
    }
  }
  return w.take();
}

result<std::vector<command_apdu>> decode_compact_script(byte_view in, const compact_options& opts) {
  if (in.empty()) return make_error(errc::truncated, "compact script: empty input");
  std::vector<command_apdu> out;
  byte_reader r(in);
  while (!r.empty()) {
    const std::size_t at = r.position();
    command_apdu a;
    std::uint8_t p3 = 0;
    if (!r.u8(a.cla) || !r.u8(a.ins) || !r.u8(a.p1) || !r.u8(a.p2) || !r.u8(p3)) {
      return make_error(errc::truncated,
                        fmt::format("compact script: command {} at offset {} has {} octets, a "
                                    "header with P3 needs 5",
                                    out.size(), at, in.size() - at));
    }
    if (opts.resolver(a.cla, a.ins, a.p1) == p3_kind::le) {
      a.le = p3 == 0 ? short_max_ne : p3;
    } else {
      byte_view data;
      if (!r.take(p3, data)) {
        return make_error(
            errc::truncated,
            fmt::format("compact script: command {} ({}) at offset {}: Lc {} but "
                        "only {} octets remain",
                        out.size(), header_text(a.cla, a.ins, a.p1, a.p2), at, p3, r.remaining()));
      }
      a.data.assign(data.begin(), data.end());
    }
    out.push_back(std::move(a));
  }
  return out;
}

void encode_compact_response(const compact_response& resp, byte_writer& out) {
  out.u8(resp.executed);
  out.u16(resp.last_sw);
  out.append(resp.last_data);
}

bytes encode_compact_response(const compact_response& resp) {
  byte_writer w;
  encode_compact_response(resp, w);
  return w.take();
}

result<compact_response> decode_compact_response(byte_view in) {
  byte_reader r(in);
  compact_response c;
  if (!r.u8(c.executed) || !r.u16(c.last_sw)) {
    return make_error(errc::truncated,
                      fmt::format("compact response: {} octets, count and SW need 3", in.size()));
  }
  const byte_view rest = r.rest();
  c.last_data.assign(rest.begin(), rest.end());
  return c;
}

// ---------------------------------------------------------------------------------------------
// Expanded command
// ---------------------------------------------------------------------------------------------

std::vector<command_apdu> expanded_command::commands() const {
  std::vector<command_apdu> out;
  for (const auto& item : items) {
    if (const auto* c = std::get_if<command_apdu>(&item)) out.push_back(*c);
  }
  return out;
}

status encode_expanded_command(const expanded_command& script, byte_writer& out) {
  byte_writer content;
  for (std::size_t i = 0; i < script.items.size(); ++i) {
    const auto& item = script.items[i];
    status st;
    if (const auto* c = std::get_if<command_apdu>(&item)) {
      auto enc = encode_command_apdu(*c);
      if (!enc) {
        st = std::move(enc).error();
      } else {
        st = ber_encode(tag226::c_apdu, *enc, content);
      }
    } else if (const auto* ia = std::get_if<immediate_action>(&item)) {
      st = ber_encode(tag226::immediate_action, ia->value, content);
    } else if (const auto* ea = std::get_if<error_action>(&item)) {
      st = ber_encode(tag226::error_action, ea->value, content);
    } else if (const auto* sc = std::get_if<script_chaining>(&item)) {
      st = ber_encode(tag226::script_chaining, sc->value, content);
    }
    if (!st) {
      auto e = std::move(st).error();
      e.message = fmt::format("Command Scripting template item {}: {}", i, e.message);
      return e;
    }
  }
  return write_template(tag226::command_script, tag226::command_script_indefinite, script.form,
                        content.data(), out);
}

result<bytes> encode_expanded_command(const expanded_command& script) {
  byte_writer w;
  OTAFLOW_TRY(encode_expanded_command(script, w));
  return w.take();
}

result<bytes> expanded_script(const std::vector<command_apdu>& commands, template_length form) {
  expanded_command script;
  script.form = form;
  script.items.assign(commands.begin(), commands.end());
  return encode_expanded_command(script);
}

namespace {

// A scan in progress: the items so far, and why it stopped.
struct scan_state {
  expanded_command_scan out;
  std::string detail;
  bool input_ended = false;  // the bad TLV ran past the end of the input (indefinite form)
};

void stop(scan_state& s, bad_format why, std::string detail) {
  s.out.error = why;
  s.detail = std::move(detail);
}

// Scans one inner TLV; returns false when the scan must stop (s.out.error is set). `outer` is
// true when `r` reads the whole input (indefinite form) rather than a definite template value,
// so that running out of octets is a truncated input rather than a wrong inner length.
bool scan_item(byte_reader& r, scan_state& s, bool outer) {
  const std::size_t n = s.out.script.items.size();
  auto tag = ber_read_tag(r);
  if (!tag) {
    s.input_ended = outer && tag.error().code == errc::truncated;
    stop(s, bad_format::unknown_tag, fmt::format("item {}: {}", n, tag.error().message));
    return false;
  }
  if (*tag != tag226::c_apdu && *tag != tag226::immediate_action && *tag != tag226::error_action &&
      *tag != tag226::script_chaining) {
    stop(s, bad_format::unknown_tag,
         fmt::format("item {}: tag {:X} is not 22, 81, 82 or 83", n, *tag));
    return false;
  }
  auto len = ber_read_length(r);
  if (!len) {
    const bool missing = len.error().code == errc::truncated;
    s.input_ended = outer && missing;
    stop(s, missing ? bad_format::length_missing : bad_format::wrong_length,
         fmt::format("item {} (tag {:X}): {}", n, *tag, len.error().message));
    return false;
  }
  byte_view value;
  if (!r.take(*len, value)) {
    s.input_ended = outer;
    stop(s, bad_format::wrong_length,
         fmt::format("item {} (tag {:X}): length {} but only {} octets remain", n, *tag, *len,
                     r.remaining()));
    return false;
  }
  bytes v(value.begin(), value.end());
  switch (*tag) {
    case tag226::c_apdu: {
      auto a = decode_command_apdu(value);
      if (!a) {
        stop(s, bad_format::wrong_length,
             fmt::format("item {} (C-APDU): {}", n, a.error().message));
        return false;
      }
      s.out.script.items.emplace_back(std::move(*a));
      break;
    }
    case tag226::immediate_action:
      s.out.script.items.emplace_back(immediate_action{std::move(v)});
      break;
    case tag226::error_action:
      s.out.script.items.emplace_back(error_action{std::move(v)});
      break;
    default:
      s.out.script.items.emplace_back(script_chaining{std::move(v)});
      break;
  }
  return true;
}

result<scan_state> scan_command(byte_view in) {
  byte_reader r(in);
  auto head = read_template_head(tag226::command_script, tag226::command_script_indefinite,
                                 "Command Scripting template", r);
  if (!head) return std::move(head).error();
  scan_state s;
  s.out.script.form = head->form;
  if (head->form == template_length::definite) {
    byte_reader c(head->content);
    while (!c.empty()) {
      if (!scan_item(c, s, false)) break;
    }
    return s;
  }
  for (;;) {
    if (at_end_of_contents(r)) break;
    if (r.empty()) {
      return make_error(errc::truncated,
                        "Command Scripting template AE: input ended before end-of-contents 00 00");
    }
    if (r.remaining() == 1 && r.rest()[0] == 0x00) {
      return make_error(errc::truncated,
                        "Command Scripting template AE: end-of-contents 00 00 cut after one octet");
    }
    if (!scan_item(r, s, true)) return s;  // the end of the template is unknown after a bad TLV
  }
  if (!r.empty()) {
    return make_error(
        errc::bad_length,
        fmt::format("Command Scripting template AE: {} octets after 00 00", r.remaining()));
  }
  return s;
}

}  // namespace

result<expanded_command_scan> scan_expanded_command(byte_view in) {
  auto s = scan_command(in);
  if (!s) return std::move(s).error();
  return std::move(s->out);
}

result<expanded_command> decode_expanded_command(byte_view in) {
  auto s = scan_command(in);
  if (!s) return std::move(s).error();
  if (s->out.error) {
    return make_error(s->input_ended ? errc::truncated : bad_format_errc(*s->out.error),
                      fmt::format("Command Scripting template: {}", s->detail));
  }
  return std::move(s->out.script);
}

// ---------------------------------------------------------------------------------------------
// Expanded response
// ---------------------------------------------------------------------------------------------

std::vector<response_apdu> expanded_response::responses() const {
  std::vector<response_apdu> out;
  for (const auto& item : items) {
    if (const auto* r = std::get_if<response_apdu>(&item)) out.push_back(*r);
  }
  return out;
}

std::optional<response_apdu> expanded_response::last_response() const {
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    if (const auto* r = std::get_if<response_apdu>(&*it)) return *r;
  }
  return std::nullopt;
}

std::optional<bad_format> expanded_response::bad_format_code() const {
  for (const auto& item : items) {
    if (const auto* b = std::get_if<bad_format_response>(&item)) return b->code;
  }
  return std::nullopt;
}

std::size_t expanded_response::executed_count() const {
  if (executed) return *executed;
  return responses().size();
}

bool expanded_response::truncated() const {
  const auto last = last_response();
  return last && last->sw == 0x62F1;
}

status encode_expanded_response(const expanded_response& resp, byte_writer& out) {
  const bool definite = resp.form == template_length::definite;
  if (definite != resp.executed.has_value()) {
    return make_error(errc::bad_argument,
                      definite ? "Response Scripting template AB: the 80 TLV (executed count) is "
                                 "required in the definite form"
                               : "Response Scripting template AF: the 80 TLV (executed count) is "
                                 "not used in the indefinite form");
  }
  byte_writer content;
  if (resp.executed) {
    const std::uint8_t n = *resp.executed;
    OTAFLOW_TRY(ber_encode(tag226::executed_count, byte_view(&n, 1), content));
  }
  for (const auto& item : resp.items) {
    if (const auto* r = std::get_if<response_apdu>(&item)) {
      OTAFLOW_TRY(ber_encode(tag226::r_apdu, encode_response_apdu(*r), content));
    } else if (const auto* b = std::get_if<bad_format_response>(&item)) {
      const auto code = static_cast<std::uint8_t>(b->code);
      OTAFLOW_TRY(ber_encode(tag226::bad_format, byte_view(&code, 1), content));
    } else if (const auto* ia = std::get_if<immediate_action_response>(&item)) {
      OTAFLOW_TRY(ber_encode(tag226::immediate_action_response, ia->value, content));
    } else if (const auto* sc = std::get_if<script_chaining_response>(&item)) {
      OTAFLOW_TRY(ber_encode(tag226::script_chaining_response, sc->value, content));
    }
  }
  return write_template(tag226::response_script, tag226::response_script_indefinite, resp.form,
                        content.data(), out);
}

result<bytes> encode_expanded_response(const expanded_response& resp) {
  byte_writer w;
  OTAFLOW_TRY(encode_expanded_response(resp, w));
  return w.take();
}

result<expanded_response> decode_expanded_response(byte_view in) {
  static constexpr const char* name = "Response Scripting template";
  byte_reader r(in);
  auto head =
      read_template_head(tag226::response_script, tag226::response_script_indefinite, name, r);
  if (!head) return std::move(head).error();
  expanded_response out;
  out.form = head->form;
  byte_view content = head->content;
  if (head->form == template_length::indefinite) {
    auto v = ber_decode_indefinite(in);
    if (!v) {
      auto e = std::move(v).error();
      e.message = fmt::format("{}: {}", name, e.message);
      return e;
    }
    if (v->encoded_size != in.size()) {
      return make_error(errc::bad_length, fmt::format("{} AF: {} octets after 00 00", name,
                                                      in.size() - v->encoded_size));
    }
    content = v->content;
  }
  auto views = ber_decode_all_views(content);
  if (!views) {
    auto e = std::move(views).error();
    e.message = fmt::format("{}: {}", name, e.message);
    return e;
  }
  std::size_t i = 0;
  if (out.form == template_length::definite) {
    if (views->empty() || (*views)[0].tag != tag226::executed_count) {
      return make_error(errc::bad_value,
                        fmt::format("{} AB: the first TLV must be 80 (executed count)", name));
    }
    if ((*views)[0].value.size() != 1) {
      return make_error(errc::bad_length, fmt::format("{} AB: TLV 80 has length {}, expected 1",
                                                      name, (*views)[0].value.size()));
    }
    out.executed = (*views)[0].value[0];
    i = 1;
  }
  for (; i < views->size(); ++i) {
    const auto& v = (*views)[i];
    switch (v.tag) {
      case tag226::r_apdu: {
        auto ra = decode_response_apdu(v.value);
        if (!ra) {
          return make_error(errc::bad_length, fmt::format("{}: item {} (R-APDU 23): {}", name, i,
                                                          ra.error().message));
        }
        out.items.emplace_back(std::move(*ra));
        break;
      }
      case tag226::bad_format:
        if (v.value.size() != 1) {
          return make_error(errc::bad_length,
                            fmt::format("{}: item {} (Bad format 90) has length {}, expected 1",
                                        name, i, v.value.size()));
        }
        out.items.emplace_back(bad_format_response{static_cast<bad_format>(v.value[0])});
        break;
      case tag226::immediate_action_response:
        out.items.emplace_back(immediate_action_response{bytes(v.value.begin(), v.value.end())});
        break;
      case tag226::script_chaining_response:
        out.items.emplace_back(script_chaining_response{bytes(v.value.begin(), v.value.end())});
        break;
      default:
        return make_error(
            errc::bad_value,
            fmt::format("{}: item {} has tag {:X}, expected 23, 90, 81 or 83{}", name, i, v.tag,
                        v.tag == tag226::executed_count
                            ? " (80 is only allowed first, in the AB form)"
                            : ""));
    }
  }
  return out;
}

}  // namespace otaflow::codec
