#include "storage/counter_store.hpp"

#include <algorithm>

#include "storage/record_io.hpp"

namespace otaflow::storage {
namespace {

rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}

std::string encode_counter(std::uint64_t v) {
  return detail::be64(v).substr(3);
}

std::string describe(std::string_view key) {
  const auto nul = key.find('\0');
  const auto kvn = nul + 1 < key.size() ? static_cast<std::uint8_t>(key[nul + 1]) : 0;
  return "counter of " + std::string(key.substr(0, nul)) + " keyset " + std::to_string(kvn);
}

result<std::uint64_t> decode_counter(std::string_view key, std::string_view value) {
  if (value.size() != 5) {
    return make_error(errc::internal, describe(key) + ": stored value has " +
                                          std::to_string(value.size()) + " octets, expected 5");
  }
  std::uint64_t v = 0;
  for (char c : value) v = (v << 8) | static_cast<std::uint8_t>(c);
  return v;
}

status check_request(const counter_request& r) {
  if (r.iccid.empty() || r.iccid.find('\0') != std::string_view::npos) {
    return make_error(errc::bad_argument, "counter request: ICCID empty or holding NUL");
  }
  if (r.kvn > 15) {
    return make_error(errc::bad_argument, "counter request for " + std::string(r.iccid) +
                                              ": keyset version " + std::to_string(r.kvn) +
                                              " outside 0-15");
  }
  return {};
}

}  // namespace

std::string counter_store::row_key(std::string_view iccid, std::uint8_t kvn) {
  std::string k(iccid);
  k += '\0';
  k += static_cast<char>(kvn);
  return k;
}

result<std::uint64_t> counter_store::load_locked(const std::string& key) {
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  auto v = db_.get(column::counters, key);
  if (!v) return v.error();
  std::uint64_t value = 0;
  if (v->has_value()) {
    auto d = decode_counter(key, **v);
    if (!d) return d.error();
    value = *d;
  }
  cache_.emplace(key, value);
  return value;
}

result<std::vector<result<std::uint64_t>>> counter_store::next(
    std::span<const counter_request> requests) {
  std::vector<result<std::uint64_t>> out;
  out.reserve(requests.size());
  // Requests that cannot be served fail on their own; the others go on.
  std::vector<std::string> keys(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    auto ok = check_request(requests[i]);
    if (ok) keys[i] = row_key(requests[i].iccid, requests[i].kvn);
    out.emplace_back(ok ? result<std::uint64_t>(0) : result<std::uint64_t>(ok.error()));
  }
  if (requests.empty()) return out;

  // Held across the synced write: a concurrent batch must not hand out a value
  // above ours and persist before us, or a crash in between would lose it.
  std::lock_guard lock(mu_);

  // Read every uncached counter with one MultiGet. A row that does not decode fails the
  // requests for it (read_errors) and is not cached, so a repaired row is read again.
  std::vector<std::size_t> misses;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (out[i] && !cache_.count(keys[i])) misses.push_back(i);
  }
  std::unordered_map<std::string_view, error> read_errors;
  if (!misses.empty()) {
    std::vector<std::string_view> ks;
    ks.reserve(misses.size());
    for (auto i : misses) ks.emplace_back(keys[i]);
    auto values = db_.get_many(column::counters, ks);
    if (!values) return values.error();
    for (std::size_t j = 0; j < misses.size(); ++j) {
      const auto& key = keys[misses[j]];
      std::uint64_t v = 0;
      if ((*values)[j]) {
        auto d = decode_counter(key, *(*values)[j]);
        if (!d) {
          read_errors.emplace(key, std::move(d).error());
          continue;
        }
        v = *d;
      }
      cache_.emplace(key, v);  // a duplicate key in the batch keeps the first read
    }
  }

  // Advance in a scratch map; the cache changes only once the write is durable.
  std::unordered_map<std::string_view, std::uint64_t> pending;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!out[i]) continue;
    const auto& key = keys[i];
    if (auto e = read_errors.find(key); e != read_errors.end()) {
      out[i] = make_error(e->second.code, e->second.message + "; the card gets no counter");
      continue;
    }
    auto [it, fresh] = pending.try_emplace(key, 0);
    if (fresh) it->second = cache_.at(key);
    const auto skip = requests[i].skip;
    if (it->second >= counter_max || counter_max - it->second - 1 < skip) {
      out[i] = make_error(errc::conflict,
                          describe(key) + " is exhausted (at " + std::to_string(it->second) +
                              (skip ? ", skipping " + std::to_string(skip) : std::string()) +
                              ", the 40-bit limit is " + std::to_string(counter_max) + ")");
      continue;
    }
    it->second += 1 + skip;
    out[i] = it->second;
  }
  if (pending.empty()) return out;
  rocksdb::WriteBatch b;
  for (const auto& [key, v] : pending) {
    b.Put(db_.handle(column::counters), slice(key), slice(encode_counter(v)));
  }
  OTAFLOW_TRY(db_.commit(b, true));
  for (const auto& [key, v] : pending) cache_[std::string(key)] = v;
  // Every cached value is also durable, so forgetting them all is safe: a card seen again
  // is read back. Without a bound, a 10M-card campaign kept 10M strings here (~1 GB).
  if (cache_.size() > cache_limit_) cache_.clear();
  return out;
}

result<std::vector<std::uint64_t>> counter_store::raise(std::span<const counter_raise> raises,
                                                        rocksdb::WriteBatch& extra) {
  std::vector<std::string> keys;
  keys.reserve(raises.size());
  for (const auto& r : raises) {
    OTAFLOW_TRY(check_request({r.iccid, r.kvn}));
    keys.push_back(row_key(r.iccid, r.kvn));
    if (r.value > counter_max) {
      return make_error(errc::bad_value, describe(keys.back()) + ": " + std::to_string(r.value) +
                                             " does not fit in 5 octets");
    }
  }
  std::lock_guard lock(mu_);
  std::vector<std::uint64_t> before;
  before.reserve(raises.size());
  std::unordered_map<std::string_view, std::uint64_t> target;
  for (std::size_t i = 0; i < raises.size(); ++i) {
    auto it = target.find(keys[i]);
    if (it == target.end()) {
      auto cur = load_locked(keys[i]);
      if (!cur) return cur.error();
      it = target.emplace(keys[i], *cur).first;
    }
    before.push_back(it->second);
    it->second = std::max(it->second, raises[i].value);
  }
  for (const auto& [key, v] : target) {
    extra.Put(db_.handle(column::counters), slice(key), slice(encode_counter(v)));
  }
  OTAFLOW_TRY(db_.commit(extra, true));
  for (const auto& [key, v] : target) cache_[std::string(key)] = v;
  if (cache_.size() > cache_limit_) cache_.clear();
  return before;
}

result<std::vector<counter_row>> counter_store::scan(std::string_view iccid) const {
  std::vector<counter_row> out;
  OTAFLOW_TRY(scan(iccid, [&](const counter_row& r) { out.push_back(r); }));
  return out;
}

status counter_store::scan(std::string_view iccid,
                           const std::function<void(const counter_row&)>& visit) const {
  std::string prefix;
  if (!iccid.empty()) {
    prefix.assign(iccid);
    prefix += '\0';
  }
  auto it = db_.iterate(column::counters);
  for (it->Seek(slice(prefix)); it->Valid() && it->key().starts_with(slice(prefix)); it->Next()) {
    const auto key = it->key().ToStringView();
    const auto nul = key.find('\0');
    counter_row row;
    if (nul == std::string_view::npos || nul + 2 != key.size()) {
      row.iccid = std::string(key.substr(0, nul));
      row.problem = "malformed row key of " + std::to_string(key.size()) + " octets";
    } else {
      row.iccid = std::string(key.substr(0, nul));
      row.kvn = static_cast<std::uint8_t>(key[nul + 1]);
      auto v = decode_counter(key, it->value().ToStringView());
      if (v) {
        row.value = *v;
      } else {
        row.problem = v.error().message;
      }
    }
    visit(row);
  }
  if (!it->status().ok()) return rocksdb_error(it->status(), "scan of counters");
  return {};
}

result<std::uint64_t> counter_store::get(std::string_view iccid, std::uint8_t kvn) {
  OTAFLOW_TRY(check_request({iccid, kvn}));
  std::lock_guard lock(mu_);
  return load_locked(row_key(iccid, kvn));
}

status counter_store::set(std::string_view iccid, std::uint8_t kvn, std::uint64_t value) {
  OTAFLOW_TRY(check_request({iccid, kvn}));
  const std::string key = row_key(iccid, kvn);
  if (value > counter_max) {
    return make_error(errc::bad_value,
                      describe(key) + ": " + std::to_string(value) + " does not fit in 5 octets");
  }
  std::lock_guard lock(mu_);
  auto cur = load_locked(key);
  if (!cur) return cur.error();
  if (value < *cur) {
    return make_error(errc::conflict, describe(key) + ": cannot lower it from " +
                                          std::to_string(*cur) + " to " + std::to_string(value) +
                                          " (counter values would be reused)");
  }
  rocksdb::WriteBatch b;
  b.Put(db_.handle(column::counters), slice(key), slice(encode_counter(value)));
  OTAFLOW_TRY(db_.commit(b, true));
  cache_[key] = value;
  return {};
}

void counter_store::clear_cache() {
  std::lock_guard lock(mu_);
  cache_.clear();
}

std::size_t counter_store::cached() const {
  std::lock_guard lock(mu_);
  return cache_.size();
}

}  // namespace otaflow::storage
