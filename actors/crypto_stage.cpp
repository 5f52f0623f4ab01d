#include "actors/crypto_stage.hpp"

#include <vector>

#include "actors/messages.hpp"

namespace otaflow::actors {
namespace {

using namespace msg;

// The "flush" message is sent to self when the first request of a batch arrives; the
// mailbox is FIFO, so every request already queued is in the batch when it runs.
struct crypto_state {
  std::vector<package_req> pending;
  bool flush_scheduled = false;
};

using crypto_actor = caf::stateful_actor<crypto_state>;

void flush(crypto_actor* self, packet_factory* factory) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.pending.empty()) return;
  std::vector<package_request> reqs;
  reqs.reserve(st.pending.size());
  for (const auto& p : st.pending)
    reqs.push_back({p.tag, p.card.get(), p.campaign.get(), p.skip, p.step, p.page});
  auto results = factory->package(reqs);
  for (std::size_t i = 0; i < st.pending.size(); ++i) {
    auto r = i < results.size() ? std::make_shared<result<packaged>>(std::move(results[i]))
                                : std::make_shared<result<packaged>>(make_error(
                                      errc::internal, "packet factory returned too few results"));
    self->send(st.pending[i].reply_to, package_rep{std::move(r)});
  }
  st.pending.clear();
}

caf::behavior crypto_stage(crypto_actor* self, packet_factory* factory, std::size_t batch_max) {
  return {
      [=](package_req& r) {
        auto& st = self->state;
        st.pending.push_back(std::move(r));
        if (st.pending.size() >= batch_max) {
          flush(self, factory);
        } else if (!st.flush_scheduled) {
          st.flush_scheduled = true;
          self->send(self, flush_atom::value);
        }
      },
      [=](flush_atom) { flush(self, factory); },
  };
}

}  // namespace

caf::actor spawn_crypto_stage(caf::actor_system& sys, packet_factory* factory,
                              std::size_t batch_max) {
  return sys.spawn<caf::detached>(crypto_stage, factory, std::max<std::size_t>(1, batch_max));
}

}  // namespace otaflow::actors
