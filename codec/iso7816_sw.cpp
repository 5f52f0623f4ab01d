#include "codec/iso7816_sw.hpp"

#include <array>

namespace otaflow::codec {
namespace {

struct sw_entry {
  std::uint16_t sw;
  std::string_view text;
};

// Exact status words [ISO 7816-4 §5.1.3; TS 102 221 §10.2.1; TS 51.011 §9.4;
// docs/standards/ts31102-files.md §5].
constexpr std::array exact_table{
    sw_entry{0x9000, "normal ending of the command"},
    sw_entry{0x9300, "SIM Application Toolkit is busy, command cannot be executed at present"},
    sw_entry{0x6200, "warning: no information given, state of non-volatile memory unchanged"},
    sw_entry{0x6281, "warning: part of returned data may be corrupted"},
    sw_entry{0x6282, "warning: end of file/record reached before reading Le bytes"},
    sw_entry{0x6283, "warning: selected file invalidated"},
    sw_entry{0x6285, "warning: selected file in termination state"},
    sw_entry{0x62F1, "warning: more data available (response data truncated)"},
    sw_entry{0x62F2, "warning: more data available and proactive command pending"},
    sw_entry{0x62F3, "warning: response data available"},
    sw_entry{0x6300, "warning: no information given, state of non-volatile memory changed"},
    sw_entry{0x63F1, "warning: more data expected"},
    sw_entry{0x63F2, "warning: more data expected and proactive command pending"},
    sw_entry{0x6400, "execution error: no information given, memory unchanged"},
    sw_entry{0x6500, "execution error: no information given, memory changed"},
    sw_entry{0x6581, "execution error: memory problem"},
    sw_entry{0x6700, "wrong length"},
    sw_entry{0x6881, "logical channel not supported"},
    sw_entry{0x6882, "secure messaging not supported"},
    sw_entry{0x6981, "command incompatible with file structure"},
    sw_entry{0x6982, "security status not satisfied"},
    sw_entry{0x6983, "authentication/PIN method blocked"},
    sw_entry{0x6984, "referenced data invalidated"},
    sw_entry{0x6985, "conditions of use not satisfied"},
    sw_entry{0x6986, "command not allowed (no EF selected)"},
    sw_entry{0x6A80, "incorrect parameters in the data field"},
    sw_entry{0x6A81, "function not supported"},
    sw_entry{0x6A82, "file not found"},
    sw_entry{0x6A83, "record not found"},
    sw_entry{0x6A84, "not enough memory space"},
    sw_entry{0x6A86, "incorrect parameters P1 to P2"},
    sw_entry{0x6A87, "Lc inconsistent with P1 to P2"},
    sw_entry{0x6A88, "referenced data not found"},
    sw_entry{0x6B00, "wrong parameter(s) P1-P2"},
    sw_entry{0x6D00, "instruction code not supported or invalid"},
    sw_entry{0x6E00, "class not supported"},
    sw_entry{0x6F00, "technical problem, no precise diagnosis"},
    sw_entry{0x9850, "INCREASE cannot be performed, maximum value reached"},
    sw_entry{0x9862, "authentication error, application specific"},
    sw_entry{0x9863, "security session or association expired"},
    sw_entry{0x9240, "SIM: memory problem"},
    sw_entry{0x9400, "SIM: no EF selected"},
    sw_entry{0x9402, "SIM: out of range (invalid address)"},
    sw_entry{0x9404, "SIM: file ID not found / pattern not found"},
    sw_entry{0x9408, "SIM: file is inconsistent with the command"},
    sw_entry{0x9802, "SIM: no CHV initialized"},
    sw_entry{0x9804, "SIM: access condition not fulfilled / CHV verification failed"},
    sw_entry{0x9808, "SIM: in contradiction with CHV status"},
    sw_entry{0x9810, "SIM: in contradiction with invalidation status"},
    sw_entry{0x9840, "SIM: CHV verification failed, no attempt left / CHV blocked"},
};

}  // namespace

sw_class classify_sw(std::uint16_t sw) noexcept {
  const std::uint8_t sw1 = static_cast<std::uint8_t>(sw >> 8);
  switch (sw1) {
    case 0x90:
      return sw == sw::ok ? sw_class::success : sw_class::error;
    case 0x92:
      // 92 0X: successful after X internal update retries; 92 40: memory problem, the update
      // failed (TS 51.011 §9.4.2 "memory management"; TS 102 221 §10.2.1).
      return (sw & 0xF0) == 0x00 ? sw_class::success : sw_class::error;
    case 0x61:  // T=0 response bytes available (TS 102 221 Annex C)
    case 0x91:  // normal ending, proactive command pending
    case 0x9F:  // GSM SIM: response data available (TS 51.011 §9.4.1)
      return sw_class::success;
    case 0x62:
    case 0x63:
    case 0x9E:  // GSM SIM: SIM data download error, XX octets of response (TS 51.011 §9.4.1)
      return sw_class::warning;
    default:
      return sw_class::error;
  }
}

std::string_view sw_description(std::uint16_t sw) noexcept {
  for (const auto& e : exact_table) {
    if (e.sw == sw) return e.text;
  }
  switch (sw >> 8) {
    case 0x61:
      return "response data available (GET RESPONSE with Le = SW2)";
    case 0x6C:
      return "wrong Le field; SW2 gives the exact length";
    case 0x91:
      return "normal ending, proactive command pending (SW2 = its length)";
    case 0x92:
      return "normal ending, with extra information on an ongoing data transfer";
    case 0x9E:
      return "SIM data download error, response data available (SW2 = length)";
    case 0x9F:
      return "GSM SIM: response data available (SW2 = length)";
    case 0x67:
      return "wrong length (SIM: incorrect parameter P3)";
    case 0x6B:
      return "wrong parameter(s) P1-P2";
    case 0x6D:
      return "instruction code not supported or invalid";
    case 0x6E:
      return "class not supported";
    case 0x6F:
      return "technical problem";
    default:
      break;
  }
  if ((sw & 0xFFF0) == sw::retries_mask) {
    return "warning: verification failed or retries used, X (SW2 low nibble) counts retries";
  }
  return "unknown status word";
}

}  // namespace otaflow::codec
