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

status subscriber_cursor::load(storage::subscriber s, std::vector<card_info>& out) {
  auto choice = selector_.choose(s, files_);
  if (!choice) return choice.error();
  const bool routed = options_.routes != nullptr && !options_.routes->empty();
  const int route = routed ? options_.routes->route_of(s) : -1;
  card_info& c = out.emplace_back();
  c.iccid = std::move(s.iccid);
  c.imsi = std::move(s.imsi);
  c.msisdn = std::move(s.msisdn);
  c.variant = choice->variant;
  c.route = route;
  if (!choice->skip.empty()) {
    c.skip = std::move(choice->skip);
  } else if (c.msisdn.empty()) {
    c.problem = "card has no MSISDN to send an SMS to";
  } else if (routed && c.route < 0) {
    c.problem = "no SMSC route matches the card";
  } else if (options_.load_keys) {
    keys_wanted_.push_back(out.size() - 1);
  }
  return {};
}

void subscriber_cursor::load_keys(std::vector<card_info>& out) {
  if (keys_wanted_.empty()) return;
  std::vector<std::pair<std::string_view, std::uint8_t>> wanted;
  wanted.reserve(keys_wanted_.size());
  for (auto i : keys_wanted_) {
    const auto& variant = selector_.variants()[static_cast<std::size_t>(out[i].variant)];
    wanted.emplace_back(out[i].iccid, variant.keyset);
  }
  auto keys = state_.keys().get_keysets(wanted);
  for (std::size_t k = 0; k < keys_wanted_.size(); ++k) {
    card_info& c = out[keys_wanted_[k]];
    if (!keys[k]) {
      if (keys[k].error().code == errc::not_found) {
        // The record lists the keyset but its keys are gone: the same as not holding it.
        c.skip = selector_.variants()[static_cast<std::size_t>(c.variant)].keyset_missing;
      } else {
        c.problem = "cannot read the card's keys: " + keys[k].error().message;
      }
      continue;
    }
    c.kic_key = std::move(keys[k]->kic);
    c.kid_key = std::move(keys[k]->kid);
  }
  keys_wanted_.clear();
}

result<std::vector<card_info>> subscriber_cursor::next(std::size_t n) {
  std::vector<card_info> out;
  keys_wanted_.clear();  // left over when a previous call failed
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
      OTAFLOW_TRY(load(std::move(*s), out));
    }
    load_keys(out);
    return out;
  }
  while (!end_ && out.size() < n) {
    auto page = state_.subscribers().scan(after_, n - out.size(), filter_);
    if (!page) return page.error();
    after_ = page->resume_after;
    end_ = page->end;
    for (auto& s : page->items) {
      if (!target_matches(target_, s)) continue;
      OTAFLOW_TRY(load(std::move(s), out));
    }
  }
  load_keys(out);
  return out;
}

}  // namespace otaflow::actors
