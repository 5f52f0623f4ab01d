// Generator of secure/simd_des_sboxes.hpp: gate circuits for the eight DES S-boxes (FIPS 46-3)
// over AND, OR, XOR and AND-NOT, for the bitsliced DES of secure/simd_des_bitslice_impl.hpp.
// A build tool, not part of any library: the header it wrote is checked in, and
// tests/unit/secure/simd_des_test.cpp checks every circuit against the FIPS tables.
//
//   g++ -O2 -std=c++20 -o /tmp/sbox_gen scripts/simd_des_sbox_gen.cpp
//   /tmp/sbox_gen 6000 > secure/simd_des_sboxes.hpp      # ~20 CPU minutes; deterministic
//
// Method (after M. Kwan, "Reducing the gate count of bitslice DES", 2000; no published
// circuit is used): a truth table over the 64 inputs is built either from gates already in
// the circuit (one- and two-gate searches, don't-care positions ignored) or by splitting on
// one input s: out = f ^ (h & s), out = h ^ (f & ~s) or out = (f & ~s) | (h & s), where f and
// h are built recursively with the other half of the table as don't-care. Select inputs,
// split forms and the order of the four outputs are drawn at random; the smallest of N
// runs per S-box is kept (fixed seeds, so the output is reproducible), dead gates dropped.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

using u64 = std::uint64_t;

const int sbox[8][4][16] = {{{14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7},
                             {0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8},
                             {4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0},
                             {15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13}},
                            {{15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10},
                             {3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5},
                             {0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15},
                             {13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9}},
                            {{10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8},
                             {13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1},
                             {13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7},
                             {1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12}},
                            {{7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15},
                             {13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9},
                             {10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4},
                             {3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14}},
                            {{2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9},
                             {14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6},
                             {4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14},
                             {11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3}},
                            {{12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11},
                             {10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8},
                             {9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6},
                             {4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13}},
                            {{4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1},
                             {13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6},
                             {1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2},
                             {6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12}},
                            {{13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7},
                             {1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2},
                             {7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8},
                             {2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11}}};

enum op : int { op_and, op_or, op_xor, op_andn /* a & ~b */, op_nandn /* ~a & b */ };
const int n_ops = 5;

struct gate {
  int o, a, b;
};

inline u64 apply(int o, u64 a, u64 b) {
  switch (o) {
    case op_and:
      return a & b;
    case op_or:
      return a | b;
    case op_xor:
      return a ^ b;
    case op_andn:
      return a & ~b;
    default:
      return ~a & b;
  }
}

constexpr int n_inputs = 6;
constexpr int sig_one = 6;  // constant all-ones (free)

struct circuit {
  std::vector<u64> tt;
  std::vector<gate> g;  // gate k defines signal 7 + k
  circuit() {
    for (int i = 0; i < n_inputs; ++i) {
      u64 t = 0;
      for (int x = 0; x < 64; ++x)
        if ((x >> (5 - i)) & 1) t |= u64(1) << x;
      tt.push_back(t);
    }
    tt.push_back(~u64(0));
  }
  int add(int o, int a, int b) {
    const u64 v = apply(o, tt[a], tt[b]);
    for (std::size_t i = 0; i < tt.size(); ++i)
      if (tt[i] == v) return int(i);
    g.push_back({o, a, b});
    tt.push_back(v);
    return int(tt.size()) - 1;
  }
  int gates() const { return int(g.size()); }
};

std::mt19937_64 rng(12345);
int max_two_gate_signals = 64;

// Finds target on care with at most two new gates; returns signal or -1.
int search_small(circuit& c, u64 target, u64 care, bool allow_two) {
  const int n = int(c.tt.size());
  for (int i = 0; i < n; ++i)
    if (((c.tt[i] ^ target) & care) == 0) return i;
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      for (int o = 0; o < n_ops; ++o)
        if (((apply(o, c.tt[i], c.tt[j]) ^ target) & care) == 0) return c.add(o, i, j);
  if (!allow_two || n > max_two_gate_signals) return -1;
  // Two gates: out = o2(o1(i, j), k).
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      for (int o = 0; o < n_ops; ++o) {
        const u64 v = apply(o, c.tt[i], c.tt[j]);
        for (int k = 0; k < n; ++k)
          for (int o2 = 0; o2 < n_ops; ++o2)
            if (((apply(o2, v, c.tt[k]) ^ target) & care) == 0) {
              const int s = c.add(o, i, j);
              return c.add(o2, s, k);
            }
      }
  return -1;
}

int solve(circuit& c, u64 target, u64 care, int depth) {
  int s = search_small(c, target, care, depth >= 1);
  if (s >= 0) return s;
  // Candidate selects: inputs that split the care set.
  std::vector<int> sel;
  for (int i = 0; i < n_inputs; ++i)
    if ((c.tt[i] & care) != 0 && (~c.tt[i] & care) != 0) sel.push_back(i);
  if (sel.empty()) std::abort();
  const int v = sel[rng() % sel.size()];
  const u64 sv = c.tt[v];
  const int form = int(rng() % 4);
  if (form == 0 || form == 1) {
    // out = f ^ (h & s) with f on ~s; or out = f ^ (h & ~s) with f on s.
    const u64 f_care = form == 0 ? (care & ~sv) : (care & sv);
    const u64 h_care = care & ~f_care;
    const int f = solve(c, target, f_care, depth + 1);
    const int h = solve(c, target ^ c.tt[f], h_care, depth + 1);
    const int m = c.add(form == 0 ? op_and : op_andn, h, v);
    return c.add(op_xor, f, m);
  }
  if (form == 2) {
    // out = (f & ~s) | (h & s)
    const int f = solve(c, target, care & ~sv, depth + 1);
    const int h = solve(c, target, care & sv, depth + 1);
    const int a = c.add(op_andn, f, v);
    const int b = c.add(op_and, h, v);
    return c.add(op_or, a, b);
  }
  // out = f ^ h' where both solved on full care sequentially? Use: out = (f | s) & (h | ~s)
  // rewritten as f ^ ((f ^ h) & s) with h on s first.
  const int h = solve(c, target, care & sv, depth + 1);
  const int f = solve(c, target ^ c.tt[h], care & ~sv, depth + 1);
  // target = h ^ (f & ~s) where f = target ^ h on ~s
  const int m = c.add(op_andn, f, v);
  return c.add(op_xor, h, m);
}

struct best_circuit {
  circuit c;
  std::array<int, 4> sig{};
};

best_circuit search(int which, int iters) {
  rng.seed(1000 + which);
  u64 out[4] = {};
  for (int x = 0; x < 64; ++x) {
    const int row = ((x >> 5) & 1) * 2 + (x & 1), col = (x >> 1) & 15;
    const int val = sbox[which][row][col];
    for (int j = 0; j < 4; ++j)
      if ((val >> (3 - j)) & 1) out[j] |= u64(1) << x;
  }
  int best = 1 << 30;
  best_circuit b;
  for (int it = 0; it < iters; ++it) {
    circuit c;
    std::array<int, 4> order = {0, 1, 2, 3};
    std::shuffle(order.begin(), order.end(), rng);
    std::array<int, 4> sig{};
    for (int j : order) sig[j] = solve(c, out[j], ~u64(0), 0);
    if (c.gates() < best) {
      best = c.gates();
      b.c = c;
      b.sig = sig;
      std::fprintf(stderr, "S%d iteration %d: %d gates\n", which + 1, it, best);
    }
  }
  return b;
}

std::string signal_name(int s) {
  if (s < n_inputs) return std::string("a") + char('1' + s);
  if (s == sig_one) return "ones";
  return "t" + std::to_string(s - 7);
}

// The circuit's live gates (reachable from an output), as C++ statements.
std::vector<std::string> emit(const best_circuit& b, int& count) {
  const std::size_t n = b.c.g.size();
  std::vector<bool> live(n + 7, false);
  for (int s : b.sig) live[s] = true;
  for (std::size_t k = n; k-- > 0;) {
    if (!live[k + 7]) continue;
    live[b.c.g[k].a] = live[b.c.g[k].b] = true;
  }
  static const char* const fmt[] = {"%s & %s", "%s | %s", "%s ^ %s", "%s & ~%s", "~%s & %s"};
  std::vector<std::string> body;
  count = 0;
  if (live[sig_one]) body.push_back("  const V ones = ~V{};");
  for (std::size_t k = 0; k < n; ++k) {
    if (!live[k + 7]) continue;
    const gate& g = b.c.g[k];
    char expr[64];
    std::snprintf(expr, sizeof expr, fmt[g.o], signal_name(g.a).c_str(), signal_name(g.b).c_str());
    body.push_back("  const V " + signal_name(int(k) + 7) + " = " + expr + ";");
    ++count;
  }
  for (int j = 0; j < 4; ++j)
    body.push_back("  o" + std::to_string(j + 1) + " ^= " + signal_name(b.sig[j]) + ";");
  return body;
}

}  // namespace

int main(int argc, char** argv) {
  const int iters = argc > 1 ? std::atoi(argv[1]) : 6000;
  std::vector<std::vector<std::string>> bodies;
  int counts[8], total = 0;
  for (int which = 0; which < 8; ++which) {
    bodies.push_back(emit(search(which, iters), counts[which]));
    total += counts[which];
  }
  std::printf(
      "#pragma once\n"
      "// GENERATED by scripts/simd_des_sbox_gen.cpp (%d runs per S-box; see\n"
      "// docs/crypto-simd.md): the eight DES S-boxes (FIPS 46-3) as gate circuits over AND, OR,\n"
      "// XOR and AND-NOT, for bitsliced DES. %d gates in all (%.1f per S-box). Each input a1..a6 "
      "is\n"
      "// one slice (a1 the most significant input bit); the four output bits are XORed into\n"
      "// o1..o4 (o1 the most significant), which is what the round function needs\n"
      "// (L ^= P(S(...))). A circuit has no branch and no table: its timing cannot depend on the\n"
      "// slices' contents. tests/unit/secure/simd_des_test.cpp checks every circuit against the\n"
      "// FIPS tables on all 64 inputs. Internal linkage on purpose: each per-ISA kernel file\n"
      "// instantiates its own copies.\n"
      "// clang-format off\n\n"
      "namespace otaflow::secure::detail {\n"
      "namespace {\n",
      iters, total, total / 8.0);
  for (int i = 0; i < 8; ++i) {
    std::printf(
        "\n/// S%d (%d gates); o1..o4 ^= the S-box output bits, most significant first.\n"
        "template <class V>\n"
        "[[gnu::always_inline]] inline void des_s%d(V a1, V a2, V a3, V a4, V a5, V a6, V& o1, "
        "V& o2,\n"
        "                                         V& o3, V& o4) {\n",
        i + 1, counts[i], i + 1);
    for (const auto& line : bodies[i]) std::printf("%s\n", line.c_str());
    std::printf("}\n");
  }
  std::printf("\n}  // namespace\n}  // namespace otaflow::secure::detail\n// clang-format on\n");
}
