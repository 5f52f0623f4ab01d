#include "actors/storage_cursor.hpp"

namespace otaflow::actors {

subscriber_cursor::subscriber_cursor(storage::state& state, target_def target, std::uint8_t keyset)
    : state_(state), target_(std::move(target)), keyset_(keyset) {
  filter_.imsi_prefix = target_.imsi_prefix;
  filter_.attributes = target_.attributes;
}

card_info subscriber_cursor::load(storage::subscriber s) {
  card_info c;
  c.iccid = std::move(s.iccid);
  c.imsi = std::move(s.imsi);
  c.msisdn = std::move(s.msisdn);
  if (c.msisdn.empty()) {
    c.problem = "card has no MSISDN to send an SMS to";
    return c;
  }
  auto keys = state_.keys().get_keyset(c.iccid, keyset_);
  if (!keys) {
    c.problem = keys.error().code == errc::not_found
                    ? "card has no keyset " + std::to_string(keyset_)
                    : "cannot read the card's keys: " + keys.error().message;
    return c;
  }
  c.kic_key = std::move(keys->kic);
  c.kid_key = std::move(keys->kid);
  return c;
}

result<std::vector<card_info>> subscriber_cursor::next(std::size_t n) {
  std::vector<card_info> out;
  if (!target_.iccids.empty()) {
    // An explicit list: in the order given; unknown ICCIDs fail with a reason.
    const auto end = std::min(target_.iccids.size(), list_pos_ + n);
    std::vector<std::string> ids(target_.iccids.begin() + static_cast<std::ptrdiff_t>(list_pos_),
                                 target_.iccids.begin() + static_cast<std::ptrdiff_t>(end));
    list_pos_ = end;
    if (ids.empty()) return out;
    auto subs = state_.subscribers().get_many(ids);
    if (!subs) return subs.error();
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto& s = (*subs)[i];
      if (!s) {
        card_info c;
        c.iccid = ids[i];
        c.problem = "unknown card: ICCID not in the profile repository";
        out.push_back(std::move(c));
        continue;
      }
      if (!filter_.matches(*s)) continue;
      out.push_back(load(std::move(*s)));
    }
    return out;
  }
  while (!end_ && out.size() < n) {
    auto page = state_.subscribers().scan(after_, n - out.size(), filter_);
    if (!page) return page.error();
    after_ = page->resume_after;
    end_ = page->end;
    for (auto& s : page->items) out.push_back(load(std::move(s)));
    if (page->items.empty() && !end_) continue;  // a selective filter: keep scanning
  }
  return out;
}

}  // namespace otaflow::actors
