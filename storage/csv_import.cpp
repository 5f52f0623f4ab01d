#include "storage/csv_import.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <future>
#include <optional>
#include <set>
#include <span>
#include <thread>
#include <unordered_map>

#include "storage/identifiers.hpp"
#include "storage/record_io.hpp"

namespace otaflow::storage {
namespace {

constexpr std::size_t max_keysets = 15;  // KVN is a 4-bit field of KIc/KID

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void wipe(std::string& s) noexcept {
  secure_wipe({reinterpret_cast<std::uint8_t*>(s.data()), s.size()});
}

// Splits one CSV line (RFC 4180 quoting within the line). nullopt: an
// unterminated quote (fields spanning lines are not supported).
std::optional<std::vector<std::string>> split(std::string_view line) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(trim(field));
      wipe(field);
      field.clear();
    } else {
      field += c;
    }
  }
  if (quoted) {
    wipe(field);
    return std::nullopt;
  }
  out.push_back(trim(field));
  wipe(field);
  return out;
}

// Column names that hold secrets a vendor file often carries (PIN1, PUK1,
// ADM1, OP, KIC/KID/KIK of keysets out of range...): never stored in clear.
bool secret_column(const std::string& n) {
  static const char* const prefixes[] = {"pin", "puk", "adm", "kic", "kid", "kik"};
  for (const char* p : prefixes) {
    if (n.rfind(p, 0) == 0) return true;
  }
  return n == "k" || n == "op" || n.find("key") != std::string::npos ||
         n.find("secret") != std::string::npos || n.find("pass") != std::string::npos;
}

struct layout {
  std::size_t columns = 0;
  std::size_t iccid = 0, imsi = 0, ki = 0, opc = 0;
  std::optional<std::size_t> msisdn;
  struct keyset_cols {
    std::uint8_t kvn;
    std::size_t kic, kid, kik;
  };
  std::vector<keyset_cols> keysets;
  std::vector<std::pair<std::size_t, std::string>> attributes;
  std::vector<std::string> ignored;
};

result<layout> parse_header(const std::vector<std::string>& names) {
  layout l;
  l.columns = names.size();
  std::unordered_map<std::string, std::size_t> at;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string n = lower(names[i]);
    if (n.empty()) {
      return make_error(errc::bad_value,
                        "header: column " + std::to_string(i + 1) + " has no name");
    }
    if (!at.emplace(n, i).second) {
      return make_error(errc::bad_value, "header: column '" + n + "' appears twice");
    }
  }
  std::set<std::string> used;
  auto need = [&](const std::string& n, std::size_t& out) -> status {
    auto it = at.find(n);
    if (it == at.end()) return make_error(errc::bad_value, "header: missing column '" + n + "'");
    out = it->second;
    used.insert(n);
    return {};
  };
  OTAFLOW_TRY(need("iccid", l.iccid));
  OTAFLOW_TRY(need("imsi", l.imsi));
  OTAFLOW_TRY(need("ki", l.ki));
  OTAFLOW_TRY(need("opc", l.opc));
  if (auto it = at.find("msisdn"); it != at.end()) {
    l.msisdn = it->second;
    used.insert("msisdn");
  }
  for (std::size_t v = 1; v <= max_keysets; ++v) {
    const std::string s = std::to_string(v);
    const bool any = at.count("kic" + s) || at.count("kid" + s) || at.count("kik" + s);
    if (!any) continue;
    layout::keyset_cols k{static_cast<std::uint8_t>(v), 0, 0, 0};
    OTAFLOW_TRY(need("kic" + s, k.kic));
    OTAFLOW_TRY(need("kid" + s, k.kid));
    OTAFLOW_TRY(need("kik" + s, k.kik));
    l.keysets.push_back(k);
  }
  if (l.keysets.empty()) {
    return make_error(errc::bad_value, "header: no OTA keyset columns (kic1, kid1, kik1)");
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string n = lower(names[i]);
    if (used.count(n)) continue;
    if (secret_column(n)) {
      l.ignored.push_back(n);
    } else {
      l.attributes.emplace_back(i, n);
    }
  }
  return l;
}

// Parses a hex key field into a secret; the error names the column only.
result<secret> parse_key(const std::string& column, const std::string& hex_text,
                         bool (*length_ok)(std::size_t), const char* allowed) {
  if (hex_text.empty()) return make_error(errc::bad_value, column + ": empty");
  if (hex_text.size() % 2 != 0 || !length_ok(hex_text.size() / 2)) {
    return make_error(errc::bad_length, column + ": " + std::to_string(hex_text.size()) +
                                            " hex digits, expected " + allowed);
  }
  auto raw = from_hex(hex_text);
  if (!raw) return make_error(errc::bad_value, column + ": not hexadecimal");
  auto s = secret::from(*raw);
  secure_wipe(*raw);
  return s;
}

struct parsed_row {
  std::size_t line = 0;
  subscriber sub;
  card_keys keys;
  sealed_keys sealed;  // the keys sealed under the KEK (filled in by the workers)
  // The card's record before this import, read by the worker (prev_read: the read was done).
  // Safe off the writer: an ICCID seen earlier in the same file is rejected as a duplicate,
  // so nothing this import writes can change what the worker read.
  std::optional<subscriber> prev;
  bool prev_read = false;
};

result<parsed_row> parse_row(const layout& l, const std::vector<std::string>& f) {
  if (f.size() != l.columns) {
    return make_error(errc::bad_length, "expected " + std::to_string(l.columns) + " fields, got " +
                                            std::to_string(f.size()));
  }
  parsed_row r;
  r.sub.iccid = f[l.iccid];
  r.sub.imsi = f[l.imsi];
  OTAFLOW_TRY(validate_iccid(r.sub.iccid));
  OTAFLOW_TRY(validate_imsi(r.sub.imsi));
  if (l.msisdn) {
    std::string m = f[*l.msisdn];
    if (!m.empty() && m.front() == '+') m.erase(0, 1);  // E.164 written with '+'
    if (!m.empty()) OTAFLOW_TRY(validate_msisdn(m));
    r.sub.msisdn = std::move(m);
  }
  auto ki = parse_key("ki", f[l.ki], auth_key_length_ok, "32 or 64");
  if (!ki) return ki.error();
  auto opc = parse_key("opc", f[l.opc], auth_key_length_ok, "32 or 64");
  if (!opc) return opc.error();
  r.keys.ki = std::move(*ki);
  r.keys.opc = std::move(*opc);
  for (const auto& k : l.keysets) {
    const std::string v = std::to_string(k.kvn);
    const int set = !f[k.kic].empty() + !f[k.kid].empty() + !f[k.kik].empty();
    if (set == 0) continue;
    if (set != 3) {
      return make_error(errc::bad_value, "keyset " + v + ": kic" + v + ", kid" + v + ", kik" + v +
                                             " must be all set or all empty");
    }
    keyset_keys ks;
    for (auto [col, idx, out] :
         {std::tuple{"kic", k.kic, &ks.kic}, std::tuple{"kid", k.kid, &ks.kid},
          std::tuple{"kik", k.kik, &ks.kik}}) {
      auto s = parse_key(col + v, f[idx], ota_key_length_ok, "32, 48 or 64");
      if (!s) return s.error();
      *out = std::move(*s);
    }
    r.keys.keysets.emplace(k.kvn, std::move(ks));
    r.sub.keyset_versions.push_back(k.kvn);
  }
  if (r.keys.keysets.empty()) {
    return make_error(errc::bad_value, "no OTA keyset: kic1, kid1, kik1 are empty");
  }
  for (const auto& [idx, n] : l.attributes) {
    if (!f[idx].empty()) r.sub.attributes.emplace(n, f[idx]);
  }
  return r;
}

class importer {
 public:
  importer(state& st, const import_options& o) : st_(st), opt_(o) {}

  void reject(std::size_t line, std::string reason) {
    ++sum_.rejected;
    if (sum_.errors.size() < opt_.max_errors) sum_.errors.push_back({line, std::move(reason)});
  }

  status add(parsed_row r) {
    auto [it, fresh] = seen_.emplace(r.sub.iccid, r.line);
    if (!fresh) {
      reject(r.line, "iccid " + r.sub.iccid + " already on line " + std::to_string(it->second));
      return {};
    }
    batch_.push_back(std::move(r));
    if (batch_.size() >= opt_.batch_size) return flush();
    return {};
  }

  status flush() {
    if (batch_.empty()) return {};
    std::vector<std::string> iccids;
    std::vector<std::size_t> unread;
    for (std::size_t i = 0; i < batch_.size(); ++i) {
      if (batch_[i].prev_read) continue;
      unread.push_back(i);
      iccids.push_back(batch_[i].sub.iccid);
    }
    if (!iccids.empty()) {
      auto old = st_.subscribers().get_many(iccids);
      if (!old) return old.error();
      for (std::size_t j = 0; j < unread.size(); ++j) {
        batch_[unread[j]].prev = std::move((*old)[j]);
        batch_[unread[j]].prev_read = true;
      }
    }
    rocksdb::WriteBatch b;
    std::uint64_t fresh = 0, replaced = 0;
    for (std::size_t i = 0; i < batch_.size(); ++i) {
      const auto& prev = batch_[i].prev;
      OTAFLOW_TRY(st_.subscribers().stage_put(b, batch_[i].sub, prev ? &*prev : nullptr));
      // A card without a subscriber record has no Ki/OPc or keyset rows (they go with it):
      // only a card that exists needs its old rows looked up and dropped.
      OTAFLOW_TRY(
          st_.keys().stage_sealed_rows(b, batch_[i].sub.iccid, batch_[i].sealed, prev.has_value()));
      (prev ? replaced : fresh)++;
    }
    auto s = opt_.bulk ? st_.database().commit_unlogged(b) : st_.database().commit(b, opt_.sync);
    if (!s) {
      return detail::with_context(
          std::move(s).error(),
          "import stopped after " + std::to_string(sum_.imported + sum_.updated) + " cards");
    }
    sum_.imported += fresh;
    sum_.updated += replaced;
    batch_.clear();
    return {};
  }

  import_summary& summary() { return sum_; }

 private:
  state& st_;
  import_options opt_;
  import_summary sum_;
  std::vector<parsed_row> batch_;
  std::unordered_map<std::string, std::size_t> seen_;
};

// A line of the file, and what became of it on a worker.
struct pending_line {
  std::size_t line = 0;
  std::string text;
  std::optional<parsed_row> row;  // parsed and sealed
  std::string reason;             // or why it was rejected
};

// Parses and seals one line (worker side: no database access beyond the KEK).
void work_line(const layout& l, const key_store& keys, pending_line& p) {
  auto fields = split(p.text);
  wipe(p.text);
  if (!fields) {
    p.reason = "unterminated quoted field";
    return;
  }
  auto row = parse_row(l, *fields);
  for (auto& f : *fields) wipe(f);
  if (!row) {
    p.reason = row.error().message;
    return;
  }
  auto sealed = keys.seal_rows(row->sub.iccid, row->keys);
  if (!sealed) {
    p.reason = sealed.error().message;
    return;
  }
  row->sealed = std::move(*sealed);
  row->keys = card_keys{};  // the clear keys are no longer needed (secret wipes itself)
  row->line = p.line;
  p.row = std::move(*row);
}

// Parsing, hex decoding and AES-GCM sealing are most of an import's time and independent
// per row: a chunk of lines is split between `threads` workers (the caller is one of
// them); rows are then handed to the writer in file order, so duplicate detection, line
// numbers and "last row wins" stay as in a sequential import.
// `no_prev`: the repository held no subscriber when the import began, so no card has a
// record before it (a card repeated in the file is rejected as a duplicate): nothing to read.
void work_slice(const layout& l, state& st, std::span<pending_line> slice, bool no_prev) {
  std::vector<std::string> iccids;
  std::vector<parsed_row*> rows;
  for (auto& p : slice) {
    work_line(l, st.keys(), p);
    if (!p.row) continue;
    if (no_prev) {
      p.row->prev_read = true;
      continue;
    }
    iccids.push_back(p.row->sub.iccid);
    rows.push_back(&*p.row);
  }
  // The cards' current records in one MultiGet; on a read error the writer reads them.
  if (iccids.empty()) return;
  auto old = st.subscribers().get_many(iccids);
  if (!old) return;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i]->prev = std::move((*old)[i]);
    rows[i]->prev_read = true;
  }
}

void work_chunk(const layout& l, state& st, std::vector<pending_line>& chunk, unsigned threads,
                bool no_prev) {
  const std::size_t n = chunk.size();
  const unsigned t = static_cast<unsigned>(std::min<std::size_t>(threads, (n + 63) / 64));
  if (t <= 1) {
    work_slice(l, st, chunk, no_prev);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(t - 1);
  const std::size_t per = (n + t - 1) / t;
  const std::span<pending_line> all(chunk);
  for (unsigned w = 1; w < t; ++w) {
    const std::size_t begin = std::min(n, w * per), end = std::min(n, begin + per);
    pool.emplace_back(
        [&, begin, end] { work_slice(l, st, all.subspan(begin, end - begin), no_prev); });
  }
  work_slice(l, st, all.subspan(0, std::min(n, per)), no_prev);
  for (auto& th : pool) th.join();
}

}  // namespace

bool ota_key_length_ok(std::size_t octets) noexcept {
  return octets == 16 || octets == 24 || octets == 32;
}

bool auth_key_length_ok(std::size_t octets) noexcept {
  return octets == 16 || octets == 32;
}

result<import_summary> import_csv(state& st, std::istream& in, const import_options& options) {
  if (options.batch_size == 0 || options.batch_size > 100000) {
    return make_error(
        errc::bad_argument,
        "import: batch_size " + std::to_string(options.batch_size) + " outside 1-100000");
  }
  const unsigned threads =
      options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  const std::size_t chunk_lines = std::max<std::size_t>(options.batch_size, 4096);
  std::string line;
  std::size_t lineno = 0;
  std::optional<layout> l;
  importer imp(st, options);
  // A repository without subscribers (a first import): no card has a record to read first.
  const bool no_prev = [&] {
    auto it = st.database().iterate(column::subscribers);
    it->SeekToFirst();
    return !it->Valid() && it->status().ok();
  }();
  // Three stages overlap: this thread reads chunk N+2 and writes chunk N while the workers
  // parse and seal chunk N+1.
  std::vector<pending_line> chunk, working;
  std::future<void> work;
  auto write_working = [&]() -> status {
    if (!work.valid()) return {};
    work.get();
    for (auto& p : working) {
      if (!p.row) {
        imp.reject(p.line, std::move(p.reason));
        continue;
      }
      OTAFLOW_TRY(imp.add(std::move(*p.row)));
    }
    working.clear();
    return {};
  };
  // On an early return the workers must be done with `working` before it goes.
  struct join_guard {
    std::future<void>& f;
    ~join_guard() {
      if (f.valid()) f.wait();
    }
  } joined{work};
  auto drain = [&]() -> status {
    OTAFLOW_TRY(write_working());
    working.swap(chunk);
    work = std::async(std::launch::async, [&] { work_chunk(*l, st, working, threads, no_prev); });
    return {};
  };
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (lineno == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // UTF-8 BOM
    if (trim(line).empty()) continue;
    if (!l) {
      auto fields = split(line);
      wipe(line);
      if (!fields) return make_error(errc::bad_value, "header: unterminated quoted field");
      auto h = parse_header(*fields);
      if (!h) return h.error();
      l = std::move(*h);
      imp.summary().ignored_columns = l->ignored;
      continue;
    }
    chunk.push_back(pending_line{lineno, std::move(line), std::nullopt, {}});
    line.clear();
    if (chunk.size() >= chunk_lines) OTAFLOW_TRY(drain());
  }
  if (in.bad())
    return make_error(errc::io, "import: read error after line " + std::to_string(lineno));
  if (!l) return make_error(errc::bad_value, "header: the file is empty");
  OTAFLOW_TRY(drain());
  OTAFLOW_TRY(write_working());
  OTAFLOW_TRY(imp.flush());
  // A bulk load skipped the write-ahead log: it is durable once the memtables are on disk.
  if (options.bulk) OTAFLOW_TRY(st.database().flush());
  return std::move(imp.summary());
}

result<import_summary> import_csv_file(state& st, const std::filesystem::path& file,
                                       const import_options& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    return make_error(errc::io, file.string() + ": is a directory, not a CSV file");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(errc::io, file.string() + ": cannot be opened for reading");
  auto r = import_csv(st, in, options);
  if (!r) return detail::with_context(std::move(r).error(), file.string());
  return r;
}

}  // namespace otaflow::storage
