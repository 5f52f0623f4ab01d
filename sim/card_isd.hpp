#pragma once
// The virtual card's Issuer Security Domain (GlobalPlatform Card Specification v2.3.1, "GP"
// below): its registry of Executable Load Files (packages), their Executable Modules, the
// application instances and the ISD itself, and the card content management commands RAM
// (TS 102 226 §8.2) brings to it: INSTALL, LOAD, DELETE, GET STATUS and SET STATUS of an
// application (lock / unlock) (GP §11), with the status words of GP's error tables.
// docs/standards/globalplatform-isd.md restates the facts and their sources.
//
// The card does not run applets: an instance is a registry entry with its life cycle,
// privileges and install parameters, nothing executes.
//
// Persistence (card_state::isd_state()): a card whose registry equals the default one stores
// nothing; a changed registry, and a LOAD in progress (the blocks received so far), are
// stored as the versioned encoding of isd_registry::encode(), so a load interrupted between
// two SMs continues with the next block after a restart.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/gp_constants.hpp"
#include "codec/iso7816_apdu.hpp"

namespace otaflow::sim {

// The card side's names for the GlobalPlatform constants; the values are codec/gp_constants.hpp's
// (one source, shared with the command builders of `otaflow gp`).
namespace gp {
namespace c = codec::gp;
inline constexpr std::uint8_t cla_gp = c::cla;
inline constexpr std::uint8_t ins_delete = c::ins::delete_;
inline constexpr std::uint8_t ins_install = c::ins::install;
inline constexpr std::uint8_t ins_load = c::ins::load;
inline constexpr std::uint8_t ins_get_status = c::ins::get_status;
inline constexpr std::uint8_t ins_set_status = c::ins::set_status;
inline constexpr std::uint8_t install_more = c::install_p1::more_commands;
inline constexpr std::uint8_t install_for_load = c::install_p1::for_load;
inline constexpr std::uint8_t install_for_install = c::install_p1::for_install;
inline constexpr std::uint8_t install_for_make_selectable = c::install_p1::for_make_selectable;
inline constexpr std::uint8_t load_last_block = c::load_p1_last_block;
inline constexpr std::uint8_t delete_object = c::delete_p2_object;
inline constexpr std::uint8_t delete_related = c::delete_p2_related;
/// SET STATUS P1 (GP §11.10.2.1): an application or security domain.
inline constexpr std::uint8_t set_status_app = 0x40;
inline constexpr std::uint8_t status_isd = c::status_scope::isd;
inline constexpr std::uint8_t status_apps = c::status_scope::applications;
inline constexpr std::uint8_t status_elfs = c::status_scope::load_files;
inline constexpr std::uint8_t status_elfs_modules = c::status_scope::load_files_modules;
inline constexpr std::uint8_t status_next = c::status_p2_next;
inline constexpr std::uint8_t status_tlv = c::status_p2_tlv;
inline constexpr std::uint32_t tag_registry_entry = c::tag::registry_entry;
inline constexpr std::uint32_t tag_aid = c::tag::aid;
inline constexpr std::uint32_t tag_life_cycle = c::tag::life_cycle;
inline constexpr std::uint32_t tag_privileges = c::tag::privileges;
inline constexpr std::uint32_t tag_elf_aid = c::tag::load_file_aid;
inline constexpr std::uint32_t tag_module_aid = c::tag::module_aid;
inline constexpr std::uint32_t tag_associated_sd = c::tag::associated_sd;
inline constexpr std::uint32_t tag_dap_block = c::tag::dap_block;
inline constexpr std::uint32_t tag_load_file_data_block = c::tag::load_file_data_block;
inline constexpr std::uint8_t card_op_ready = c::life_cycle::card_op_ready;
inline constexpr std::uint8_t card_initialized = c::life_cycle::card_initialized;
inline constexpr std::uint8_t card_secured = c::life_cycle::card_secured;
inline constexpr std::uint8_t card_locked = c::life_cycle::card_locked;
inline constexpr std::uint8_t elf_loaded = c::life_cycle::load_file_loaded;
inline constexpr std::uint8_t app_installed = c::life_cycle::app_installed;
inline constexpr std::uint8_t app_selectable = c::life_cycle::app_selectable;
inline constexpr std::uint8_t app_locked_bit = c::life_cycle::app_locked_bit;
inline constexpr std::uint8_t priv_security_domain = c::privilege::security_domain;
}  // namespace gp

using aid_bytes = bytes;

/// An Executable Load File (a package) in the registry.
struct isd_elf {
  aid_bytes aid;
  std::uint8_t life_cycle = gp::elf_loaded;
  std::vector<aid_bytes> modules;  ///< Executable Module (applet class) AIDs
  friend bool operator==(const isd_elf&, const isd_elf&) = default;
};

/// An application instance in the registry.
struct isd_app {
  aid_bytes aid;
  aid_bytes elf;     ///< its Executable Load File
  aid_bytes module;  ///< its Executable Module
  std::uint8_t life_cycle = gp::app_selectable;
  std::array<std::uint8_t, 3> privileges{};
  bytes install_params;  ///< as INSTALL [for install] carried them (C9 ..., EA ...)
  friend bool operator==(const isd_app&, const isd_app&) = default;
};

/// A load session opened by INSTALL [for load] and fed by LOAD blocks.
struct isd_load {
  aid_bytes elf;
  bytes hash;                    ///< Load File Data Block hash, empty when none was given
  std::uint16_t next_block = 0;  ///< P2 the next LOAD must carry
  std::uint32_t expected = 0;    ///< length of the C4 value (known after the first block)
  bytes data;                    ///< C4 value received so far
  friend bool operator==(const isd_load&, const isd_load&) = default;
};

/// The ISD's registry (GP §5.1 GlobalPlatform Registry, simplified).
struct isd_registry {
  aid_bytes isd_aid;
  std::uint8_t card_life_cycle = gp::card_secured;
  std::array<std::uint8_t, 3> isd_privileges{0x9E, 0xFE, 0x80};
  std::vector<isd_elf> elfs;
  std::vector<isd_app> apps;
  std::optional<isd_load> load;

  /// The registry of a freshly personalised card with ISD `isd_aid` (examples, see .cpp).
  [[nodiscard]] static isd_registry personalised(const aid_bytes& isd_aid);
  [[nodiscard]] const isd_elf* find_elf(byte_view aid) const noexcept;
  [[nodiscard]] const isd_app* find_app(byte_view aid) const noexcept;
  /// Whether an AID is already used by the ISD, an ELF or an instance.
  [[nodiscard]] bool aid_in_use(byte_view aid) const noexcept;

  /// Versioned binary form (card_isd.cpp).
  [[nodiscard]] bytes encode() const;
  /// Parses encode()'s form; errors name the field.
  [[nodiscard]] static result<isd_registry> decode(byte_view in);
  friend bool operator==(const isd_registry&, const isd_registry&) = default;
};

/// What the card accepts of card content management.
struct isd_limits {
  /// Largest Load File Data Block (C4 value) a LOAD may announce; more -> 6A84.
  std::uint32_t max_load_file = 32768;
  /// Largest GET STATUS response data; more entries -> 6310 and GET STATUS "next".
  std::size_t status_response_limit = 256;
};

/// The modules (applet AIDs) of a Load File Data Block when it is a Java Card CAP file
/// (components Header 01 and Applet 03, JCVM 3.0.5 §6.4, §6.5); nullopt when it is not one.
[[nodiscard]] std::optional<std::vector<aid_bytes>> cap_modules(byte_view load_file_data);

/// The registry of a card: the stored one, else the personalised one.
[[nodiscard]] result<isd_registry> card_registry(byte_view stored_state, const aid_bytes& isd_aid);

/// One RAM session of the ISD: the commands of one command script. The GET STATUS cursor
/// lives as long as the session: a "next" in a later packet, or after another command,
/// answers 6985. A load session is part of the registry and spans packets.
class isd_session {
 public:
  isd_session(isd_registry reg, isd_limits limits) : reg_(std::move(reg)), limits_(limits) {}

  /// Processes one C-APDU (GP §11) and returns its response.
  [[nodiscard]] codec::response_apdu process(const codec::command_apdu& c);

  /// The registry as the commands so far left it.
  [[nodiscard]] const isd_registry& registry() const noexcept { return reg_; }

 private:
  codec::response_apdu install(const codec::command_apdu& c);
  codec::response_apdu install_for_load(byte_view data);
  codec::response_apdu install_for_install(byte_view data, std::uint8_t p1);
  codec::response_apdu make_selectable(byte_view data);
  codec::response_apdu load(const codec::command_apdu& c);
  codec::response_apdu finish_load();
  codec::response_apdu remove(const codec::command_apdu& c);
  codec::response_apdu get_status(const codec::command_apdu& c);
  codec::response_apdu set_status(const codec::command_apdu& c);

  isd_registry reg_;
  isd_limits limits_;
  /// GET STATUS paging: the P1 and search AID of the last 6310 and the next entry to send.
  struct cursor {
    std::uint8_t p1 = 0;
    bytes search;
    std::size_t next = 0;
  };
  std::optional<cursor> cursor_;
};

/// Life cycle state names for display ("SELECTABLE", "LOCKED", "SECURED", ...).
[[nodiscard]] std::string app_life_cycle_name(std::uint8_t s);
[[nodiscard]] std::string card_life_cycle_name(std::uint8_t s);

}  // namespace otaflow::sim
