#include "sim/card_profile.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

namespace otaflow::sim {
namespace {

result<std::uint32_t> parse_tar(std::string_view s, const std::string& where) {
  if (s.size() != 6)
    return make_error(errc::bad_value,
                      where + ": TAR '" + std::string(s) + "' must be 6 hex digits (e.g. B00010)");
  auto b = from_hex(s);
  if (!b) return make_error(errc::bad_value, where + ": TAR '" + std::string(s) + "' is not hex");
  return static_cast<std::uint32_t>(((*b)[0] << 16) | ((*b)[1] << 8) | (*b)[2]);
}

/// "B00011" or "B00020-B0011F".
status parse_tar_range(std::string_view s, tar_application& app, const std::string& where) {
  const auto dash = s.find('-');
  auto first = parse_tar(s.substr(0, dash), where);
  if (!first) return std::move(first).error();
  app.tar_first = app.tar_last = *first;
  if (dash != std::string_view::npos) {
    auto last = parse_tar(s.substr(dash + 1), where);
    if (!last) return std::move(last).error();
    if (*last < *first)
      return make_error(errc::bad_value,
                        where + ": TAR range '" + std::string(s) + "' ends before it starts");
    app.tar_last = *last;
  }
  return {};
}

result<codec::counter_mode> parse_counter(std::string_view s, const std::string& where) {
  for (auto m : {codec::counter_mode::none, codec::counter_mode::no_check,
                 codec::counter_mode::higher, codec::counter_mode::one_higher})
    if (s == codec::name(m)) return m;
  return make_error(errc::bad_value, where + ": counter '" + std::string(s) +
                                         "' is not none, no_check, higher or one_higher");
}

result<codec::integrity> parse_integrity(std::string_view s, const std::string& where) {
  for (auto i :
       {codec::integrity::none, codec::integrity::rc, codec::integrity::cc, codec::integrity::ds})
    if (s == codec::name(i)) return i;
  return make_error(errc::bad_value,
                    where + ": integrity '" + std::string(s) + "' is not none, rc, cc or ds");
}

error unknown_key(const std::string& where, std::string_view key) {
  return make_error(errc::bad_value, where + ": unknown key '" + std::string(key) + "'");
}

result<min_security_level> parse_msl(const toml::node& n, const std::string& where) {
  if (auto v = n.value<std::int64_t>()) {
    if (*v < 0 || *v > 0xFF)
      return make_error(errc::bad_value, where + ": msl " + std::to_string(*v) +
                                             " is not an SPI octet 1 value (0..255)");
    auto m = min_security_level::from_spi1(static_cast<std::uint8_t>(*v));
    if (!m) return make_error(errc::bad_value, where + ": " + m.error().message);
    return *m;
  }
  const auto* t = n.as_table();
  if (!t)
    return make_error(errc::bad_value, where +
                                           ": msl must be an SPI octet 1 integer or a table "
                                           "{ counter, ciphered, integrity }");
  min_security_level m;
  for (const auto& [k, v] : *t) {
    const std::string key(k.str());
    if (key == "counter") {
      auto s = v.value<std::string>();
      if (!s) return make_error(errc::bad_value, where + ".msl.counter: expected a string");
      auto c = parse_counter(*s, where + ".msl");
      if (!c) return std::move(c).error();
      m.counter = *c;
    } else if (key == "ciphered") {
      auto b = v.value<bool>();
      if (!b) return make_error(errc::bad_value, where + ".msl.ciphered: expected a boolean");
      m.ciphered = *b;
    } else if (key == "integrity") {
      auto s = v.value<std::string>();
      if (!s) return make_error(errc::bad_value, where + ".msl.integrity: expected a string");
      auto i = parse_integrity(*s, where + ".msl");
      if (!i) return std::move(i).error();
      m.integrity = *i;
    } else {
      return unknown_key(where + ".msl", key);
    }
  }
  return m;
}

result<tar_application> parse_application(const toml::table& t, const std::string& where) {
  tar_application app;
  bool has_tar = false;
  for (const auto& [k, v] : t) {
    const std::string key(k.str());
    if (key == "name") {
      auto s = v.value<std::string>();
      if (!s) return make_error(errc::bad_value, where + ".name: expected a string");
      app.name = *s;
    } else if (key == "tar") {
      auto s = v.value<std::string>();
      if (!s) return make_error(errc::bad_value, where + ".tar: expected a string like B00010");
      OTAFLOW_TRY(parse_tar_range(*s, app, where + ".tar"));
      has_tar = true;
    } else if (key == "kind") {
      auto s = v.value<std::string>();
      bool found = false;
      for (auto kd : {app_kind::rfm_uicc, app_kind::rfm_usim, app_kind::ram})
        if (s && *s == name(kd)) {
          app.kind = kd;
          found = true;
        }
      if (!found)
        return make_error(errc::bad_value, where + ".kind: '" + s.value_or("") +
                                               "' is not rfm_uicc, rfm_usim or ram");
    } else if (key == "rights") {
      auto s = v.value<std::string>();
      bool found = false;
      for (auto a : {access_level::always, access_level::pin1, access_level::adm})
        if (s && *s == name(a)) {
          app.rights = a;
          found = true;
        }
      if (!found)
        return make_error(errc::bad_value,
                          where + ".rights: '" + s.value_or("") + "' is not always, pin1 or adm");
    } else if (key == "keysets") {
      const auto* arr = v.as_array();
      if (!arr) return make_error(errc::bad_value, where + ".keysets: expected an array");
      for (const auto& e : *arr) {
        auto n = e.value<std::int64_t>();
        if (!n || *n < 1 || *n > 15)
          return make_error(errc::bad_value, where + ".keysets: key versions are integers 1..15");
        app.keysets.push_back(static_cast<std::uint8_t>(*n));
      }
    } else if (key == "msl") {
      auto m = parse_msl(v, where);
      if (!m) return std::move(m).error();
      app.msl = *m;
    } else {
      return unknown_key(where, key);
    }
  }
  if (!has_tar) return make_error(errc::bad_value, where + ": tar is required");
  if (app.name.empty())
    app.name =
        std::string(name(app.kind)) + "-" + to_hex(app.tar_first & 0xFFFFFF, 6, hex_case::upper);
  return app;
}

}  // namespace

result<min_security_level> min_security_level::from_spi1(std::uint8_t spi1) {
  if (spi1 & 0xE0)
    return make_error(errc::bad_value, "minimum security level " +
                                           to_hex(spi1, 2, hex_case::upper) +
                                           ": reserved bits b8-b6 are set");
  min_security_level m;
  m.counter = static_cast<codec::counter_mode>((spi1 >> 3) & 0x3);
  m.ciphered = (spi1 & 0x04) != 0;
  m.integrity = static_cast<codec::integrity>(spi1 & 0x3);
  return m;
}

std::uint8_t min_security_level::spi1() const noexcept {
  return static_cast<std::uint8_t>((static_cast<unsigned>(counter) << 3) | (ciphered ? 0x04 : 0) |
                                   static_cast<unsigned>(integrity));
}

bool meets(const codec::spi& s, const min_security_level& msl) noexcept {
  if (static_cast<unsigned>(s.command_integrity) < static_cast<unsigned>(msl.integrity))
    return false;
  if (msl.ciphered && !s.ciphered) return false;
  return static_cast<unsigned>(s.counter) >= static_cast<unsigned>(msl.counter);
}

bool tar_application::allows_keyset(std::uint8_t v) const noexcept {
  return keysets.empty() || std::find(keysets.begin(), keysets.end(), v) != keysets.end();
}

const tar_application* card_profile::find(std::uint32_t tar) const noexcept {
  for (const auto& a : applications)
    if (tar >= a.tar_first && tar <= a.tar_last) return &a;
  return nullptr;
}

card_profile default_card_profile() {
  card_profile p;
  const min_security_level cc{codec::counter_mode::none, false, codec::integrity::cc};
  // B00010: SIM (GSM) file system RFM per TS 101 220 Annex D; there is no DF.GSM on this
  // card, so its sessions start at the MF. B00011 (sysmoISIM-SJA5 USIM RFM, pySim tests)
  // and B00001 (first ADF RFM TAR, YateOTA's USIM RFM) start in ADF.USIM.
  // docs/standards/ts102226-remote-apdu.md §7.
  p.applications = {
      {"rfm-sim", 0xB00010, 0xB00010, app_kind::rfm_uicc, access_level::adm, {}, cc},
      {"rfm-usim-sja5", 0xB00011, 0xB00011, app_kind::rfm_usim, access_level::adm, {}, cc},
      {"rfm-usim", 0xB00001, 0xB00001, app_kind::rfm_usim, access_level::adm, {}, cc},
      // 000000: the ISD's RAM (TS 101 220 Annex D; shadysim, YateOTA, Njiwa).
      {"ram-isd", 0x000000, 0x000000, app_kind::ram, access_level::adm, {}, cc},
  };
  return p;
}

result<card_profile> parse_card_profile(std::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << "card profile: TOML error at line " << e.source().begin.line << ": " << e.description();
    return make_error(errc::bad_value, os.str());
  }
  const toml::table* t = &root;
  if (const auto* inner = root["card_profile"].as_table()) t = inner;
  card_profile p = default_card_profile();
  const std::string where = "card_profile";
  for (const auto& [k, v] : *t) {
    const std::string key(k.str());
    if (key == "name") {
      auto s = v.value<std::string>();
      if (!s) return make_error(errc::bad_value, where + ".name: expected a string");
      p.name = *s;
    } else if (key == "por_cc_input") {
      auto s = v.value<std::string>();
      if (s && *s == "with_udh") {
        p.por_cc_input = secure::por_cc_input::with_udh;
      } else if (s && *s == "without_udh") {
        p.por_cc_input = secure::por_cc_input::without_udh;
      } else {
        return make_error(errc::bad_value, where + ".por_cc_input: '" + s.value_or("") +
                                               "' is not with_udh or without_udh");
      }
    } else if (key == "por_cc_length") {
      auto n = v.value<std::int64_t>();
      if (!n || *n < 4 || *n > 16)
        return make_error(errc::bad_value, where + ".por_cc_length: expected 4..16");
      p.por_cc_length = static_cast<std::size_t>(*n);
    } else if (key == "max_report_ud") {
      auto n = v.value<std::int64_t>();
      if (!n || *n < 16 || *n > 140)
        return make_error(errc::bad_value, where + ".max_report_ud: expected 16..140");
      p.max_report_ud = static_cast<std::size_t>(*n);
    } else if (key == "envelope_status") {
      auto n = v.value<std::int64_t>();
      if (!n || *n < 0 || *n > 0xFFFF)
        return make_error(errc::bad_value, where + ".envelope_status: expected a status word");
      p.envelope_status = static_cast<std::uint16_t>(*n);
    } else if (key == "sim_response_sw" || key == "pin1_enabled") {
      auto b = v.value<bool>();
      if (!b) return make_error(errc::bad_value, where + "." + key + ": expected a boolean");
      (key == "sim_response_sw" ? p.sim_response_sw : p.pin1_enabled) = *b;
    } else if (key == "pin1" || key == "adm1") {
      auto s = v.value<std::string>();
      if (!s || s->size() < 4 || s->size() > 8)
        return make_error(errc::bad_value, where + "." + key + ": expected 4..8 characters");
      (key == "pin1" ? p.pin1 : p.adm1) = *s;
    } else if (key == "isd_aid") {
      auto s = v.value<std::string>();
      std::optional<bytes> b;
      if (s)
        if (auto h = from_hex(*s)) b = std::move(*h);
      if (!b || b->size() < 5 || b->size() > 16)
        return make_error(errc::bad_value, where + ".isd_aid: '" + s.value_or("") +
                                               "' is not an AID of 5..16 octets in hex");
      p.isd_aid = std::move(*b);
    } else if (key == "isd_max_load_file") {
      auto n = v.value<std::int64_t>();
      if (!n || *n < 1 || *n > 1 << 20)
        return make_error(errc::bad_value, where + ".isd_max_load_file: expected 1..1048576");
      p.isd.max_load_file = static_cast<std::uint32_t>(*n);
    } else if (key == "isd_status_limit") {
      auto n = v.value<std::int64_t>();
      if (!n || *n < 16 || *n > 256)
        return make_error(errc::bad_value, where + ".isd_status_limit: expected 16..256");
      p.isd.status_response_limit = static_cast<std::size_t>(*n);
    } else if (key == "key_profile") {
      auto k = card_key_profile_from(v.value<std::string>().value_or(""));
      if (!k) return make_error(errc::bad_value, where + ".key_profile: " + k.error().message);
      p.key_profile = *k;
    } else if (key == "application") {
      const auto* arr = v.as_array();
      if (!arr) return make_error(errc::bad_value, where + ".application: expected [[...]]");
      p.applications.clear();
      std::size_t i = 0;
      for (const auto& e : *arr) {
        const auto* at = e.as_table();
        const std::string w = where + ".application[" + std::to_string(i++) + "]";
        if (!at) return make_error(errc::bad_value, w + ": expected a table");
        auto app = parse_application(*at, w);
        if (!app) return std::move(app).error();
        p.applications.push_back(std::move(*app));
      }
    } else {
      return unknown_key(where, key);
    }
  }
  return p;
}

result<card_profile> load_card_profile(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return make_error(errc::io, "card profile " + file.string() + ": cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_card_profile(ss.str());
}

const char* name(app_kind k) noexcept {
  switch (k) {
    case app_kind::rfm_uicc:
      return "rfm_uicc";
    case app_kind::rfm_usim:
      return "rfm_usim";
    case app_kind::ram:
      return "ram";
  }
  return "?";
}

const char* name(access_level a) noexcept {
  switch (a) {
    case access_level::always:
      return "always";
    case access_level::pin1:
      return "pin1";
    case access_level::adm:
      return "adm";
  }
  return "?";
}

}  // namespace otaflow::sim
