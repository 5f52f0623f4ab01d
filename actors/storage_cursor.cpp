#include "actors/storage_cursor.hpp"

namespace otaflow::actors {

subscriber_cursor::subscriber_cursor(storage::state& state, const campaign_def& def,
                                     cursor_options options)
    : subscriber_cursor(state, def, def.target, options) {}

subscriber_cursor::subscriber_cursor(storage::state& state, const campaign_def& def,
                                     target_def target, cursor_options options)
    : state_(state), target_(std::move(target)), selector_(def), options_(options) {
  // What the store's scan can filter by itself; target_matches() checks the rest.
  filter_.imsi_prefix = target_.imsi_prefix;
  filter_.iccid_prefix = target_.iccid_prefix;
  filter_.attributes = target_.attributes;
  if (selector_.uses_files()) {
    files_ = [&st = state_](std::string_view iccid, std::string_view path) {
      return st.card_files().get(iccid, path);
    };
  }
}

result<card_info> subscriber_cursor::load(storage::subscriber s) {
  auto choice = selector_.choose(s, files_);
  if (!choice) return choice.error();
  card_info c;
  c.iccid = std::move(s.iccid);
  c.imsi = std::move(s.imsi);
  c.msisdn = std::move(s.msisdn);
  c.variant = choice->variant;
  if (!choice->skip.empty()) {
    c.skip = std::move(choice->skip);
    return c;
  }
  if (c.msisdn.empty()) {
    c.problem = "card has no MSISDN to send an SMS to";
    return c;
  }
  if (!options_.load_keys) return c;
  const auto& variant = selector_.variants()[static_cast<std::size_t>(c.variant)];
  auto keys = state_.keys().get_keyset(c.iccid, variant.keyset);
  if (!keys) {
    if (keys.error().code == errc::not_found) {
      // The record lists the keyset but its keys are gone: the same as not holding it.
      c.skip = variant.keyset_missing;
    } else {
      c.problem = "cannot read the card's keys: " + keys.error().message;
    }
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
      if (!target_matches(target_, *s)) continue;
      auto c = load(std::move(*s));
      if (!c) return c.error();
      out.push_back(std::move(*c));
    }
    return out;
  }
  while (!end_ && out.size() < n) {
    auto page = state_.subscribers().scan(after_, n - out.size(), filter_);
    if (!page) return page.error();
    after_ = page->resume_after;
    end_ = page->end;
    for (auto& s : page->items) {
      if (!target_matches(target_, s)) continue;
      auto c = load(std::move(s));
      if (!c) return c.error();
      out.push_back(std::move(*c));
    }
  }
  return out;
}

}  // namespace otaflow::actors
