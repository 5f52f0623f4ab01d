#pragma once
// The crypto stage: a detached actor that batches packaging requests (counter reservation
// and SCP80 securing, packet_factory::package) so that counters are reserved in one durable
// write and packets are secured in one multi-buffer pass per batch.

#include <cstddef>

#include <caf/all.hpp>

#include "actors/engine_ports.hpp"

namespace otaflow::actors {

/// Spawns the crypto stage: msg::package_req in, msg::package_rep to each requester.
/// At most `batch_max` (>= 1) requests go to the factory at once.
[[nodiscard]] caf::actor spawn_crypto_stage(caf::actor_system& sys, packet_factory* factory,
                                            std::size_t batch_max);

}  // namespace otaflow::actors
