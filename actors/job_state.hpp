#pragma once
// The state of one (campaign, card) job, under the engine's names. The record itself lives in
// model/job.hpp, below storage and actors, so the engine's record is what RocksDB stores.

#include "model/job.hpp"

namespace otaflow::actors {

using model::is_terminal;
using model::job_record;
using model::job_state;
using model::job_state_from_string;
using model::to_string;

}  // namespace otaflow::actors
