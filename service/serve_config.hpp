#pragma once
// Configuration of `otaflow serve`: one TOML file (docs/CONFIGURATION.md documents every
// key with its default; config/otaflow.example.toml is a complete example), with a few
// environment overrides. Unknown keys are errors, so a typo never becomes a silent default.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "actors/campaign_approval.hpp"
#include "actors/engine.hpp"
#include "actors/routes.hpp"
#include "actors/smpp_client.hpp"
#include "base/error.hpp"
#include "kafka/config.hpp"
#include "storage/kek.hpp"

namespace otaflow::service {

/// The [serve] table: the trigger loop's own settings.
struct serve_options {
  std::size_t poll_batch = 500;  ///< records per consumer poll (1..100000); default 500
  /// Triggers read ahead of the engine's window: consumption pauses when this many admissions
  /// wait for a place in the window (1..1000000). It must cover the time librdkafka takes to
  /// fetch again after a resume (up to 1 s: its fetch back-off), or the window runs dry.
  /// Default 16000 (about 1 MB per 1000 waiting one-card triggers).
  std::size_t max_waiting = 16'000;
  /// Consumption resumes when waiting admissions fall to this fraction of max_waiting
  /// (0.1..1). Default 0.75.
  double resume_below = 0.75;
  /// How long a trigger for a campaign not defined (yet) waits before it goes to the DLQ;
  /// the campaign event may be on another partition. Default 30 s.
  std::chrono::milliseconds unknown_campaign_grace{30'000};
  /// On SIGTERM: how long running jobs may take to finish before the process exits (their
  /// state is durable either way). Default 30 s.
  std::chrono::milliseconds shutdown_grace{30'000};
  /// How often durable offsets are committed and the status watermark stored. Default 200 ms.
  std::chrono::milliseconds commit_interval{200};
  /// Partitions for topics serve creates when they are missing (0: do not create). Default 0.
  int create_topics_partitions = 0;
  /// Replication factor of topics serve creates. Default 1.
  int create_topics_replication = 1;
  /// Produce attempts of a status event or dead-letter record the brokers refuse (1..100);
  /// between them 100 ms, doubled, at most 10 s. After the last one the record is kept in
  /// the audit log (type `undelivered`), a `produce` alert is raised and serve moves on
  /// (the status watermark and the partition's commits are not held). Default 10.
  std::size_t produce_attempts = 10;
  /// Partition-owned state (docs/SCALING.md): the cards' rows live in the changelog topic
  /// kafka.state_topic, partitioned like the triggers; each partition's rows are restored when
  /// this instance gets it; counters, job states, statuses and offsets are committed in Kafka
  /// transactions. Default false: the state directory alone is the state (one instance, or
  /// instances with their own imports and SMPP accounts).
  bool partitioned = false;
};

/// The environment variable that gives the Kafka SASL password when [kafka] has neither
/// sasl_password nor sasl_password_file; removed from the environment once read.
inline constexpr const char* kafka_sasl_password_env = "OTAFLOW_KAFKA_SASL_PASSWORD";

/// Everything `otaflow serve` reads from its configuration file and environment.
struct serve_config {
  std::filesystem::path state_dir;  ///< required (env OTAFLOW_STATE_DIR overrides)
  storage::kek_source kek;          ///< kek_file, else the environment variable OTAFLOW_KEK
  /// Names this instance's own consumer group for campaign and control events
  /// (<group_id>.control.<instance_id>). Default: the host name and a hash of state_dir.
  std::string instance_id;
  /// [kafka]; env OTAFLOW_KAFKA_BROKERS overrides brokers. sasl.password comes from
  /// sasl_password (the file must then be mode 600), sasl_password_file (mode 600) or
  /// OTAFLOW_KAFKA_SASL_PASSWORD.
  kafka::kafka_options kafka;
  std::vector<actors::smpp_options> binds;  ///< one per bind of every [[smsc]] or [[route.smsc]]
  /// [[route]] tables (docs/CONFIGURATION.md "Routes"); the [[smsc]] form is one catch-all
  /// route named "default" over `binds`.
  actors::route_table routes;
  actors::engine_options engine;    ///< [engine]
  actors::service_options service;  ///< [engine] window
  serve_options serve;              ///< [serve]
  /// [http] listen: "HOST:PORT" of the HTTP endpoint (/metrics, /healthz, /readyz;
  /// docs/OPERATIONS.md), e.g. "127.0.0.1:9464"; port 0 = any free port. Empty (the default,
  /// no [http] table): no endpoint.
  std::string http_listen;
  /// [audit] signing_key: the Ed25519 key (PEM, mode 600) that signs the audit log's
  /// checkpoints (docs/AUDIT.md); env OTAFLOW_AUDIT_KEY_FILE overrides. Empty: chain only.
  std::string audit_key_file;
  /// [audit] checkpoint_every: records between two signed checkpoints (default 10,000).
  std::uint64_t audit_checkpoint_every = 10'000;
  /// [http] token_file: a file (mode 600) holding the bearer token of the API's control calls
  /// (pause, resume, cancel: published as control events). OTAFLOW_HTTP_TOKEN overrides it.
  /// Neither: the API is read-only.
  std::string http_token_file;
  /// [approvals]: the operator keys whose signatures approve campaigns and the rules that need
  /// them (actors/campaign_approval.hpp, docs/SECURITY.md "Four eyes"). Without the table the
  /// defaults of a fresh install hold: no keys, so a key rotation campaign is refused.
  actors::approval_policy approvals;
  /// Set when the text holds a password ([[smsc]] password, [kafka] sasl_password or
  /// ssl_key_password; not one read from sasl_password_file or the environment):
  /// load_serve_config then refuses a file readable by group or others.
  bool holds_password = false;
};

/// Parses the TOML text of a configuration (`source` names it in errors), then applies the
/// environment overrides.
[[nodiscard]] result<serve_config> parse_serve_config(std::string_view text,
                                                      std::string_view source = "config");
/// Parses the TOML text of a routes file (`campaign run --routes`): [[route]] tables only.
[[nodiscard]] result<actors::route_table> parse_routes_file(std::string_view text,
                                                            std::string_view source = "routes");
/// Reads and parses a routes file; refused when group or others may read it (it holds the
/// SMSC passwords), the error naming the path.
[[nodiscard]] result<actors::route_table> load_routes_file(const std::filesystem::path& path);
/// Reads and parses a configuration file.
[[nodiscard]] result<serve_config> load_serve_config(const std::filesystem::path& path);

}  // namespace otaflow::service
