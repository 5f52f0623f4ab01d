#include "actors/keyset_update.hpp"

#include <array>
#include <map>

#include "actors/ota_packets.hpp"
#include "codec/gp_put_key.hpp"
#include "codec/ts102226_script.hpp"
#include "secure/gp_key.hpp"
#include "secure/key_rotation.hpp"

namespace otaflow::actors {
namespace {

secure::gp_key_kind kind_of(const storage::pending_keyset& ks) {
  return ks.aes ? secure::gp_key_kind::aes : secure::gp_key_kind::des;
}

// The keys a pending keyset carries, in key identifier order.
std::vector<const storage::secret*> carried(const storage::pending_keyset& ks) {
  const std::array<const storage::secret*, 3> all{&ks.keys.kic, &ks.keys.kid, &ks.keys.kik};
  std::vector<const storage::secret*> out;
  for (std::uint8_t id = ks.first_key_id; id < ks.first_key_id + ks.count && id <= 3; ++id)
    out.push_back(all[id - 1]);
  return out;
}

}  // namespace

result<storage::pending_keyset> draw_keyset(const keyset_update_def& def, std::uint8_t from,
                                            const std::optional<storage::keyset_keys>& target) {
  if (!target && def.key_count() != 3)
    return make_error(errc::not_found,
                      "keyset " + std::to_string(def.version) +
                          " is not in the repository for this card: a new keyset needs kic, kid "
                          "and kik (update.keyset.keys)");
  storage::pending_keyset p;
  p.version = def.version;
  p.replace = target ? def.version : 0;
  p.from = from;
  p.aes = def.aes;
  p.first_key_id = def.first_key_id();
  p.count = def.key_count();
  auto fresh = [](storage::secret& out) -> status {
    std::array<std::uint8_t, keyset_key_length> k{};
    auto st = secure::random_bytes(k);
    if (st) {
      auto s = storage::secret::from(byte_view(k.data(), k.size()));
      if (s) out = std::move(*s);
    }
    secure_wipe(std::span<std::uint8_t>(k));
    if (!st) return st;
    return out.size() == keyset_key_length
               ? status{}
               : make_error(errc::internal, "drawing a key: secret refused 16 octets");
  };
  if (def.kic) {
    OTAFLOW_TRY(fresh(p.keys.kic));
  } else {
    p.keys.kic = target->kic;
  }
  if (def.kid) {
    OTAFLOW_TRY(fresh(p.keys.kid));
  } else {
    p.keys.kid = target->kid;
  }
  if (def.kik) {
    OTAFLOW_TRY(fresh(p.keys.kik));
  } else {
    p.keys.kik = target->kik;
  }
  return p;
}

result<codec::command_apdu> put_key_apdu(const storage::pending_keyset& ks, byte_view kik) {
  secure::gp_put_key_request req;
  req.kind = kind_of(ks);
  req.new_kvn = ks.version;
  req.replace_kvn = ks.replace;
  req.first_key_id = ks.first_key_id;
  req.kik = kik;
  for (const auto* k : carried(ks)) req.keys.push_back(k->view());
  auto apdu = secure::gp_put_key(req);
  // A compact script (TS 102 226 §5.2.1) has no room for Le; the response data comes anyway.
  if (apdu) apdu->le.reset();
  return apdu;
}

status check_put_key_response(const storage::pending_keyset& ks, byte_view data) {
  auto got = codec::gp::parse_put_key_response(data);
  if (!got) return make_error(errc::verification, "PUT KEY response: " + got.error().message);
  codec::gp::put_key_command sent;
  sent.new_kvn = ks.version;
  sent.first_key_id = ks.first_key_id;
  for (const auto* k : carried(ks)) {
    auto kcv = secure::gp_kcv(kind_of(ks), k->view());
    if (!kcv) return make_error(errc::internal, "PUT KEY response: " + kcv.error().message);
    codec::gp::key_component c;
    c.kcv = std::move(*kcv);
    sent.keys.push_back(std::move(c));
  }
  return codec::gp::verify_put_key_response(sent, *got);
}

bool note_keyset_uncertain(std::string& reason) {
  if (reason.find(keyset_uncertain_note) != std::string::npos) return false;
  if (!reason.empty()) reason += "; ";
  reason += keyset_uncertain_note;
  return true;
}

void ota_packet_factory::keyset_scripts(std::span<const package_request> requests,
                                        std::vector<bytes>& scripts,
                                        std::vector<std::optional<error>>& failures) {
  // A card's new keyset is drawn once per (campaign, card) and sealed pending before any
  // packet carries it; a retry sends the same keys. No key reaches a log or an error.
  struct work {
    std::size_t i;
    storage::pending_keyset keys;
    storage::secret kik;
  };
  std::vector<work> todo;
  rocksdb::WriteBatch batch;
  bool staged = false;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    const auto& v = r.campaign->variant_of(*r.card);
    if (!r.card->problem.empty() || !v.def.update.keyset || failures[i]) continue;
    const auto& iccid = r.card->iccid;
    auto fail = [&](const std::string& why, error_class cls = error_class::permanent) {
      failures[i] = make_error(errc::not_found, "keyset rotation: " + why, cls);
    };
    const auto& def = *v.def.update.keyset;
    const std::uint8_t from = v.def.security.keyset();
    if (!state_) {
      fail("the packet factory has no key store");
      continue;
    }
    auto current = state_->keys().get_keyset(iccid, from);
    if (!current) {
      fail(current.error().message, current.error().cls);
      continue;
    }
    auto pending = state_->keys().get_pending_keyset(iccid, r.campaign->def.id);
    if (!pending) {
      fail(pending.error().message, pending.error().cls);
      continue;
    }
    if (!*pending) {
      std::optional<storage::keyset_keys> target;
      auto t = state_->keys().get_keyset(iccid, def.version);
      if (t) {
        target = std::move(*t);
      } else if (t.error().code != make_error_code(errc::not_found)) {
        fail(t.error().message, t.error().cls);
        continue;
      }
      auto drawn = draw_keyset(def, from, target);
      if (!drawn) {
        fail(drawn.error().message, drawn.error().cls);
        continue;
      }
      if (auto st = state_->keys().stage_pending_keyset(batch, iccid, r.campaign->def.id, *drawn);
          !st) {
        fail(st.error().message, st.error().cls);
        continue;
      }
      staged = true;
      *pending = std::move(*drawn);
    }
    todo.push_back({i, std::move(**pending), std::move(current->kik)});
  }
  if (staged) {
    if (auto st = state_->database().commit(batch, true); !st) {
      for (const auto& w : todo)
        failures[w.i] =
            make_error(errc::io, "keyset rotation: storing the new keys: " + st.error().message,
                       error_class::retriable);
      return;
    }
  }
  for (auto& w : todo) {
    const auto& v = requests[w.i].campaign->variant_of(*requests[w.i].card);
    auto apdu = put_key_apdu(w.keys, w.kik.view());
    if (!apdu) {
      failures[w.i] = make_error(errc::bad_value, "keyset rotation: " + apdu.error().message);
      continue;
    }
    const std::vector<codec::command_apdu> cmds{std::move(*apdu)};
    auto script = v.def.update.format == script_format::compact ? codec::compact_script(cmds)
                                                                : codec::expanded_script(cmds);
    if (!script) {
      failures[w.i] = make_error(errc::bad_value, "keyset rotation: " + script.error().message);
      continue;
    }
    scripts[w.i] = std::move(*script);
  }
}

}  // namespace otaflow::actors
