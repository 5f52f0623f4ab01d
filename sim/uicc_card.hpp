#pragma once
// The data of one virtual UICC: its identity and secrets (fixed at personalisation), and
// its mutable state (what the fleet persists): the files that differ from their
// personalised defaults (a copy-on-write overlay over codec::ts31102::default_content),
// the OTA counters per keyset, the last PoR status, a rotated Ki/OPc, the AKA SQN and the
// Issuer Security Domain's registry when it differs from the personalised one.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/ts31102_files.hpp"

namespace otaflow::sim {

using key16 = std::array<std::uint8_t, 16>;

/// What the approx_bytes() functions add per heap block (glibc malloc: header + rounding).
inline constexpr std::size_t malloc_overhead = 16;

/// One OTA keyset of a card: key version (1..15, the KIc/KID high nibble) and its keys
/// (16, 24 or 32 octets: 3DES-2key/AES-128, 3DES-3key/AES-192, AES-256).
struct ota_keyset {
  std::uint8_t version = 1;
  bytes kic;  ///< ciphering key
  bytes kid;  ///< checksum key
  bytes kik;  ///< key encryption key (wraps the Ki/OPc rotation file)

  ota_keyset() = default;
  ota_keyset(std::uint8_t v, bytes c, bytes d, bytes k)
      : version(v), kic(std::move(c)), kid(std::move(d)), kik(std::move(k)) {}
  ota_keyset(const ota_keyset&) = default;
  ota_keyset(ota_keyset&&) noexcept = default;
  ota_keyset& operator=(const ota_keyset&) = default;
  ota_keyset& operator=(ota_keyset&&) noexcept = default;
  ~ota_keyset();
};

/// Identity and personalised secrets of a card (a row of the fleet CSV).
struct card_identity {
  std::string iccid;   ///< 18..20 digits with the Luhn check digit
  std::string imsi;    ///< 6..15 digits
  std::string msisdn;  ///< international digits, no '+'
  unsigned mnc_length = 2;
  key16 ki{};   ///< Milenage K as personalised
  key16 opc{};  ///< Milenage OPc as personalised
  std::vector<ota_keyset> keysets;
  /// Personalised EF.SUCI_Calc_Info (the file's full size), shared by the cards of a fleet
  /// (sim/home_network.hpp); nullptr: the null scheme only (default_5gs_content).
  std::shared_ptr<const bytes> suci_calc_info;

  card_identity() = default;
  card_identity(const card_identity&) = default;
  card_identity(card_identity&&) noexcept = default;
  card_identity& operator=(const card_identity&) = default;
  card_identity& operator=(card_identity&&) noexcept = default;
  ~card_identity();

  /// The keyset of key version v, or nullptr.
  [[nodiscard]] const ota_keyset* keyset(std::uint8_t v) const noexcept;
};

/// Key of a file in the overlay: (DF FID << 16) | EF FID.
[[nodiscard]] constexpr std::uint32_t file_key(std::uint16_t df, std::uint16_t ef) noexcept {
  return (std::uint32_t{df} << 16) | ef;
}

/// The mutable state of a card. Every mutator marks it dirty; the fleet persists dirty
/// states and clears the mark.
class card_state {
 public:
  /// A changed file: its key and full content.
  using file_entry = std::pair<std::uint32_t, bytes>;

  /// The changed content of a file, or nullptr when it still holds its default.
  [[nodiscard]] const bytes* file(std::uint32_t key) const noexcept;
  /// Records a file's new content (the caller drops entries equal to the default).
  void set_file(std::uint32_t key, bytes content);
  /// Forgets a changed file (it holds its default again).
  void erase_file(std::uint32_t key);
  /// The changed files, sorted by key.
  [[nodiscard]] const std::vector<file_entry>& files() const noexcept { return files_; }

  /// The counter stored for a keyset (0 when none was received yet).
  [[nodiscard]] std::uint64_t counter(std::uint8_t keyset) const noexcept;
  /// Stores the counter of a keyset.
  void set_counter(std::uint8_t keyset, std::uint64_t value);
  /// Counters per keyset, sorted by keyset.
  [[nodiscard]] const std::vector<std::pair<std::uint8_t, std::uint64_t>>& counters()
      const noexcept {
    return counters_;
  }

  /// Status of the last PoR the card produced (TS 102 225 §5.2), if any.
  [[nodiscard]] std::optional<std::uint8_t> last_por_status() const noexcept { return por_; }
  void set_last_por_status(std::uint8_t s);

  /// Ki/OPc installed by the key rotation file, if any.
  [[nodiscard]] const std::optional<std::pair<key16, key16>>& rotated_keys() const noexcept {
    return rotated_;
  }
  /// Installs a rotated Ki/OPc and the sequence number of the file that carried it.
  void set_rotated_keys(const key16& ki, const key16& opc, std::uint32_t sequence);
  /// Sequence number of the last applied key rotation file (0 = none).
  [[nodiscard]] std::uint32_t key_file_sequence() const noexcept { return key_seq_; }

  /// Highest SQN accepted by AUTHENTICATE (TS 33.102 Annex C, simplified).
  [[nodiscard]] std::uint64_t sqn_ms() const noexcept { return sqn_ms_; }
  void set_sqn_ms(std::uint64_t sqn);

  /// The ISD registry (isd_registry::encode(), sim/card_isd.hpp) when it differs from the
  /// personalised one, with a LOAD in progress; empty: the personalised registry.
  [[nodiscard]] byte_view isd_state() const noexcept { return isd_; }
  /// Stores the ISD registry's encoding (empty: back to the personalised one).
  void set_isd_state(bytes encoded);

  /// The card's OTA keysets when a PUT KEY changed them (sim/card_isd_put_key.cpp), sorted by
  /// version; nullopt: the personalised ones (card_identity::keysets).
  [[nodiscard]] const std::optional<std::vector<ota_keyset>>& keysets() const noexcept {
    return keysets_;
  }
  /// Stores the card's keysets (all of them, replacing the personalised set).
  void set_keysets(std::vector<ota_keyset> keysets);

  /// Whether something changed since the last clear_dirty().
  [[nodiscard]] bool dirty() const noexcept { return dirty_; }
  void clear_dirty() noexcept { dirty_ = false; }
  /// Marks the state changed again, e.g. after a write of it failed.
  void mark_dirty() noexcept { dirty_ = true; }
  /// Whether the state equals a freshly personalised card's.
  [[nodiscard]] bool pristine() const noexcept;

  /// Approximate heap and object bytes the state holds.
  [[nodiscard]] std::size_t approx_bytes() const noexcept;

  /// Serialises the state (versioned binary, see uicc_card.cpp).
  [[nodiscard]] bytes encode() const;
  /// Parses a serialised state; errors name the field that is truncated or wrong.
  [[nodiscard]] static result<card_state> decode(byte_view in);

 private:
  std::vector<file_entry> files_;
  std::vector<std::pair<std::uint8_t, std::uint64_t>> counters_;
  std::optional<std::pair<key16, key16>> rotated_;
  std::uint64_t sqn_ms_ = 0;
  std::uint32_t key_seq_ = 0;
  std::optional<std::uint8_t> por_;
  bool dirty_ = false;
  bytes isd_;
  std::optional<std::vector<ota_keyset>> keysets_;
};

/// A card's data: identity plus state, and the file contents they define.
class uicc_data {
 public:
  uicc_data(card_identity id, card_state st);

  [[nodiscard]] const card_identity& identity() const noexcept { return id_; }
  [[nodiscard]] card_state& state() noexcept { return st_; }
  [[nodiscard]] const card_state& state() const noexcept { return st_; }

  /// Current content of an EF of a DF: the changed content, else the personalised default.
  [[nodiscard]] bytes content(std::uint16_t df, const codec::ts31102::ef_spec& ef) const;
  /// The personalised default of an EF (DF.5GS EFs: TS 31.102 Annex E contents, and the
  /// identity's EF.SUCI_Calc_Info).
  [[nodiscard]] bytes default_content(const codec::ts31102::ef_spec& ef) const;
  /// Stores a new content of an EF (size must equal ef.size); an entry equal to the default
  /// is dropped, so only changed files take memory.
  void store(std::uint16_t df, const codec::ts31102::ef_spec& ef, bytes content);

  /// The keyset of key version v in force (a PUT KEY's, else the personalised one), or nullptr.
  [[nodiscard]] const ota_keyset* keyset(std::uint8_t v) const noexcept;
  /// Every keyset in force.
  [[nodiscard]] const std::vector<ota_keyset>& keysets() const noexcept {
    return st_.keysets() ? *st_.keysets() : id_.keysets;
  }

  /// Ki and OPc in force (the rotated ones when a rotation was applied).
  [[nodiscard]] const key16& ki() const noexcept;
  [[nodiscard]] const key16& opc() const noexcept;

  /// Approximate bytes of memory the card data holds.
  [[nodiscard]] std::size_t approx_bytes() const noexcept;

 private:
  card_identity id_;
  card_state st_;
};

/// The path of a file for display: "3F00/2FE2", "3F00/7FFF/6F07".
[[nodiscard]] std::string file_path_text(std::uint32_t key);
/// The name of the EF of a key ("EF.IMSI"), or "?" when the tables do not list it.
[[nodiscard]] const char* file_name(std::uint32_t key) noexcept;

}  // namespace otaflow::sim
