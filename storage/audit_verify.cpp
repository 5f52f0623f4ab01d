#include "storage/audit_verify.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "storage/audit_log.hpp"
#include "storage/record_io.hpp"

namespace otaflow::storage {
namespace {

using secure::sha256_digest;

struct seen {
  std::uint64_t seq = 0;
  std::string value;  // stored value
  sha256_digest hash{};
  audit_entry entry;
};

std::string range_text(std::uint64_t a, std::uint64_t b) {
  return a == b ? "record " + std::to_string(a)
                : "records " + std::to_string(a) + ".." + std::to_string(b);
}

// The walk over the log in key order. Each record's link must equal the chain hash of the
// record before it; when it does not, the neighbours tell what happened.
class verifier {
 public:
  explicit verifier(std::span<const secure::ed25519_public> trusted)
      : trusted_(trusted.begin(), trusted.end()) {}

  void add(std::uint64_t seq, std::string value) {
    ++out_.records;
    auto en = audit_log::decode_entry(seq, detail::as_bytes(value));
    if (!en) {
      problem(seq, "unreadable: " + en.error().message);
      return;
    }
    seen cur{seq, std::move(value), {}, std::move(*en)};
    cur.hash = audit_chain_hash(seq, detail::as_bytes(cur.value));
    if (!cur.entry.chained) {
      ++out_.legacy;
      if (chain_started_) problem(seq, "format 1 record after the chain started: inserted");
    } else {
      chain_started_ = true;
      check_link(cur);
    }
    if (cur.entry.event.type == audit_type::checkpoint) check_checkpoint(cur);
    if (cur.entry.event.type == audit_type::recovery) note_recovery(cur);
    hashes_.emplace_back(cur.seq, cur.hash);
    if (hashes_.size() > 4) hashes_.erase(hashes_.begin());
    prevprev_ = std::move(prev_);
    prev_ = std::move(cur);
  }

  audit_verification finish() {
    settle_pending(std::nullopt);
    for (const auto& [a, b] : holes_) {
      bool known = false;
      for (const auto& [x, y] : declared_) known = known || (x <= a && b <= y);
      if (known) {
        out_.declared_missing += b - a + 1;
      } else {
        problem(a, range_text(a, b) + " removed (missing from the log)");
      }
    }
    std::sort(out_.problems.begin(), out_.problems.end(),
              [](const audit_problem& x, const audit_problem& y) { return x.seq < y.seq; });
    if (prev_ && out_.last_checkpoint < prev_->seq && chain_started_) {
      out_.unsigned_tail = prev_->seq - std::max(out_.last_checkpoint, first_chained_ - 1);
      if (last_checkpoint_record_ == prev_->seq) --out_.unsigned_tail;  // the checkpoint itself
    }
    return std::move(out_);
  }

 private:
  [[nodiscard]] sha256_digest expected_link() const {
    if (!prev_) return {};
    if (offset_ == 0) return prev_->hash;
    const auto s = static_cast<std::uint64_t>(static_cast<std::int64_t>(prev_->seq) + offset_);
    return audit_chain_hash(s, detail::as_bytes(prev_->value));
  }

  void check_link(const seen& cur) {
    if (first_chained_ == 0) first_chained_ = cur.seq;
    settle_pending(cur);
    if (!prev_) {
      if (cur.entry.link != sha256_digest{}) {
        problem(cur.seq,
                "the first record links to a record that is not there: records removed "
                "before it");
      }
      return;
    }
    if (cur.seq != prev_->seq + 1) {
      holes_.emplace_back(prev_->seq + 1, cur.seq - 1);
      return;  // the link names a missing record: judged with the recovery records at the end
    }
    if (cur.entry.link == expected_link()) return;
    const auto shifted = [&](std::int64_t d) {
      const auto s = static_cast<std::uint64_t>(static_cast<std::int64_t>(prev_->seq) + d);
      return cur.entry.link == audit_chain_hash(s, detail::as_bytes(prev_->value));
    };
    if (prevprev_ && cur.entry.link == prevprev_->hash) {
      problem(prev_->seq, "record " + std::to_string(prev_->seq) + " inserted (record " +
                              std::to_string(cur.seq) + " links past it)");
      offset_ -= 1;
      return;
    }
    if (shifted(offset_ + 1) || shifted(offset_ - 1)) {
      const bool down = shifted(offset_ + 1);
      offset_ += down ? 1 : -1;
      problem(cur.seq, std::string("records renumbered from record ") + std::to_string(prev_->seq) +
                           (down ? ": a record before it was removed"
                                 : ": a record before it was inserted"));
      pending_.reset();
      return;
    }
    pending_ = cur.seq;  // decided by the next record
  }

  // A record whose link did not match: if the next one links to it, the record before it was
  // changed; if the two were swapped, say so.
  void settle_pending(const std::optional<seen>& next) {
    if (!pending_ || !prev_ || prev_->seq != *pending_) return;
    const auto s = *pending_;
    pending_.reset();
    if (next && next->seq == s + 1 && prevprev_ && next->entry.link == prevprev_->hash &&
        prev_->entry.link == audit_chain_hash(s, detail::as_bytes(next->value))) {
      problem(s, "records " + std::to_string(s) + " and " + std::to_string(s + 1) +
                     " swapped (reordered)");
      swapped_ = s + 1;
      return;
    }
    if (swapped_ == s) return;
    const auto at = static_cast<std::uint64_t>(static_cast<std::int64_t>(s) + offset_ + 1);
    if (next && next->entry.link == audit_chain_hash(at, detail::as_bytes(prev_->value))) {
      problem(s, "a record before record " + std::to_string(s) + " removed (records from " +
                     std::to_string(s) + " on renumbered)");
      offset_ += 1;
      return;
    }
    problem(s - 1, "record " + std::to_string(s - 1) + " changed (record " + std::to_string(s) +
                       "'s link does not match it)");
  }

  void check_checkpoint(const seen& cur) {
    auto j = nlohmann::json::parse(cur.entry.event.details, nullptr, false);
    auto bad = [&](const std::string& why) { problem(cur.seq, "checkpoint: " + why); };
    if (!j.is_object() || !j.contains("seq") || !j["seq"].is_number_unsigned() ||
        !j.contains("hash") || !j.contains("key") || !j.contains("sig") || !j["hash"].is_string() ||
        !j["key"].is_string() || !j["sig"].is_string()) {
      return bad("malformed");
    }
    const auto seq = j["seq"].get<std::uint64_t>();
    auto hash = from_hex(j["hash"].get<std::string>());
    auto key = from_hex(j["key"].get<std::string>());
    auto sig = from_hex(j["sig"].get<std::string>());
    if (!hash || hash->size() != 32 || !key || key->size() != 32 || !sig) return bad("malformed");
    sha256_digest h{};
    secure::ed25519_public pub{};
    std::copy(hash->begin(), hash->end(), h.begin());
    std::copy(key->begin(), key->end(), pub.begin());
    if (!secure::ed25519_verify(pub, checkpoint_message(seq, h), *sig)) {
      return bad("signature does not verify (checkpoint changed)");
    }
    if (!trusted_.empty() && std::find(trusted_.begin(), trusted_.end(), pub) == trusted_.end()) {
      return bad("signed by a key that is not trusted: " + j["key"].get<std::string>());
    }
    const auto it =
        std::find_if(hashes_.begin(), hashes_.end(), [&](const auto& p) { return p.first == seq; });
    if (it == hashes_.end()) {
      return bad("signs record " + std::to_string(seq) + ", which is not just before it");
    }
    if (it->second != h) {
      return bad("signed chain hash differs from record " + std::to_string(seq) +
                 " (records up to it were changed)");
    }
    ++out_.checkpoints;
    out_.last_checkpoint = seq;
    last_checkpoint_record_ = cur.seq;
    const auto k = j["key"].get<std::string>();
    if (std::find(out_.signers.begin(), out_.signers.end(), k) == out_.signers.end()) {
      out_.signers.push_back(k);
    }
  }

  void note_recovery(const seen& cur) {
    auto j = nlohmann::json::parse(cur.entry.event.details, nullptr, false);
    if (!j.is_object() || !j.contains("missing") || !j["missing"].is_array()) return;
    for (const auto& r : j["missing"]) {
      if (r.is_array() && r.size() == 2 && r[0].is_number_unsigned() && r[1].is_number_unsigned() &&
          r[0].get<std::uint64_t>() < cur.seq) {
        declared_.emplace_back(r[0].get<std::uint64_t>(), r[1].get<std::uint64_t>());
      }
    }
  }

  void problem(std::uint64_t seq, std::string what) {
    if (out_.problems.size() < max_audit_problems) {
      out_.problems.push_back({seq, std::move(what)});
    } else {
      ++out_.more_problems;
    }
  }

  std::vector<secure::ed25519_public> trusted_;
  audit_verification out_;
  std::optional<seen> prev_, prevprev_;
  std::vector<std::pair<std::uint64_t, sha256_digest>> hashes_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> holes_, declared_;
  std::optional<std::uint64_t> pending_;
  std::uint64_t swapped_ = 0, first_chained_ = 0, last_checkpoint_record_ = 0;
  std::int64_t offset_ = 0;
  bool chain_started_ = false;
};

}  // namespace

result<audit_verification> verify_audit(const db& d,
                                        std::span<const secure::ed25519_public> trusted) {
  verifier v(trusted);
  auto it = d.iterate(column::audit);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::uint64_t seq = 0;
    if (!detail::parse_be64(it->key().ToStringView(), seq)) {
      return make_error(errc::bad_value, "audit: a key is not an 8-octet sequence number");
    }
    v.add(seq, it->value().ToString());
  }
  if (!it->status().ok()) return rocksdb_error(it->status(), "audit: verify");
  return v.finish();
}

}  // namespace otaflow::storage
