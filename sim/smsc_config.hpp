#pragma once
// Configuration of the SMSC simulator (docs/smsc-simulator.md lists every field).
// One options struct per component, every field with its default and range
// (the project's configuration convention, as in docs/CONFIGURATION.md); loadable from the
// [smsc] table of a TOML file.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace otaflow::sim {

/// One ESME account: the system_id/password pair a bind must present.
struct smsc_account {
  std::string system_id;  ///< up to 15 characters (SMPP 3.4 §4.1.1: C-string of 16)
  std::string password;   ///< up to 8 characters (SMPP 3.4 §4.1.1: C-string of 9)
};

/// Random delay added before every delivery attempt: fixed_ms + a random part.
struct smsc_delay_config {
  enum class distribution : std::uint8_t { none, exponential, uniform };
  std::uint32_t fixed_ms = 0;              ///< default 0: constant part, in ms
  distribution dist = distribution::none;  ///< default none: shape of the random part
  std::uint32_t mean_ms = 0;               ///< default 0: mean of the exponential part
  std::uint32_t min_ms = 0;                ///< default 0: lower bound of the uniform part
  std::uint32_t max_ms = 0;                ///< default 0: upper bound of the uniform part (>= min)
};

/// Fault injection. Every decision is a pure function of (seed, message id or
/// MSISDN, attempt), so a run is reproducible for the same submit order.
struct smsc_fault_config {
  std::uint64_t seed = 1;             ///< default 1: seed of every random decision
  double absent_fraction = 0.0;       ///< default 0, [0,1]: fraction of MSISDNs that are absent
  std::uint32_t absent_attempts = 2;  ///< default 2: attempts an absent card misses, then answers
  smsc_delay_config delivery_delay;   ///< default none: delay before each delivery attempt
  double drop_fraction = 0.0;         ///< default 0, [0,1]: messages accepted but never delivered
  bool drop_expires = true;           ///< default true: a dropped message gets EXPIRED at expiry
  double throttle_fraction = 0.0;     ///< default 0, [0,1]: submits answered ESME_RTHROTTLED
  double disconnect_fraction = 0.0;   ///< default 0, [0,1]: chance per request PDU to drop the link
  double sim_busy_fraction = 0.0;     ///< default 0, [0,1]: attempts answered RP-ERROR FCS D4
  /// Default 0, [0,1]: messages delivered and executed by the card whose PoRs (deliver report
  /// or MO) never reach the ESME; the delivery receipt still does.
  double por_drop_fraction = 0.0;
};

/// Which bind of an account gets the account's deliver_sm (MO PoRs and delivery receipts).
enum class smsc_mo_delivery : std::uint8_t {
  /// The account's receiver-capable binds (receiver, transceiver) in turn, whichever bind
  /// submitted the message; a bind whose deliver_window is full is passed over for that turn,
  /// a closed one drops out of the rotation. As real SMSCs spread an account's MO traffic.
  round_robin,
  /// The bind that submitted the message, when it is a transceiver still open; otherwise
  /// (a transmitter, or it closed) the account's binds in turn as with round_robin.
  origin,
};

/// "round_robin" or "origin".
[[nodiscard]] const char* to_string(smsc_mo_delivery m) noexcept;
/// Parses "round_robin" or "origin"; the error names the text.
[[nodiscard]] result<smsc_mo_delivery> parse_mo_delivery(std::string_view text);

/// Everything the SMSC simulator needs to run.
struct smsc_config {
  std::string listen_host = "127.0.0.1";  ///< default 127.0.0.1: IPv4 address to listen on
  std::uint16_t listen_port = 2775;       ///< default 2775 (0 = any free port)
  /// No default: an SMSC that accepts a well-known account is open to anyone who can reach it
  /// (smsc-sim needs --system-id with a password, or accounts in its configuration file).
  std::vector<smsc_account> accounts;
  std::string smsc_system_id = "OTAFLOWSMSC";  ///< default OTAFLOWSMSC: system_id in bind_resp
  std::uint32_t max_binds = 64;                ///< default 64: connections beyond are refused
  std::uint32_t deliver_window = 64;  ///< default 64, >= 1: deliver_sm awaiting resp per bind
  /// Default round_robin: which of an account's binds gets its PoRs and receipts.
  smsc_mo_delivery mo_delivery = smsc_mo_delivery::round_robin;
  std::uint32_t submit_queue_limit = 20000;  ///< default 20000: queued submits per bind before
                                             ///< ESME_RMSGQFUL (0 = no limit)
  double tps_per_bind = 0.0;                 ///< default 0 = unlimited: submits/s per bind
  std::uint32_t tps_burst = 0;               ///< default 0 = max(1, tps): token bucket depth
  std::uint32_t workers = 2;                 ///< default 2, >= 1: threads calling the gateway
  /// Default 256, [1, 4096]: messages a worker hands the gateway at once (the fleet opens
  /// their secured packets in one crypto batch); fewer when less is queued.
  std::uint32_t worker_batch = 256;
  /// Delay before each retry of an absent/busy card (ms); exhausted = EXPIRED.
  std::vector<std::uint32_t> retry_schedule_ms{1000, 5000, 30000, 120000, 600000};
  std::uint32_t default_validity_s = 86400;   ///< default 1 day: validity without validity_period
  std::uint32_t response_timeout_ms = 30000;  ///< default 30 s: deliver_sm resp wait, then resent
  std::uint32_t idle_timeout_ms = 300000;     ///< default 5 min: silent link closed (0 = never)
  std::uint32_t bind_timeout_ms = 30000;      ///< default 30 s: unbound link closed (0 = never)
  std::uint32_t max_pdu_length = 65536;      ///< default 64 KiB: larger command_length = RINVCMDLEN
  std::uint32_t esme_queue_limit = 1000000;  ///< default 1e6: PDUs held per system_id unbound
  std::uint32_t output_buffer_limit = 4u << 20;  ///< default 4 MiB: stop reading a slow reader
  std::int8_t scts_timezone_quarters = 0;        ///< default 0 (UTC): TP-SCTS time zone
  smsc_fault_config faults;                      ///< fault injection, default: no faults
  /// Default empty (clear text): with a PEM certificate and its key (`tls_cert`, `tls_key`;
  /// the key file not readable by group or others) every bind speaks SMPP over TLS.
  std::string tls_cert_file;
  std::string tls_key_file;
};

/// Checks ranges and cross-field rules; the error names the bad field. `need_account`: at least
/// one account (a server cannot start without; a configuration file may leave them to the
/// command line).
[[nodiscard]] status validate(const smsc_config& config, bool need_account = true);

/// Parses TOML text: the [smsc] table when present, else the root table. Unknown keys are
/// errors (a typo must not silently keep a default). Starts from `base` (defaults).
[[nodiscard]] result<smsc_config> parse_smsc_config(std::string_view toml_text,
                                                    smsc_config base = {});

/// Reads and parses a TOML file (see parse_smsc_config).
[[nodiscard]] result<smsc_config> load_smsc_config(const std::string& path, smsc_config base = {});

/// Splits "HOST:PORT" into the config's listen_host and listen_port.
[[nodiscard]] status parse_listen_address(std::string_view host_port, smsc_config& config);

}  // namespace otaflow::sim
