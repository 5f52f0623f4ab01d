#include "codec/smpp34_receipt.hpp"

#include <cstdio>

namespace otaflow::codec::smpp {
namespace {

char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

enum class field { id, sub, dlvrd, submit_date, done_date, stat, err, text };

struct key {
  std::string_view text;
  field f;
};

// Longer keys first so that "submit date:" is tried before anything shorter.
constexpr key keys[] = {
    {"submit date:", field::submit_date},
    {"submit_date:", field::submit_date},
    {"done date:", field::done_date},
    {"done_date:", field::done_date},
    {"dlvrd:", field::dlvrd},
    {"stat:", field::stat},
    {"text:", field::text},
    {"sub:", field::sub},
    {"err:", field::err},
    {"id:", field::id},
};

result<std::uint32_t> parse_count(std::string_view v, std::string_view name) {
  std::uint64_t n = 0;
  bool ok = !v.empty() && v.size() <= 10;
  for (std::size_t i = 0; ok && i < v.size(); ++i) {
    ok = v[i] >= '0' && v[i] <= '9';
    n = n * 10 + static_cast<std::uint64_t>(v[i] - '0');
  }
  if (!ok || n > 0xFFFFFFFFu) {
    return make_error(errc::bad_value,
                      "receipt: " + std::string(name) + " '" + std::string(v) + "' is not a count");
  }
  return static_cast<std::uint32_t>(n);
}

result<receipt_date> parse_date(std::string_view v, std::string_view name) {
  bool ok = v.size() == 10 || v.size() == 12;
  for (std::size_t i = 0; ok && i < v.size(); ++i) ok = v[i] >= '0' && v[i] <= '9';
  auto two = [&](std::size_t i) {
    return static_cast<std::uint8_t>((v[i] - '0') * 10 + (v[i + 1] - '0'));
  };
  receipt_date d;
  if (ok) {
    d.year = two(0);
    d.month = two(2);
    d.day = two(4);
    d.hour = two(6);
    d.minute = two(8);
    if (v.size() == 12) d.second = two(10);
    ok = d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= 31 && d.hour <= 23 &&
         d.minute <= 59 && d.second.value_or(0) <= 59;
  }
  if (!ok) {
    return make_error(errc::bad_value, "receipt: " + std::string(name) + " '" + std::string(v) +
                                           "' is not YYMMDDhhmm[ss]");
  }
  return d;
}

void append_date(std::string& out, const receipt_date& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02u%02u%02u%02u%02u", unsigned{d.year}, unsigned{d.month},
                unsigned{d.day}, unsigned{d.hour}, unsigned{d.minute});
  out += buf;
  if (d.second) {
    std::snprintf(buf, sizeof buf, "%02u", unsigned{*d.second});
    out += buf;
  }
}

// Reads an unsigned number in a base; nullopt when not a number or over 64 bits.
std::optional<std::uint64_t> parse_number(std::string_view s, unsigned base) noexcept {
  if (s.empty()) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : s) {
    unsigned d = 0;
    const char l = lower(c);
    if (l >= '0' && l <= '9') {
      d = static_cast<unsigned>(l - '0');
    } else if (l >= 'a' && l <= 'f') {
      d = static_cast<unsigned>(l - 'a' + 10);
    } else {
      return std::nullopt;
    }
    if (d >= base) return std::nullopt;
    if (n > (UINT64_MAX - d) / base) return std::nullopt;
    n = n * base + d;
  }
  return n;
}

struct stat_name {
  std::string_view text;
  message_state state;
};

// Appendix B values first (state_to_stat picks them), then long forms some SMSCs send.
constexpr stat_name stats[] = {
    {"ENROUTE", message_state::enroute},       {"DELIVRD", message_state::delivered},
    {"EXPIRED", message_state::expired},       {"DELETED", message_state::deleted},
    {"UNDELIV", message_state::undeliverable}, {"ACCEPTD", message_state::accepted},
    {"UNKNOWN", message_state::unknown},       {"REJECTD", message_state::rejected},
    {"DELIVERED", message_state::delivered},   {"UNDELIVERABLE", message_state::undeliverable},
    {"ACCEPTED", message_state::accepted},     {"REJECTED", message_state::rejected},
};

}  // namespace

std::string format_receipt(const delivery_receipt& r) {
  std::string out = "id:" + r.id;
  char buf[16];
  if (r.submitted) {
    std::snprintf(buf, sizeof buf, "%03u", static_cast<unsigned>(*r.submitted));
    out += " sub:";
    out += buf;
  }
  if (r.delivered) {
    std::snprintf(buf, sizeof buf, "%03u", static_cast<unsigned>(*r.delivered));
    out += " dlvrd:";
    out += buf;
  }
  if (r.submit_date) {
    out += " submit date:";
    append_date(out, *r.submit_date);
  }
  if (r.done_date) {
    out += " done date:";
    append_date(out, *r.done_date);
  }
  if (!r.stat.empty()) out += " stat:" + r.stat;
  if (!r.err.empty()) out += " err:" + r.err;
  if (r.text) out += " text:" + *r.text;
  return out;
}

result<delivery_receipt> parse_receipt(std::string_view s) {
  delivery_receipt r;
  bool have_id = false;
  std::size_t pos = 0;
  while (pos < s.size()) {
    while (pos < s.size() && is_space(s[pos])) ++pos;
    if (pos >= s.size()) break;
    const std::string_view rest = s.substr(pos);
    const key* k = nullptr;
    for (const auto& candidate : keys) {
      if (istarts_with(rest, candidate.text)) {
        k = &candidate;
        break;
      }
    }
    std::size_t end = pos;
    while (end < s.size() && !is_space(s[end])) ++end;
    if (k == nullptr) {  // a vendor key or stray word: skip it
      pos = end;
      continue;
    }
    const std::size_t vstart = pos + k->text.size();
    if (k->f == field::text) {
      r.text = std::string(s.substr(vstart));  // the rest, spaces included
      break;
    }
    end = vstart;
    while (end < s.size() && !is_space(s[end])) ++end;
    const std::string_view v = s.substr(vstart, end - vstart);
    pos = end;
    switch (k->f) {
      case field::id:
        if (!have_id) r.id = std::string(v);
        have_id = true;
        break;
      case field::sub: {
        auto n = parse_count(v, "sub");
        if (!n) return std::move(n).error();
        r.submitted = *n;
        break;
      }
      case field::dlvrd: {
        auto n = parse_count(v, "dlvrd");
        if (!n) return std::move(n).error();
        r.delivered = *n;
        break;
      }
      case field::submit_date: {
        auto d = parse_date(v, "submit date");
        if (!d) return std::move(d).error();
        r.submit_date = *d;
        break;
      }
      case field::done_date: {
        auto d = parse_date(v, "done date");
        if (!d) return std::move(d).error();
        r.done_date = *d;
        break;
      }
      case field::stat:
        r.stat = std::string(v);
        break;
      case field::err:
        r.err = std::string(v);
        break;
      case field::text:
        break;
    }
  }
  if (r.id.empty()) {
    return make_error(errc::bad_value,
                      "receipt: no id: field in '" + std::string(s.substr(0, 80)) + "'");
  }
  return r;
}

std::optional<message_state> stat_to_state(std::string_view stat) noexcept {
  for (const auto& x : stats) {
    if (iequals(stat, x.text)) return x.state;
  }
  return std::nullopt;
}

std::string_view state_to_stat(message_state s) noexcept {
  for (const auto& x : stats) {
    if (x.state == s) return x.text;
  }
  return "UNKNOWN";
}

std::string_view state_name(message_state s) noexcept {
  switch (s) {
    case message_state::scheduled:
      return "SCHEDULED";
    case message_state::enroute:
      return "ENROUTE";
    case message_state::delivered:
      return "DELIVERED";
    case message_state::expired:
      return "EXPIRED";
    case message_state::deleted:
      return "DELETED";
    case message_state::undeliverable:
      return "UNDELIVERABLE";
    case message_state::accepted:
      return "ACCEPTED";
    case message_state::unknown:
      return "UNKNOWN";
    case message_state::rejected:
      return "REJECTED";
  }
  return "UNKNOWN";
}

bool same_message_id(std::string_view a, std::string_view b) noexcept {
  if (iequals(a, b)) return true;
  const auto a10 = parse_number(a, 10);
  const auto a16 = parse_number(a, 16);
  const auto b10 = parse_number(b, 10);
  const auto b16 = parse_number(b, 16);
  return (a10 && b10 && *a10 == *b10) || (a16 && b16 && *a16 == *b16) ||
         (a16 && b10 && *a16 == *b10) || (a10 && b16 && *a10 == *b16);
}

}  // namespace otaflow::codec::smpp
