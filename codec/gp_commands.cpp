#include "codec/gp_commands.hpp"

#include <algorithm>
#include <string>

#include "codec/tlv.hpp"

namespace otaflow::codec::gp {
namespace {

error bad(std::string message) {
  return make_error(errc::bad_value, std::move(message));
}

/// Appends L V with a one-octet length (GP's LV fields, §11.5.2.3).
status put_lv(byte_writer& w, byte_view v, std::string_view what) {
  if (v.size() > 255)
    return bad(std::string(what) + ": " + std::to_string(v.size()) +
               " octets do not fit a one-octet length (at most 255)");
  w.u8(static_cast<std::uint8_t>(v.size()));
  w.append(v);
  return {};
}

status check_privileges(byte_view p) {
  if (p.size() != 1 && p.size() != 3)
    return bad("privileges: " + std::to_string(p.size()) + " octets, GP 2.3 §11.1.2 wants 1 or 3");
  return {};
}

command_apdu gp_command(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, bytes data) {
  command_apdu c;
  c.cla = cla;
  c.ins = ins;
  c.p1 = p1;
  c.p2 = p2;
  c.data = std::move(data);
  c.le = 256;  // Le 00: every card content management command of chapter 11 has it
  return c;
}

}  // namespace

status check_aid(byte_view aid, std::string_view what) {
  if (aid.size() < aid_min || aid.size() > aid_max)
    return bad(std::string(what) + ": an AID has 5 to 16 octets, got " +
               std::to_string(aid.size()));
  return {};
}

result<command_apdu> build_install_for_load(const install_for_load& in) {
  OTAFLOW_TRY(check_aid(in.load_file_aid, "load file AID"));
  if (!in.sd_aid.empty()) OTAFLOW_TRY(check_aid(in.sd_aid, "security domain AID"));
  bytes data;
  byte_writer w(data);
  OTAFLOW_TRY(put_lv(w, in.load_file_aid, "load file AID"));
  OTAFLOW_TRY(put_lv(w, in.sd_aid, "security domain AID"));
  OTAFLOW_TRY(put_lv(w, in.hash, "load file data block hash"));
  OTAFLOW_TRY(put_lv(w, in.load_parameters, "load parameters"));
  OTAFLOW_TRY(put_lv(w, in.token, "load token"));
  return gp_command(ins::install, install_p1::for_load, install_p2_none, std::move(data));
}

bytes encode_install_parameters(const install_parameters& p) {
  bytes out;
  byte_writer w(out);
  w.u8(install_tag::application_specific);
  ber_write_length(p.application.size(), w);
  w.append(p.application);
  if (p.system_parameters) {
    w.u8(install_tag::system_specific);
    ber_write_length(p.system_parameters->size(), w);
    w.append(*p.system_parameters);
  }
  if (p.uicc_parameters) {
    w.u8(install_tag::uicc_system_specific);
    ber_write_length(p.uicc_parameters->size(), w);
    w.append(*p.uicc_parameters);
  }
  return out;
}

result<command_apdu> build_install_for_install(const install_for_install& in) {
  OTAFLOW_TRY(check_aid(in.load_file_aid, "load file AID"));
  OTAFLOW_TRY(check_aid(in.module_aid, "module AID"));
  OTAFLOW_TRY(check_aid(in.instance_aid, "instance AID"));
  OTAFLOW_TRY(check_privileges(in.privileges));
  bytes data;
  byte_writer w(data);
  OTAFLOW_TRY(put_lv(w, in.load_file_aid, "load file AID"));
  OTAFLOW_TRY(put_lv(w, in.module_aid, "module AID"));
  OTAFLOW_TRY(put_lv(w, in.instance_aid, "instance AID"));
  OTAFLOW_TRY(put_lv(w, in.privileges, "privileges"));
  OTAFLOW_TRY(put_lv(w, encode_install_parameters(in.parameters), "install parameters"));
  OTAFLOW_TRY(put_lv(w, in.token, "install token"));
  const std::uint8_t p1 =
      in.make_selectable ? install_p1::for_install_and_make_selectable : install_p1::for_install;
  return gp_command(ins::install, p1, install_p2_none, std::move(data));
}

result<command_apdu> build_install_for_make_selectable(byte_view instance_aid, byte_view privileges,
                                                       byte_view token) {
  OTAFLOW_TRY(check_aid(instance_aid, "instance AID"));
  OTAFLOW_TRY(check_privileges(privileges));
  bytes data;
  byte_writer w(data);
  w.u8(0x00);  // no load file AID
  w.u8(0x00);  // no module AID
  OTAFLOW_TRY(put_lv(w, instance_aid, "instance AID"));
  OTAFLOW_TRY(put_lv(w, privileges, "privileges"));
  w.u8(0x00);  // no install parameters
  OTAFLOW_TRY(put_lv(w, token, "make selectable token"));
  return gp_command(ins::install, install_p1::for_make_selectable, install_p2_none,
                    std::move(data));
}

result<command_apdu> build_delete(byte_view aid, bool related) {
  OTAFLOW_TRY(check_aid(aid, "AID to delete"));
  bytes data;
  byte_writer w(data);
  OTAFLOW_TRY(ber_encode(tag::aid, aid, w));
  return gp_command(ins::delete_, delete_p1_last, related ? delete_p2_related : delete_p2_object,
                    std::move(data));
}

result<command_apdu> build_get_status(std::uint8_t scope, byte_view aid_prefix, bool next) {
  if (scope != status_scope::isd && scope != status_scope::applications &&
      scope != status_scope::load_files && scope != status_scope::load_files_modules)
    return bad("GET STATUS scope " + to_hex(scope, 2) + ": GP 2.3 §11.4.2.1 allows 80, 40, 20, 10");
  if (aid_prefix.size() > aid_max)
    return bad("GET STATUS search AID: " + std::to_string(aid_prefix.size()) +
               " octets, at most 16");
  bytes data;
  byte_writer w(data);
  OTAFLOW_TRY(ber_encode(tag::aid, aid_prefix, w));
  const std::uint8_t p2 = status_p2_tlv | (next ? status_p2_next : 0);
  return gp_command(ins::get_status, scope, p2, std::move(data));
}

result<bytes> encode_load_data(byte_view load_file, byte_view dap_blocks) {
  if (load_file.empty()) return bad("load file: empty");
  if (!dap_blocks.empty()) {
    auto all = ber_decode_all_views(dap_blocks);
    if (!all) return bad("DAP blocks: not BER-TLV: " + all.error().message);
    for (const auto& b : *all)
      if (b.tag != tag::dap_block)
        return bad("DAP blocks: tag " + to_hex(b.tag, 2) + " is not E2 (GP 2.3 §11.6.2.3)");
  }
  bytes out;
  byte_writer w(out);
  w.append(dap_blocks);
  OTAFLOW_TRY(ber_encode(tag::load_file_data_block, load_file, w));
  return out;
}

result<std::vector<command_apdu>> build_load(byte_view load_data, std::size_t block_size) {
  if (block_size < 1 || block_size > 255)
    return bad("LOAD block size " + std::to_string(block_size) + ": must be 1..255");
  if (load_data.empty()) return bad("LOAD: no load data");
  const std::size_t blocks = (load_data.size() + block_size - 1) / block_size;
  if (blocks > load_max_blocks)
    return bad("LOAD: " + std::to_string(load_data.size()) + " octets in blocks of " +
               std::to_string(block_size) + " need " + std::to_string(blocks) +
               " blocks; the block number is one octet (at most 256 blocks)");
  std::vector<command_apdu> out;
  out.reserve(blocks);
  for (std::size_t i = 0; i < blocks; ++i) {
    const auto chunk =
        load_data.subspan(i * block_size, std::min(block_size, load_data.size() - i * block_size));
    const bool last = i + 1 == blocks;
    out.push_back(gp_command(ins::load, last ? load_p1_last_block : load_p1_more_blocks,
                             static_cast<std::uint8_t>(i), bytes(chunk.begin(), chunk.end())));
  }
  return out;
}

namespace {

status set_once(std::optional<bytes>& field, const ber_tlv_view& t, std::string_view where) {
  if (field) return bad(std::string(where) + ": tag " + to_hex(t.tag, 2) + " appears twice");
  field = bytes(t.value.begin(), t.value.end());
  return {};
}

result<registry_entry> parse_entry(byte_view value, const std::string& where) {
  auto inner = ber_decode_all_views(value);
  if (!inner) return bad(where + ": " + inner.error().message);
  registry_entry e;
  bool have_aid = false, have_lcs = false;
  for (const auto& t : *inner) {
    switch (t.tag) {
      case tag::aid:
        if (have_aid) return bad(where + ": tag 4f appears twice");
        if (t.value.empty() || t.value.size() > aid_max)
          return bad(where + ": AID of " + std::to_string(t.value.size()) + " octets");
        e.aid.assign(t.value.begin(), t.value.end());
        have_aid = true;
        break;
      case tag::life_cycle:
        if (have_lcs) return bad(where + ": tag 9f70 appears twice");
        if (t.value.size() != 1)
          return bad(where + ": life cycle state (9f70) of " + std::to_string(t.value.size()) +
                     " octets, want 1");
        e.life_cycle = t.value[0];
        have_lcs = true;
        break;
      case tag::privileges:
        if (t.value.size() != 0 && t.value.size() != 1 && t.value.size() != 3)
          return bad(where + ": privileges (c5) of " + std::to_string(t.value.size()) +
                     " octets, want 0, 1 or 3");
        OTAFLOW_TRY(set_once(e.privileges, t, where));
        break;
      case tag::implicit_selection:
        OTAFLOW_TRY(set_once(e.implicit_selection, t, where));
        break;
      case tag::load_file_aid:
        OTAFLOW_TRY(set_once(e.load_file_aid, t, where));
        break;
      case tag::load_file_version:
        OTAFLOW_TRY(set_once(e.load_file_version, t, where));
        break;
      case tag::associated_sd:
        OTAFLOW_TRY(set_once(e.associated_sd, t, where));
        break;
      case tag::module_aid:
        e.module_aids.emplace_back(t.value.begin(), t.value.end());
        break;
      default:
        break;  // tags of later GP versions (e.g. 9F08 version) are not an error
    }
  }
  if (!have_aid) return bad(where + ": no AID (4f)");
  if (!have_lcs) return bad(where + ": no life cycle state (9f70)");
  return e;
}

}  // namespace

result<std::vector<registry_entry>> parse_get_status(byte_view data) {
  auto top = ber_decode_all_views(data);
  if (!top) return bad("GET STATUS response: " + top.error().message);
  std::vector<registry_entry> out;
  out.reserve(top->size());
  for (std::size_t i = 0; i < top->size(); ++i) {
    const auto& t = (*top)[i];
    const std::string where = "GET STATUS response entry " + std::to_string(i + 1);
    if (t.tag != tag::registry_entry)
      return bad(where + ": tag " + to_hex(t.tag, 2) + ", want e3 (GP 2.3 Table 11-36)");
    auto e = parse_entry(t.value, where);
    if (!e) return std::move(e).error();
    out.push_back(std::move(*e));
  }
  return out;
}

std::string_view sw_name(std::uint16_t v) noexcept {
  switch (v) {
    case sw::ok:
      return "ok";
    case sw::more_data:
      return "more data available";
    case sw::memory_failure:
      return "memory failure";
    case sw::wrong_length:
      return "wrong length";
    case sw::security_not_satisfied:
      return "security status not satisfied";
    case sw::conditions_not_satisfied:
      return "conditions of use not satisfied";
    case sw::wrong_data:
      return "incorrect values in command data";
    case sw::function_not_supported:
      return "function not supported";
    case sw::application_not_found:
      return "application not found";
    case sw::not_enough_memory:
      return "not enough memory space";
    case sw::wrong_p1p2:
      return "incorrect P1 P2";
    case sw::referenced_data_not_found:
      return "referenced data not found";
    default:
      return "";
  }
}

}  // namespace otaflow::codec::gp
