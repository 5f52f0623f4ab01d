// The SIMD batch backend: sorts each run() into groups that one kernel can process side by
// side (same DES operation, or same AES key length and direction), orders each group by
// length (lanes of one SIMD batch then run about the same number of blocks) and cuts it into
// batches. What is too small for a SIMD batch goes to the cached-context OpenSSL engine.
#include "secure/simd_backend.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "secure/openssl_evp.hpp"
#include "secure/simd_aes_multibuffer.hpp"
#include "secure/simd_des_bitslice.hpp"

namespace otaflow::secure {
namespace {

using detail::aes_lane;
using detail::aes_op;
using detail::des_kernel;
using detail::des_lane;
using detail::des_op;

// Cost of one kernel call (a batch of up to width lanes, all of the same length), in units
// of OpenSSL EVP ciphering one message of that length; {two- or three-key 3DES, single DES}.
// Measured on the development machine (AMD EPYC Zen 4, 144-octet messages; see
// docs/crypto-simd.md): a full AVX2 batch of 256 lanes costs what OpenSSL needs for about 17
// messages, a 64-lane portable batch about 15. They decide how a group is cut into batches
// and when leftovers go to OpenSSL (1 per message); on other CPUs the split may be a little
// off the optimum, never wrong.
struct kernel_cost {
  double triple;
  double single;
};
constexpr kernel_cost cost_portable = {15.0, 17.0};
constexpr kernel_cost cost_avx2 = {17.0, 22.0};
constexpr kernel_cost cost_avx512 = {25.0, 36.0};

struct kernel_choice {
  des_kernel kernel;
  kernel_cost cost;
};

constexpr std::size_t des_block = 8;
constexpr std::size_t aes_block = 16;

// Group numbering: DES cipher groups are triple * 4 + mode; AES groups by key length.
constexpr std::size_t n_des_cipher_groups = 8;
constexpr std::size_t n_aes_cipher_groups = 6;  // key length (3) x direction (2)
constexpr std::size_t n_des_cc_groups = 2;      // single, triple
constexpr std::size_t n_aes_cc_groups = 3;      // key length

std::size_t aes_key_index(std::size_t key_len) {
  return (key_len - 16) / 8;
}

bool is_triple(cipher_alg a) {
  return a == cipher_alg::tdes2_cbc || a == cipher_alg::tdes3_cbc;
}
bool is_triple(cc_alg a) {
  return a == cc_alg::tdes2_cbc_mac || a == cc_alg::tdes3_cbc_mac;
}

des_op des_mode(cipher_alg a, bool encrypt) {
  if (a == cipher_alg::des_ecb) return encrypt ? des_op::ecb_encrypt : des_op::ecb_decrypt;
  return encrypt ? des_op::cbc_encrypt : des_op::cbc_decrypt;
}

void set(status* where, status s) {
  if (where != nullptr) *where = std::move(s);
}

// The same as set(where, status{}) but skips rebuilding a status that is already ok (the
// common case: callers pass fresh statuses; rebuilding costs more than an AES message).
void set_ok(status* where) {
  if (where != nullptr && !where->ok()) *where = status{};
}

class simd_backend final : public crypto_backend {
 public:
  explicit simd_backend(const simd_options& o) : opt_(o) {
    const simd_features f = detect_simd_features();
    const simd_level top = std::min(o.max_des_level, best_simd_level());
    if (top >= simd_level::avx512) kernels_.push_back({detail::des_kernel_avx512(), cost_avx512});
    if (top >= simd_level::avx2) kernels_.push_back({detail::des_kernel_avx2(), cost_avx2});
    kernels_.push_back({detail::des_kernel_portable(), cost_portable});
    aes_ni_ = o.aes_ni && f.aes_ni;
    name_ = "simd(des=" + std::string(secure::name(top)) +
            ",aes=" + (aes_ni_ ? "aes-ni-x8" : "openssl") + ")";
  }

  std::string_view name() const noexcept override { return name_; }

  void run(std::span<cipher_job> jobs) override {
    for (auto& g : des_groups_) g.clear();
    for (auto& g : aes_groups_) g.clear();
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const cipher_job& j = jobs[i];
      status s = detail::validate_cipher(j.alg, j.key.size(), j.data.size());
      if (!s.ok() || j.data.empty()) {
        set(j.result, std::move(s));
        continue;
      }
      if (j.alg == cipher_alg::aes_cbc) {
        if (!aes_ni_) {
          set(j.result, evp_.cipher(j.alg, j.key, j.data, j.encrypt));
          continue;
        }
        aes_groups_[aes_key_index(j.key.size()) * 2 + (j.encrypt ? 0 : 1)].push_back(i);
      } else {
        des_groups_[(is_triple(j.alg) ? 4 : 0) +
                    static_cast<std::size_t>(des_mode(j.alg, j.encrypt))]
            .push_back(i);
      }
      set_ok(j.result);
    }

    for (std::size_t g = 0; g < n_des_cipher_groups; ++g) {
      auto& idx = des_groups_[g];
      if (idx.empty()) continue;
      sort_by_length(idx, [&](std::size_t i) { return jobs[i].data.size(); });
      des_lanes_.clear();
      for (std::size_t i : idx) {
        const cipher_job& j = jobs[i];
        des_lanes_.push_back(des_lane_for(j.key, j.data.data(), j.data.size(), j.data.data(),
                                          j.data.size() / des_block));
      }
      run_des(static_cast<des_op>(g % 4), g >= 4, [&](std::size_t k) {
        const cipher_job& j = jobs[idx[k]];
        set(j.result, evp_.cipher(j.alg, j.key, j.data, j.encrypt));
      });
    }

    for (std::size_t g = 0; g < n_aes_cipher_groups; ++g) {
      auto& idx = aes_groups_[g];
      if (idx.empty()) continue;
      sort_by_length(idx, [&](std::size_t i) { return jobs[i].data.size(); });
      aes_lanes_.clear();
      for (std::size_t i : idx) {
        const cipher_job& j = jobs[i];
        aes_lanes_.push_back({j.key.data(), j.data.data(), j.data.size(), j.data.data(), 0,
                              j.data.size() / aes_block});
      }
      detail::aes_multibuffer_run(aes_lanes_, 16 + 8 * (g / 2),
                                  g % 2 == 0 ? aes_op::cbc_encrypt : aes_op::cbc_decrypt);
    }
  }

  void run(std::span<cc_job> jobs) override {
    for (auto& g : des_groups_) g.clear();
    for (auto& g : aes_groups_) g.clear();
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const cc_job& j = jobs[i];
      status s = detail::validate_cc(j.alg, j.key.size(), j.out.size());
      if (!s.ok()) {
        set(j.result, std::move(s));
        continue;
      }
      if (j.alg == cc_alg::aes_cmac) {
        if (!aes_ni_) {
          set(j.result, evp_.cc(j.alg, j.key, j.data, j.out));
          continue;
        }
        aes_groups_[aes_key_index(j.key.size())].push_back(i);
      } else {
        des_groups_[is_triple(j.alg) ? 1 : 0].push_back(i);
      }
      set_ok(j.result);
    }

    for (std::size_t g = 0; g < n_des_cc_groups; ++g) {
      auto& idx = des_groups_[g];
      if (idx.empty()) continue;
      sort_by_length(idx, [&](std::size_t i) { return jobs[i].data.size(); });
      des_lanes_.clear();
      mac_out_.resize(idx.size());
      for (std::size_t k = 0; k < idx.size(); ++k) {
        const cc_job& j = jobs[idx[k]];
        const std::size_t blocks = std::max<std::size_t>(1, (j.data.size() + 7) / des_block);
        des_lanes_.push_back(
            des_lane_for(j.key, j.data.data(), j.data.size(), mac_out_[k].data(), blocks));
      }
      const std::size_t simd_lanes = run_des(des_op::cbc_mac, g == 1, [&](std::size_t k) {
        const cc_job& j = jobs[idx[k]];
        set(j.result, evp_.cc(j.alg, j.key, j.data, j.out));
      });
      for (std::size_t k = 0; k < simd_lanes; ++k) {
        const cc_job& j = jobs[idx[k]];
        std::copy_n(mac_out_[k].begin(), j.out.size(), j.out.begin());
      }
      for (auto& m : mac_out_) m.fill(0);
    }

    for (std::size_t g = 0; g < n_aes_cc_groups; ++g) {
      auto& idx = aes_groups_[g];
      if (idx.empty()) continue;
      sort_by_length(idx, [&](std::size_t i) { return jobs[i].data.size(); });
      aes_lanes_.clear();
      for (std::size_t i : idx) {
        const cc_job& j = jobs[i];
        const std::size_t blocks = std::max<std::size_t>(1, (j.data.size() + 15) / aes_block);
        aes_lanes_.push_back(
            {j.key.data(), j.data.data(), j.data.size(), j.out.data(), j.out.size(), blocks});
      }
      detail::aes_multibuffer_run(aes_lanes_, 16 + 8 * g, aes_op::cmac);
    }
  }

 private:
  // Longest first, so that lanes of one batch have about the same number of blocks (a
  // batch runs as many steps as its longest lane). Lengths are public.
  template <class Len>
  static void sort_by_length(std::vector<std::size_t>& idx, Len len) {
    std::stable_sort(idx.begin(), idx.end(),
                     [&](std::size_t a, std::size_t b) { return len(a) > len(b); });
  }

  static des_lane des_lane_for(byte_view key, const std::uint8_t* in, std::size_t in_len,
                               std::uint8_t* out, std::size_t blocks) {
    const std::uint8_t* k = key.data();
    // Two-key 3DES is three-key 3DES with K3 = K1; single DES uses key1 only.
    const std::uint8_t* k3 = key.size() == 24 ? k + 16 : k;
    const std::uint8_t* k2 = key.size() >= 16 ? k + 8 : k;
    return {k, k2, k3, in, in_len, out, blocks};
  }

  // Cuts des_lanes_ (sorted) into kernel batches and calls fallback(k) for the lanes left to
  // OpenSSL; returns how many lanes (a prefix) the kernels ran. Full batches of the widest
  // kernel first; the rest (fewer than its width) is split by a small dynamic programme
  // over the cost model: plan_[l] is the cheapest first step for l lanes left.
  template <class Fallback>
  std::size_t run_des(des_op op, bool triple, Fallback fallback) {
    const std::size_t n = des_lanes_.size();
    const std::size_t widest = kernels_.front().kernel.width;
    const std::size_t rest = n % widest;
    plan(rest, triple);
    std::size_t pos = 0;
    while (pos < n) {
      const std::size_t left = n - pos;
      const kernel_choice* k = left >= widest ? &kernels_.front() : plan_step_[left];
      if (k == nullptr) break;  // OpenSSL for everything left
      const std::size_t m = std::min(left, k->kernel.width);
      k->kernel.run(std::span<const des_lane>(des_lanes_).subspan(pos, m), op, triple);
      pos += m;
    }
    for (std::size_t k = pos; k < n; ++k) fallback(k);
    return pos;
  }

  // Fills plan_step_[1..rest]: the kernel to run first for that many lanes, or null for
  // OpenSSL (one unit per lane), whichever finishes all of them at the lowest cost.
  void plan(std::size_t rest, bool triple) {
    plan_cost_.assign(rest + 1, 0.0);
    plan_step_.assign(rest + 1, nullptr);
    for (std::size_t l = 1; l <= rest; ++l) {
      double best = opt_.openssl_leftovers ? static_cast<double>(l) : 1e300;
      const kernel_choice* step = nullptr;
      for (const kernel_choice& k : kernels_) {
        const double c =
            (triple ? k.cost.triple : k.cost.single) + plan_cost_[l - std::min(l, k.kernel.width)];
        if (c < best) {
          best = c;
          step = &k;
        }
      }
      plan_cost_[l] = best;
      plan_step_[l] = step;
    }
  }

  simd_options opt_;
  bool aes_ni_ = false;
  std::vector<kernel_choice> kernels_;  // widest first
  std::string name_;
  detail::evp_engine evp_;
  std::array<std::vector<std::size_t>, n_des_cipher_groups> des_groups_;
  std::array<std::vector<std::size_t>, n_aes_cipher_groups> aes_groups_;
  std::vector<des_lane> des_lanes_;
  std::vector<aes_lane> aes_lanes_;
  std::vector<std::array<std::uint8_t, 8>> mac_out_;
  std::vector<double> plan_cost_;
  std::vector<const kernel_choice*> plan_step_;
};

}  // namespace

std::string_view name(simd_level level) noexcept {
  switch (level) {
    case simd_level::portable:
      return "portable";
    case simd_level::avx2:
      return "avx2";
    case simd_level::avx512:
      return "avx512";
  }
  return "?";
}

simd_features detect_simd_features() noexcept {
  static const simd_features f = [] {
    simd_features r;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    r.avx2 = __builtin_cpu_supports("avx2");
    r.avx512f = __builtin_cpu_supports("avx512f");
    r.aes_ni = __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
#endif
    return r;
  }();
  return f;
}

simd_level best_simd_level() noexcept {
  const simd_features f = detect_simd_features();
  if (f.avx512f) return simd_level::avx512;
  if (f.avx2) return simd_level::avx2;
  return simd_level::portable;
}

std::unique_ptr<crypto_backend> make_simd_backend() {
  return make_simd_backend(simd_options{});
}

std::unique_ptr<crypto_backend> make_simd_backend(const simd_options& options) {
  return std::make_unique<simd_backend>(options);
}

std::unique_ptr<crypto_backend> make_best_backend() {
  const simd_features f = detect_simd_features();
  if (f.avx2 || f.aes_ni) return make_simd_backend();
  return make_openssl_backend();
}

}  // namespace otaflow::secure
