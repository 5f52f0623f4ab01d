#pragma once
// The APDU processor of the virtual UICC (ETSI TS 102 221 §10-11, 3GPP TS 31.102 §7,
// 3GPP TS 51.011 §9 for CLA A0, ISO/IEC 7816-4): one session on a card's file system with
// its selection state, access rights and pending GET RESPONSE data. The handset drives a
// session through the card's interface; the OTA RFM applications run their scripts in a
// session of their own with the rights the card profile gives them.
//
// Commands: SELECT (P1 00/01/02/03 by FID, 04 by AID, 08/09 by path; P2 04 FCP, 0C none;
// CLA A0: GSM response), STATUS, READ/UPDATE BINARY (offset or SFI), READ/UPDATE RECORD
// (absolute/current 04, next 02, previous 03, SFI), GET RESPONSE (61XX / 9FXX flow),
// AUTHENTICATE (3G context: Milenage RES/CK/IK, or AUTS on a sync failure), GET IDENTITY
// (SUCI context, TS 31.102 §7.5; sim/card_suci.hpp), VERIFY (PIN1, ADM1). Everything else answers 6D00; a class the instruction does not use answers 6E00.
// The ENVELOPE, FETCH and TERMINAL RESPONSE of the toolkit are the card's (ota_card.hpp).

#include <cstdint>

#include "base/bytes.hpp"
#include "codec/iso7816_apdu.hpp"
#include "codec/ts31102_files.hpp"
#include "sim/card_profile.hpp"
#include "sim/uicc_card.hpp"

namespace otaflow::sim {

/// One logical session on a card's file system (basic channel only).
class uicc_session {
 public:
  /// A session on `card` with `rights`, starting with `start_df` selected (MF or 7FFF).
  /// profile supplies PIN1/ADM1 values; both must outlive the session.
  uicc_session(uicc_data& card, const card_profile& profile, access_level rights,
               std::uint16_t start_df = codec::ts31102::fid::mf);

  /// Processes one command APDU and returns the response APDU.
  [[nodiscard]] codec::response_apdu process(const codec::command_apdu& c);

  /// Resets the selection to the start DF and drops pending response data (a card reset or a
  /// new RFM session).
  void reset();

  /// The selected DF (MF, DF or ADF FID; ADF.USIM is 7FFF).
  [[nodiscard]] std::uint16_t current_df() const noexcept { return df_; }
  /// The selected EF, or nullptr.
  [[nodiscard]] const codec::ts31102::ef_spec* current_ef() const noexcept { return ef_; }
  /// Whether PIN1 / ADM1 rights are in force.
  [[nodiscard]] bool pin1_ok() const noexcept { return pin1_ok_; }
  [[nodiscard]] bool adm_ok() const noexcept { return adm_ok_; }

 private:
  struct target {
    std::uint16_t df = 0;
    const codec::ts31102::ef_spec* ef = nullptr;
  };

  codec::response_apdu select(const codec::command_apdu& c, bool gsm);
  codec::response_apdu status_cmd(const codec::command_apdu& c, bool gsm);
  codec::response_apdu read_binary(const codec::command_apdu& c, bool gsm);
  codec::response_apdu update_binary(const codec::command_apdu& c, bool gsm);
  codec::response_apdu read_record(const codec::command_apdu& c, bool gsm);
  codec::response_apdu update_record(const codec::command_apdu& c, bool gsm);
  codec::response_apdu get_response(const codec::command_apdu& c, bool gsm);
  codec::response_apdu authenticate(const codec::command_apdu& c);
  codec::response_apdu get_identity(const codec::command_apdu& c);
  codec::response_apdu verify(const codec::command_apdu& c, bool gsm);
  codec::response_apdu update_key_file(const bytes& image);

  /// Resolves a FID from the current DF (TS 102 221 §8.4.1 selection rules).
  [[nodiscard]] bool resolve_fid(std::uint16_t fid, target& out) const;
  /// Makes t the current file.
  void make_current(const target& t);
  /// Selects the EF of an SFI in the current DF (b8..b4 of READ/UPDATE P1/P2).
  [[nodiscard]] std::uint16_t select_sfi(std::uint8_t sfi);
  /// Whether the session's rights satisfy an access condition.
  [[nodiscard]] bool allowed(codec::ts31102::access ac) const noexcept;
  /// Response data with the T=0 rules: no Le -> kept for GET RESPONSE (61XX/9FXX).
  [[nodiscard]] codec::response_apdu answer(const codec::command_apdu& c, bytes data, bool gsm,
                                            std::uint16_t sw = 0x9000);
  [[nodiscard]] bytes fcp() const;
  [[nodiscard]] bytes gsm_response() const;

  uicc_data& card_;
  const card_profile& profile_;
  std::uint16_t start_df_;
  std::uint16_t df_;
  const codec::ts31102::ef_spec* ef_ = nullptr;
  unsigned record_ = 0;  ///< current record of a record EF, 0 = none
  bytes pending_;        ///< data waiting for GET RESPONSE
  bool pin1_ok_ = false;
  bool adm_ok_ = false;
  std::uint8_t pin1_tries_ = 3;
  std::uint8_t adm_tries_ = 3;
};

/// The FCP template (TS 102 221 §11.1.1.3) of a DF (ef == nullptr) or an EF of a card.
[[nodiscard]] bytes file_control_parameters(const uicc_data& card, std::uint16_t df,
                                            const codec::ts31102::ef_spec* ef, bool pin1_enabled);

}  // namespace otaflow::sim
