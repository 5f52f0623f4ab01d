#include "actors/service_cursor.hpp"

#include "actors/storage_cursor.hpp"

namespace otaflow::actors {

result<std::vector<card_info>> active_job_cursor::next(std::size_t n) {
  std::vector<card_info> out;
  while (!end_ && out.size() < n) {
    auto page = state_.jobs().list(campaign_, after_, n - out.size(), true);
    if (!page) return page.error();
    after_ = page->resume_after;
    end_ = page->end;
    if (page->items.empty()) continue;  // a run of terminal jobs: keep paging
    target_def t;
    t.iccids.reserve(page->items.size());
    for (auto& j : page->items) t.iccids.push_back(std::move(j.iccid));
    const auto count = t.iccids.size();
    subscriber_cursor cards(state_, def_, std::move(t), cursor_options{.routes = routes_});
    auto got = cards.next(count);
    if (!got) return got.error();
    for (auto& c : *got) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace otaflow::actors
