#include "storage/pkcs11.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include <p11-kit/pkcs11.h>

#include "base/secrets.hpp"
#include "storage/record_io.hpp"

namespace otaflow::storage {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\0'))
    s.remove_suffix(1);
  return std::string(s);
}

// The names of the return values an operator may meet; others as hex.
std::string rv_name(CK_RV rv) {
  switch (rv) {
    case CKR_PIN_INCORRECT:
      return "CKR_PIN_INCORRECT (wrong PIN)";
    case CKR_PIN_LOCKED:
      return "CKR_PIN_LOCKED (the PIN is locked)";
    case CKR_PIN_LEN_RANGE:
      return "CKR_PIN_LEN_RANGE (PIN of the wrong length)";
    case CKR_USER_PIN_NOT_INITIALIZED:
      return "CKR_USER_PIN_NOT_INITIALIZED";
    case CKR_TOKEN_NOT_PRESENT:
      return "CKR_TOKEN_NOT_PRESENT";
    case CKR_DEVICE_ERROR:
      return "CKR_DEVICE_ERROR";
    case CKR_GENERAL_ERROR:
      return "CKR_GENERAL_ERROR";
    case CKR_ATTRIBUTE_SENSITIVE:
      return "CKR_ATTRIBUTE_SENSITIVE";
    case CKR_MECHANISM_INVALID:
      return "CKR_MECHANISM_INVALID";
    case CKR_KEY_FUNCTION_NOT_PERMITTED:
      return "CKR_KEY_FUNCTION_NOT_PERMITTED";
    case CKR_WRAPPED_KEY_INVALID:
      return "CKR_WRAPPED_KEY_INVALID";
    case CKR_ENCRYPTED_DATA_INVALID:
      return "CKR_ENCRYPTED_DATA_INVALID";
    default: {
      static constexpr char digits[] = "0123456789abcdef";
      std::string s = "CKR 0x";
      for (int shift = 28; shift >= 0; shift -= 4) s += digits[(rv >> shift) & 0xF];
      return s;
    }
  }
}

// A loaded and initialised module. Modules stay loaded for the life of the process: a
// module is initialised once per process (C_Initialize a second time fails), and several
// keys of one module (a rotation from one key label to another) share it.
struct module {
  std::string path;
  CK_FUNCTION_LIST_PTR f = nullptr;
};

result<module*> load_module(const std::string& path) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<module>> loaded;
  std::lock_guard lock(mu);
  if (auto it = loaded.find(path); it != loaded.end()) return it->second.get();
  const std::string where = "PKCS#11 module " + path;
  void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    const char* e = ::dlerror();
    return make_error(errc::not_found, where + ": cannot be loaded: " + (e ? e : "dlopen failed"));
  }
  using get_list_fn = CK_RV (*)(CK_FUNCTION_LIST_PTR_PTR);
  auto get_list = reinterpret_cast<get_list_fn>(::dlsym(h, "C_GetFunctionList"));
  if (get_list == nullptr) {
    return make_error(errc::bad_value, where + ": no C_GetFunctionList (not a PKCS#11 module)");
  }
  auto m = std::make_unique<module>();
  m->path = path;
  if (auto rv = get_list(&m->f); rv != CKR_OK || m->f == nullptr) {
    return make_error(errc::internal, where + ": C_GetFunctionList failed: " + rv_name(rv));
  }
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  if (auto rv = m->f->C_Initialize(&args); rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    return make_error(errc::io, where + ": C_Initialize failed: " + rv_name(rv) +
                                    " (SoftHSM2: is SOFTHSM2_CONF set to a readable config?)");
  }
  module* out = m.get();
  loaded.emplace(path, std::move(m));
  return out;
}

// The user PIN: pin_file, else OTAFLOW_PKCS11_PIN (taken from the environment once and kept in
// the locked arena, so a second key of the same process, e.g. a rotation's target, finds it).
result<secret> read_pin(const pkcs11_config& c) {
  if (!c.pin_file.empty()) {
    auto text = read_private_file(c.pin_file, "pin_file");
    if (!text) return text.error();
    auto s = secret::from(detail::as_bytes(*text));
    secure_wipe({reinterpret_cast<std::uint8_t*>(text->data()), text->size()});
    if (!s) return make_error(errc::bad_length, "pin_file " + c.pin_file + ": PIN longer than 32");
    return s;
  }
  static std::mutex mu;
  static std::optional<secret> env_pin;
  std::lock_guard lock(mu);
  if (!env_pin) {
    auto env = take_env(pkcs11_pin_env_var);
    if (!env) {
      return make_error(errc::not_found, describe(c) + ": no PIN (" +
                                             std::string(pkcs11_pin_env_var) +
                                             " is not set and no pin_file is configured)");
    }
    auto s = secret::from(detail::as_bytes(*env));
    secure_wipe({reinterpret_cast<std::uint8_t*>(env->data()), env->size()});
    if (!s)
      return make_error(errc::bad_length, std::string(pkcs11_pin_env_var) + ": longer than 32");
    env_pin = std::move(*s);
  }
  return *env_pin;
}

}  // namespace

struct pkcs11_key::impl {
  pkcs11_config cfg;
  module* mod = nullptr;
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
  std::uint32_t mech = 0;
  std::mutex mu;

  CK_FUNCTION_LIST_PTR f() const { return mod->f; }
  std::string where() const { return describe(cfg); }

  status open_session();
  result<std::optional<CK_OBJECT_HANDLE>> find_key();
  status check_key(CK_OBJECT_HANDLE k);
  status generate();
};

status pkcs11_key::impl::open_session() {
  const std::string token_where = "PKCS#11 token '" + cfg.token + "' (module " + cfg.module + ")";
  CK_ULONG n = 0;
  if (auto rv = f()->C_GetSlotList(CK_TRUE, nullptr, &n); rv != CKR_OK) {
    return make_error(errc::io, "PKCS#11 module " + cfg.module + ": C_GetSlotList: " + rv_name(rv));
  }
  std::vector<CK_SLOT_ID> slots(n);
  if (auto rv = f()->C_GetSlotList(CK_TRUE, slots.data(), &n); rv != CKR_OK) {
    return make_error(errc::io, "PKCS#11 module " + cfg.module + ": C_GetSlotList: " + rv_name(rv));
  }
  slots.resize(n);
  std::optional<CK_SLOT_ID> slot;
  std::string seen;
  for (auto s : slots) {
    CK_TOKEN_INFO info{};
    if (f()->C_GetTokenInfo(s, &info) != CKR_OK) continue;
    if ((info.flags & CKF_TOKEN_INITIALIZED) == 0) continue;  // SoftHSM's free slot
    const std::string label =
        trim(std::string_view(reinterpret_cast<const char*>(info.label), sizeof info.label));
    if (label == cfg.token) {
      slot = s;
      break;
    }
    seen += (seen.empty() ? "'" : ", '") + label + "'";
  }
  if (!slot) {
    return make_error(errc::not_found, "PKCS#11 module " + cfg.module + ": no token labelled '" +
                                           cfg.token + "' (tokens present: " +
                                           (seen.empty() ? std::string("none") : seen) + ")");
  }
  // The wrap mechanism, as the token lists it.
  CK_ULONG mn = 0;
  std::vector<CK_MECHANISM_TYPE> mechs;
  if (f()->C_GetMechanismList(*slot, nullptr, &mn) == CKR_OK) {
    mechs.resize(mn);
    if (f()->C_GetMechanismList(*slot, mechs.data(), &mn) != CKR_OK) mn = 0;
    mechs.resize(mn);
  }
  const auto has = [&](CK_MECHANISM_TYPE m) {
    return std::find(mechs.begin(), mechs.end(), m) != mechs.end();
  };
  if (has(CKM_AES_KEY_WRAP)) {
    mech = pkcs11_aes_key_wrap;
  } else if (has(CKM_AES_KEY_WRAP_PAD)) {
    mech = pkcs11_aes_key_wrap_pad;
  } else {
    return make_error(errc::unsupported,
                      token_where + " offers neither CKM_AES_KEY_WRAP nor CKM_AES_KEY_WRAP_PAD");
  }
  if (auto rv = f()->C_OpenSession(*slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr,
                                   &session);
      rv != CKR_OK) {
    return make_error(errc::io, token_where + ": C_OpenSession: " + rv_name(rv));
  }
  auto pin = read_pin(cfg);
  if (!pin) return pin.error();
  auto rv =
      f()->C_Login(session, CKU_USER, const_cast<CK_UTF8CHAR_PTR>(pin->view().data()), pin->size());
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    return make_error(errc::verification, token_where + ": login refused: " + rv_name(rv));
  }
  return {};
}

result<std::optional<CK_OBJECT_HANDLE>> pkcs11_key::impl::find_key() {
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  std::array<CK_ATTRIBUTE, 2> t{{
      {CKA_CLASS, &cls, sizeof cls},
      {CKA_LABEL, cfg.key_label.data(), cfg.key_label.size()},
  }};
  if (auto rv = f()->C_FindObjectsInit(session, t.data(), t.size()); rv != CKR_OK) {
    return make_error(errc::io, where() + ": C_FindObjectsInit: " + rv_name(rv));
  }
  std::array<CK_OBJECT_HANDLE, 2> found{};
  CK_ULONG n = 0;
  const auto rv = f()->C_FindObjects(session, found.data(), found.size(), &n);
  (void)f()->C_FindObjectsFinal(session);
  if (rv != CKR_OK) return make_error(errc::io, where() + ": C_FindObjects: " + rv_name(rv));
  if (n == 0) return std::optional<CK_OBJECT_HANDLE>();
  if (n > 1) {
    return make_error(errc::conflict,
                      where() + ": several secret keys carry this label; give the KEK its own");
  }
  return std::optional<CK_OBJECT_HANDLE>(found[0]);
}

// The KEK must be a 32-octet AES key that never leaves the token and may wrap and unwrap.
status pkcs11_key::impl::check_key(CK_OBJECT_HANDLE k) {
  CK_KEY_TYPE type = 0;
  CK_ULONG len = 0;
  CK_BBOOL extractable = CK_TRUE, sensitive = CK_FALSE, wrap = CK_FALSE, unwrap = CK_FALSE;
  std::array<CK_ATTRIBUTE, 6> t{{
      {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_VALUE_LEN, &len, sizeof len},
      {CKA_EXTRACTABLE, &extractable, sizeof extractable},
      {CKA_SENSITIVE, &sensitive, sizeof sensitive},
      {CKA_WRAP, &wrap, sizeof wrap},
      {CKA_UNWRAP, &unwrap, sizeof unwrap},
  }};
  if (auto rv = f()->C_GetAttributeValue(session, k, t.data(), t.size()); rv != CKR_OK) {
    return make_error(errc::io, where() + ": its attributes cannot be read: " + rv_name(rv));
  }
  if (type != CKK_AES || len != 32) {
    return make_error(errc::bad_value, where() + ": not a 32-octet AES key");
  }
  if (extractable != CK_FALSE || sensitive != CK_TRUE) {
    return make_error(errc::bad_value,
                      where() +
                          ": the key is extractable or not sensitive; a KEK must never "
                          "leave the token (create one with `otaflow keys init-hsm`)");
  }
  if (wrap != CK_TRUE || unwrap != CK_TRUE) {
    return make_error(errc::bad_value, where() +
                                           ": the key may not wrap and unwrap (CKA_WRAP, "
                                           "CKA_UNWRAP)");
  }
  key = k;
  return {};
}

status pkcs11_key::impl::generate() {
  CK_MECHANISM m{CKM_AES_KEY_GEN, nullptr, 0};
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_AES;
  CK_ULONG len = 32;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  std::array<CK_ATTRIBUTE, 12> t{{
      {CKA_CLASS, &cls, sizeof cls},
      {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_VALUE_LEN, &len, sizeof len},
      {CKA_LABEL, cfg.key_label.data(), cfg.key_label.size()},
      {CKA_TOKEN, &yes, sizeof yes},
      {CKA_PRIVATE, &yes, sizeof yes},
      {CKA_SENSITIVE, &yes, sizeof yes},
      {CKA_EXTRACTABLE, &no, sizeof no},
      {CKA_WRAP, &yes, sizeof yes},
      {CKA_UNWRAP, &yes, sizeof yes},
      {CKA_ENCRYPT, &no, sizeof no},
      {CKA_DECRYPT, &no, sizeof no},
  }};
  CK_OBJECT_HANDLE k = CK_INVALID_HANDLE;
  if (auto rv = f()->C_GenerateKey(session, &m, t.data(), t.size(), &k); rv != CKR_OK) {
    return make_error(errc::io, where() + ": C_GenerateKey: " + rv_name(rv));
  }
  return check_key(k);
}

pkcs11_key::pkcs11_key(std::unique_ptr<impl> i) : impl_(std::move(i)) {}

pkcs11_key::~pkcs11_key() {
  if (impl_ && impl_->session != CK_INVALID_HANDLE)
    (void)impl_->f()->C_CloseSession(impl_->session);
}

const pkcs11_config& pkcs11_key::config() const noexcept {
  return impl_->cfg;
}

std::uint32_t pkcs11_key::mechanism() const noexcept {
  return impl_->mech;
}

namespace {

result<std::unique_ptr<pkcs11_key::impl>> start(const pkcs11_config& c) {
  if (c.module.empty() || c.token.empty() || c.key_label.empty()) {
    return make_error(errc::bad_argument, "PKCS#11 KEK: module, token and key label are required");
  }
  auto m = load_module(c.module);
  if (!m) return m.error();
  auto i = std::make_unique<pkcs11_key::impl>();
  i->cfg = c;
  i->mod = *m;
  if (auto s = i->open_session(); !s) {
    if (i->session != CK_INVALID_HANDLE) (void)i->f()->C_CloseSession(i->session);
    return s.error();
  }
  return i;
}

}  // namespace

result<std::unique_ptr<pkcs11_key>> pkcs11_key::open(const pkcs11_config& c) {
  auto i = start(c);
  if (!i) return i.error();
  std::unique_ptr<pkcs11_key> k(new pkcs11_key(std::move(*i)));
  auto found = k->impl_->find_key();
  if (!found) return found.error();
  if (!found->has_value()) {
    return make_error(errc::not_found, describe(c) + ": the token has no secret key labelled '" +
                                           c.key_label +
                                           "' (create it with `otaflow keys init-hsm`)");
  }
  OTAFLOW_TRY(k->impl_->check_key(**found));
  return k;
}

result<std::unique_ptr<pkcs11_key>> pkcs11_key::open_or_create(const pkcs11_config& c,
                                                               bool& created) {
  created = false;
  auto i = start(c);
  if (!i) return i.error();
  std::unique_ptr<pkcs11_key> k(new pkcs11_key(std::move(*i)));
  auto found = k->impl_->find_key();
  if (!found) return found.error();
  if (found->has_value()) {
    OTAFLOW_TRY(k->impl_->check_key(**found));
  } else {
    OTAFLOW_TRY(k->impl_->generate());
    created = true;
  }
  return k;
}

result<bytes> pkcs11_key::wrap(const secret& data_key, std::uint32_t mechanism) {
  std::lock_guard lock(impl_->mu);
  auto* f = impl_->f();
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_AES;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  std::array<CK_ATTRIBUTE, 6> t{{
      {CKA_CLASS, &cls, sizeof cls},
      {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_TOKEN, &no, sizeof no},
      {CKA_SENSITIVE, &no, sizeof no},
      {CKA_EXTRACTABLE, &yes, sizeof yes},
      {CKA_VALUE, const_cast<std::uint8_t*>(data_key.view().data()), data_key.size()},
  }};
  CK_OBJECT_HANDLE dk = CK_INVALID_HANDLE;
  if (auto rv = f->C_CreateObject(impl_->session, t.data(), t.size(), &dk); rv != CKR_OK) {
    return make_error(
        errc::io, impl_->where() + ": the data key cannot be loaded for wrapping: " + rv_name(rv));
  }
  CK_MECHANISM m{mechanism, nullptr, 0};
  std::array<std::uint8_t, 64> out{};
  CK_ULONG n = out.size();
  const auto rv = f->C_WrapKey(impl_->session, &m, impl_->key, dk, out.data(), &n);
  (void)f->C_DestroyObject(impl_->session, dk);
  if (rv != CKR_OK) return make_error(errc::io, impl_->where() + ": C_WrapKey: " + rv_name(rv));
  return bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
}

result<secret> pkcs11_key::unwrap(byte_view wrapped, std::uint32_t mechanism) {
  std::lock_guard lock(impl_->mu);
  auto* f = impl_->f();
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_AES;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  std::array<CK_ATTRIBUTE, 5> t{{
      {CKA_CLASS, &cls, sizeof cls},
      {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_TOKEN, &no, sizeof no},
      {CKA_SENSITIVE, &no, sizeof no},
      {CKA_EXTRACTABLE, &yes, sizeof yes},
  }};
  CK_MECHANISM m{mechanism, nullptr, 0};
  CK_OBJECT_HANDLE dk = CK_INVALID_HANDLE;
  bytes in(wrapped.begin(), wrapped.end());
  auto rv =
      f->C_UnwrapKey(impl_->session, &m, impl_->key, in.data(), in.size(), t.data(), t.size(), &dk);
  if (rv != CKR_OK) {
    const bool wrong = rv == CKR_WRAPPED_KEY_INVALID || rv == CKR_ENCRYPTED_DATA_INVALID ||
                       rv == CKR_WRAPPED_KEY_LEN_RANGE || rv == CKR_GENERAL_ERROR;
    return make_error(wrong ? errc::verification : errc::io,
                      impl_->where() + ": cannot unwrap the data key: " + rv_name(rv) +
                          (wrong ? " (this key did not wrap it)" : ""));
  }
  std::array<std::uint8_t, 32> value{};
  CK_ATTRIBUTE a{CKA_VALUE, value.data(), value.size()};
  rv = f->C_GetAttributeValue(impl_->session, dk, &a, 1);
  (void)f->C_DestroyObject(impl_->session, dk);
  if (rv != CKR_OK || a.ulValueLen != 32) {
    secure_wipe(value);
    return make_error(errc::io,
                      impl_->where() + ": the unwrapped data key cannot be read: " + rv_name(rv));
  }
  auto s = secret::from(value);
  secure_wipe(value);
  return s;
}

result<bool> pkcs11_key::value_readable() {
  std::lock_guard lock(impl_->mu);
  std::array<std::uint8_t, 64> value{};
  CK_ATTRIBUTE a{CKA_VALUE, value.data(), value.size()};
  const auto rv = impl_->f()->C_GetAttributeValue(impl_->session, impl_->key, &a, 1);
  secure_wipe(value);
  return rv == CKR_OK && a.ulValueLen != CK_UNAVAILABLE_INFORMATION;
}

result<pkcs11_config> parse_pkcs11_spec(std::string_view spec, std::string_view origin) {
  pkcs11_config c;
  while (!spec.empty()) {
    const auto semi = spec.find(';');
    const std::string_view item = spec.substr(0, semi);
    spec = semi == std::string_view::npos ? std::string_view() : spec.substr(semi + 1);
    if (trim(item).empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      return make_error(errc::bad_value,
                        std::string(origin) + ": '" + std::string(item) + "' is not NAME=VALUE");
    }
    const std::string name = trim(item.substr(0, eq));
    const std::string value = trim(item.substr(eq + 1));
    if (name == "module") {
      c.module = value;
    } else if (name == "token") {
      c.token = value;
    } else if (name == "key") {
      c.key_label = value;
    } else if (name == "pin_file") {
      c.pin_file = value;
    } else if (name == "pin") {
      return make_error(errc::bad_value, std::string(origin) +
                                             ": a PIN is never given here; use pin_file or " +
                                             pkcs11_pin_env_var);
    } else {
      return make_error(errc::bad_value, std::string(origin) + ": unknown item '" + name +
                                             "' (module, token, key, pin_file)");
    }
  }
  for (auto [name, v] : {std::pair{"module", &c.module}, std::pair{"token", &c.token},
                         std::pair{"key", &c.key_label}}) {
    if (v->empty()) return make_error(errc::bad_value, std::string(origin) + ": no " + name + "=");
  }
  return c;
}

std::string describe(const pkcs11_config& c) {
  return "PKCS#11 token '" + c.token + "' key '" + c.key_label + "'";
}

}  // namespace otaflow::storage
