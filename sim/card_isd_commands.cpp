// The ISD's card content management commands (GlobalPlatform Card Specification v2.3.1 §11).
// Status words follow GP's error tables: INSTALL (§11.5.3.2) 6581/6A80/6A84/6A88, LOAD
// (§11.6.3.2) 6581/6A84/6A86/6985, DELETE (§11.2.3.2) 6200/6581/6985/6A88/6A82/6A80,
// GET STATUS (§11.4.3.2) 6310/6A88/6A80, SET STATUS (§11.10.3.2) 6A80/6A88/6985, plus the general
// ones (§11.1.3): 6700 wrong length, 6A86 wrong P1/P2, 6D00 unknown INS, 6E00 wrong CLA. Where GP
// leaves a choice the comment at the check says which code this card gives and why.

#include <algorithm>

#include <openssl/evp.h>

#include "codec/iso7816_sw.hpp"
#include "codec/tlv.hpp"
#include "sim/card_isd.hpp"

namespace otaflow::sim {

namespace sw = codec::sw;
using codec::command_apdu;
using codec::response_apdu;

namespace {

/// The success answer of INSTALL, LOAD and DELETE: a single byte '00' (GP §11.2.3.1,
/// §11.5.3.1, §11.6.3.1; no receipts: this card has no Delegated Management).
response_apdu done() {
  return {{0x00}, sw::ok};
}
response_apdu fail(std::uint16_t s) {
  return {{}, s};
}

/// Reads the length-prefixed fields of an INSTALL data field (GP §11.5.2.3): each is
/// u1 length | value. False when a field runs past the end.
bool read_fields(byte_view data, std::span<bytes> out) {
  byte_reader r(data);
  for (auto& f : out) {
    std::uint8_t n = 0;
    byte_view v;
    if (!r.u8(n) || !r.take(n, v)) return false;
    f.assign(v.begin(), v.end());
  }
  return r.empty();
}

bool aid_length_ok(const bytes& aid) {
  return aid.size() >= 5 && aid.size() <= 16;
}

bool starts_with(const bytes& aid, const bytes& prefix) {
  return aid.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), aid.begin());
}

/// The Load File Data Block hash of GP §11.5.2.3.3 / Annex C: its algorithm by its length
/// (SHA-1 20, SHA-256 32, SHA-384 48, SHA-512 64 octets).
std::optional<bytes> digest(byte_view data, std::size_t length) {
  const EVP_MD* md = length == 20   ? EVP_sha1()
                     : length == 32 ? EVP_sha256()
                     : length == 48 ? EVP_sha384()
                     : length == 64 ? EVP_sha512()
                                    : nullptr;
  if (!md) return std::nullopt;
  bytes out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &n, md, nullptr) != 1) return std::nullopt;
  out.resize(n);
  return out;
}

void put(byte_writer& w, std::uint32_t tag, byte_view value) {
  (void)codec::ber_encode(tag, value, w);
}

/// GP §11.4.3.1 Table 11-36 entries (E3 ...) for GET STATUS P1 p1 and search prefix.
std::vector<bytes> registry_entries(const isd_registry& reg, std::uint8_t p1, const bytes& search) {
  std::vector<bytes> out;
  auto entry = [&](auto&& fill) {
    byte_writer inner;
    fill(inner);
    byte_writer w;
    put(w, gp::tag_registry_entry, inner.data());
    out.push_back(w.take());
  };
  const std::uint8_t lc_elf[] = {gp::elf_loaded};
  if (p1 == gp::status_isd) {
    if (!starts_with(reg.isd_aid, search)) return out;
    entry([&](byte_writer& w) {
      put(w, gp::tag_aid, reg.isd_aid);
      put(w, gp::tag_life_cycle, std::span(&reg.card_life_cycle, 1));
      put(w, gp::tag_privileges, reg.isd_privileges);
    });
  } else if (p1 == gp::status_apps) {
    for (const auto& a : reg.apps) {
      if (!starts_with(a.aid, search)) continue;
      entry([&](byte_writer& w) {
        put(w, gp::tag_aid, a.aid);
        put(w, gp::tag_life_cycle, std::span(&a.life_cycle, 1));
        put(w, gp::tag_privileges, a.privileges);
        put(w, gp::tag_elf_aid, a.elf);
        put(w, gp::tag_associated_sd, reg.isd_aid);
      });
    }
  } else {
    for (const auto& e : reg.elfs) {
      if (!starts_with(e.aid, search)) continue;
      entry([&](byte_writer& w) {
        put(w, gp::tag_aid, e.aid);
        put(w, gp::tag_life_cycle, lc_elf);
        if (p1 == gp::status_elfs_modules)
          for (const auto& m : e.modules) put(w, gp::tag_module_aid, m);
        put(w, gp::tag_associated_sd, reg.isd_aid);
      });
    }
  }
  return out;
}

}  // namespace

response_apdu isd_session::process(const command_apdu& c) {
  // GP §11.1.4: CLA 80-83 (no secure messaging; b1-b2 the logical channel). RAM over SCP80
  // secures the packet, not the APDU, so 84 (C-MAC) and the ISO classes are not this card's.
  if ((c.cla & 0xFC) != gp::cla_gp) return fail(sw::cla_not_supported);
  if (c.ins != gp::ins_get_status) cursor_.reset();
  switch (c.ins) {
    case gp::ins_install:
      return install(c);
    case gp::ins_load:
      return load(c);
    case gp::ins_delete:
      return remove(c);
    case gp::ins_get_status:
      return get_status(c);
    case gp::ins_set_status:
      return set_status(c);
    default:
      return fail(sw::ins_not_supported);
  }
}

response_apdu isd_session::install(const command_apdu& c) {
  // P2 (GP §11.5.2.2): 00 no information, 01 beginning / 03 end of a combined
  // [load, install and make selectable] process.
  if (c.p2 != 0x00 && c.p2 != 0x01 && c.p2 != 0x03) return fail(sw::wrong_p1p2_param);
  const std::uint8_t p1 = c.p1 & static_cast<std::uint8_t>(~gp::install_more);
  if (p1 != gp::install_for_load && p1 != gp::install_for_install &&
      p1 != (gp::install_for_install | gp::install_for_make_selectable) &&
      p1 != gp::install_for_make_selectable)
    return fail(sw::wrong_p1p2_param);  // extradition, personalization, registry update
  if (c.data.empty()) return fail(sw::wrong_length);
  if (p1 == gp::install_for_load) return install_for_load(c.data);
  if (p1 == gp::install_for_make_selectable) return make_selectable(c.data);
  return install_for_install(c.data, p1);
}

response_apdu isd_session::install_for_load(byte_view data) {
  // GP §11.5.2.3.1: Load File AID | Security Domain AID | Load File Data Block Hash |
  // Load Parameters | Load Token, each u1 length | value.
  std::array<bytes, 5> f;
  if (!read_fields(data, f)) return fail(sw::wrong_data);
  const bytes& aid = f[0];
  if (!aid_length_ok(aid)) return fail(sw::wrong_data);
  // The only security domain of this card is the ISD; another SD AID is not found.
  if (!f[1].empty() && f[1] != reg_.isd_aid) return fail(sw::data_not_found);
  if (!f[2].empty() && !digest({}, f[2].size())) return fail(sw::wrong_data);
  // GP §9.3.5: the Load File AID must not already be in the registry; GP's INSTALL error
  // table has no "already exists" code, so this card answers 6A80 (incorrect values in the
  // data field), as JCOP-like cards do.
  if (reg_.aid_in_use(aid)) return fail(sw::wrong_data);
  // A new INSTALL [for load] ends an unfinished load (its blocks are dropped).
  reg_.load = isd_load{aid, f[2], 0, 0, {}};
  return done();
}

response_apdu isd_session::install_for_install(byte_view data, std::uint8_t p1) {
  // GP §11.5.2.3.2: ELF AID | Executable Module AID | Application AID | Privileges |
  // Install Parameters | Install Token.
  std::array<bytes, 6> f;
  if (!read_fields(data, f)) return fail(sw::wrong_data);
  const bytes &elf_aid = f[0], &module = f[1], &aid = f[2], &priv = f[3], &params = f[4];
  if (!aid_length_ok(elf_aid) || !aid_length_ok(module) || !aid_length_ok(aid))
    return fail(sw::wrong_data);
  if (priv.size() != 1 && priv.size() != 3) return fail(sw::wrong_data);  // GP §11.1.2
  // Install Parameters (GP §11.5.2.3.7, Table 11-49): BER-TLVs with the mandatory C9.
  auto tlvs = codec::ber_decode_all_views(params);
  if (!tlvs || !codec::ber_find(*tlvs, 0xC9)) return fail(sw::wrong_data);
  const isd_elf* elf = reg_.find_elf(elf_aid);
  if (!elf) return fail(sw::data_not_found);
  if (std::find(elf->modules.begin(), elf->modules.end(), module) == elf->modules.end())
    return fail(sw::data_not_found);
  if (reg_.aid_in_use(aid)) return fail(sw::wrong_data);  // as for a load file, above
  if (reg_.apps.size() >= 255) return fail(sw::not_enough_memory);
  isd_app a;
  a.aid = aid;
  a.elf = elf_aid;
  a.module = module;
  a.life_cycle = (p1 & gp::install_for_make_selectable) ? gp::app_selectable : gp::app_installed;
  std::copy(priv.begin(), priv.end(), a.privileges.begin());
  a.install_params = params;
  reg_.apps.push_back(std::move(a));
  return done();
}

response_apdu isd_session::make_selectable(byte_view data) {
  // GP §11.5.2.3.4: empty ELF and module AIDs | Application AID | Privileges | empty
  // Install Parameters | Make Selectable Token.
  std::array<bytes, 6> f;
  if (!read_fields(data, f)) return fail(sw::wrong_data);
  if (!f[0].empty() || !f[1].empty() || !aid_length_ok(f[2])) return fail(sw::wrong_data);
  for (auto& a : reg_.apps) {
    if (a.aid != f[2]) continue;
    if (a.life_cycle != gp::app_installed) return fail(sw::conditions_not_satisfied);
    a.life_cycle = gp::app_selectable;
    return done();
  }
  return fail(sw::data_not_found);
}

response_apdu isd_session::load(const command_apdu& c) {
  // GP §11.6: LOAD needs a preceding INSTALL [for load] (else 6985, conditions of use).
  if (!reg_.load) return fail(sw::conditions_not_satisfied);
  if (c.p1 != 0x00 && c.p1 != gp::load_last_block) return fail(sw::wrong_p1p2_param);
  // P2 is the block number, from 00 in sequence (GP §11.6.2.2); a wrong number is a wrong
  // P2 (6A86) and leaves the session as it was, so the right block can still follow.
  if (c.p2 != reg_.load->next_block) return fail(sw::wrong_p1p2_param);
  if (c.data.empty()) return fail(sw::wrong_length);
  isd_load& l = *reg_.load;
  byte_view block = c.data;
  if (l.next_block == 0) {
    // The Load File (GP §11.6.2.3, Table 11-58): optional DAP Blocks (E2), then C4 | BER
    // length | Load File Data Block.
    byte_reader r(block);
    for (;;) {
      auto tag = codec::ber_read_tag(r);
      if (!tag) return fail(sw::wrong_data);
      if (*tag == gp::tag_load_file_data_block) break;
      auto len = codec::ber_read_length(r);
      byte_view skip;
      if (*tag != gp::tag_dap_block || !len || !r.take(*len, skip)) return fail(sw::wrong_data);
    }
    auto len = codec::ber_read_length(r);
    if (!len) return fail(sw::wrong_data);
    if (*len > limits_.max_load_file) {
      reg_.load.reset();  // GP: not enough memory space; the load is abandoned
      return fail(sw::not_enough_memory);
    }
    l.expected = static_cast<std::uint32_t>(*len);
    block = block.subspan(r.position());
  }
  if (l.data.size() + block.size() > l.expected) {
    reg_.load.reset();  // more data than C4 announced: the load file is malformed
    return fail(sw::wrong_data);
  }
  l.data.insert(l.data.end(), block.begin(), block.end());
  ++l.next_block;
  if (c.p1 & gp::load_last_block) return finish_load();
  if (l.next_block > 0xFF) {  // P2 cannot number a 257th block
    reg_.load.reset();
    return fail(sw::wrong_p1p2_param);
  }
  return done();
}

response_apdu isd_session::finish_load() {
  isd_load l = std::move(*reg_.load);
  reg_.load.reset();
  // A last block short of the C4 length, or a hash (INSTALL [for load]) that differs from
  // the Load File Data Block's: GP names no code of its own; 6A80 (incorrect data).
  if (l.data.size() != l.expected) return fail(sw::wrong_data);
  if (!l.hash.empty() && digest(l.data, l.hash.size()) != l.hash) return fail(sw::wrong_data);
  if (reg_.elfs.size() >= 255) return fail(sw::not_enough_memory);
  // A CAP file gives its applets' AIDs as the ELF's modules; other data (not a Java Card
  // load file) is registered as a package without modules, which nothing can instantiate.
  reg_.elfs.push_back(
      {std::move(l.elf), gp::elf_loaded, cap_modules(l.data).value_or(std::vector<aid_bytes>{})});
  return done();
}

response_apdu isd_session::remove(const command_apdu& c) {
  // GP §11.2.2: P1 b8 = more DELETE commands follow; P2 00 object, 80 object and related.
  if ((c.p1 & 0x7F) != 0) return fail(sw::wrong_p1p2_param);
  if (c.p2 != gp::delete_object && c.p2 != gp::delete_related) return fail(sw::wrong_p1p2_param);
  if (c.data.empty()) return fail(sw::wrong_length);
  auto tlvs = codec::ber_decode_all_views(c.data);
  if (!tlvs || tlvs->empty() || (*tlvs)[0].tag != gp::tag_aid) return fail(sw::wrong_data);
  const bytes aid((*tlvs)[0].value.begin(), (*tlvs)[0].value.end());
  if (!aid_length_ok(aid)) return fail(sw::wrong_data);
  // The ISD cannot be deleted (GP §9.5.1: "the Issuer Security Domain shall not be
  // deleted"): 6985, referenced data cannot be deleted.
  if (aid == reg_.isd_aid) return fail(sw::conditions_not_satisfied);
  auto app = std::find_if(reg_.apps.begin(), reg_.apps.end(),
                          [&](const isd_app& a) { return a.aid == aid; });
  if (app != reg_.apps.end()) {
    reg_.apps.erase(app);
    return done();
  }
  auto elf = std::find_if(reg_.elfs.begin(), reg_.elfs.end(),
                          [&](const isd_elf& e) { return e.aid == aid; });
  if (elf == reg_.elfs.end()) return fail(sw::data_not_found);
  const auto uses = [&](const isd_app& a) { return a.elf == aid; };
  // GP §11.2.2.2: an ELF with instances goes only with P2 80 (its instances with it).
  if (c.p2 != gp::delete_related && std::any_of(reg_.apps.begin(), reg_.apps.end(), uses))
    return fail(sw::conditions_not_satisfied);
  std::erase_if(reg_.apps, uses);
  reg_.elfs.erase(elf);
  return done();
}

response_apdu isd_session::get_status(const command_apdu& c) {
  const std::uint8_t p1 = c.p1;
  if (p1 != gp::status_isd && p1 != gp::status_apps && p1 != gp::status_elfs &&
      p1 != gp::status_elfs_modules)
    return fail(sw::wrong_p1p2_param);
  // Only the TLV format (P2 b2, GP §11.4.2.2); the deprecated legacy format is not served.
  if ((c.p2 & ~3u) != 0 || !(c.p2 & gp::status_tlv)) return fail(sw::wrong_p1p2_param);
  if (c.data.empty()) return fail(sw::wrong_length);
  // Search qualifier (GP §11.4.2.3): 4F with an AID or its first octets (4F 00: all);
  // a 5C tag list is accepted and every tag is returned.
  auto tlvs = codec::ber_decode_all_views(c.data);
  if (!tlvs) return fail(sw::wrong_data);
  auto aid = codec::ber_find(*tlvs, gp::tag_aid);
  if (!aid || aid->value.size() > 16) return fail(sw::wrong_data);
  const bytes search(aid->value.begin(), aid->value.end());
  std::size_t start = 0;
  if (c.p2 & gp::status_next) {
    // "Next" continues only the GET STATUS that answered 6310, with the same P1 and search.
    if (!cursor_ || cursor_->p1 != p1 || cursor_->search != search)
      return fail(sw::conditions_not_satisfied);
    start = cursor_->next;
  }
  cursor_.reset();
  const auto entries = registry_entries(reg_, p1, search);
  if (start >= entries.size()) return fail(sw::data_not_found);
  std::size_t limit = limits_.status_response_limit;
  if (c.le && *c.le != 0 && *c.le < limit) limit = *c.le;
  bytes out;
  std::size_t i = start;
  // Whole entries only; the first always goes, however long.
  while (i < entries.size() && (i == start || out.size() + entries[i].size() <= limit)) {
    out.insert(out.end(), entries[i].begin(), entries[i].end());
    ++i;
  }
  if (i < entries.size()) {
    cursor_ = cursor{p1, search, i};
    return {std::move(out), 0x6310};  // GP §11.4.3.2: more data available
  }
  return {std::move(out), sw::ok};
}

response_apdu isd_session::set_status(const command_apdu& c) {
  // GP §11.10: only P1 40 (an application) here: P2 with b8 set locks it (LOCKED = its state
  // with b8 set), P2 with b8 clear unlocks it back to its state before the lock (GPPro's
  // lock / unlock: P2 80 / 00). The ISD's own life cycle (P1 80) is not served.
  if (c.p1 != gp::set_status_app) return fail(sw::wrong_p1p2_param);
  if (c.data.empty()) return fail(sw::wrong_length);
  const bytes aid(c.data.begin(), c.data.end());
  if (!aid_length_ok(aid)) return fail(sw::wrong_data);
  if (aid == reg_.isd_aid) return fail(sw::conditions_not_satisfied);
  for (auto& a : reg_.apps) {
    if (a.aid != aid) continue;
    const bool locked = (a.life_cycle & gp::app_locked_bit) != 0;
    const bool lock = (c.p2 & gp::app_locked_bit) != 0;
    if (locked == lock) return fail(sw::conditions_not_satisfied);  // no such transition
    a.life_cycle = static_cast<std::uint8_t>(lock ? a.life_cycle | gp::app_locked_bit
                                                  : a.life_cycle & ~gp::app_locked_bit);
    return {{}, sw::ok};
  }
  return fail(sw::data_not_found);
}

}  // namespace otaflow::sim
