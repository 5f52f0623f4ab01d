#include "storage/api.hpp"

#include "storage/record_io.hpp"

namespace otaflow::storage {

state::state(std::unique_ptr<storage::db> d)
    : db_(std::move(d)),
      subscribers_(*db_),
      keys_(*db_),
      counters_(*db_),
      campaigns_(*db_),
      jobs_(*db_),
      card_files_(*db_) {}

result<std::unique_ptr<state>> state::open(const db_options& options, const kek_source& kek) {
  auto k = open_kek(kek);
  if (!k) return k.error();
  return open(options, std::move(*k));
}

result<std::unique_ptr<state>> state::open(const db_options& options, secret kek) {
  return open(options, direct_kek(std::move(kek)));
}

result<std::unique_ptr<state>> state::open(const db_options& options, kek_key kek) {
  auto d = db::open(options, std::move(kek));
  if (!d) return d.error();
  std::unique_ptr<state> s(new state(std::move(*d)));
  auto a = audit_log::open(*s->db_);
  if (!a) return a.error();
  s->audit_ = std::move(*a);
  if (!options.audit_key_file.empty() && !options.read_only) {
    auto signer = secure::ed25519_signer::load(options.audit_key_file);
    if (!signer) return detail::with_context(std::move(signer).error(), "audit signing key");
    s->audit_->set_signer(std::move(*signer), options.audit_checkpoint_every);
  }
  return s;
}

status state::erase_card(std::string_view iccid) {
  auto old = subscribers_.get(iccid);
  if (!old) return old.error();
  rocksdb::WriteBatch b;
  if (old->has_value()) OTAFLOW_TRY(subscribers_.stage_erase(b, **old));
  OTAFLOW_TRY(keys_.stage_erase(b, iccid));
  if (b.Count() == 0) {
    return make_error(errc::not_found, "card " + std::string(iccid) + ": not found");
  }
  return db_->commit(b, true);
}

}  // namespace otaflow::storage
