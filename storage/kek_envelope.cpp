#include "storage/kek_envelope.hpp"

#include <array>

#include "secure/key_cipher.hpp"
#include "secure/key_rotation.hpp"
#include "storage/record_io.hpp"

namespace otaflow::storage {
namespace {

constexpr std::uint8_t record_version = 1;

void put_blob(byte_writer& w, byte_view v) {
  w.u16(static_cast<std::uint16_t>(v.size()));
  w.append(v);
}

void put_str(byte_writer& w, std::string_view s) {
  put_blob(w, detail::as_bytes(s));
}

bool get_blob(byte_reader& r, bytes& out) {
  std::uint16_t n = 0;
  byte_view v;
  if (!r.u16(n) || !r.take(n, v)) return false;
  out.assign(v.begin(), v.end());
  return true;
}

bool get_str(byte_reader& r, std::string& out) {
  bytes b;
  if (!get_blob(r, b)) return false;
  out.assign(b.begin(), b.end());
  return true;
}

void put_wrapped(byte_writer& w, const wrapped_data_key& k) {
  put_str(w, k.module);
  put_str(w, k.token);
  put_str(w, k.key_label);
  w.u32(k.mechanism);
  put_blob(w, k.wrapped);
}

bool get_wrapped(byte_reader& r, wrapped_data_key& k) {
  return get_str(r, k.module) && get_str(r, k.token) && get_str(r, k.key_label) &&
         r.u32(k.mechanism) && get_blob(r, k.wrapped);
}

void put_side(byte_writer& w, const kek_side& s) {
  w.u8(s.wrapped ? 1 : 0);
  put_str(w, s.origin);
  if (s.wrapped) put_wrapped(w, *s.wrapped);
}

bool get_side(byte_reader& r, kek_side& s) {
  std::uint8_t kind = 0;
  if (!r.u8(kind) || kind > 1 || !get_str(r, s.origin)) return false;
  if (kind == 0) return true;
  s.wrapped.emplace();
  return get_wrapped(r, *s.wrapped);
}

// The data key of one side of a rotation under the KEK given, if that KEK is this side's.
std::optional<secret> side_key(const kek_side& side, kek_key& kek) {
  if (side.wrapped && kek.token) {
    auto k = kek.token->unwrap(side.wrapped->wrapped, side.wrapped->mechanism);
    if (k) return std::move(*k);
    return std::nullopt;
  }
  if (!side.wrapped && !kek.token) return kek.direct;
  return std::nullopt;
}

}  // namespace

bytes encode(const wrapped_data_key& k) {
  byte_writer w;
  w.u8(record_version);
  put_wrapped(w, k);
  return w.take();
}

result<wrapped_data_key> decode_wrapped_data_key(byte_view b) {
  byte_reader r(b);
  std::uint8_t v = 0;
  wrapped_data_key k;
  if (!r.u8(v) || v != record_version || !get_wrapped(r, k) || !r.empty()) {
    return make_error(errc::internal, "meta kek_wrapped: malformed record");
  }
  return k;
}

bytes encode(const kek_rotation_state& s) {
  byte_writer w;
  w.u8(record_version);
  put_side(w, s.from);
  put_side(w, s.to);
  put_blob(w, s.new_under_old);
  put_blob(w, s.old_under_new);
  put_str(w, s.cursor);
  w.uint_be(8, s.done);
  w.uint_be(8, static_cast<std::uint64_t>(s.started_ms));
  return w.take();
}

result<kek_rotation_state> decode_kek_rotation(byte_view b) {
  byte_reader r(b);
  std::uint8_t v = 0;
  kek_rotation_state s;
  std::uint64_t started = 0;
  if (!r.u8(v) || v != record_version || !get_side(r, s.from) || !get_side(r, s.to) ||
      !get_blob(r, s.new_under_old) || !get_blob(r, s.old_under_new) || !get_str(r, s.cursor) ||
      !r.uint_be(8, s.done) || !r.uint_be(8, started) || !r.empty()) {
    return make_error(errc::internal, "meta kek_rotation: malformed record");
  }
  s.started_ms = static_cast<std::int64_t>(started);
  return s;
}

std::string describe(const wrapped_data_key& w) {
  return "PKCS#11 token '" + w.token + "' key '" + w.key_label + "'";
}

result<std::pair<secret, wrapped_data_key>> new_wrapped_data_key(pkcs11_key& token) {
  std::array<std::uint8_t, 32> raw{};
  OTAFLOW_TRY(secure::random_bytes(raw));
  auto dek = secret::from(raw);
  secure_wipe(raw);
  if (!dek) return dek.error();
  auto w = token.wrap(*dek, token.mechanism());
  if (!w) return w.error();
  wrapped_data_key out;
  out.module = token.config().module;
  out.token = token.config().token;
  out.key_label = token.config().key_label;
  out.mechanism = token.mechanism();
  out.wrapped = std::move(*w);
  return std::pair{std::move(*dek), std::move(out)};
}

result<data_keys> resolve_data_keys(const std::optional<std::string>& wrapped,
                                    const std::optional<std::string>& rotation, kek_key& kek,
                                    const std::string& where) {
  if (rotation) {
    auto rot = decode_kek_rotation(detail::as_bytes(*rotation));
    if (!rot) return detail::with_context(std::move(rot).error(), where);
    // The target's KEK first, then the source's; the sealed partner proves the key is right.
    if (auto n = side_key(rot->to, kek)) {
      auto old = secure::unseal(n->view(), detail::as_bytes(rotation_old_aad), rot->old_under_new);
      if (old) {
        auto o = secret::from(*old);
        secure_wipe(*old);
        if (o) return data_keys{std::move(*n), std::move(*o)};
      }
    }
    if (auto o = side_key(rot->from, kek)) {
      auto nw = secure::unseal(o->view(), detail::as_bytes(rotation_new_aad), rot->new_under_old);
      if (nw) {
        auto n = secret::from(*nw);
        secure_wipe(*nw);
        if (n) return data_keys{std::move(*n), std::move(*o)};
      }
    }
    return make_error(errc::verification,
                      where + ": a KEK rotation from " + rot->from.origin + " to " +
                          rot->to.origin + " is in progress (" + std::to_string(rot->done) +
                          " rows re-sealed) and " + kek.origin +
                          " is neither; open it with one of them and finish the rotation with "
                          "`otaflow keys rotate-kek`");
  }
  if (wrapped) {
    auto w = decode_wrapped_data_key(detail::as_bytes(*wrapped));
    if (!w) return detail::with_context(std::move(w).error(), where);
    if (!kek.token) {
      return make_error(errc::verification,
                        where + " is protected by " + describe(*w) + " (module " + w->module +
                            "): name it in OTAFLOW_KEK_PKCS11 or the configuration; " + kek.origin +
                            " does not open it");
    }
    auto dek = kek.token->unwrap(w->wrapped, w->mechanism);
    if (!dek) {
      return make_error(errc::verification, where + ": its data key is wrapped by " + describe(*w) +
                                                ", which " + kek.origin + " is not (" +
                                                dek.error().message + ")");
    }
    return data_keys{std::move(*dek), {}};
  }
  if (kek.token) {
    return make_error(errc::verification,
                      where + " is sealed under a kek_file/OTAFLOW_KEK key, not " + kek.origin +
                          "; move it into the token with `otaflow keys rotate-kek --to-pkcs11`");
  }
  return data_keys{kek.direct, {}};
}

}  // namespace otaflow::storage
