#include "service/subscriber_publish.hpp"

#include <stdlib.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "base/log.hpp"
#include "kafka/admin.hpp"
#include "kafka/producer.hpp"
#include "storage/api.hpp"
#include "storage/card_record.hpp"

namespace otaflow::service {
namespace {

const std::shared_ptr<spdlog::logger>& logger() {
  static const auto l = log::get("serve");
  return l;
}

// A private directory (mkdtemp: mode 0700), removed with everything in it when it goes.
class private_dir {
 public:
  static result<std::unique_ptr<private_dir>> create(const std::filesystem::path& parent) {
    std::error_code ec;
    const auto base = parent.empty() ? std::filesystem::temp_directory_path(ec) : parent;
    if (ec) return make_error(errc::io, "no temporary directory: " + ec.message());
    std::string templ = (base / "otaflow-publish-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) {
      return make_error(errc::io, "cannot create a temporary directory under " + base.string());
    }
    return std::unique_ptr<private_dir>(new private_dir(templ));
  }
  ~private_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    if (ec) logger()->warn("temporary state {} not removed: {}", path_.string(), ec.message());
  }
  private_dir(const private_dir&) = delete;
  private_dir& operator=(const private_dir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  explicit private_dir(std::filesystem::path p) : path_(std::move(p)) {}
  std::filesystem::path path_;
};

// The triggers topic's description, and the subscribers topic's when it exists; errors when
// the triggers topic is missing or the two partition counts differ.
struct topics {
  kafka::topic_description triggers;
  bool subscribers_exists = false;
};

result<topics> check_topics(const kafka::kafka_options& opts, std::string_view topic,
                            const publish_options& options) {
  auto trig = kafka::describe_topic(opts, opts.triggers_topic, options.timeout);
  if (!trig) return std::move(trig).error();
  if (!trig->has_value()) {
    return make_error(errc::not_found,
                      "triggers topic " + opts.triggers_topic + " does not exist at " +
                          opts.brokers + ": the subscribers topic takes its partition count, so " +
                          "create it first (or start serve with create_topics_partitions)");
  }
  topics out{**trig, false};
  auto subs = kafka::describe_topic(opts, topic, options.timeout);
  if (!subs) return std::move(subs).error();
  if (subs->has_value()) {
    out.subscribers_exists = true;
    if ((*subs)->partitions != out.triggers.partitions) {
      return make_error(errc::conflict,
                        "subscribers topic " + std::string(topic) + " has " +
                            std::to_string((*subs)->partitions) + " partitions, triggers topic " +
                            opts.triggers_topic + " has " +
                            std::to_string(out.triggers.partitions) +
                            ": they must have the same count (a card's record goes to its "
                            "triggers' partition)");
    }
  }
  return out;
}

// Delivery reports of the card records: counts, and the first failure.
struct deliveries {
  std::mutex mu;
  std::uint64_t ok = 0, failed = 0;
  std::optional<error> first;

  void on(const kafka::delivery_report& r) {
    std::lock_guard lock(mu);
    if (!r.err) {
      ++ok;
      return;
    }
    ++failed;
    if (!first) first = *r.err;
  }
};

// Produces one card record per subscriber of `st` to `topic`; returns how many were queued.
result<std::uint64_t> produce_cards(storage::state& st, kafka::producer& p, std::string_view topic,
                                    std::chrono::milliseconds timeout) {
  std::uint64_t queued = 0;
  auto it = st.database().iterate(storage::column::subscribers);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string iccid = it->key().ToString();
    auto value = storage::encode_card(st.database(), iccid);
    if (!value) return std::move(value).error();
    // A full local queue is retriable: let deliveries drain it, then queue again.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto s = p.produce(topic, iccid, *value, queued);
      if (s) break;
      if (!s.error().retriable() || std::chrono::steady_clock::now() > deadline) {
        return std::move(s).error();
      }
      (void)p.flush(std::chrono::milliseconds(100));
    }
    ++queued;
  }
  if (!it->status().ok()) return storage::rocksdb_error(it->status(), "scan of subscribers");
  return queued;
}

}  // namespace

result<publish_summary> publish_subscribers(const kafka::kafka_options& opts,
                                            std::string_view topic,
                                            const std::filesystem::path& csv,
                                            const storage::secret& kek,
                                            const storage::import_options& import,
                                            const publish_options& options) {
  OTAFLOW_TRY(kafka::validate(opts));
  if (!kafka::valid_topic_name(topic)) {
    return make_error(errc::bad_argument,
                      "topic \"" + std::string(topic) + "\" is not a legal topic name");
  }
  if (topic == opts.triggers_topic) {
    return make_error(errc::bad_argument,
                      "the subscribers topic cannot be the triggers topic " + opts.triggers_topic);
  }
  // Before the import, which may take a while: an unreachable cluster or a topic of the
  // wrong shape is told at once.
  auto shape = check_topics(opts, topic, options);
  if (!shape) return std::move(shape).error();

  auto dir = private_dir::create(options.temp_parent);
  if (!dir) return std::move(dir).error();
  storage::db_options dbo;
  dbo.dir = (*dir)->path();
  dbo.flush_on_close = false;  // removed right after
  auto st = storage::state::open(dbo, kek);
  if (!st) return std::move(st).error();
  storage::import_options io = import;
  io.sync = false;  // the directory is thrown away: durability is the brokers'
  io.bulk = false;
  auto imported = storage::import_csv_file(**st, csv, io);
  if (!imported) return std::move(imported).error();

  publish_summary sum;
  sum.import = std::move(*imported);
  sum.partitions = shape->triggers.partitions;
  if (!shape->subscribers_exists) {
    kafka::topic_spec spec;
    spec.name = topic;
    spec.partitions = shape->triggers.partitions;
    spec.replication_factor = options.replication_factor > 0
                                  ? options.replication_factor
                                  : std::max(1, shape->triggers.replication_factor);
    spec.configs = {{"cleanup.policy", "compact"}};
    OTAFLOW_TRY(kafka::ensure_topics(opts, {spec}, options.timeout));
    sum.topic_created = true;
    // A concurrent creator may have won with another count: look again.
    auto again = check_topics(opts, topic, options);
    if (!again) return std::move(again).error();
  }

  auto reports = std::make_shared<deliveries>();
  auto producer =
      kafka::producer::create(opts, [reports](const kafka::delivery_report& r) { reports->on(r); });
  if (!producer) return std::move(producer).error();
  auto queued = produce_cards(**st, **producer, topic, options.timeout);
  // Whatever was queued is waited for, also when producing stopped early.
  auto flushed = (*producer)->flush(options.timeout);
  if (!queued) return std::move(queued).error();
  if (!flushed) return std::move(flushed).error();
  std::lock_guard lock(reports->mu);
  sum.published = reports->ok;
  if (reports->failed > 0) {
    return make_error(reports->first->code,
                      std::to_string(reports->failed) + " of " + std::to_string(*queued) +
                          " card records not delivered to " + std::string(topic) + " (first: " +
                          reports->first->message + "); publishing the file again " + "is safe",
                      reports->first->cls);
  }
  logger()->info("published {} cards of {} to {} ({} partitions)", sum.published, csv.string(),
                 topic, sum.partitions);
  return sum;
}

}  // namespace otaflow::service
