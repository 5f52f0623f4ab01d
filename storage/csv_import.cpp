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

#include "base/secrets.hpp"
#include "storage/record_io.hpp"
#include "storage/vendor_csv.hpp"

namespace otaflow::storage {
namespace {

namespace csv = vendor_csv;

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
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
  // The stored holders of the row's MSISDN and IMSI (the indexes), read by the worker
  // (owners_read). The writer may have changed them since, but only for cards of this import,
  // which its own maps of claimed and released numbers cover.
  std::optional<std::string> msisdn_owner, imsi_owner;
  bool owners_read = false;
};

class importer {
 public:
  importer(state& st, const import_options& o) : st_(st), opt_(o) {}

  void reject(std::size_t line, std::string reason) {
    ++sum_.rejected;
    if (sum_.errors.size() < opt_.max_errors) sum_.errors.push_back({line, std::move(reason)});
  }

  // Takes a row in file order: rejects it when its ICCID is already in the file, or when its
  // MSISDN or IMSI belongs to another card (PoRs are routed by MSISDN: two cards with one
  // MSISDN would share them). A number is another card's when a row before it in the file
  // claimed it, or when the repository's index names another card that no row before it
  // moved to a new number.
  status add(parsed_row r) {
    if (auto it = seen_.find(r.sub.iccid); it != seen_.end()) {
      reject(r.line, "iccid " + r.sub.iccid + " already on line " + std::to_string(it->second));
      return {};
    }
    if (!r.prev_read) {
      auto prev = st_.subscribers().get(r.sub.iccid);
      if (!prev) return prev.error();
      r.prev = std::move(*prev);
      r.prev_read = true;
    }
    if (!r.owners_read) {
      if (!r.sub.msisdn.empty()) {
        auto m = st_.subscribers().find_by_msisdn(r.sub.msisdn);
        if (!m) return m.error();
        r.msisdn_owner = std::move(*m);
      }
      auto i = st_.subscribers().find_by_imsi(r.sub.imsi);
      if (!i) return i.error();
      r.imsi_owner = std::move(*i);
      r.owners_read = true;
    }
    if (!r.sub.msisdn.empty()) {
      if (auto why = taken("msisdn", r.sub.msisdn, r, r.msisdn_owner, msisdn_)) {
        reject(r.line, std::move(*why));
        return {};
      }
    }
    if (auto why = taken("imsi", r.sub.imsi, r, r.imsi_owner, imsi_)) {
      reject(r.line, std::move(*why));
      return {};
    }
    seen_.emplace(r.sub.iccid, r.line);
    claim(r.sub.msisdn, r, r.prev ? r.prev->msisdn : std::string(), msisdn_);
    claim(r.sub.imsi, r, r.prev ? r.prev->imsi : std::string(), imsi_);
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
  std::unordered_map<std::string, std::size_t> seen_;  // ICCID -> line

  // The numbers (MSISDNs or IMSIs) this import gave to cards and took from them. Claimed
  // numbers of up to 15 digits (every valid MSISDN and IMSI) are kept as integers: two maps
  // of a million strings cost a 1M-card demo 2 s of set-up, mostly cache misses in their
  // chains.
  struct numbers {
    std::unordered_map<std::uint64_t, std::size_t> claimed;     // digits key -> line
    std::unordered_map<std::string, std::size_t> claimed_text;  // any other number -> line
    std::unordered_map<std::string, std::string> released;      // number -> ICCID that left it

    // The length in the top octet keeps "0123" apart from "123".
    static std::optional<std::uint64_t> key(std::string_view n) {
      if (n.empty() || n.size() > 15) return std::nullopt;
      std::uint64_t v = 0;
      for (const char c : n) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
      }
      return (static_cast<std::uint64_t>(n.size()) << 56) | v;
    }
    [[nodiscard]] std::optional<std::size_t> line_of(const std::string& n) const {
      if (const auto k = key(n)) {
        if (auto it = claimed.find(*k); it != claimed.end()) return it->second;
      } else if (auto it = claimed_text.find(n); it != claimed_text.end()) {
        return it->second;
      }
      return std::nullopt;
    }
    void claim(const std::string& n, std::size_t line) {
      if (const auto k = key(n)) {
        claimed.emplace(*k, line);
      } else {
        claimed_text.emplace(n, line);
      }
    }
  };
  numbers msisdn_, imsi_;

  // Why `number` cannot go to the row's card, or nullopt.
  static std::optional<std::string> taken(const char* what, const std::string& number,
                                          const parsed_row& r,
                                          const std::optional<std::string>& stored_owner,
                                          const numbers& n) {
    if (const auto line = n.line_of(number)) {
      return std::string(what) + " " + number + " already on line " + std::to_string(*line) +
             " (another iccid)";
    }
    if (!stored_owner || *stored_owner == r.sub.iccid) return std::nullopt;
    if (auto it = n.released.find(number); it != n.released.end() && it->second == *stored_owner) {
      return std::nullopt;  // its card moved to another number earlier in this file
    }
    return std::string(what) + " " + number + " belongs to iccid " + *stored_owner +
           " in the repository";
  }

  static void claim(const std::string& number, const parsed_row& r, const std::string& before,
                    numbers& n) {
    if (!number.empty()) n.claim(number, r.line);
    if (!before.empty() && before != number) n.released.emplace(before, r.sub.iccid);
  }
};

// A line of the file, and what became of it on a worker.
struct pending_line {
  std::size_t line = 0;
  std::string text;
  std::optional<parsed_row> row;  // parsed and sealed
  std::string reason;             // or why it was rejected
};

// Parses and seals one line (worker side: no database access beyond the KEK).
void work_line(const csv::layout& l, const key_store& keys, pending_line& p) {
  auto fields = csv::split_line(p.text);
  secure_wipe(p.text);
  if (!fields) {
    p.reason = "unterminated quoted field";
    return;
  }
  auto card = csv::parse_row(l, *fields);
  for (auto& f : *fields) secure_wipe(f);
  if (!card) {
    p.reason = card.error().message;
    return;
  }
  auto sealed = keys.seal_rows(card->sub.iccid, card->keys);
  if (!sealed) {
    p.reason = sealed.error().message;
    return;
  }
  parsed_row row;
  row.sub = std::move(card->sub);
  row.sealed = std::move(*sealed);  // the clear keys go with `card` (secret wipes itself)
  row.line = p.line;
  p.row = std::move(row);
}

// Parsing, hex decoding and AES-GCM sealing are most of an import's time and independent
// per row: a chunk of lines is split between `threads` workers (the caller is one of
// them); rows are then handed to the writer in file order, so duplicate detection, line
// numbers and "last row wins" stay as in a sequential import.
// `no_prev`: the repository held no subscriber when the import began, so no card has a
// record before it (a card repeated in the file is rejected as a duplicate): nothing to read.
void work_slice(const csv::layout& l, state& st, std::span<pending_line> slice, bool no_prev) {
  std::vector<std::string> iccids;
  std::vector<std::string_view> msisdns, imsis;
  std::vector<parsed_row*> rows, with_msisdn;
  for (auto& p : slice) {
    work_line(l, st.keys(), p);
    if (!p.row) continue;
    if (no_prev) {
      p.row->prev_read = true;
      p.row->owners_read = true;
      continue;
    }
    iccids.push_back(p.row->sub.iccid);
    rows.push_back(&*p.row);
  }
  // The cards' current records and the holders of their numbers in one MultiGet each; on a
  // read error the writer reads them.
  if (iccids.empty()) return;
  for (auto* r : rows) {
    imsis.push_back(r->sub.imsi);
    if (r->sub.msisdn.empty()) continue;
    msisdns.push_back(r->sub.msisdn);
    with_msisdn.push_back(r);
  }
  auto old = st.subscribers().get_many(iccids);
  if (!old) return;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i]->prev = std::move((*old)[i]);
    rows[i]->prev_read = true;
  }
  auto by_imsi = st.database().get_many(column::by_imsi, imsis);
  auto by_msisdn = st.database().get_many(column::by_msisdn, msisdns);
  if (!by_imsi || !by_msisdn) return;
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i]->imsi_owner = std::move((*by_imsi)[i]);
  for (std::size_t i = 0; i < with_msisdn.size(); ++i) {
    with_msisdn[i]->msisdn_owner = std::move((*by_msisdn)[i]);
  }
  for (auto* r : rows) r->owners_read = true;
}

void work_chunk(const csv::layout& l, state& st, std::vector<pending_line>& chunk, unsigned threads,
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
  OTAFLOW_TRY(vendor_csv::check_declared(options.attributes));
  const unsigned threads =
      options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  const std::size_t chunk_lines = std::max<std::size_t>(options.batch_size, 4096);
  std::string line;
  std::size_t lineno = 0;
  std::optional<csv::layout> l;
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
      auto fields = csv::split_line(line);
      secure_wipe(line);
      if (!fields) return make_error(errc::bad_value, "header: unterminated quoted field");
      auto h = csv::parse_header(*fields, options.attributes);
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
