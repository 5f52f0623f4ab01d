#include "sim/ota_rfm.hpp"

#include <optional>

#include "codec/iso7816_sw.hpp"
#include "codec/ts102226_script.hpp"
#include "sim/card_isd.hpp"
#include "sim/card_isd_put_key.hpp"
#include "sim/uicc_apdu.hpp"

namespace otaflow::sim {

namespace ts = codec::ts31102;
using codec::command_apdu;
using codec::response_apdu;

namespace {

bytes run_compact(const apdu_handler& ex, byte_view script) {
  codec::compact_response out{0, codec::sw::ok, {}};
  std::size_t pos = 0;
  while (pos < script.size()) {
    const byte_view rest = script.subspan(pos);
    std::size_t len = 0;
    std::optional<command_apdu> cmd;
    if (rest.size() >= 5) {
      const auto kind = codec::default_p3_kind(rest[0], rest[1], rest[2]);
      len = 5 + (kind == codec::p3_kind::lc ? rest[4] : 0);
      if (len <= rest.size()) {
        auto one = codec::decode_compact_script(rest.first(len));
        if (one && one->size() == 1) cmd = std::move(one->front());
      }
    }
    ++out.executed;
    if (!cmd) {
      out.last_sw = codec::sw::wrong_length;
      out.last_data.clear();
      break;
    }
    auto r = ex(*cmd);
    out.last_sw = r.sw;
    out.last_data = std::move(r.data);
    pos += len;
    if (codec::sw_error(out.last_sw)) break;
  }
  return codec::encode_compact_response(out);
}

/// RAM: the script runs on the ISD's registry (the stored one, else the personalised one);
/// a changed registry goes back into the card state, the personalised one as nothing.
bytes run_isd_script(uicc_data& card, const card_profile& profile, byte_view script,
                     std::uint8_t keyset) {
  auto reg = card_registry(card.state().isd_state(), profile.isd_aid);
  if (!reg) {
    // An unreadable stored registry: every command fails, nothing is overwritten.
    return run_command_script(
        [](const command_apdu&) {
          return response_apdu{{}, codec::sw::technical_problem};
        },
        script);
  }
  isd_session isd(std::move(*reg), profile.isd);
  // PUT KEY works on the card's keysets (card_isd_put_key.hpp), the rest on the registry.
  std::vector<ota_keyset> keysets = card.keysets();
  bool keys_changed = false;
  bytes out = run_command_script(
      [&](const command_apdu& c) {
        if (c.ins != codec::gp::ins::put_key || (c.cla & 0xF0) != 0x80) return isd.process(c);
        auto r = isd_put_key(keysets, keyset, c);
        keys_changed = keys_changed || r.sw == codec::sw::ok;
        return r;
      },
      script);
  if (keys_changed) card.state().set_keysets(std::move(keysets));
  if (isd.registry() == isd_registry::personalised(profile.isd_aid)) {
    card.state().set_isd_state({});
  } else {
    card.state().set_isd_state(isd.registry().encode());
  }
  return out;
}

codec::bad_format bad_format_of(const error& e) {
  if (e.code == make_error_code(errc::truncated)) return codec::bad_format::length_missing;
  if (e.code == make_error_code(errc::bad_length)) return codec::bad_format::wrong_length;
  return codec::bad_format::unknown_tag;
}

bytes run_expanded(const apdu_handler& ex, byte_view script) {
  codec::expanded_response out;
  auto scan = codec::scan_expanded_command(script);
  std::uint8_t executed = 0;
  if (!scan) {
    out.form = script[0] == codec::tag226::command_script_indefinite
                   ? codec::template_length::indefinite
                   : codec::template_length::definite;
    out.items.emplace_back(codec::bad_format_response{bad_format_of(scan.error())});
  } else {
    out.form = scan->script.form;
    bool stopped = false;
    for (const auto& item : scan->script.items) {
      const auto* c = std::get_if<command_apdu>(&item);
      if (!c) continue;  // 81/82/83: accepted, no action on this card
      auto r = ex(*c);
      ++executed;
      const bool err = codec::sw_error(r.sw);
      out.items.emplace_back(std::move(r));
      if (err) {
        stopped = true;
        break;
      }
    }
    if (!stopped && scan->error) out.items.emplace_back(codec::bad_format_response{*scan->error});
  }
  if (out.form == codec::template_length::definite) out.executed = executed;
  auto enc = codec::encode_expanded_response(out);
  if (enc) return std::move(*enc);
  // Only an over-long template can fail to encode: report the count alone.
  codec::expanded_response small;
  small.form = codec::template_length::definite;
  small.executed = executed;
  auto s = codec::encode_expanded_response(small);
  return s ? std::move(*s) : bytes{};
}

}  // namespace

bool is_expanded_script(byte_view script) noexcept {
  return !script.empty() && (script[0] == codec::tag226::command_script ||
                             script[0] == codec::tag226::command_script_indefinite);
}

bytes run_command_script(const apdu_handler& handler, byte_view script) {
  return is_expanded_script(script) ? run_expanded(handler, script) : run_compact(handler, script);
}

bytes run_remote_script(uicc_data& card, const card_profile& profile, const tar_application& app,
                        byte_view script, std::uint8_t keyset) {
  if (app.kind == app_kind::ram) return run_isd_script(card, profile, script, keyset);
  uicc_session session(card, profile, app.rights,
                       app.kind == app_kind::rfm_usim ? ts::fid::adf_usim : ts::fid::mf);
  return run_command_script([&](const command_apdu& c) { return session.process(c); }, script);
}

}  // namespace otaflow::sim
