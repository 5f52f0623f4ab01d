// `otaflow subscribers counters`: the OTA counters (TS 102 225 CNTR) per card and keyset.
//   subscribers counters --state DIR ICCID                          every keyset's counter (JSON)
//   subscribers counters --state DIR ICCID --kvn N --raise-to V     raise one (never lower)
//   subscribers counters --state DIR ICCID --kvn N --raise-by N
//   subscribers counters export --state DIR FILE                    every high-water mark (CSV)
//   subscribers counters import --state DIR FILE [--margin N]       raise to imported + margin
// Every raise writes an audit record (type counter_set) in the same synced write. The file
// format is in docs/storage.md ("Counters"): a header `iccid,kvn,counter`, one row a line.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/command.hpp"
#include "app/state_dir.hpp"
#include "base/principal.hpp"
#include "storage/api.hpp"
#include "storage/identifiers.hpp"

namespace otaflow::app {
namespace {

constexpr std::string_view header = "iccid,kvn,counter";
constexpr std::size_t import_chunk = 10'000;  // rows per synced write

struct counters_options {
  std::string state_dir;
  std::string kek_file;
  std::string iccid;
  std::string file;
  std::optional<unsigned> kvn;
  std::optional<std::uint64_t> raise_to;
  std::optional<std::uint64_t> raise_by;
  std::uint64_t margin = 0;
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "otaflow: %s\n", message.c_str());
  exit_with(1);
}

std::unique_ptr<storage::state> open_existing(const counters_options& o) {
  if (o.state_dir.empty()) usage_error("subscribers counters: --state is required");
  return open_state_or_exit(o.state_dir, o.kek_file, false);
}

storage::audit_event audit(std::string iccid, nlohmann::ordered_json details) {
  storage::audit_event e;
  e.iccid = std::move(iccid);
  e.type = storage::audit_type::counter_set;
  details["who"] = os_principal();  // who asked (docs/AUDIT.md)
  e.details = details.dump();
  return e;
}

// Every stored row of the card, and 0 for the keysets it holds that never sent a packet.
void show(storage::state& st, const std::string& iccid) {
  auto rows = st.counters().scan(iccid);
  if (!rows) fail(rows.error().message);
  std::map<unsigned, std::uint64_t> values;
  nlohmann::ordered_json problems = nlohmann::ordered_json::object();
  for (const auto& r : *rows) {
    if (r.problem.empty()) {
      values[r.kvn] = r.value;
    } else {
      problems[std::to_string(r.kvn)] = r.problem;
    }
  }
  auto sub = st.subscribers().get(iccid);
  if (!sub) fail(sub.error().message);
  if (*sub) {
    for (auto kvn : (*sub)->keyset_versions) {
      if (!problems.contains(std::to_string(kvn))) values.try_emplace(kvn, 0);
    }
  } else if (rows->empty()) {
    fail("subscriber " + iccid + ": not found and no counters");
  }
  nlohmann::ordered_json counters = nlohmann::ordered_json::object();
  for (const auto& [kvn, v] : values) counters[std::to_string(kvn)] = v;
  nlohmann::ordered_json out = {{"iccid", iccid}, {"counters", counters}};
  if (!problems.empty()) out["problems"] = problems;
  std::cout << out.dump(2) << std::endl;
}

// One keyset's counter raised to --raise-to V or by --raise-by N; lowering is refused.
void raise_one(storage::state& st, const counters_options& o) {
  if (!o.kvn) usage_error("subscribers counters: --raise-to/--raise-by need --kvn");
  if (*o.kvn > 15) usage_error("--kvn: a keyset version is 0-15, got " + std::to_string(*o.kvn));
  const auto kvn = static_cast<std::uint8_t>(*o.kvn);
  auto cur = st.counters().get(o.iccid, kvn);
  if (!cur) fail(cur.error().message);
  std::uint64_t target = 0;
  if (o.raise_to) {
    target = *o.raise_to;
    if (target < *cur) {
      fail("counter of " + o.iccid + " keyset " + std::to_string(kvn) + " is " +
           std::to_string(*cur) + ": --raise-to " + std::to_string(target) +
           " would lower it (counters are never lowered: values would be reused)");
    }
  } else {
    if (*o.raise_by == 0) usage_error("--raise-by: at least 1");
    if (*o.raise_by > storage::counter_max - *cur) {
      fail("counter of " + o.iccid + " keyset " + std::to_string(kvn) + " is " +
           std::to_string(*cur) + ": --raise-by " + std::to_string(*o.raise_by) +
           " passes the 40-bit limit " + std::to_string(storage::counter_max));
    }
    target = *cur + *o.raise_by;
  }
  if (target > storage::counter_max) {
    fail("--raise-to " + std::to_string(target) + ": above the 40-bit limit " +
         std::to_string(storage::counter_max));
  }
  nlohmann::ordered_json out = {{"iccid", o.iccid}, {"kvn", kvn}, {"old", *cur}, {"new", target}};
  if (target != *cur) {
    rocksdb::WriteBatch b;
    st.audit().stage(
        b,
        audit(o.iccid,
              {{"command", "subscribers counters"}, {"kvn", kvn}, {"old", *cur}, {"new", target}}));
    const storage::counter_raise r{o.iccid, kvn, target};
    auto before = st.counters().raise({&r, 1}, b);
    if (!before) fail(before.error().message);
  }
  std::cout << out.dump(2) << std::endl;
}

// Writes FILE.tmp, then renames it: a reader never sees half a file.
void run_export(const counters_options& o) {
  auto st = open_existing(o);
  const std::string tmp = o.file + ".tmp";
  std::ofstream out(tmp, std::ios::trunc);
  if (!out) fail(o.file + ": cannot write (" + tmp + ")");
  out << header << '\n';
  std::uint64_t rows = 0;
  nlohmann::ordered_json unreadable = nlohmann::ordered_json::array();
  auto s = st->counters().scan({}, [&](const storage::counter_row& r) {
    if (!r.problem.empty()) {
      unreadable.push_back({{"iccid", r.iccid}, {"kvn", r.kvn}, {"reason", r.problem}});
      return;
    }
    out << r.iccid << ',' << static_cast<unsigned>(r.kvn) << ',' << r.value << '\n';
    ++rows;
  });
  if (!s) fail(s.error().message);
  out.close();
  if (!out) fail(o.file + ": write failed");
  std::error_code ec;
  std::filesystem::rename(tmp, o.file, ec);
  if (ec) fail(o.file + ": " + ec.message());
  nlohmann::ordered_json summary = {{"file", o.file}, {"rows", rows}, {"unreadable", unreadable}};
  std::cout << summary.dump(2) << std::endl;
  if (!unreadable.empty()) exit_with(1);
}

struct import_row {
  std::string iccid;
  std::uint8_t kvn = 0;
  std::uint64_t value = 0;
};

// One data line: "iccid,kvn,counter". Returns the reason it is refused, or nothing.
std::optional<std::string> parse_row(const std::string& line, std::uint64_t margin,
                                     import_row& out) {
  std::vector<std::string> f;
  std::size_t start = 0;
  for (;;) {
    const auto comma = line.find(',', start);
    f.push_back(line.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (f.size() != 3)
    return "expected 3 fields (iccid,kvn,counter), got " + std::to_string(f.size());
  if (auto v = storage::validate_iccid(f[0]); !v) return v.error().message;
  auto number = [](const std::string& s, std::uint64_t max) -> std::optional<std::uint64_t> {
    if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    try {
      const auto n = std::stoull(s);
      return n <= max ? std::optional(n) : std::nullopt;
    } catch (...) {
      return std::nullopt;
    }
  };
  const auto kvn = number(f[1], 15);
  if (!kvn) return "kvn '" + f[1] + "': expected a keyset version 0-15";
  const auto value = number(f[2], storage::counter_max);
  if (!value)
    return "counter '" + f[2] + "': expected an integer 0-" + std::to_string(storage::counter_max);
  if (*value > storage::counter_max - margin) {
    return "counter " + f[2] + " + margin " + std::to_string(margin) + " passes the 40-bit limit";
  }
  out = {f[0], static_cast<std::uint8_t>(*kvn), *value + margin};
  return std::nullopt;
}

// Raises each row's counter to max(current, imported + margin), a chunk per synced write, then
// appends the audit record. Bad lines are refused with their number, the others applied
// (raising never reuses a value, so a partial import is safe and may simply be run again).
void run_import(const counters_options& o) {
  if (o.margin > storage::counter_max) usage_error("--margin: above the 40-bit limit");
  std::ifstream in(o.file);
  if (!in) fail(o.file + ": cannot open");
  auto st = open_existing(o);
  std::string line;
  std::uint64_t line_no = 1;
  if (!std::getline(in, line)) {
    fail(o.file + ": empty (expected the header " + std::string(header) + ")");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line != header) {
    fail(o.file + ":1: expected the header '" + std::string(header) + "', got '" + line + "'");
  }
  std::uint64_t raised = 0, unchanged = 0;
  nlohmann::ordered_json refused = nlohmann::ordered_json::array();
  std::vector<import_row> chunk;
  auto flush = [&] {
    if (chunk.empty()) return;
    std::vector<storage::counter_raise> rs;
    rs.reserve(chunk.size());
    for (const auto& r : chunk) rs.push_back({r.iccid, r.kvn, r.value});
    rocksdb::WriteBatch b;
    auto before = st->counters().raise(rs, b);
    if (!before) fail(o.file + ": " + before.error().message);
    for (std::size_t i = 0; i < rs.size(); ++i) ++((*before)[i] < rs[i].value ? raised : unchanged);
    chunk.clear();
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    import_row r;
    if (auto why = parse_row(line, o.margin, r)) {
      refused.push_back({{"line", line_no}, {"reason", *why}});
      continue;
    }
    chunk.push_back(std::move(r));
    if (chunk.size() == import_chunk) flush();
  }
  flush();
  auto a = st->audit().append(audit("", {{"command", "subscribers counters import"},
                                         {"file", o.file},
                                         {"margin", o.margin},
                                         {"raised", raised},
                                         {"unchanged", unchanged},
                                         {"refused", refused.size()}}),
                              true);
  if (!a) fail("audit record: " + a.error().message);
  nlohmann::ordered_json summary = {{"file", o.file},
                                    {"margin", o.margin},
                                    {"raised", raised},
                                    {"unchanged", unchanged},
                                    {"refused", refused}};
  std::cout << summary.dump(2) << std::endl;
  if (!refused.empty()) exit_with(1);
}

void run_counters(const counters_options& o) {
  if (o.iccid.empty()) usage_error("subscribers counters: give an ICCID, or export / import");
  if (auto v = storage::validate_iccid(o.iccid); !v) usage_error(v.error().message);
  auto st = open_existing(o);
  if (o.raise_to || o.raise_by) {
    raise_one(*st, o);
  } else {
    if (o.kvn) usage_error("--kvn: only with --raise-to or --raise-by");
    show(*st, o.iccid);
  }
}

void add_state_options(CLI::App* c, counters_options& o) {
  c->add_option("--state", o.state_dir, "State directory (RocksDB)");
  c->add_option("--kek-file", o.kek_file,
                "File holding the key-encryption key; default: $OTAFLOW_KEK");
}

}  // namespace

/// Adds `counters` under the `subscribers` command (cmd_subscribers.cpp).
void add_subscribers_counters(CLI::App& subscribers) {
  auto o = std::make_shared<counters_options>();
  auto* c = subscribers.add_subcommand(
      "counters", "Show or raise a card's OTA counters; export / import every counter");
  c->require_subcommand(0, 1);
  add_state_options(c, *o);
  c->add_option("iccid", o->iccid, "ICCID");
  c->add_option("--kvn", o->kvn, "Keyset version (0-15) to raise");
  auto* to = c->add_option("--raise-to", o->raise_to, "Raise the counter to this value");
  c->add_option("--raise-by", o->raise_by, "Raise the counter by this much")->excludes(to);

  auto* exp = c->add_subcommand("export",
                                "Write every (iccid, kvn, counter) high-water mark to a CSV file");
  add_state_options(exp, *o);
  exp->add_option("file", o->file, "Output file (CSV: iccid,kvn,counter)")->required();
  exp->callback([o] { run_export(*o); });

  auto* imp = c->add_subcommand(
      "import", "Raise counters to max(current, imported + margin) from an exported file");
  add_state_options(imp, *o);
  imp->add_option("--margin", o->margin, "Added to every imported value (default 0)");
  imp->add_option("file", o->file, "Input file (CSV: iccid,kvn,counter)")->required();
  imp->callback([o] { run_import(*o); });

  c->callback([o, exp, imp] {
    if (exp->parsed() || imp->parsed()) return;
    run_counters(*o);
  });
}

}  // namespace otaflow::app
