#pragma once
// GlobalPlatform Card Specification v2.3 (GPC_SPE_034) constants for card content management,
// shared by the server side (codec/gp_commands.hpp, codec/gp_put_key.hpp) and the card side.
// Section and table numbers are those of GP 2.3; docs/standards/globalplatform.md restates
// them. Constants only, no code.

#include <cstddef>
#include <cstdint>

namespace otaflow::codec::gp {

/// Class byte (GP 2.3 §11.1.4): 80 = GlobalPlatform command without secure messaging, 84 with
/// (the MAC of SCP02/SCP03). Over SCP80 (TS 102 226 §8) the commands go with CLA 80.
inline constexpr std::uint8_t cla = 0x80;
inline constexpr std::uint8_t cla_secure_messaging = 0x84;

/// Instruction bytes (GP 2.3 §11.1.2).
namespace ins {
inline constexpr std::uint8_t delete_ = 0xE4;     ///< DELETE (§11.2)
inline constexpr std::uint8_t get_data = 0xCA;    ///< GET DATA (§11.3)
inline constexpr std::uint8_t get_status = 0xF2;  ///< GET STATUS (§11.4)
inline constexpr std::uint8_t install = 0xE6;     ///< INSTALL (§11.5)
inline constexpr std::uint8_t load = 0xE8;        ///< LOAD (§11.6)
inline constexpr std::uint8_t put_key = 0xD8;     ///< PUT KEY (§11.8)
inline constexpr std::uint8_t set_status = 0xF0;  ///< SET STATUS (§11.10)
inline constexpr std::uint8_t store_data = 0xE2;  ///< STORE DATA (§11.11)
}  // namespace ins

/// INSTALL P1 (GP 2.3 §11.5.2.1): one bit per role; b8 set = more INSTALL
/// commands follow (only for a chain of [for personalization]/[for registry update]).
namespace install_p1 {
inline constexpr std::uint8_t more_commands = 0x80;
inline constexpr std::uint8_t for_registry_update = 0x40;
inline constexpr std::uint8_t for_personalization = 0x20;
inline constexpr std::uint8_t for_extradition = 0x10;
inline constexpr std::uint8_t for_make_selectable = 0x08;
inline constexpr std::uint8_t for_install = 0x04;
inline constexpr std::uint8_t for_load = 0x02;
/// [for install] and [for make selectable] in one command.
inline constexpr std::uint8_t for_install_and_make_selectable = 0x0C;
}  // namespace install_p1

/// INSTALL P2: 00 = no information; 01/03 announce a combined load, install
/// and make selectable process (beginning / end).
inline constexpr std::uint8_t install_p2_none = 0x00;

/// INSTALL [for install] install parameters (GP 2.3 §11.5.2.3.7, Table 11-49): C9 application
/// specific parameters (mandatory, may be empty), EF system specific parameters (optional), and
/// ETSI TS 102 226 §8.2.1.3.2's additions: CA (UICC toolkit application specific parameters,
/// inside EF) and the EA template (UICC system specific parameters, beside C9 and EF).
namespace install_tag {
inline constexpr std::uint8_t application_specific = 0xC9;
inline constexpr std::uint8_t system_specific = 0xEF;
inline constexpr std::uint8_t uicc_system_specific = 0xEA;
/// Inside EF (Tables 11-48 / 11-49): memory quotas, 2 or 4 octets each, and TS 102 226's CA.
inline constexpr std::uint8_t non_volatile_code_limit = 0xC6;
inline constexpr std::uint8_t volatile_data_limit = 0xC7;
inline constexpr std::uint8_t non_volatile_data_limit = 0xC8;
inline constexpr std::uint8_t uicc_toolkit_parameters = 0xCA;
}  // namespace install_tag

/// LOAD (GP 2.3 §11.6.2): P1 b8 = last block; P2 = block number 00..FF.
inline constexpr std::uint8_t load_p1_more_blocks = 0x00;
inline constexpr std::uint8_t load_p1_last_block = 0x80;
/// At most 256 LOAD commands: the block number is one octet (§11.6.2.2).
inline constexpr std::size_t load_max_blocks = 256;

/// DELETE (GP 2.3 §11.2.2): P1 00 = last (or only) command; P2 00 =
/// delete the object, 80 = delete the object and its related objects (a load file and the
/// applications installed from it, an SD and the applications associated with it).
inline constexpr std::uint8_t delete_p1_last = 0x00;
inline constexpr std::uint8_t delete_p2_object = 0x00;
inline constexpr std::uint8_t delete_p2_related = 0x80;

/// GET STATUS P1 (GP 2.3 §11.4.2.1): the part of the GlobalPlatform Registry.
namespace status_scope {
inline constexpr std::uint8_t isd = 0x80;                 ///< the Issuer Security Domain only
inline constexpr std::uint8_t applications = 0x40;        ///< applications, including SDs
inline constexpr std::uint8_t load_files = 0x20;          ///< Executable Load Files only
inline constexpr std::uint8_t load_files_modules = 0x10;  ///< Executable Load Files + modules
}  // namespace status_scope

/// GET STATUS P2: b1 = next occurrence (after 6310), b2 = TLV response format
/// (Table 11-36); b2 = 0 is the deprecated fixed-field format, which otaflow does not speak.
inline constexpr std::uint8_t status_p2_tlv = 0x02;
inline constexpr std::uint8_t status_p2_next = 0x01;

/// PUT KEY (GP 2.3 §11.8.2): P1 b8 = more PUT KEY commands follow, b7..b1 = key version
/// number to replace (00 = add a new key set); P2 b8 = several keys, b7..b1 = the identifier
/// of the first key.
inline constexpr std::uint8_t put_key_p1_more = 0x80;
inline constexpr std::uint8_t put_key_p2_multiple = 0x80;
inline constexpr std::uint8_t key_version_max = 0x7F;
inline constexpr std::uint8_t key_id_max = 0x7F;
/// Key check value length used by otaflow (GP 2.3 §11.8.2.3: the KCV field is LV; three
/// octets is what cards and tools use).
inline constexpr std::size_t kcv_length = 3;

/// Key type coding (GP 2.3 §11.1.8).
namespace key_type {
inline constexpr std::uint8_t des = 0x80;  ///< DES, mode implicit (2-key 3DES for SCP02/SCP80)
inline constexpr std::uint8_t tdes_cbc = 0x82;
inline constexpr std::uint8_t des_ecb = 0x83;
inline constexpr std::uint8_t des_cbc = 0x84;
inline constexpr std::uint8_t tls_psk = 0x85;
inline constexpr std::uint8_t aes = 0x88;       ///< AES (SCP03, Amendment D)
inline constexpr std::uint8_t extended = 0xFF;  ///< extended key format (not built here)
}  // namespace key_type

/// Tags of the GlobalPlatform Registry data in the TLV GET STATUS response (GP 2.3 §11.4.3.1,
/// Table 11-36) and of the command data fields.
namespace tag {
inline constexpr std::uint32_t registry_entry = 0xE3;  ///< one Registry entry (constructed)
inline constexpr std::uint32_t aid = 0x4F;             ///< AID (5..16 octets)
inline constexpr std::uint32_t life_cycle = 0x9F70;    ///< life cycle state, 1 octet
inline constexpr std::uint32_t privileges = 0xC5;      ///< privileges, 3 octets (0/1 legacy)
inline constexpr std::uint32_t implicit_selection = 0xCF;
inline constexpr std::uint32_t load_file_aid = 0xC4;  ///< the application's load file AID
inline constexpr std::uint32_t load_file_version = 0xCE;
inline constexpr std::uint32_t module_aid = 0x84;     ///< an Executable Module AID (repeats)
inline constexpr std::uint32_t associated_sd = 0xCC;  ///< the associated Security Domain AID
inline constexpr std::uint32_t tag_list = 0x5C;       ///< GET STATUS search: tags wanted
/// LOAD: the Load File Data Block (§11.6.2.3, C4 + BER length + load file), DAP block (E2
/// holding 4F SD AID and C3 signature) and ciphered Load File Data Block (D4).
inline constexpr std::uint32_t load_file_data_block = 0xC4;
inline constexpr std::uint32_t dap_block = 0xE2;
inline constexpr std::uint32_t ciphered_load_file_data_block = 0xD4;
/// INSTALL [for load] load parameters / TS 102 226 §8.2.1.3.2: system specific parameters
/// (EF) with the quotas C6/C7/C8.
inline constexpr std::uint32_t system_specific = 0xEF;
}  // namespace tag

/// Privileges (GP 2.3 §11.1.2): three octets; octet 1 alone is the GP 2.1.1 form.
namespace privilege {
// octet 1
inline constexpr std::uint8_t security_domain = 0x80;
inline constexpr std::uint8_t dap_verification = 0x40;      ///< with security_domain
inline constexpr std::uint8_t delegated_management = 0x20;  ///< with security_domain
inline constexpr std::uint8_t card_lock = 0x10;
inline constexpr std::uint8_t card_terminate = 0x08;
inline constexpr std::uint8_t card_reset = 0x04;  ///< "default selected" in GP 2.1.1
inline constexpr std::uint8_t cvm_management = 0x02;
inline constexpr std::uint8_t mandated_dap = 0x01;  ///< with security_domain + dap_verification
// octet 2
inline constexpr std::uint8_t trusted_path = 0x80;
inline constexpr std::uint8_t authorized_management = 0x40;
inline constexpr std::uint8_t token_verification = 0x20;
inline constexpr std::uint8_t global_delete = 0x10;
inline constexpr std::uint8_t global_lock = 0x08;
inline constexpr std::uint8_t global_registry = 0x04;
inline constexpr std::uint8_t final_application = 0x02;
inline constexpr std::uint8_t global_service = 0x01;
// octet 3
inline constexpr std::uint8_t receipt_generation = 0x80;
inline constexpr std::uint8_t ciphered_load_file_data_block = 0x40;
inline constexpr std::uint8_t contactless_activation = 0x20;
inline constexpr std::uint8_t contactless_self_activation = 0x10;
}  // namespace privilege

/// Life cycle states (GP 2.3 §11.1.1).
namespace life_cycle {
inline constexpr std::uint8_t load_file_loaded = 0x01;  ///< Executable Load File
inline constexpr std::uint8_t app_installed = 0x03;
inline constexpr std::uint8_t app_selectable = 0x07;
inline constexpr std::uint8_t sd_personalized = 0x0F;
inline constexpr std::uint8_t app_locked_bit = 0x80;  ///< b8 set: LOCKED (apps and SDs)
inline constexpr std::uint8_t card_op_ready = 0x01;   ///< the ISD's = the card's state
inline constexpr std::uint8_t card_initialized = 0x07;
inline constexpr std::uint8_t card_secured = 0x0F;
inline constexpr std::uint8_t card_locked = 0x7F;
inline constexpr std::uint8_t card_terminated = 0xFF;
}  // namespace life_cycle

/// Key identifiers of an SCP02 / SCP03 key set (GP 2.3 §E.1.3 / Amendment D §4.1.1).
namespace key_id {
inline constexpr std::uint8_t enc = 0x01;
inline constexpr std::uint8_t mac = 0x02;
inline constexpr std::uint8_t dek = 0x03;  ///< the key that encrypts PUT KEY key values (KIK)
}  // namespace key_id

/// Status words the card management commands return (GP 2.3 §11.1.3 and each command's
/// "Error Conditions" table).
namespace sw {
inline constexpr std::uint16_t ok = 0x9000;
inline constexpr std::uint16_t more_data = 0x6310;  ///< GET STATUS: more entries, ask "next"
inline constexpr std::uint16_t memory_failure = 0x6581;
inline constexpr std::uint16_t wrong_length = 0x6700;
inline constexpr std::uint16_t security_not_satisfied = 0x6982;
inline constexpr std::uint16_t conditions_not_satisfied = 0x6985;
inline constexpr std::uint16_t wrong_data = 0x6A80;  ///< incorrect values in command data
inline constexpr std::uint16_t function_not_supported = 0x6A81;
inline constexpr std::uint16_t application_not_found = 0x6A82;
inline constexpr std::uint16_t not_enough_memory = 0x6A84;
inline constexpr std::uint16_t wrong_p1p2 = 0x6A86;
inline constexpr std::uint16_t referenced_data_not_found = 0x6A88;
}  // namespace sw

/// AID length bounds (ISO/IEC 7816-5 §5.2, GP 2.3 §11.1.3: 5..16 octets).
inline constexpr std::size_t aid_min = 5;
inline constexpr std::size_t aid_max = 16;

}  // namespace otaflow::codec::gp
