#include "secure/milenage.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <string>

namespace otaflow::secure {
namespace {

EVP_CIPHER_CTX* as_ctx(void* p) noexcept {
  return static_cast<EVP_CIPHER_CTX*>(p);
}

// Cyclic left rotation of a 128-bit value by r bits (TS 35.206 §4.1: rot(x, r)); every r of
// MILENAGE (0, 32, 64, 96) is a multiple of 8, so the rotation moves whole bytes.
block128 rot(const block128& x, unsigned r_bits) noexcept {
  const unsigned r = (r_bits / 8) % 16;
  block128 out{};
  for (unsigned i = 0; i < 16; ++i) out[i] = x[(i + r) % 16];
  return out;
}

block128 xor_block(const block128& a, const block128& b) noexcept {
  block128 out{};
  for (std::size_t i = 0; i < 16; ++i) out[i] = static_cast<std::uint8_t>(a[i] ^ b[i]);
  return out;
}

// c_i of TS 35.206 §4.1: all zero except the last octet (c1 = 0, c2 = 1, c3 = 2, c4 = 4, c5 = 8).
block128 constant(std::uint8_t last) noexcept {
  block128 c{};
  c[15] = last;
  return c;
}

status check_len(byte_view v, std::size_t want, const char* what) {
  if (v.size() != want)
    return make_error(errc::bad_length, std::string(what) + " must be " + std::to_string(want) +
                                            " bytes, got " + std::to_string(v.size()));
  return {};
}

block128 to_block(byte_view v) noexcept {
  block128 b{};
  std::copy_n(v.begin(), 16, b.begin());
  return b;
}

std::uint64_t load48(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 6; ++i) v = (v << 8) | p[i];
  return v;
}

sqn48 store48(std::uint64_t v) noexcept {
  sqn48 out{};
  for (int i = 5; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v);
    v >>= 8;
  }
  return out;
}

}  // namespace

void milenage::ctx_deleter::operator()(void* ctx) const noexcept {
  EVP_CIPHER_CTX_free(as_ctx(ctx));  // also cleanses the expanded key schedule
}

milenage::milenage(std::unique_ptr<void, ctx_deleter> ctx, const block128& opc) noexcept
    : ctx_(std::move(ctx)), opc_(opc) {}
milenage::milenage(milenage&&) noexcept = default;
milenage& milenage::operator=(milenage&&) noexcept = default;
milenage::~milenage() {
  secure_wipe(opc_);
}

result<milenage> milenage::create(byte_view k, byte_view opc) {
  OTAFLOW_TRY(check_len(k, 16, "MILENAGE K"));
  OTAFLOW_TRY(check_len(opc, 16, "MILENAGE OPc"));
  std::unique_ptr<void, ctx_deleter> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return make_error(errc::internal, "EVP_CIPHER_CTX_new failed");
  if (EVP_EncryptInit_ex2(as_ctx(ctx.get()), EVP_aes_128_ecb(), k.data(), nullptr, nullptr) != 1)
    return make_error(errc::internal, "AES-128-ECB init failed for MILENAGE");
  EVP_CIPHER_CTX_set_padding(as_ctx(ctx.get()), 0);
  return milenage(std::move(ctx), to_block(opc));
}

result<milenage> milenage::create_from_op(byte_view k, byte_view op) {
  auto opc = compute_opc(k, op);
  if (!opc) return std::move(opc).error();
  auto m = create(k, *opc);
  secure_wipe(*opc);
  return m;
}

status milenage::encrypt(const block128& in, block128& out) const {
  int len = 0;
  if (EVP_EncryptUpdate(as_ctx(ctx_.get()), out.data(), &len, in.data(), 16) != 1 || len != 16)
    return make_error(errc::internal, "AES-128 block encryption failed in MILENAGE");
  return {};
}

result<f1_output> milenage::f1(const block128& rand, const sqn48& sqn, const amf16& amf) const {
  block128 temp{};
  OTAFLOW_TRY(encrypt(xor_block(rand, opc_), temp));
  // IN1 = SQN || AMF || SQN || AMF (TS 35.206 §4.1).
  block128 in1{};
  std::copy(sqn.begin(), sqn.end(), in1.begin());
  std::copy(amf.begin(), amf.end(), in1.begin() + 6);
  std::copy(sqn.begin(), sqn.end(), in1.begin() + 8);
  std::copy(amf.begin(), amf.end(), in1.begin() + 14);
  // OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc with r1 = 64, c1 = 0.
  const block128 x = xor_block(xor_block(temp, rot(xor_block(in1, opc_), 64)), constant(0));
  block128 out1{};
  OTAFLOW_TRY(encrypt(x, out1));
  out1 = xor_block(out1, opc_);
  f1_output r;
  std::copy_n(out1.begin(), 8, r.mac_a.begin());
  std::copy_n(out1.begin() + 8, 8, r.mac_s.begin());
  secure_wipe(temp);
  return r;
}

result<f2345_output> milenage::f2345(const block128& rand) const {
  block128 temp{};
  OTAFLOW_TRY(encrypt(xor_block(rand, opc_), temp));
  const block128 t = xor_block(temp, opc_);
  // OUTi = E_K(rot(TEMP xor OPc, ri) xor ci) xor OPc, (r2..r5) = (0, 32, 64, 96),
  // (c2..c5) = (1, 2, 4, 8) in the last octet.
  auto out = [&](unsigned r, std::uint8_t c, block128& o) -> status {
    OTAFLOW_TRY(encrypt(xor_block(rot(t, r), constant(c)), o));
    o = xor_block(o, opc_);
    return {};
  };
  block128 out2{}, out5{};
  f2345_output r;
  OTAFLOW_TRY(out(0, 1, out2));
  OTAFLOW_TRY(out(32, 2, r.ck));
  OTAFLOW_TRY(out(64, 4, r.ik));
  OTAFLOW_TRY(out(96, 8, out5));
  std::copy_n(out2.begin(), 6, r.ak.begin());
  std::copy_n(out2.begin() + 8, 8, r.res.begin());
  std::copy_n(out5.begin(), 6, r.ak_star.begin());
  secure_wipe(temp);
  secure_wipe(out2);
  secure_wipe(out5);
  return r;
}

result<block128> compute_opc(byte_view k, byte_view op) {
  OTAFLOW_TRY(check_len(k, 16, "MILENAGE K"));
  OTAFLOW_TRY(check_len(op, 16, "MILENAGE OP"));
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      &EVP_CIPHER_CTX_free);
  if (!ctx) return make_error(errc::internal, "EVP_CIPHER_CTX_new failed");
  block128 e{};
  int len = 0;
  if (EVP_EncryptInit_ex2(ctx.get(), EVP_aes_128_ecb(), k.data(), nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_EncryptUpdate(ctx.get(), e.data(), &len, op.data(), 16) != 1 || len != 16)
    return make_error(errc::internal, "AES-128 encryption failed while deriving OPc");
  return xor_block(e, to_block(op));
}

result<std::array<std::uint8_t, 16>> make_autn(const milenage& m, const block128& rand,
                                               std::uint64_t sqn, const amf16& amf) {
  if (sqn >> 48)
    return make_error(errc::bad_argument, "SQN " + std::to_string(sqn) + " exceeds 48 bits");
  const sqn48 s = store48(sqn);
  auto f1 = m.f1(rand, s, amf);
  if (!f1) return std::move(f1).error();
  auto f = m.f2345(rand);
  if (!f) return std::move(f).error();
  std::array<std::uint8_t, 16> autn{};
  for (std::size_t i = 0; i < 6; ++i) autn[i] = static_cast<std::uint8_t>(s[i] ^ f->ak[i]);
  autn[6] = amf[0];
  autn[7] = amf[1];
  std::copy(f1->mac_a.begin(), f1->mac_a.end(), autn.begin() + 8);
  return autn;
}

result<std::uint64_t> sqn_ms_from_auts(const milenage& m, const block128& rand, byte_view auts) {
  OTAFLOW_TRY(check_len(auts, 14, "AUTS"));
  auto f = m.f2345(rand);
  if (!f) return std::move(f).error();
  sqn48 sqn{};
  for (std::size_t i = 0; i < 6; ++i) sqn[i] = static_cast<std::uint8_t>(auts[i] ^ f->ak_star[i]);
  // MAC-S = f1*(K, SQN_MS, RAND, AMF*) with the dummy AMF* = 0000 (TS 33.102 §6.3.3).
  auto f1 = m.f1(rand, sqn, amf16{0, 0});
  if (!f1) return std::move(f1).error();
  if (!equal_ct(f1->mac_s, auts.subspan(6, 8)))
    return make_error(errc::verification, "AUTS: MAC-S does not verify");
  return load48(sqn.data());
}

result<auth_result> authenticate_3g(byte_view k, byte_view opc, byte_view rand, byte_view autn,
                                    std::uint64_t sqn_ms) {
  OTAFLOW_TRY(check_len(rand, 16, "RAND"));
  OTAFLOW_TRY(check_len(autn, 16, "AUTN"));
  if (sqn_ms >> 48)
    return make_error(errc::bad_argument, "SQN_MS " + std::to_string(sqn_ms) + " exceeds 48 bits");
  auto m = milenage::create(k, opc);
  if (!m) return std::move(m).error();
  const block128 r = to_block(rand);
  auto f = m->f2345(r);
  if (!f) return std::move(f).error();

  // TS 33.102 §6.3.3: SQN = (SQN xor AK) xor AK, then XMAC = f1(K, SQN, RAND, AMF).
  sqn48 sqn{};
  for (std::size_t i = 0; i < 6; ++i) sqn[i] = static_cast<std::uint8_t>(autn[i] ^ f->ak[i]);
  const amf16 amf{autn[6], autn[7]};
  auto f1 = m->f1(r, sqn, amf);
  if (!f1) return std::move(f1).error();

  auth_result out;
  if (!equal_ct(f1->mac_a, autn.subspan(8, 8))) {
    out.status = auth_status::mac_failure;
    return out;
  }
  const std::uint64_t sqn_value = load48(sqn.data());
  if (sqn_value <= sqn_ms) {
    // AUTS = (SQN_MS xor AK*) || MAC-S, MAC-S = f1*(K, SQN_MS, RAND, AMF* = 0000).
    const sqn48 ms = store48(sqn_ms);
    auto f1s = m->f1(r, ms, amf16{0, 0});
    if (!f1s) return std::move(f1s).error();
    out.status = auth_status::sync_failure;
    for (std::size_t i = 0; i < 6; ++i)
      out.auts[i] = static_cast<std::uint8_t>(ms[i] ^ f->ak_star[i]);
    std::copy(f1s->mac_s.begin(), f1s->mac_s.end(), out.auts.begin() + 6);
    return out;
  }
  out.status = auth_status::success;
  out.res = f->res;
  out.ck = f->ck;
  out.ik = f->ik;
  out.sqn = sqn_value;
  secure_wipe(f->ck);
  secure_wipe(f->ik);
  return out;
}

}  // namespace otaflow::secure
