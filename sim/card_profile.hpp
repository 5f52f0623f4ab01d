#pragma once
// Card profiles of the virtual UICC fleet (DESIGN.md "Card profiles"): which TARs a card
// serves (TS 101 220 Annex D ranges vs vendor practice, docs/standards/ts102226-remote-apdu.md
// §7), what each application may reach and with which rights, its keysets and its minimum
// security level (TS 102 226 §8.2.1.3.2.4.2), plus the few card behaviours the
// docs/standards/ pages leave open.
// docs/virtual-sim.md documents every field and the TOML form.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "codec/ts102225_spi.hpp"
#include "secure/scp80.hpp"
#include "sim/card_isd.hpp"
#include "sim/card_key_profile.hpp"

namespace otaflow::sim {

/// What a TAR addresses on the card.
enum class app_kind : std::uint8_t {
  rfm_uicc,  ///< RFM of the UICC shared file system: a session starts with the MF selected
  rfm_usim,  ///< RFM of the USIM ADF: a session starts with ADF.USIM selected
  ram,       ///< remote applet management: the commands go to the Issuer Security Domain
};

/// Access rights of a session on the file system (simplified TS 102 221 §9 levels).
enum class access_level : std::uint8_t {
  always,  ///< only ALW files
  pin1,    ///< PIN1 verified (a handset after PIN entry)
  adm,     ///< ADM (operator; OTA RFM with ADM-level keys)
};

/// Minimum security level of an application (TS 102 226 §8.2.1.3.2.4.2), coded like SPI
/// octet 1 (TS 102 225 §5.1.1) and compared field by field: a command's integrity must be at
/// least `integrity` (none < RC < CC < DS), its counter mode at least `counter` (none <
/// no_check < higher < one_higher) and it must be ciphered when `ciphered` is set.
struct min_security_level {
  codec::counter_mode counter = codec::counter_mode::none;
  bool ciphered = false;
  codec::integrity integrity = codec::integrity::none;

  /// The level from an SPI octet 1 value (reserved bits b8-b6 must be 0).
  [[nodiscard]] static result<min_security_level> from_spi1(std::uint8_t spi1);
  /// The SPI octet 1 value of the level.
  [[nodiscard]] std::uint8_t spi1() const noexcept;
  friend bool operator==(const min_security_level&, const min_security_level&) = default;
};

/// Whether a command's SPI meets a minimum security level.
[[nodiscard]] bool meets(const codec::spi& s, const min_security_level& msl) noexcept;

/// One application of the card, reachable on a range of TARs.
struct tar_application {
  std::string name;
  std::uint32_t tar_first = 0;  ///< first TAR served (24 bits)
  std::uint32_t tar_last = 0;   ///< last TAR served, inclusive
  app_kind kind = app_kind::rfm_uicc;
  access_level rights = access_level::adm;  ///< TS 102 226 §8.2.1.3.2.x access domain
  std::vector<std::uint8_t> keysets;        ///< allowed key versions 1..15; empty = any
  min_security_level msl;                   ///< minimum security level

  /// Whether this application accepts keys of key version v.
  [[nodiscard]] bool allows_keyset(std::uint8_t v) const noexcept;
};

/// A card profile: applications plus behaviours where the specs leave a choice.
struct card_profile {
  std::string name = "default";
  std::vector<tar_application> applications;
  /// Octets before RPL in the PoR RC/CC input (docs/standards/ts102225-secured-packets.md §9,
  /// CONFLICT).
  secure::por_cc_input por_cc_input = secure::por_cc_input::with_udh;
  /// CC length of a PoR when the command carried none (otherwise the command's length).
  std::size_t por_cc_length = 8;
  /// Largest TP-UD of a PoR in the DELIVER-REPORT; a longer PoR goes by SMS-SUBMIT and the
  /// report carries a PoR with status 0B (TS 31.115). Default 140 (TS 23.040 §9.2.3.24).
  std::size_t max_report_ud = 140;
  /// Answer an ENVELOPE with 9FXX (TS 51.011 SIM) instead of 61XX (TS 102 221 UICC).
  bool sim_response_sw = false;
  /// Fault injection: when not 0, every SMS-PP ENVELOPE is answered with this SW unprocessed
  /// (9300 toolkit busy, 6F00 download error, 62XX/63XX warnings); default 0.
  std::uint16_t envelope_status = 0;
  /// PIN1 value (ASCII digits, 4..8) and whether the handset must verify it first.
  std::string pin1 = "0000";
  bool pin1_enabled = false;
  /// ADM1 value (ASCII, 8 characters; TS 102 221 key reference 0A).
  std::string adm1 = "88888888";
  /// AID of the Issuer Security Domain (GP §H.1: the default ISD AID A000000151000000).
  bytes isd_aid = hex("a000000151000000");
  /// What the ISD accepts (largest load file, GET STATUS response size).
  isd_limits isd;
  /// How the card takes a new Ki/OPc (sim/card_key_profile.hpp, docs/key-profiles.md).
  card_key_profile key_profile = card_key_profile::otaflow_virtual;

  /// The application serving a TAR, or nullptr (PoR status 09).
  [[nodiscard]] const tar_application* find(std::uint32_t tar) const noexcept;
};

/// The default profile (DESIGN.md): RFM on B00010 (UICC file system from the MF), B00011
/// and B00001 (USIM ADF), RAM of the ISD on 000000, ADM rights, any keyset, minimum
/// security level CC (0x02).
[[nodiscard]] card_profile default_card_profile();

/// Parses a profile from TOML text (the [card_profile] table or the root; see
/// docs/virtual-sim.md); errors name the key and the value.
[[nodiscard]] result<card_profile> parse_card_profile(std::string_view toml_text);
/// Reads and parses a TOML profile file.
[[nodiscard]] result<card_profile> load_card_profile(const std::filesystem::path& file);

/// snake_case names of the enums ("rfm_uicc", "adm", ...).
[[nodiscard]] const char* name(app_kind k) noexcept;
[[nodiscard]] const char* name(access_level a) noexcept;

}  // namespace otaflow::sim
