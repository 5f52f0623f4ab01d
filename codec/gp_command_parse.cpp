#include "codec/gp_command_parse.hpp"

#include <string>

#include "codec/tlv.hpp"

namespace otaflow::codec::gp {
namespace {

error bad(std::string message) {
  return make_error(errc::bad_value, std::move(message));
}

/// Reads one LV field (one-octet length) of an INSTALL command.
status take_lv(byte_reader& r, bytes& out, std::string_view what) {
  std::uint8_t len = 0;
  byte_view v;
  if (!r.u8(len)) return make_error(errc::truncated, "INSTALL: no " + std::string(what));
  if (!r.take(len, v))
    return make_error(errc::truncated, "INSTALL: " + std::string(what) + " of " +
                                           std::to_string(len) + " octets, " +
                                           std::to_string(r.remaining()) + " left");
  out.assign(v.begin(), v.end());
  return {};
}

status expect_install(const command_apdu& apdu, std::initializer_list<std::uint8_t> p1s) {
  if (apdu.ins != ins::install) return bad("INSTALL: INS " + to_hex(apdu.ins, 2) + ", want e6");
  for (const auto p1 : p1s)
    if (apdu.p1 == p1) return {};
  return bad("INSTALL: P1 " + to_hex(apdu.p1, 2) + " is not the one this decoder reads");
}

status no_trailing(const byte_reader& r, std::string_view what) {
  if (!r.empty())
    return bad(std::string(what) + ": " + std::to_string(r.remaining()) +
               " octets after the last field");
  return {};
}

}  // namespace

result<install_for_load> decode_install_for_load(const command_apdu& apdu) {
  OTAFLOW_TRY(expect_install(apdu, {install_p1::for_load}));
  install_for_load out;
  byte_reader r(apdu.data);
  OTAFLOW_TRY(take_lv(r, out.load_file_aid, "load file AID"));
  OTAFLOW_TRY(take_lv(r, out.sd_aid, "security domain AID"));
  OTAFLOW_TRY(take_lv(r, out.hash, "load file data block hash"));
  OTAFLOW_TRY(take_lv(r, out.load_parameters, "load parameters"));
  OTAFLOW_TRY(take_lv(r, out.token, "load token"));
  OTAFLOW_TRY(no_trailing(r, "INSTALL [for load]"));
  OTAFLOW_TRY(check_aid(out.load_file_aid, "load file AID"));
  if (!out.sd_aid.empty()) OTAFLOW_TRY(check_aid(out.sd_aid, "security domain AID"));
  return out;
}

result<install_parameters> decode_install_parameters(byte_view field) {
  auto tlvs = ber_decode_all_views(field);
  if (!tlvs) return bad("install parameters: " + tlvs.error().message);
  install_parameters out;
  bool have_c9 = false;
  for (const auto& t : *tlvs) {
    const bytes v(t.value.begin(), t.value.end());
    if (t.tag == install_tag::application_specific && !have_c9) {
      out.application = v;
      have_c9 = true;
    } else if (t.tag == install_tag::system_specific && !out.system_parameters) {
      out.system_parameters = v;
    } else if (t.tag == install_tag::uicc_system_specific && !out.uicc_parameters) {
      out.uicc_parameters = v;
    } else {
      return bad("install parameters: tag " + to_hex(t.tag, 2) + " unexpected or repeated");
    }
  }
  if (!have_c9) return bad("install parameters: no C9 (application specific parameters)");
  return out;
}

result<install_for_install> decode_install_for_install(const command_apdu& apdu) {
  OTAFLOW_TRY(
      expect_install(apdu, {install_p1::for_install, install_p1::for_install_and_make_selectable}));
  install_for_install out;
  out.make_selectable = apdu.p1 == install_p1::for_install_and_make_selectable;
  byte_reader r(apdu.data);
  bytes params;
  OTAFLOW_TRY(take_lv(r, out.load_file_aid, "load file AID"));
  OTAFLOW_TRY(take_lv(r, out.module_aid, "module AID"));
  OTAFLOW_TRY(take_lv(r, out.instance_aid, "instance AID"));
  OTAFLOW_TRY(take_lv(r, out.privileges, "privileges"));
  OTAFLOW_TRY(take_lv(r, params, "install parameters"));
  OTAFLOW_TRY(take_lv(r, out.token, "install token"));
  OTAFLOW_TRY(no_trailing(r, "INSTALL [for install]"));
  OTAFLOW_TRY(check_aid(out.load_file_aid, "load file AID"));
  OTAFLOW_TRY(check_aid(out.module_aid, "module AID"));
  OTAFLOW_TRY(check_aid(out.instance_aid, "instance AID"));
  if (out.privileges.size() != 1 && out.privileges.size() != 3)
    return bad("INSTALL: privileges of " + std::to_string(out.privileges.size()) +
               " octets, want 1 or 3");
  auto p = decode_install_parameters(params);
  if (!p) return std::move(p).error();
  out.parameters = std::move(*p);
  return out;
}

result<delete_command> decode_delete(const command_apdu& apdu) {
  if (apdu.ins != ins::delete_) return bad("DELETE: INS " + to_hex(apdu.ins, 2) + ", want e4");
  if (apdu.p2 != delete_p2_object && apdu.p2 != delete_p2_related)
    return bad("DELETE: P2 " + to_hex(apdu.p2, 2) + ", want 00 or 80");
  auto t = ber_decode(apdu.data);
  if (!t) return bad("DELETE: " + t.error().message);
  if (t->tag != tag::aid)
    return bad("DELETE: tag " + to_hex(t->tag, 2) + " (keys by D0/D2 are not read), want 4f");
  OTAFLOW_TRY(check_aid(t->value, "DELETE AID"));
  return delete_command{std::move(t->value), apdu.p2 == delete_p2_related};
}

result<get_status_command> decode_get_status_command(const command_apdu& apdu) {
  if (apdu.ins != ins::get_status)
    return bad("GET STATUS: INS " + to_hex(apdu.ins, 2) + ", want f2");
  if ((apdu.p2 & ~status_p2_next) != status_p2_tlv)
    return bad("GET STATUS: P2 " + to_hex(apdu.p2, 2) + ", want 02 or 03 (TLV format)");
  auto probe = build_get_status(apdu.p1, {}, false);  // checks the scope
  if (!probe) return std::move(probe).error();
  auto all = ber_decode_all_views(apdu.data);
  if (!all) return bad("GET STATUS: search criteria: " + all.error().message);
  get_status_command out;
  out.scope = apdu.p1;
  out.next = (apdu.p2 & status_p2_next) != 0;
  bool have_aid = false;
  for (const auto& t : *all) {
    if (t.tag == tag::aid && !have_aid) {
      if (t.value.size() > aid_max) return bad("GET STATUS: search AID longer than 16 octets");
      out.aid_prefix.assign(t.value.begin(), t.value.end());
      have_aid = true;
    } else if (t.tag != tag::tag_list) {
      return bad("GET STATUS: search tag " + to_hex(t.tag, 2) + " unexpected or repeated");
    }
  }
  if (!have_aid) return bad("GET STATUS: no 4F search criterion");
  return out;
}

result<load_data> decode_load_data(byte_view data) {
  byte_reader r(data);
  load_data out;
  while (!r.empty()) {
    const std::size_t start = r.position();
    auto t = ber_read(r);
    if (!t) return bad("load data: " + t.error().message);
    if (t->tag == tag::dap_block) {
      const auto raw = data.subspan(start, t->encoded_size);
      out.dap_blocks.insert(out.dap_blocks.end(), raw.begin(), raw.end());
      continue;
    }
    if (t->tag != tag::load_file_data_block)
      return bad("load data: tag " + to_hex(t->tag, 2) + " (only E2 DAP blocks and C4)");
    if (!r.empty())
      return bad("load data: " + std::to_string(r.remaining()) + " octets after the C4 block");
    out.load_file.assign(t->value.begin(), t->value.end());
    return out;
  }
  return bad("load data: no C4 Load File Data Block");
}

status load_assembler::add(const command_apdu& apdu) {
  if (apdu.ins != ins::load) return bad("LOAD: INS " + to_hex(apdu.ins, 2) + ", want e8");
  if (done_) return bad("LOAD: block " + std::to_string(apdu.p2) + " after the last block");
  if (apdu.p1 != load_p1_more_blocks && apdu.p1 != load_p1_last_block)
    return bad("LOAD: P1 " + to_hex(apdu.p1, 2) + ", want 00 or 80");
  if (apdu.p2 != next_)
    return bad("LOAD: block " + std::to_string(apdu.p2) + ", want block " + std::to_string(next_));
  if (next_ == load_max_blocks - 1 && apdu.p1 != load_p1_last_block)
    return bad("LOAD: block 255 is not marked last; there is no block 256");
  data_.insert(data_.end(), apdu.data.begin(), apdu.data.end());
  ++next_;
  done_ = apdu.p1 == load_p1_last_block;
  return {};
}

result<load_data> load_assembler::finish() const {
  if (!done_)
    return make_error(errc::truncated, "LOAD: " + std::to_string(next_) +
                                           " blocks so far, the last (P1 80) has not come");
  return decode_load_data(data_);
}

}  // namespace otaflow::codec::gp
