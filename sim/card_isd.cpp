#include "sim/card_isd.hpp"

#include <algorithm>

namespace otaflow::sim {

namespace {

bool same(const aid_bytes& a, byte_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

void put_aid(byte_writer& w, const aid_bytes& aid) {
  w.u8(static_cast<std::uint8_t>(aid.size()));
  w.append(aid);
}

bool get_aid(byte_reader& r, aid_bytes& out) {
  std::uint8_t n = 0;
  byte_view v;
  if (!r.u8(n) || n > 16 || !r.take(n, v)) return false;
  out.assign(v.begin(), v.end());
  return true;
}

bool get_privileges(byte_reader& r, std::array<std::uint8_t, 3>& out) {
  byte_view v;
  if (!r.take(3, v)) return false;
  std::copy(v.begin(), v.end(), out.begin());
  return true;
}

error cut(const char* field) {
  return make_error(errc::truncated, std::string("ISD registry: truncated or bad at ") + field);
}

}  // namespace

isd_registry isd_registry::personalised(const aid_bytes& isd_aid) {
  // EXAMPLES, not the content of any real card: a card issuer's UICC typically holds the
  // GP Supplementary Security Domain package (A0000001515350, module A000000151535041, RID
  // of GlobalPlatform), a SIM toolkit menu package with one instance, and a library package
  // without modules. The A000000087 RID is 3GPP's; the 1005xx PIXes are made up here.
  isd_registry r;
  r.isd_aid = isd_aid;
  r.elfs = {
      {hex("a0000001515350"), gp::elf_loaded, {hex("a000000151535041")}},
      {hex("a0000000871005ff01"), gp::elf_loaded, {hex("a0000000871005ff0101")}},
      {hex("a0000000871005ff02"), gp::elf_loaded, {}},
  };
  // The toolkit applet: selectable, no privileges, install parameters C9 00 (no applet
  // specific parameters).
  r.apps = {
      {hex("a0000000871005ff010101"),
       hex("a0000000871005ff01"),
       hex("a0000000871005ff0101"),
       gp::app_selectable,
       {0x00, 0x00, 0x00},
       hex("c900")},
  };
  return r;
}

const isd_elf* isd_registry::find_elf(byte_view aid) const noexcept {
  for (const auto& e : elfs)
    if (same(e.aid, aid)) return &e;
  return nullptr;
}

const isd_app* isd_registry::find_app(byte_view aid) const noexcept {
  for (const auto& a : apps)
    if (same(a.aid, aid)) return &a;
  return nullptr;
}

bool isd_registry::aid_in_use(byte_view aid) const noexcept {
  return same(isd_aid, aid) || find_elf(aid) || find_app(aid);
}

// Stored form, version 1 (big-endian; AIDs as u8 length | octets):
//   u8 version (01) | AID isd | u8 card life cycle | 3 ISD privileges
//   u8 n ELFs { AID | u8 life cycle | u8 n modules { AID } }
//   u8 n apps { AID | AID ELF | AID module | u8 life cycle | 3 privileges | u16 n | params }
//   u8 load present (0/1) [ AID | u8 n | hash | u16 next block | u32 expected | u32 n | data ]
bytes isd_registry::encode() const {
  byte_writer w;
  w.u8(1);
  put_aid(w, isd_aid);
  w.u8(card_life_cycle);
  w.append(isd_privileges);
  w.u8(static_cast<std::uint8_t>(elfs.size()));
  for (const auto& e : elfs) {
    put_aid(w, e.aid);
    w.u8(e.life_cycle);
    w.u8(static_cast<std::uint8_t>(e.modules.size()));
    for (const auto& m : e.modules) put_aid(w, m);
  }
  w.u8(static_cast<std::uint8_t>(apps.size()));
  for (const auto& a : apps) {
    put_aid(w, a.aid);
    put_aid(w, a.elf);
    put_aid(w, a.module);
    w.u8(a.life_cycle);
    w.append(a.privileges);
    w.u16(static_cast<std::uint16_t>(a.install_params.size()));
    w.append(a.install_params);
  }
  w.u8(load ? 1 : 0);
  if (load) {
    put_aid(w, load->elf);
    w.u8(static_cast<std::uint8_t>(load->hash.size()));
    w.append(load->hash);
    w.u16(load->next_block);
    w.u32(load->expected);
    w.u32(static_cast<std::uint32_t>(load->data.size()));
    w.append(load->data);
  }
  return w.take();
}

result<isd_registry> isd_registry::decode(byte_view in) {
  byte_reader r(in);
  std::uint8_t version = 0, n = 0;
  if (!r.u8(version)) return cut("version");
  if (version != 1)
    return make_error(errc::unsupported,
                      "ISD registry: version " + std::to_string(version) + " (expected 1)");
  isd_registry reg;
  if (!get_aid(r, reg.isd_aid)) return cut("ISD AID");
  if (!r.u8(reg.card_life_cycle) || !get_privileges(r, reg.isd_privileges))
    return cut("card life cycle");
  if (!r.u8(n)) return cut("ELF count");
  for (unsigned i = 0; i < n; ++i) {
    isd_elf e;
    std::uint8_t nm = 0;
    if (!get_aid(r, e.aid) || !r.u8(e.life_cycle) || !r.u8(nm)) return cut("ELF");
    e.modules.resize(nm);
    for (auto& m : e.modules)
      if (!get_aid(r, m)) return cut("module");
    reg.elfs.push_back(std::move(e));
  }
  if (!r.u8(n)) return cut("application count");
  for (unsigned i = 0; i < n; ++i) {
    isd_app a;
    std::uint16_t np = 0;
    byte_view p;
    if (!get_aid(r, a.aid) || !get_aid(r, a.elf) || !get_aid(r, a.module) || !r.u8(a.life_cycle) ||
        !get_privileges(r, a.privileges) || !r.u16(np) || !r.take(np, p))
      return cut("application");
    a.install_params.assign(p.begin(), p.end());
    reg.apps.push_back(std::move(a));
  }
  std::uint8_t has_load = 0;
  if (!r.u8(has_load) || has_load > 1) return cut("load flag");
  if (has_load) {
    isd_load l;
    std::uint8_t nh = 0;
    std::uint32_t nd = 0;
    byte_view h, d;
    if (!get_aid(r, l.elf) || !r.u8(nh) || !r.take(nh, h) || !r.u16(l.next_block) ||
        !r.u32(l.expected) || !r.u32(nd) || !r.take(nd, d))
      return cut("load session");
    l.hash.assign(h.begin(), h.end());
    l.data.assign(d.begin(), d.end());
    reg.load = std::move(l);
  }
  if (!r.empty())
    return make_error(errc::bad_length,
                      "ISD registry: " + std::to_string(r.remaining()) + " trailing octets");
  return reg;
}

std::optional<std::vector<aid_bytes>> cap_modules(byte_view data) {
  // A CAP file's components in load order (JCVM 3.0.5 §6.1): u1 tag | u2 size | info.
  // Header (§6.4): u4 magic DECAFFED | u1 minor | u1 major | u1 flags | package_info
  // (u1 minor | u1 major | u1 AID_length | AID) ... Applet (§6.5): u1 count
  // { u1 AID_length | AID | u2 install_method_offset }.
  byte_reader r(data);
  bool header = false;
  std::vector<aid_bytes> modules;
  while (!r.empty()) {
    std::uint8_t tag = 0;
    std::uint16_t size = 0;
    byte_view info;
    if (!r.u8(tag) || !r.u16(size) || !r.take(size, info)) return std::nullopt;
    byte_reader c(info);
    if (!header) {
      std::uint32_t magic = 0;
      if (tag != 1 || !c.u32(magic) || magic != 0xDECAFFED) return std::nullopt;
      header = true;
      continue;
    }
    if (tag != 3) continue;
    std::uint8_t count = 0;
    if (!c.u8(count)) return std::nullopt;
    for (unsigned i = 0; i < count; ++i) {
      aid_bytes aid;
      std::uint16_t offset = 0;
      if (!get_aid(c, aid) || aid.size() < 5 || !c.u16(offset)) return std::nullopt;
      modules.push_back(std::move(aid));
    }
  }
  if (!header) return std::nullopt;
  return modules;
}

result<isd_registry> card_registry(byte_view stored_state, const aid_bytes& isd_aid) {
  if (stored_state.empty()) return isd_registry::personalised(isd_aid);
  return isd_registry::decode(stored_state);
}

std::string app_life_cycle_name(std::uint8_t s) {
  if (s & gp::app_locked_bit) return "LOCKED";
  switch (s) {
    case gp::elf_loaded:
      return "LOADED";
    case gp::app_installed:
      return "INSTALLED";
    case gp::app_selectable:
      return "SELECTABLE";
    case 0x0F:
      return "PERSONALIZED";  // security domains (GP Table 11-5)
    default:
      return "APPLICATION_SPECIFIC_" + to_hex(s, 2, hex_case::upper);
  }
}

std::string card_life_cycle_name(std::uint8_t s) {
  switch (s) {
    case gp::card_op_ready:
      return "OP_READY";
    case gp::card_initialized:
      return "INITIALIZED";
    case gp::card_secured:
      return "SECURED";
    case gp::card_locked:
      return "CARD_LOCKED";
    case 0xFF:
      return "TERMINATED";
    default:
      return "?" + to_hex(s, 2, hex_case::upper);
  }
}

}  // namespace otaflow::sim
