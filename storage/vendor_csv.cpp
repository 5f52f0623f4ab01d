#include "storage/vendor_csv.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <tuple>
#include <unordered_map>

#include "base/bytes.hpp"
#include "base/secrets.hpp"
#include "storage/csv_import.hpp"
#include "storage/identifiers.hpp"

namespace otaflow::storage::vendor_csv {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

template <std::size_t N>
bool listed(const std::array<std::string_view, N>& list, std::string_view n) {
  return std::find(list.begin(), list.end(), n) != list.end();
}

// A column name in an error: printable ASCII as is, anything else as \xHH, at most 64 bytes.
std::string shown(std::string_view n) {
  std::string out = "'";
  for (std::size_t i = 0; i < n.size() && i < 64; ++i) {
    const auto c = static_cast<unsigned char>(n[i]);
    if (c >= 0x20 && c < 0x7F && c != '\'' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += to_hex(c, 2);
    }
  }
  if (n.size() > 64) out += "...";
  return out + "'";
}

// Parses a hex key field into a secret; the error names the column only.
result<secret> parse_key(const std::string& column, const std::string& hex_text,
                         bool (*length_ok)(std::size_t), const char* allowed) {
  if (hex_text.empty()) return make_error(errc::bad_value, column + ": empty");
  if (hex_text.size() % 2 != 0 || !length_ok(hex_text.size() / 2)) {
    return make_error(errc::bad_length, column + ": " + std::to_string(hex_text.size()) +
                                            " hex digits, expected " + allowed);
  }
  auto raw = from_hex(hex_text);
  if (!raw) return make_error(errc::bad_value, column + ": not hexadecimal");
  auto s = secret::from(*raw);
  secure_wipe(*raw);
  return s;
}

}  // namespace

std::optional<std::string> key_material_word(std::string_view column) {
  const std::string n = lower(column);
  std::vector<std::string> words;
  std::string word, letters;
  for (const char c : n) {
    if (c >= 'a' && c <= 'z') {
      word += c;
      letters += c;
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  for (const auto& w : words) {
    if (listed(key_words, w)) return "word '" + w + "'";
    for (auto part : key_word_parts) {
      if (w == part) return "word '" + w + "'";
      if (w.find(part) != std::string::npos) return "'" + std::string(part) + "' in '" + w + "'";
    }
  }
  if (words.size() > 1 && listed(key_words, letters)) return "its letters spell '" + letters + "'";
  return std::nullopt;
}

std::optional<std::vector<std::string>> split_line(std::string_view line) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(trim(field));
      secure_wipe(field);
      field.clear();
    } else {
      field += c;
    }
  }
  if (quoted) {
    secure_wipe(field);
    return std::nullopt;
  }
  out.push_back(trim(field));
  secure_wipe(field);
  return out;
}

status check_declared(std::span<const std::string> declared) {
  for (const auto& d : declared) {
    const std::string n = lower(trim(d));
    if (n.empty()) return make_error(errc::bad_argument, "--attribute: empty column name");
    if (auto why = key_material_word(n)) {
      return make_error(errc::bad_argument,
                        "--attribute " + shown(n) + ": looks like key material (" + *why +
                            "); key columns are ki, opc, kicN, kidN, kikN only, and are sealed");
    }
  }
  return {};
}

result<layout> parse_header(const std::vector<std::string>& names,
                            std::span<const std::string> declared) {
  OTAFLOW_TRY(check_declared(declared));
  std::set<std::string> attributes(profile_columns.begin(), profile_columns.end());
  for (const auto& d : declared) attributes.insert(lower(trim(d)));
  layout l;
  l.columns = names.size();
  std::unordered_map<std::string, std::size_t> at;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string n = lower(names[i]);
    if (n.empty()) {
      return make_error(errc::bad_value,
                        "header: column " + std::to_string(i + 1) + " has no name");
    }
    if (!at.emplace(n, i).second) {
      return make_error(errc::bad_value, "header: column " + shown(n) + " appears twice");
    }
  }
  std::set<std::string> used;
  auto need = [&](const std::string& n, std::size_t& out) -> status {
    auto it = at.find(n);
    if (it == at.end()) return make_error(errc::bad_value, "header: missing column '" + n + "'");
    out = it->second;
    used.insert(n);
    return {};
  };
  OTAFLOW_TRY(need("iccid", l.iccid));
  OTAFLOW_TRY(need("imsi", l.imsi));
  OTAFLOW_TRY(need("ki", l.ki));
  OTAFLOW_TRY(need("opc", l.opc));
  if (auto it = at.find("msisdn"); it != at.end()) {
    l.msisdn = it->second;
    used.insert("msisdn");
  }
  for (std::size_t v = 1; v <= max_keysets; ++v) {
    const std::string s = std::to_string(v);
    const bool any = at.count("kic" + s) || at.count("kid" + s) || at.count("kik" + s);
    if (!any) continue;
    layout::keyset_cols k{static_cast<std::uint8_t>(v), 0, 0, 0};
    OTAFLOW_TRY(need("kic" + s, k.kic));
    OTAFLOW_TRY(need("kid" + s, k.kid));
    OTAFLOW_TRY(need("kik" + s, k.kik));
    l.keysets.push_back(k);
  }
  if (l.keysets.empty()) {
    return make_error(errc::bad_value, "header: no OTA keyset columns (kic1, kid1, kik1)");
  }
  // Every other column must be known: a secret the vendor added under a new name must not
  // become a clear attribute that `subscribers show` prints.
  std::string refused;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string n = lower(names[i]);
    if (used.count(n)) continue;
    std::string why;
    if (listed(unused_secret_columns, n)) {
      l.ignored.push_back(n);
      continue;
    }
    if (auto word = key_material_word(n)) {
      why = "looks like key material (" + *word +
            ") but is not a key column otaflow seals (ki, opc, kicN, kidN, kikN, N = 1..15)";
    } else if (attributes.count(n)) {
      l.attributes.emplace_back(i, n);
      continue;
    } else {
      why = "unknown; declare it with --attribute " + n + " to store it as an attribute";
    }
    refused += (refused.empty() ? "" : "; ") + std::string("column ") + std::to_string(i + 1) +
               " " + shown(n) + " " + why;
  }
  if (!refused.empty()) return make_error(errc::bad_value, "header: refused: " + refused);
  return l;
}

result<card_row> parse_row(const layout& l, const std::vector<std::string>& f) {
  if (f.size() != l.columns) {
    return make_error(errc::bad_length, "expected " + std::to_string(l.columns) + " fields, got " +
                                            std::to_string(f.size()));
  }
  card_row r;
  r.sub.iccid = f[l.iccid];
  r.sub.imsi = f[l.imsi];
  OTAFLOW_TRY(validate_iccid(r.sub.iccid));
  OTAFLOW_TRY(validate_imsi(r.sub.imsi));
  if (l.msisdn) {
    std::string m = f[*l.msisdn];
    if (!m.empty() && m.front() == '+') m.erase(0, 1);  // E.164 written with '+'
    if (!m.empty()) OTAFLOW_TRY(validate_msisdn(m));
    r.sub.msisdn = std::move(m);
  }
  auto ki = parse_key("ki", f[l.ki], auth_key_length_ok, "32 or 64");
  if (!ki) return ki.error();
  auto opc = parse_key("opc", f[l.opc], auth_key_length_ok, "32 or 64");
  if (!opc) return opc.error();
  r.keys.ki = std::move(*ki);
  r.keys.opc = std::move(*opc);
  for (const auto& k : l.keysets) {
    const std::string v = std::to_string(k.kvn);
    const int set = !f[k.kic].empty() + !f[k.kid].empty() + !f[k.kik].empty();
    if (set == 0) continue;
    if (set != 3) {
      return make_error(errc::bad_value, "keyset " + v + ": kic" + v + ", kid" + v + ", kik" + v +
                                             " must be all set or all empty");
    }
    keyset_keys ks;
    for (auto [col, idx, out] :
         {std::tuple{"kic", k.kic, &ks.kic}, std::tuple{"kid", k.kid, &ks.kid},
          std::tuple{"kik", k.kik, &ks.kik}}) {
      auto s = parse_key(col + v, f[idx], ota_key_length_ok, "32, 48 or 64");
      if (!s) return s.error();
      *out = std::move(*s);
    }
    r.keys.keysets.emplace(k.kvn, std::move(ks));
    r.sub.keyset_versions.push_back(k.kvn);
  }
  if (r.keys.keysets.empty()) {
    return make_error(errc::bad_value, "no OTA keyset: kic1, kid1, kik1 are empty");
  }
  for (const auto& [idx, n] : l.attributes) {
    if (!f[idx].empty()) r.sub.attributes.emplace(n, f[idx]);
  }
  return r;
}

}  // namespace otaflow::storage::vendor_csv
