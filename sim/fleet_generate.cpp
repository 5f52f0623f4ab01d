#include "sim/fleet_generate.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <nlohmann/json.hpp>

namespace otaflow::sim {

namespace {

std::uint64_t pow10(unsigned n) noexcept {
  std::uint64_t v = 1;
  for (unsigned i = 0; i < n; ++i) v *= 10;
  return v;
}

bool all_digits(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// Appends v as exactly `width` decimal digits.
void append_fixed(std::string& out, std::uint64_t v, unsigned width) {
  char buf[24];
  for (unsigned i = width; i > 0; --i) {
    buf[i - 1] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, width);
}

std::optional<std::uint64_t> parse_digits(std::string_view s) noexcept {
  if (s.empty() || s.size() > 19 || !all_digits(s)) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<unsigned>(c - '0');
  return v;
}

}  // namespace

// ---- numbering -------------------------------------------------------------------------------

std::uint64_t fleet_numbering::capacity() const noexcept {
  const auto room = [](std::size_t prefix, unsigned digits) -> unsigned {
    return digits > prefix ? static_cast<unsigned>(digits - prefix) : 0u;
  };
  const unsigned a = room(iccid_prefix.size() + 1, iccid_digits);
  const unsigned b = room(imsi_prefix.size(), imsi_digits);
  const unsigned c = room(msisdn_prefix.size(), msisdn_digits);
  const unsigned m = std::min({a, b, c, 18u});
  return m == 0 ? 0 : pow10(m);
}

status fleet_numbering::check() const {
  if (!all_digits(iccid_prefix) || !all_digits(imsi_prefix) || !all_digits(msisdn_prefix))
    return make_error(errc::bad_value, "fleet numbering: prefixes must be decimal digits");
  if (iccid_digits < 18 || iccid_digits > 20)
    return make_error(errc::bad_value, "fleet numbering: ICCID of " + std::to_string(iccid_digits) +
                                           " digits (18..20)");
  if (imsi_digits < 6 || imsi_digits > 15)
    return make_error(errc::bad_value, "fleet numbering: IMSI of " + std::to_string(imsi_digits) +
                                           " digits (6..15)");
  if (msisdn_digits < 3 || msisdn_digits > 15)
    return make_error(errc::bad_value, "fleet numbering: MSISDN of " +
                                           std::to_string(msisdn_digits) + " digits (3..15)");
  if (capacity() == 0)
    return make_error(errc::bad_value,
                      "fleet numbering: the prefixes leave no digit for the "
                      "card index");
  return {};
}

char luhn_check_digit(std::string_view digits) noexcept {
  // Double every second digit from the right of the number that will carry the check digit.
  unsigned sum = 0;
  bool dbl = true;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    unsigned d = static_cast<unsigned>(*it - '0');
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

bool luhn_valid(std::string_view number) noexcept {
  if (number.size() < 2 || !all_digits(number)) return false;
  return luhn_check_digit(number.substr(0, number.size() - 1)) == number.back();
}

// ---- deriver ---------------------------------------------------------------------------------

struct fleet_deriver::impl {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* ctx = nullptr;
  ~impl() {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
  }
};

fleet_deriver::fleet_deriver(std::unique_ptr<impl> p, fleet_numbering n)
    : impl_(std::move(p)), numbering_(std::move(n)) {}
fleet_deriver::fleet_deriver(fleet_deriver&&) noexcept = default;
fleet_deriver& fleet_deriver::operator=(fleet_deriver&&) noexcept = default;
fleet_deriver::~fleet_deriver() = default;

result<fleet_deriver> fleet_deriver::create(std::string_view seed, fleet_numbering numbering) {
  if (seed.empty()) return make_error(errc::bad_argument, "fleet seed: must not be empty");
  OTAFLOW_TRY(numbering.check());
  auto p = std::make_unique<impl>();
  p->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (!p->mac) return make_error(errc::internal, "OpenSSL: HMAC is not available");
  p->ctx = EVP_MAC_CTX_new(p->mac);
  if (!p->ctx) return make_error(errc::internal, "OpenSSL: cannot allocate an HMAC context");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_END};
  if (EVP_MAC_init(p->ctx, reinterpret_cast<const unsigned char*>(seed.data()), seed.size(),
                   params) != 1)
    return make_error(errc::internal, "OpenSSL: HMAC-SHA256 initialisation failed");
  return fleet_deriver(std::move(p), std::move(numbering));
}

key16 fleet_deriver::key(std::uint64_t index, std::string_view label) {
  unsigned char msg[8 + 16];
  for (int i = 0; i < 8; ++i) msg[i] = static_cast<unsigned char>(index >> (56 - 8 * i));
  const std::size_t n = std::min<std::size_t>(label.size(), 16);
  std::copy_n(label.begin(), n, msg + 8);
  unsigned char out[32];
  std::size_t out_len = 0;
  key16 k{};
  // Re-initialising with a NULL key keeps the seed key (OpenSSL 3 EVP_MAC_init).
  if (EVP_MAC_init(impl_->ctx, nullptr, 0, nullptr) == 1 &&
      EVP_MAC_update(impl_->ctx, msg, 8 + n) == 1 &&
      EVP_MAC_final(impl_->ctx, out, &out_len, sizeof out) == 1 && out_len == 32)
    std::copy_n(out, 16, k.begin());
  secure_wipe(out);
  return k;
}

std::string fleet_deriver::iccid(std::uint64_t index) const {
  std::string s = numbering_.iccid_prefix;
  append_fixed(s, index, numbering_.iccid_digits - 1 - static_cast<unsigned>(s.size()));
  s.push_back(luhn_check_digit(s));
  return s;
}

std::string fleet_deriver::imsi(std::uint64_t index) const {
  std::string s = numbering_.imsi_prefix;
  append_fixed(s, index, numbering_.imsi_digits - static_cast<unsigned>(s.size()));
  return s;
}

std::string fleet_deriver::msisdn(std::uint64_t index) const {
  std::string s = numbering_.msisdn_prefix;
  append_fixed(s, index, numbering_.msisdn_digits - static_cast<unsigned>(s.size()));
  return s;
}

std::optional<std::uint64_t> fleet_deriver::index_of_msisdn(std::string_view m) const {
  if (!m.empty() && m.front() == '+') m.remove_prefix(1);
  if (m.size() != numbering_.msisdn_digits || !m.starts_with(numbering_.msisdn_prefix))
    return std::nullopt;
  return parse_digits(m.substr(numbering_.msisdn_prefix.size()));
}

std::optional<std::uint64_t> fleet_deriver::index_of_iccid(std::string_view s) const {
  if (s.size() != numbering_.iccid_digits || !s.starts_with(numbering_.iccid_prefix) ||
      !luhn_valid(s))
    return std::nullopt;
  return parse_digits(
      s.substr(numbering_.iccid_prefix.size(), s.size() - 1 - numbering_.iccid_prefix.size()));
}

card_identity fleet_deriver::card(std::uint64_t index) {
  card_identity id;
  id.iccid = iccid(index);
  id.imsi = imsi(index);
  id.msisdn = msisdn(index);
  id.mnc_length = 2;
  id.ki = key(index, "ki");
  id.opc = key(index, "opc");
  const key16 kic = key(index, "kic1"), kid = key(index, "kid1"), kik = key(index, "kik1");
  id.keysets.emplace_back(1, bytes(kic.begin(), kic.end()), bytes(kid.begin(), kid.end()),
                          bytes(kik.begin(), kik.end()));
  return id;
}

void fleet_deriver::csv_row(std::uint64_t index, std::string& out) {
  out += iccid(index);
  out.push_back(',');
  out += imsi(index);
  out.push_back(',');
  out += msisdn(index);
  for (const char* label : {"ki", "opc", "kic1", "kid1", "kik1"}) {
    out.push_back(',');
    key16 k = key(index, label);
    append_hex(out, k);
    secure_wipe(k);
  }
  out.push_back('\n');
}

// ---- meta sidecar ----------------------------------------------------------------------------

std::string fleet_meta_json(const fleet_meta& m) {
  nlohmann::ordered_json j;
  j["format"] = "otaflow-fleet";
  j["version"] = 1;
  j["seed"] = m.seed;
  j["count"] = m.count;
  j["iccid_prefix"] = m.numbering.iccid_prefix;
  j["imsi_prefix"] = m.numbering.imsi_prefix;
  j["msisdn_prefix"] = m.numbering.msisdn_prefix;
  j["iccid_digits"] = m.numbering.iccid_digits;
  j["imsi_digits"] = m.numbering.imsi_digits;
  j["msisdn_digits"] = m.numbering.msisdn_digits;
  j["kdf"] = "HMAC-SHA256(seed, index_be64 || label)[0..15]";
  return j.dump(2) + "\n";
}

result<fleet_meta> parse_fleet_meta(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(errc::bad_value, "fleet meta: not a JSON object");
  if (j.value("format", std::string()) != "otaflow-fleet")
    return make_error(errc::bad_value, "fleet meta: format is not \"otaflow-fleet\"");
  if (j.value("version", 0) != 1)
    return make_error(
        errc::unsupported,
        "fleet meta: version " + std::to_string(j.value("version", 0)) + " (expected 1)");
  fleet_meta m;
  if (!j.contains("seed") || !j["seed"].is_string())
    return make_error(errc::bad_value, "fleet meta: seed must be a string");
  m.seed = j["seed"].get<std::string>();
  if (!j.contains("count") || !j["count"].is_number_unsigned())
    return make_error(errc::bad_value, "fleet meta: count must be a non-negative integer");
  m.count = j["count"].get<std::uint64_t>();
  auto str = [&](const char* k, std::string& out) -> status {
    if (!j.contains(k)) return {};
    if (!j[k].is_string())
      return make_error(errc::bad_value, std::string("fleet meta: ") + k + " must be a string");
    out = j[k].get<std::string>();
    return {};
  };
  auto num = [&](const char* k, unsigned& out) -> status {
    if (!j.contains(k)) return {};
    if (!j[k].is_number_unsigned())
      return make_error(errc::bad_value, std::string("fleet meta: ") + k + " must be a number");
    out = j[k].get<unsigned>();
    return {};
  };
  OTAFLOW_TRY(str("iccid_prefix", m.numbering.iccid_prefix));
  OTAFLOW_TRY(str("imsi_prefix", m.numbering.imsi_prefix));
  OTAFLOW_TRY(str("msisdn_prefix", m.numbering.msisdn_prefix));
  OTAFLOW_TRY(num("iccid_digits", m.numbering.iccid_digits));
  OTAFLOW_TRY(num("imsi_digits", m.numbering.imsi_digits));
  OTAFLOW_TRY(num("msisdn_digits", m.numbering.msisdn_digits));
  OTAFLOW_TRY(m.numbering.check());
  if (m.count > m.numbering.capacity())
    return make_error(errc::bad_value, "fleet meta: count " + std::to_string(m.count) +
                                           " exceeds the numbering's capacity " +
                                           std::to_string(m.numbering.capacity()));
  return m;
}

std::filesystem::path fleet_meta_path(const std::filesystem::path& csv) {
  std::filesystem::path p = csv;
  p += ".meta";
  return p;
}

result<std::optional<fleet_meta>> read_fleet_meta(const std::filesystem::path& csv) {
  const auto p = fleet_meta_path(csv);
  std::error_code ec;
  if (!std::filesystem::exists(p, ec)) return std::optional<fleet_meta>();
  std::ifstream in(p);
  if (!in) return make_error(errc::io, p.string() + ": cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  auto m = parse_fleet_meta(ss.str());
  if (!m) return error{m.error().code, p.string() + ": " + m.error().message, m.error().cls};
  return std::optional<fleet_meta>(std::move(*m));
}

status write_fleet_csv(const std::filesystem::path& csv, std::string_view seed, std::uint64_t count,
                       unsigned threads) {
  fleet_meta meta;
  meta.seed = std::string(seed);
  meta.count = count;
  if (count > meta.numbering.capacity())
    return make_error(errc::bad_argument, "fleet generate: count " + std::to_string(count) +
                                              " exceeds " +
                                              std::to_string(meta.numbering.capacity()));
  auto probe = fleet_deriver::create(seed, meta.numbering);
  if (!probe) return std::move(probe).error();

  std::FILE* f = std::fopen(csv.c_str(), "wb");
  if (!f) return make_error(errc::io, csv.string() + ": cannot be created");
  bool ok = std::fprintf(f, "%s\n", std::string(fleet_csv_header).c_str()) > 0;
  // Chunks of rows derived by `threads` workers, written in order.
  threads = std::max(1u, std::min(threads, 64u));
  constexpr std::uint64_t chunk = 16384;
  std::vector<fleet_deriver> derivers;
  derivers.push_back(std::move(*probe));
  for (unsigned t = 1; t < threads; ++t) {
    auto d = fleet_deriver::create(seed, meta.numbering);
    if (!d) {
      std::fclose(f);
      return std::move(d).error();
    }
    derivers.push_back(std::move(*d));
  }
  std::vector<std::string> bufs(threads);
  for (std::uint64_t base = 0; base < count && ok; base += chunk * threads) {
    auto work = [&](unsigned t) {
      bufs[t].clear();
      const std::uint64_t lo = base + t * chunk;
      const std::uint64_t hi = std::min(count, lo + chunk);
      for (std::uint64_t i = lo; i < hi; ++i) derivers[t].csv_row(i, bufs[t]);
    };
    if (threads == 1) {
      work(0);
    } else {
      std::vector<std::thread> pool;
      for (unsigned t = 0; t < threads; ++t) pool.emplace_back(work, t);
      for (auto& th : pool) th.join();
    }
    for (auto& b : bufs)
      if (!b.empty() && std::fwrite(b.data(), 1, b.size(), f) != b.size()) ok = false;
  }
  for (auto& b : bufs) secure_wipe(std::span(reinterpret_cast<std::uint8_t*>(b.data()), b.size()));
  if (std::fclose(f) != 0) ok = false;
  if (!ok) return make_error(errc::io, csv.string() + ": write failed");

  const auto mp = fleet_meta_path(csv);
  std::ofstream m(mp, std::ios::binary | std::ios::trunc);
  m << fleet_meta_json(meta);
  if (!m) return make_error(errc::io, mp.string() + ": write failed");
  return {};
}

}  // namespace otaflow::sim
