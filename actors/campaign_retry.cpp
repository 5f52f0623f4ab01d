#include "actors/campaign_retry.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "actors/campaign_control.hpp"
#include "actors/storage_ports.hpp"

namespace otaflow::actors {
namespace {

constexpr std::size_t page_size = 1000;

// Where one failed job stands against the filter; queues it in `updates` when it is chosen.
class retry_pass {
 public:
  retry_pass(storage::state& state, const std::string& campaign, const retry_filter& filter,
             std::string_view by, retry_summary& out)
      : state_(state), campaign_(campaign), filter_(filter), by_(by), out_(out) {}

  status consider(const std::string& iccid, const job_record& job) {
    if (job.state != job_state::failed) {
      ++out_.not_failed;
      return {};
    }
    if (!filter_.reason.empty() && job.reason.find(filter_.reason) == std::string::npos) {
      ++out_.reason_not_matched;
      return {};
    }
    // A key update that may have reached the card: a new attempt would draw new keys over
    // the pending ones. The operator resolves them first.
    auto held = state_.keys().has_pending(iccid, campaign_);
    if (!held) return held.error();
    if (*held) {
      ++out_.keys_uncertain;
      return {};
    }
    auto next = job;
    requeue_for_retry(next, by_, storage::now_ms());
    ++out_.by_reason[job.reason];
    updates_.push_back(job_update{campaign_, iccid, std::move(next)});
    return {};
  }

  status flush() {
    if (updates_.empty()) return {};
    storage_job_store store(state_);
    OTAFLOW_TRY(store.save(updates_, true));
    out_.queued += updates_.size();
    updates_.clear();
    return {};
  }

 private:
  storage::state& state_;
  const std::string& campaign_;
  const retry_filter& filter_;
  std::string_view by_;
  retry_summary& out_;
  std::vector<job_update> updates_;
};

status retry_listed(storage::state& state, const std::string& campaign, const retry_filter& filter,
                    retry_pass& pass, retry_summary& out,
                    const std::function<bool(std::string_view)>& owned) {
  for (std::size_t i = 0; i < filter.iccids.size(); i += page_size) {
    const auto end = std::min(filter.iccids.size(), i + page_size);
    std::vector<std::string_view> ids(filter.iccids.begin() + static_cast<std::ptrdiff_t>(i),
                                      filter.iccids.begin() + static_cast<std::ptrdiff_t>(end));
    auto jobs = state.jobs().get_many(campaign, ids);
    if (!jobs) return jobs.error();
    for (std::size_t k = 0; k < ids.size(); ++k) {
      if (!(*jobs)[k] || (owned && !owned(ids[k]))) {
        out.not_found.emplace_back(ids[k]);
        continue;
      }
      OTAFLOW_TRY(pass.consider(std::string(ids[k]), *(*jobs)[k]));
    }
    OTAFLOW_TRY(pass.flush());
  }
  return {};
}

status retry_all(storage::state& state, const std::string& campaign, retry_pass& pass,
                 const std::function<bool(std::string_view)>& owned) {
  std::string after;
  while (true) {
    auto page = state.jobs().list(campaign, after, page_size);
    if (!page) return page.error();
    for (const auto& item : page->items) {
      if (owned && !owned(item.iccid)) continue;
      OTAFLOW_TRY(pass.consider(item.iccid, item.record));
    }
    OTAFLOW_TRY(pass.flush());
    if (page->end) return {};
    after = page->resume_after;
  }
}

status audit_retry(storage::state& state, const retry_summary& s, const retry_filter& filter,
                   std::string_view by) {
  nlohmann::json d = {{"action", "retry"},
                      {"before", storage::name(s.before)},
                      {"after", storage::name(s.after)},
                      {"by", by},
                      {"queued", s.queued}};
  if (!filter.reason.empty()) d["reason"] = filter.reason;
  if (!filter.iccids.empty()) d["iccids"] = filter.iccids.size();
  storage::audit_event e;
  e.campaign = s.campaign;
  e.type = storage::audit_type::control;
  e.details = d.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return state.audit().append(e, true);
}

}  // namespace

void requeue_for_retry(job_record& job, std::string_view by, std::int64_t now_ms) {
  const auto old = job.reason;
  job.state = job_state::queued;
  job.attempt = 0;
  job.resends = 0;
  job.message_id.clear();
  job.retry_at_ms = 0;
  job.started_ms = 0;
  job.counter_skip_at = 0;
  job.por_status.reset();  // the failed attempt's answer stays in the history entry before
  job.last_sw.reset();
  ++job.timer_epoch;
  job.reason = "retry requested by " + std::string(by) + (old.empty() ? "" : "; failed: " + old);
  model::note_state_change(job, now_ms);
}

result<retry_summary> retry_failed_jobs(storage::state& state, const std::string& campaign,
                                        const retry_filter& filter, std::string_view by,
                                        const std::function<bool(std::string_view)>& owned) {
  for (const auto& iccid : filter.iccids) {
    // The form only (as the trigger topic checks it): a card without a job is reported.
    const bool digits =
        std::all_of(iccid.begin(), iccid.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (!digits || iccid.size() < 18 || iccid.size() > 20) {
      return make_error(errc::bad_argument, "retry of '" + campaign + "': '" + iccid +
                                                "' is not an ICCID (18 to 20 decimal digits)");
    }
  }
  auto rec = state.campaigns().get(campaign);
  if (!rec) return rec.error();
  if (!*rec) return make_error(errc::not_found, "no campaign '" + campaign + "'");
  retry_summary out;
  out.campaign = campaign;
  out.before = (*rec)->status;
  if (out.before == storage::campaign_status::cancelled) {
    return make_error(errc::conflict, "campaign '" + campaign +
                                          "' is cancelled; 'retry' does not apply (cancelling "
                                          "is final)");
  }
  out.after =
      out.before == storage::campaign_status::done ? storage::campaign_status::running : out.before;
  retry_pass pass(state, campaign, filter, by, out);
  if (filter.iccids.empty()) {
    OTAFLOW_TRY(retry_all(state, campaign, pass, owned));
  } else {
    OTAFLOW_TRY(retry_listed(state, campaign, filter, pass, out, owned));
  }
  if (out.queued == 0) out.after = out.before;  // nothing to send: a finished one stays so
  if (out.after != out.before) OTAFLOW_TRY(state.campaigns().set_status(campaign, out.after));
  OTAFLOW_TRY(audit_retry(state, out, filter, by));
  return out;
}

nlohmann::json retry_summary_json(const retry_summary& s) {
  nlohmann::json reasons = nlohmann::json::object();
  for (const auto& [r, n] : s.by_reason) reasons[r] = n;
  return {{"campaign", s.campaign},
          {"action", "retry"},
          {"before", storage::name(s.before)},
          {"status", storage::name(s.after)},
          {"queued", s.queued},
          {"by_reason", reasons},
          {"skipped",
           {{"not_failed", s.not_failed},
            {"reason_not_matched", s.reason_not_matched},
            {"keys_uncertain", s.keys_uncertain},
            {"not_found", s.not_found.size()}}},
          {"not_found", s.not_found}};
}

}  // namespace otaflow::actors
