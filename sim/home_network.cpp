#include "sim/home_network.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

#include "codec/ts31102_files.hpp"

namespace otaflow::sim {

namespace ts = codec::ts31102;
namespace suci = secure::suci;

hn_key_pair::~hn_key_pair() {
  secure_wipe(private_key);
}

namespace {

result<bytes> hmac_sha256(std::string_view seed, std::string_view label) {
  bytes out(32);
  unsigned len = 0;
  if (!HMAC(EVP_sha256(), seed.data(), static_cast<int>(seed.size()),
            reinterpret_cast<const unsigned char*>(label.data()), label.size(), out.data(), &len) ||
      len != out.size())
    return make_error(errc::internal, "OpenSSL: HMAC-SHA256 of the fleet seed failed");
  return out;
}

result<hn_key_pair> derive_one(std::string_view seed, suci::scheme s, std::uint8_t key_id) {
  const std::string base = std::string("otaflow/hn/") +
                           (s == suci::scheme::profile_a ? "A/" : "B/") + std::to_string(key_id);
  // X25519 accepts any 32 octets (RFC 7748 clamps them); a P-256 scalar must lie in
  // [1, n-1], which 32 random octets miss with probability about 2^-32: try the next label.
  for (unsigned attempt = 0; attempt < 16; ++attempt) {
    auto priv = hmac_sha256(seed, attempt == 0 ? base : base + "/" + std::to_string(attempt));
    if (!priv) return priv.error();
    auto pub = suci::public_key_of(s, *priv, true);
    if (!pub) {
      secure_wipe(*priv);
      continue;
    }
    hn_key_pair kp;
    kp.protection = s;
    kp.key_id = key_id;
    kp.private_key = std::move(*priv);
    kp.public_key = std::move(*pub);
    return kp;
  }
  return make_error(errc::internal, "no valid home network key derived from the fleet seed");
}

}  // namespace

result<std::vector<hn_key_pair>> derive_home_network_keys(std::string_view seed) {
  if (seed.empty()) return make_error(errc::bad_argument, "home network keys: empty fleet seed");
  std::vector<hn_key_pair> out;
  auto a = derive_one(seed, suci::scheme::profile_a, 1);
  if (!a) return a.error();
  out.push_back(std::move(*a));
  auto b = derive_one(seed, suci::scheme::profile_b, 2);
  if (!b) return b.error();
  out.push_back(std::move(*b));
  return out;
}

result<ts::ef_suci_calc_info> suci_calc_info_for(std::span<const hn_key_pair> keys) {
  ts::ef_suci_calc_info info;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    info.schemes.push_back(
        {static_cast<std::uint8_t>(keys[i].protection), static_cast<std::uint8_t>(i + 1)});
    info.keys.push_back({keys[i].key_id, keys[i].public_key});
  }
  if (info.schemes.empty()) info.schemes.push_back({0, 0});  // the null scheme only
  OTAFLOW_TRY(ts::check_suci_calc_info(info));
  return info;
}

result<std::shared_ptr<const bytes>> personalised_suci_calc_info(std::string_view seed) {
  auto keys = derive_home_network_keys(seed);
  if (!keys) return keys.error();
  auto info = suci_calc_info_for(*keys);
  if (!info) return info.error();
  const auto* spec = ts::find_ef(ts::fid::df_5gs, ts::fid::ef_suci_calc_info);
  if (!spec) return make_error(errc::internal, "EF.SUCI_Calc_Info is not in the file tables");
  byte_writer w;
  OTAFLOW_TRY(ts::encode_suci_calc_info(*info, spec->size, w));
  return std::make_shared<const bytes>(w.take());
}

std::vector<suci::hn_private_key> sidf_keys(std::span<const hn_key_pair> keys) {
  std::vector<suci::hn_private_key> out;
  out.reserve(keys.size());
  for (const auto& k : keys) out.push_back({k.protection, k.key_id, k.private_key});
  return out;
}

}  // namespace otaflow::sim
