#pragma once
// Status words (SW1 SW2) of ISO/IEC 7816-4 §5.1.3, ETSI TS 102 221 §10.2.1, 3GPP TS 51.011 §9.4
// and GlobalPlatform, as listed in docs/standards/ts31102-files.md §5. Constants only;
// descriptions and the classification are in iso7816_sw.cpp.

#include <cstdint>
#include <string_view>

namespace otaflow::codec {

namespace sw {
// Normal processing
inline constexpr std::uint16_t ok = 0x9000;
inline constexpr std::uint16_t toolkit_busy = 0x9300;  ///< SIM Application Toolkit busy
// Masks whose SW2 carries a value (compare with sw & 0xFF00)
inline constexpr std::uint16_t response_available = 0x6100;  ///< 61XX: XX octets via GET RESPONSE
inline constexpr std::uint16_t proactive_pending = 0x9100;   ///< 91XX: proactive command pending
inline constexpr std::uint16_t data_transfer_info = 0x9200;  ///< 92XX: TS 102 221 extra info
inline constexpr std::uint16_t sim_response_available = 0x9F00;  ///< 9FXX: TS 51.011 (GSM SIM)
inline constexpr std::uint16_t download_error = 0x9E00;  ///< 9EXX: TS 51.011 data download error
inline constexpr std::uint16_t wrong_le = 0x6C00;        ///< 6CXX: XX is the exact Le (ISO 7816-4)
// Warnings
inline constexpr std::uint16_t warning_no_info = 0x6200;
inline constexpr std::uint16_t data_corrupted = 0x6281;
inline constexpr std::uint16_t end_of_file = 0x6282;  ///< end of file/record before Le octets
inline constexpr std::uint16_t file_invalidated = 0x6283;
inline constexpr std::uint16_t file_termination_state = 0x6285;
inline constexpr std::uint16_t more_data = 0x62F1;  ///< TS 102 226 §5.2.1.1: data truncated
inline constexpr std::uint16_t more_data_proactive = 0x62F2;
inline constexpr std::uint16_t response_data_available = 0x62F3;
inline constexpr std::uint16_t warning_changed = 0x6300;
inline constexpr std::uint16_t more_data_expected = 0x63F1;
inline constexpr std::uint16_t more_data_expected_proactive = 0x63F2;
inline constexpr std::uint16_t retries_mask = 0x63C0;  ///< 63CX: X retries left / internal retries
// Execution errors
inline constexpr std::uint16_t exec_no_info = 0x6400;
inline constexpr std::uint16_t memory_unchanged = 0x6500;
inline constexpr std::uint16_t memory_problem = 0x6581;
// Checking errors
inline constexpr std::uint16_t wrong_length = 0x6700;
inline constexpr std::uint16_t wrong_p1p2 = 0x6B00;
inline constexpr std::uint16_t ins_not_supported = 0x6D00;
inline constexpr std::uint16_t cla_not_supported = 0x6E00;
inline constexpr std::uint16_t technical_problem = 0x6F00;
// Functions in CLA not supported
inline constexpr std::uint16_t channel_not_supported = 0x6881;
inline constexpr std::uint16_t secure_messaging_not_supported = 0x6882;
// Command not allowed
inline constexpr std::uint16_t incompatible_file_structure = 0x6981;
inline constexpr std::uint16_t security_not_satisfied = 0x6982;
inline constexpr std::uint16_t pin_blocked = 0x6983;
inline constexpr std::uint16_t referenced_data_invalidated = 0x6984;
inline constexpr std::uint16_t conditions_not_satisfied = 0x6985;
inline constexpr std::uint16_t no_ef_selected = 0x6986;
// Wrong parameters
inline constexpr std::uint16_t wrong_data = 0x6A80;
inline constexpr std::uint16_t function_not_supported = 0x6A81;
inline constexpr std::uint16_t file_not_found = 0x6A82;
inline constexpr std::uint16_t record_not_found = 0x6A83;
inline constexpr std::uint16_t not_enough_memory = 0x6A84;
inline constexpr std::uint16_t wrong_p1p2_param = 0x6A86;
inline constexpr std::uint16_t lc_inconsistent = 0x6A87;
inline constexpr std::uint16_t data_not_found = 0x6A88;
// Application errors (TS 102 221)
inline constexpr std::uint16_t max_value_reached = 0x9850;  ///< INCREASE
inline constexpr std::uint16_t authentication_error = 0x9862;
inline constexpr std::uint16_t security_session_expired = 0x9863;
// GSM SIM (TS 51.011 §9.4)
inline constexpr std::uint16_t sim_memory_problem = 0x9240;
inline constexpr std::uint16_t sim_no_ef_selected = 0x9400;
inline constexpr std::uint16_t sim_out_of_range = 0x9402;
inline constexpr std::uint16_t sim_file_not_found = 0x9404;
inline constexpr std::uint16_t sim_file_inconsistent = 0x9408;
inline constexpr std::uint16_t sim_no_chv = 0x9802;
inline constexpr std::uint16_t sim_access_not_fulfilled = 0x9804;
inline constexpr std::uint16_t sim_chv_contradiction = 0x9808;
inline constexpr std::uint16_t sim_invalidation_contradiction = 0x9810;
inline constexpr std::uint16_t sim_chv_blocked = 0x9840;
}  // namespace sw

/// Broad outcome of a status word.
enum class sw_class {
  success,  ///< 9000, 61XX, 91XX, 92XX, 9FXX: the command was executed
  warning,  ///< 62XX, 63XX, 9EXX: executed, with a warning
  error,    ///< everything else (64XX-6FXX, 93XX, 94XX, 98XX, ...)
};

/// Whether a status word is in the SW1 group whose XX value is given: sw1_is(0x910A,
/// sw::proactive_pending) is true (91XX).
[[nodiscard]] constexpr bool sw1_is(std::uint16_t sw, std::uint16_t group_xx) noexcept {
  return (sw & 0xFF00) == (group_xx & 0xFF00);
}
/// Classifies a status word.
[[nodiscard]] sw_class classify_sw(std::uint16_t sw) noexcept;
/// Whether the command was executed normally (sw_class::success).
[[nodiscard]] inline bool sw_success(std::uint16_t sw) noexcept {
  return classify_sw(sw) == sw_class::success;
}
/// Whether the command was executed with a warning (sw_class::warning).
[[nodiscard]] inline bool sw_warning(std::uint16_t sw) noexcept {
  return classify_sw(sw) == sw_class::warning;
}
/// Whether the command failed (sw_class::error).
[[nodiscard]] inline bool sw_error(std::uint16_t sw) noexcept {
  return classify_sw(sw) == sw_class::error;
}
/// A short English description ("file not found"); "unknown status word" when not listed.
[[nodiscard]] std::string_view sw_description(std::uint16_t sw) noexcept;

}  // namespace otaflow::codec
