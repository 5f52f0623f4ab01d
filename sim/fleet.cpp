#include "sim/fleet.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/log.hpp"
#include "codec/ts23040_tpdu.hpp"
#include "secure/simd_backend.hpp"
#include "sim/home_network.hpp"

namespace otaflow::sim {

namespace {

bool digits_only(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::uint64_t> msisdn_number(std::string_view m) noexcept {
  if (!m.empty() && m.front() == '+') m.remove_prefix(1);
  if (!digits_only(m) || m.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : m) v = v * 10 + static_cast<unsigned>(c - '0');
  return v;
}

// ---- generated source ------------------------------------------------------------------------

class generated_card_source final : public card_source {
 public:
  generated_card_source(fleet_meta meta, fleet_deriver d,
                        std::shared_ptr<const bytes> suci_calc_info)
      : meta_(std::move(meta)), suci_calc_info_(std::move(suci_calc_info)) {
    pool_.push_back(std::move(d));
  }

  std::uint64_t size() const override { return meta_.count; }

  std::optional<std::uint64_t> find_msisdn(std::string_view m) const override {
    auto d = borrow();
    auto i = d.get().index_of_msisdn(m);
    if (i && *i >= meta_.count) i.reset();
    return i;
  }

  std::optional<std::uint64_t> find_iccid(std::string_view s) const override {
    auto d = borrow();
    auto i = d.get().index_of_iccid(s);
    if (i && *i >= meta_.count) i.reset();
    return i;
  }

  result<card_identity> identity(std::uint64_t index) const override {
    if (index >= meta_.count)
      return make_error(errc::not_found, "card index " + std::to_string(index) +
                                             " is outside the fleet of " +
                                             std::to_string(meta_.count));
    auto d = borrow();
    card_identity id = d.get().card(index);
    id.suci_calc_info = suci_calc_info_;  // the fleet's home network keys (home_network.hpp)
    return id;
  }

  std::string describe_json() const override {
    nlohmann::ordered_json j;
    j["format"] = "otaflow-fleet-state";
    j["version"] = 1;
    j["source"] = "generated";
    j["seed"] = meta_.seed;
    j["count"] = meta_.count;
    j["iccid_prefix"] = meta_.numbering.iccid_prefix;
    j["imsi_prefix"] = meta_.numbering.imsi_prefix;
    j["msisdn_prefix"] = meta_.numbering.msisdn_prefix;
    j["iccid_digits"] = meta_.numbering.iccid_digits;
    j["imsi_digits"] = meta_.numbering.imsi_digits;
    j["msisdn_digits"] = meta_.numbering.msisdn_digits;
    return j.dump();
  }

 private:
  /// A deriver taken from the pool for the lifetime of the guard (derivers keep an HMAC
  /// context and are not thread-safe).
  class lease {
   public:
    lease(const generated_card_source& s, fleet_deriver d) : s_(s), d_(std::move(d)) {}
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    ~lease() {
      std::lock_guard lk(s_.mu_);
      s_.pool_.push_back(std::move(d_));
    }
    fleet_deriver& get() { return d_; }

   private:
    const generated_card_source& s_;
    fleet_deriver d_;
  };

  lease borrow() const {
    {
      std::lock_guard lk(mu_);
      if (!pool_.empty()) {
        fleet_deriver d = std::move(pool_.back());
        pool_.pop_back();
        return lease(*this, std::move(d));
      }
    }
    // The seed was accepted when the pool's first deriver was made.
    auto d = fleet_deriver::create(meta_.seed, meta_.numbering);
    return lease(*this, std::move(*d));
  }

  fleet_meta meta_;
  std::shared_ptr<const bytes> suci_calc_info_;
  mutable std::mutex mu_;
  mutable std::vector<fleet_deriver> pool_;
};

// ---- vendor CSV source -----------------------------------------------------------------------

std::vector<std::string_view> split_csv(std::string_view line) {
  std::vector<std::string_view> out;
  while (true) {
    const auto c = line.find(',');
    std::string_view f = line.substr(0, c);
    while (!f.empty() && (f.back() == ' ' || f.back() == '\r')) f.remove_suffix(1);
    while (!f.empty() && f.front() == ' ') f.remove_prefix(1);
    out.push_back(f);
    if (c == std::string_view::npos) break;
    line.remove_prefix(c + 1);
  }
  return out;
}

class csv_card_source final : public card_source {
 public:
  static result<std::unique_ptr<csv_card_source>> open(const std::filesystem::path& path) {
    auto s = std::unique_ptr<csv_card_source>(new csv_card_source(path));
    OTAFLOW_TRY(s->index());
    return s;
  }
  ~csv_card_source() override {
    if (fd_ >= 0) ::close(fd_);
  }

  std::uint64_t size() const override { return offsets_.size(); }

  std::optional<std::uint64_t> find_msisdn(std::string_view m) const override {
    auto n = msisdn_number(m);
    if (!n) return std::nullopt;
    auto it = std::lower_bound(by_msisdn_.begin(), by_msisdn_.end(),
                               std::make_pair(*n, std::uint64_t{0}));
    if (it == by_msisdn_.end() || it->first != *n) return std::nullopt;
    return it->second;
  }

  std::optional<std::uint64_t> find_iccid(std::string_view iccid) const override {
    // No ICCID index (it would cost another 24 octets per row): scan the file.
    for (std::uint64_t i = 0; i < offsets_.size(); ++i) {
      auto f = row_fields(i);
      if (f && col_iccid_ < f->size() && (*f)[col_iccid_] == iccid) return i;
    }
    return std::nullopt;
  }

  result<card_identity> identity(std::uint64_t index) const override {
    auto fields = row_fields(index);
    if (!fields) return std::move(fields).error();
    const auto& f = *fields;
    const std::string where = path_.filename().string() + " row " + std::to_string(index + 1);
    auto field = [&](std::size_t col) -> std::string_view {
      return col < f.size() ? std::string_view(f[col]) : std::string_view();
    };
    card_identity id;
    id.iccid = std::string(field(col_iccid_));
    id.imsi = std::string(field(col_imsi_));
    id.msisdn = std::string(field(col_msisdn_));
    if (!id.msisdn.empty() && id.msisdn.front() == '+') id.msisdn.erase(0, 1);
    if (!digits_only(id.iccid) || id.iccid.size() < 18 || id.iccid.size() > 20)
      return make_error(errc::bad_value, where + ": iccid must be 18..20 digits");
    if (!digits_only(id.imsi) || id.imsi.size() < 6 || id.imsi.size() > 15)
      return make_error(errc::bad_value, where + ": imsi must be 6..15 digits");
    auto key = [&](std::size_t col, const char* name, key16& out) -> status {
      auto b = from_hex(field(col));
      if (!b || b->size() != 16)
        return make_error(errc::bad_value, where + ": " + name + " must be 32 hex digits");
      std::copy(b->begin(), b->end(), out.begin());
      secure_wipe(*b);
      return {};
    };
    OTAFLOW_TRY(key(col_ki_, "ki", id.ki));
    OTAFLOW_TRY(key(col_opc_, "opc", id.opc));
    for (const auto& ks : keysets_) {
      const auto c = field(ks.kic), d = field(ks.kid), k = field(ks.kik);
      if (c.empty() && d.empty() && k.empty()) continue;
      auto bc = from_hex(c), bd = from_hex(d), bk = from_hex(k);
      auto ok = [](const result<bytes>& b) {
        return b && (b->size() == 16 || b->size() == 24 || b->size() == 32);
      };
      if (!ok(bc) || !ok(bd) || !ok(bk))
        return make_error(errc::bad_value, where + ": keyset " + std::to_string(ks.version) +
                                               ": kic/kid/kik must be 32, 48 or 64 hex digits");
      id.keysets.emplace_back(ks.version, std::move(*bc), std::move(*bd), std::move(*bk));
    }
    if (id.keysets.empty()) return make_error(errc::bad_value, where + ": no OTA keyset");
    return id;
  }

  std::string describe_json() const override {
    nlohmann::ordered_json j;
    j["format"] = "otaflow-fleet-state";
    j["version"] = 1;
    j["source"] = "csv";
    std::error_code ec;
    auto abs = std::filesystem::absolute(path_, ec);
    j["csv"] = (ec ? path_ : abs).string();
    j["rows"] = offsets_.size();
    return j.dump();
  }

 private:
  struct keyset_cols {
    std::uint8_t version;
    std::size_t kic, kid, kik;
  };

  explicit csv_card_source(std::filesystem::path p) : path_(std::move(p)) {}

  status index() {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return make_error(errc::io, path_.string() + ": cannot be opened");
    std::ifstream in(path_, std::ios::binary);
    std::string line;
    std::uint64_t offset = 0;
    if (!std::getline(in, line)) return make_error(errc::bad_value, path_.string() + ": empty");
    OTAFLOW_TRY(header(line));
    offset += line.size() + 1;
    std::uint64_t skipped = 0;
    while (std::getline(in, line)) {
      const std::uint64_t at = offset;
      offset += line.size() + 1;
      if (line.empty() || line == "\r") continue;
      const auto f = split_csv(line);
      const auto m = col_msisdn_ < f.size() ? msisdn_number(f[col_msisdn_]) : std::nullopt;
      if (!m) {
        ++skipped;
        continue;
      }
      by_msisdn_.emplace_back(*m, offsets_.size());
      offsets_.push_back(at);
    }
    std::sort(by_msisdn_.begin(), by_msisdn_.end());
    // One card per MSISDN: the first row wins.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> uniq;
    uniq.reserve(by_msisdn_.size());
    for (const auto& e : by_msisdn_)
      if (uniq.empty() || uniq.back().first != e.first)
        uniq.push_back(e);
      else
        ++skipped;
    by_msisdn_ = std::move(uniq);
    by_msisdn_.shrink_to_fit();
    offsets_.shrink_to_fit();
    if (skipped)
      log::get("fleet")->warn("{}: {} rows without a usable or unique msisdn were skipped",
                              path_.string(), skipped);
    return {};
  }

  status header(std::string_view line) {
    const auto cols = split_csv(line);
    auto find = [&](std::string_view name) -> std::optional<std::size_t> {
      for (std::size_t i = 0; i < cols.size(); ++i) {
        std::string lc(cols[i]);
        std::transform(lc.begin(), lc.end(), lc.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (lc == name) return i;
      }
      return std::nullopt;
    };
    for (const char* need : {"iccid", "imsi", "msisdn", "ki", "opc"})
      if (!find(need))
        return make_error(errc::bad_value,
                          path_.string() + ": header has no '" + need + "' column");
    col_iccid_ = *find("iccid");
    col_imsi_ = *find("imsi");
    col_msisdn_ = *find("msisdn");
    col_ki_ = *find("ki");
    col_opc_ = *find("opc");
    for (unsigned v = 1; v <= 15; ++v) {
      const auto n = std::to_string(v);
      auto c = find("kic" + n), d = find("kid" + n), k = find("kik" + n);
      if (c && d && k) keysets_.push_back({static_cast<std::uint8_t>(v), *c, *d, *k});
    }
    if (keysets_.empty())
      return make_error(errc::bad_value,
                        path_.string() + ": header has no OTA keyset columns (kic1, kid1, kik1)");
    return {};
  }

  result<std::vector<std::string>> row_fields(std::uint64_t index) const {
    if (index >= offsets_.size())
      return make_error(errc::not_found, "card index " + std::to_string(index) +
                                             " is outside the " + std::to_string(size()) +
                                             " rows of " + path_.string());
    char buf[4096];
    const auto n = ::pread(fd_, buf, sizeof buf, static_cast<off_t>(offsets_[index]));
    if (n <= 0) return make_error(errc::io, path_.string() + ": read failed");
    std::string_view line(buf, static_cast<std::size_t>(n));
    const auto nl = line.find('\n');
    if (nl != std::string_view::npos) line = line.substr(0, nl);
    std::vector<std::string> out;
    for (auto f : split_csv(line)) out.emplace_back(f);
    secure_wipe(std::span(reinterpret_cast<std::uint8_t*>(buf), sizeof buf));
    return out;
  }

  std::filesystem::path path_;
  int fd_ = -1;
  std::size_t col_iccid_ = 0, col_imsi_ = 0, col_msisdn_ = 0, col_ki_ = 0, col_opc_ = 0;
  std::vector<keyset_cols> keysets_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> by_msisdn_;  ///< (MSISDN, row)
  std::vector<std::uint64_t> offsets_;                              ///< row -> file offset
};

/// Whether the first and last rows of a CSV are those the meta's seed derives.
bool rows_match_meta(const std::filesystem::path& csv, const fleet_meta& meta) {
  auto d = fleet_deriver::create(meta.seed, meta.numbering);
  if (!d) return false;
  std::ifstream in(csv, std::ios::binary);
  std::string header, first;
  if (!std::getline(in, header) || header != fleet_csv_header) return false;
  if (meta.count == 0) return !std::getline(in, first);
  if (!std::getline(in, first)) return false;
  std::string expect;
  d->csv_row(0, expect);
  if (first + "\n" != expect) return false;
  // The last row sits at a known offset: every generated row has the same length.
  const auto row_len = expect.size();
  in.seekg(static_cast<std::streamoff>(header.size() + 1 + (meta.count - 1) * row_len));
  std::string last;
  if (!std::getline(in, last)) return false;
  expect.clear();
  d->csv_row(meta.count - 1, expect);
  const bool ok = last + "\n" == expect;
  secure_wipe(std::span(reinterpret_cast<std::uint8_t*>(expect.data()), expect.size()));
  secure_wipe(std::span(reinterpret_cast<std::uint8_t*>(first.data()), first.size()));
  secure_wipe(std::span(reinterpret_cast<std::uint8_t*>(last.data()), last.size()));
  return ok;
}

}  // namespace

result<std::unique_ptr<card_source>> generated_source(std::string seed, std::uint64_t count,
                                                      fleet_numbering n) {
  auto d = fleet_deriver::create(seed, n);
  if (!d) return std::move(d).error();
  if (count > n.capacity())
    return make_error(errc::bad_argument, "fleet of " + std::to_string(count) +
                                              " cards exceeds the numbering's capacity " +
                                              std::to_string(n.capacity()));
  auto calc_info = personalised_suci_calc_info(seed);
  if (!calc_info) return std::move(calc_info).error();
  fleet_meta meta{std::move(seed), count, std::move(n)};
  return std::unique_ptr<card_source>(std::make_unique<generated_card_source>(
      std::move(meta), std::move(*d), std::move(*calc_info)));
}

result<std::unique_ptr<card_source>> csv_source(const std::filesystem::path& csv) {
  auto meta = read_fleet_meta(csv);
  if (!meta) return std::move(meta).error();
  if (*meta) {
    if (rows_match_meta(csv, **meta))
      return generated_source((*meta)->seed, (*meta)->count, (*meta)->numbering);
    log::get("fleet")->warn(
        "{}: the rows do not match the seed of {}; reading it as a vendor "
        "file",
        csv.string(), fleet_meta_path(csv).string());
  }
  auto s = csv_card_source::open(csv);
  if (!s) return std::move(s).error();
  return std::unique_ptr<card_source>(std::move(*s));
}

// ---- fleet -----------------------------------------------------------------------------------

struct fleet::entry {
  std::shared_ptr<virtual_card> card;
  std::list<std::uint64_t>::iterator lru;
  std::size_t bytes = 0;
  bool busy = false;           ///< a thread holding the card's stripe is using it
  bool unsaved = false;        ///< state not yet written, or its write failed: never evicted
  std::uint64_t save_seq = 0;  ///< bumped whenever a state of the card is queued for writing
};

fleet::fleet(std::unique_ptr<card_source> source, fleet_options options,
             std::unique_ptr<fleet_store> store)
    : source_(std::move(source)),
      options_(std::move(options)),
      store_(std::move(store)),
      stripes_(std::max<std::size_t>(1, options_.lock_stripes)) {}

fleet::~fleet() = default;

result<std::unique_ptr<fleet>> fleet::open(std::unique_ptr<card_source> source,
                                           fleet_options options) {
  std::unique_ptr<fleet_store> store;
  if (!options.state_dir.empty()) {
    auto s =
        fleet_store::open(options.state_dir, false, options.sync_writes, options.flush_on_close);
    if (!s) return std::move(s).error();
    store = std::move(*s);
    const std::string mine = source->describe_json();
    auto recorded = store->meta();
    if (!recorded) return std::move(recorded).error();
    if (*recorded) {
      const auto a = nlohmann::json::parse(**recorded, nullptr, false);
      const auto b = nlohmann::json::parse(mine, nullptr, false);
      if (a != b)
        return make_error(errc::conflict, "state dir " + options.state_dir.string() +
                                              " belongs to another fleet (" + **recorded + ")");
    } else {
      OTAFLOW_TRY(store->put_meta(mine));
    }
  }
  bool stored = false;
  if (store) {
    auto held = store->holds_cards();
    if (!held) return std::move(held).error();
    stored = *held;
  }
  std::unique_ptr<fleet> f(new fleet(std::move(source), std::move(options), std::move(store)));
  f->stored_at_open_ = stored;
  return f;
}

result<std::unique_ptr<fleet>> fleet::generated(std::string seed, std::uint64_t count,
                                                fleet_options options) {
  auto s = generated_source(std::move(seed), count);
  if (!s) return std::move(s).error();
  return open(std::move(*s), std::move(options));
}

result<std::unique_ptr<fleet>> fleet::from_csv(const std::filesystem::path& csv,
                                               fleet_options options) {
  auto s = csv_source(csv);
  if (!s) return std::move(s).error();
  return open(std::move(*s), std::move(options));
}

result<std::shared_ptr<virtual_card>> fleet::acquire(std::uint64_t index,
                                                     std::optional<card_identity> known,
                                                     bool* was_cached) {
  bool may_be_stored = true;
  {
    std::lock_guard lk(cache_mu_);
    auto it = cache_.find(index);
    if (it != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second->lru);
      it->second->busy = true;
      if (was_cached) *was_cached = true;
      return it->second->card;
    }
    may_be_stored = stored_at_open_ || changed_since_open(index);
  }
  auto id = known ? result<card_identity>(std::move(*known)) : source_->identity(index);
  if (!id) return std::move(id).error();
  card_state st;
  if (store_ && may_be_stored) {
    store_reads_.fetch_add(1, std::memory_order_relaxed);
    auto loaded = store_->load(id->iccid);
    if (!loaded) return std::move(loaded).error();
    if (*loaded) {
      st = std::move(**loaded);
      loaded_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  materialised_.fetch_add(1, std::memory_order_relaxed);
  return std::make_shared<virtual_card>(std::move(*id), std::move(st), options_.profile);
}

void fleet::mark_changed(std::uint64_t index) {
  const std::uint64_t chunk = index >> 16;
  if (chunk >= changed_.size()) changed_.resize(chunk + 1);
  auto& bits = changed_[chunk];
  if (!bits) bits = std::make_unique<std::array<std::uint64_t, 1024>>();
  std::uint64_t& word = (*bits)[(index >> 6) & 1023];
  const std::uint64_t bit = std::uint64_t{1} << (index & 63);
  if (word & bit) return;
  word |= bit;
  ++cards_changed_;
}

bool fleet::changed_since_open(std::uint64_t index) const {
  const std::uint64_t chunk = index >> 16;
  if (chunk >= changed_.size() || !changed_[chunk]) return false;
  return ((*changed_[chunk])[(index >> 6) & 1023] >> (index & 63)) & 1;
}

void fleet::release(std::uint64_t index, const std::shared_ptr<virtual_card>& card,
                    std::vector<pending_save>* defer) {
  auto& st = card->data().state();
  const bool changed = st.dirty();
  std::vector<pending_save> now;  // without `defer`: written before this returns
  bytes encoded;
  if (changed && store_) {
    encoded = st.encode();
    st.clear_dirty();
  }
  // The card (in its make_shared block), its cache entry, the hash node and the LRU node.
  const std::size_t size =
      card->approx_bytes() + 16 + sizeof(entry) + 32 + 32 + 4 * malloc_overhead;
  std::vector<std::shared_ptr<virtual_card>> dropped;  // destroyed after the lock
  std::unique_lock lk(cache_mu_);
  if (changed) mark_changed(index);
  auto it = cache_.find(index);
  if (it == cache_.end()) {
    auto e = std::make_unique<entry>();
    e->card = card;
    lru_.push_front(index);
    e->lru = lru_.begin();
    it = cache_.emplace(index, std::move(e)).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second->lru);
    bytes_ -= it->second->bytes;
  }
  it->second->busy = false;
  it->second->bytes = size;
  bytes_ += size;
  if (changed && store_) {
    it->second->unsaved = true;
    (defer ? *defer : now)
        .push_back(
            {index, card->data().identity().iccid, std::move(encoded), ++it->second->save_seq});
  }
  // Without a store an evicted card would forget its state: keep everything then.
  if (!store_) return;
  for (auto rit = lru_.end(); bytes_ > options_.memory_budget && rit != lru_.begin();) {
    --rit;
    const std::uint64_t victim = *rit;
    auto v = cache_.find(victim);
    if (victim == index || v->second->busy || v->second->unsaved) continue;
    bytes_ -= v->second->bytes;
    dropped.push_back(std::move(v->second->card));
    rit = lru_.erase(rit);
    cache_.erase(v);
    evicted_.fetch_add(1, std::memory_order_relaxed);
  }
  lk.unlock();
  if (!now.empty()) save_pending(now, index);
}

void fleet::save_pending(std::vector<pending_save>& saves, std::optional<std::uint64_t> held) {
  if (saves.empty()) return;
  if (options_.before_state_write) options_.before_state_write();
  std::vector<std::pair<std::uint64_t, std::shared_ptr<virtual_card>>> failed;
  {
    // Under save_mu_, a state is written only while it is its card's newest: one queued
    // later (a higher seq) is written by its own save_pending, never before this one.
    std::lock_guard w(save_mu_);
    std::vector<const pending_save*> live;
    std::vector<std::pair<std::string_view, byte_view>> rows;
    {
      std::lock_guard lk(cache_mu_);
      for (const auto& p : saves) {
        auto it = cache_.find(p.index);  // unsaved entries are never evicted
        if (it == cache_.end() || it->second->save_seq != p.seq) continue;
        live.push_back(&p);
        rows.emplace_back(p.iccid, p.state);
      }
    }
    if (live.empty()) return;
    const auto s = store_->save_encoded(rows);
    store_writes_.fetch_add(1, std::memory_order_relaxed);
    if (!s) log::get("fleet")->error("{}", s.error().message);
    std::lock_guard lk(cache_mu_);
    for (const auto* p : live) {
      auto it = cache_.find(p->index);
      if (s) {
        if (it->second->save_seq == p->seq) it->second->unsaved = false;
        persisted_.fetch_add(1, std::memory_order_relaxed);
      } else {
        failed.emplace_back(p->index, it->second->card);
      }
    }
  }
  // Marked dirty again under the card's stripe, so the card's next release retries.
  for (auto& [index, card] : failed) {
    if (held == index) {
      card->data().state().mark_dirty();
    } else {
      std::lock_guard sl(stripe(index));
      card->data().state().mark_dirty();
    }
  }
}

std::shared_ptr<virtual_card> fleet::peek(std::uint64_t index) const {
  std::lock_guard lk(cache_mu_);
  auto it = cache_.find(index);
  return it == cache_.end() ? nullptr : it->second->card;
}

mt_outcome fleet::deliver(std::string_view msisdn, byte_view tpdu) {
  const auto index = source_->find_msisdn(msisdn);
  if (!index) {
    unknown_.fetch_add(1, std::memory_order_relaxed);
    mt_outcome o;
    o.result = mt_outcome::kind::unknown_subscriber;
    return o;
  }
  return deliver_to(*index, msisdn, tpdu, nullptr, std::nullopt);
}

mt_outcome fleet::deliver_to(std::uint64_t index, std::string_view msisdn, byte_view tpdu,
                             preopened_command* preopened, std::optional<card_identity> known,
                             std::vector<pending_save>* defer) {
  std::lock_guard lk(stripe(index));
  auto card = acquire(index, std::move(known));
  if (!card) {
    log::get("fleet")->error("msisdn={}: {}", msisdn, card.error().message);
    mt_outcome o;
    o.result = mt_outcome::kind::unknown_subscriber;
    return o;
  }
  delivered_.fetch_add(1, std::memory_order_relaxed);
  mt_outcome out = (*card)->receive_sms(tpdu, preopened);
  if (const auto st = (*card)->last_sms_por_status())
    por_counts_[static_cast<std::uint8_t>(*st)].fetch_add(1, std::memory_order_relaxed);
  if (preopened && preopened->used) batch_opened_.fetch_add(1, std::memory_order_relaxed);
  release(index, *card, defer);
  return out;
}

void fleet::deliver_batch(std::span<mt_delivery> batch) {
  if (!options_.batch_verify || batch.size() < 2) {
    for (auto& d : batch) d.outcome = deliver(d.msisdn, d.sms_deliver_tpdu);
    return;
  }
  // Open every secured packet of the batch in one crypto batch. The keys come from the
  // cards' identities, which never change: a cached card's, else the source's (derived once
  // here and handed to acquire). No card lock is held meanwhile; each card checks that the
  // report fits the packet and keys it ends up with (ota_sms_pp.hpp).
  const std::size_t n = batch.size();
  std::vector<std::optional<std::uint64_t>> index(n);
  std::vector<std::optional<card_identity>> ids(n);
  std::vector<std::shared_ptr<virtual_card>> cached(n);
  std::vector<preopen_request> requests(n);
  for (std::size_t i = 0; i < n; ++i) {
    index[i] = source_->find_msisdn(batch[i].msisdn);
    requests[i].sms_deliver_tpdu = batch[i].sms_deliver_tpdu;
    if (!index[i]) continue;
    cached[i] = peek(*index[i]);
    if (cached[i]) {
      requests[i].identity = &cached[i]->data().identity();
    } else if (auto id = source_->identity(*index[i])) {
      ids[i] = std::move(*id);
      requests[i].identity = &*ids[i];
    }
  }
  thread_local std::unique_ptr<secure::crypto_backend> backend = secure::make_best_backend();
  auto pre = preopen_commands(requests, options_.profile, *backend);
  // The batch's changed cards are written together once every SM is delivered, before
  // any outcome (receipt, PoR) leaves: one RocksDB write instead of one per card.
  std::vector<pending_save> saves;
  saves.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& d = batch[i];
    if (!index[i]) {
      unknown_.fetch_add(1, std::memory_order_relaxed);
      d.outcome = {};
      d.outcome.result = mt_outcome::kind::unknown_subscriber;
      continue;
    }
    d.outcome = deliver_to(*index[i], d.msisdn, d.sms_deliver_tpdu, pre[i] ? &*pre[i] : nullptr,
                           std::move(ids[i]), &saves);
  }
  save_pending(saves, std::nullopt);
}

status fleet::visit(std::uint64_t index, const std::function<void(virtual_card&)>& fn) {
  if (index >= source_->size())
    return make_error(errc::not_found, "card index " + std::to_string(index) +
                                           " is outside the fleet of " +
                                           std::to_string(source_->size()));
  std::lock_guard lk(stripe(index));
  bool cached = false;
  auto card = acquire(index, std::nullopt, &cached);
  if (!card) return std::move(card).error();
  fn(**card);
  // Without a store the cache is the only copy of a card: keep every card then.
  if (cached || !store_ || (*card)->data().state().dirty()) release(index, *card);
  return {};
}

fleet_stats fleet::stats() const {
  fleet_stats s;
  {
    std::lock_guard lk(cache_mu_);
    s.cards_in_memory = cache_.size();
    s.bytes_in_memory = bytes_;
    s.cards_changed = cards_changed_;
  }
  for (std::size_t i = 0; i < por_counts_.size(); ++i)
    s.por_status[i] = por_counts_[i].load(std::memory_order_relaxed);
  s.materialised = materialised_.load();
  s.loaded = loaded_.load();
  s.evicted = evicted_.load();
  s.persisted = persisted_.load();
  s.store_reads = store_reads_.load();
  s.store_writes = store_writes_.load();
  s.delivered = delivered_.load();
  s.unknown = unknown_.load();
  s.batch_opened = batch_opened_.load();
  return s;
}

status fleet::flush() {
  return store_ ? store_->flush() : status{};
}

}  // namespace otaflow::sim
