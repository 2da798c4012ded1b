// Typed settings of cohortwatch, as read from the one YAML configuration file.
// Every field carries its default, so a default-constructed Settings is a working configuration
// (the SQLite store in the state directory, the MoJ methodology of DOMAIN.md). Nothing outside
// config/ reads YAML: components receive these structs.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/mapping_settings.h"
#include "config/secret.h"
#include "schedule/schedule_settings.h"

namespace cohortwatch::config {

inline constexpr const char* kDefaultConfigPath = "/etc/cohortwatch/cohortwatch.yaml";
inline constexpr const char* kDefaultDatabasePath = "/var/lib/cohortwatch/cohortwatch.db";

struct DatabaseSettings {
  std::string path = kDefaultDatabasePath;
  int busy_timeout_ms = 5000;
};

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

struct LoggingSettings {
  LogLevel level = LogLevel::kInfo;
};

// How the outcome types of the canonical data are treated (DOMAIN.md, outcome table).
enum class OutcomeGroup { kPreCourt, kFirstTier, kCommunity, kCustody, kCustodyRelease, kNonSubstantive };

struct OutcomeTypeRule {
  std::string code;
  OutcomeGroup group = OutcomeGroup::kNonSubstantive;
  bool proves = false;       // an outcome of this type proves the offence it disposes of
  bool index_event = false;  // an outcome of this type can be a cohort index event
};

// The outcome-type table of DOMAIN.md, used when the configuration does not give one.
std::vector<OutcomeTypeRule> defaultOutcomeTypes();

struct MethodologySettings {
  int follow_up_months = 12;
  int waiting_months = 6;
  int min_age = 10;
  int max_age = 17;
  bool count_breaches = false;
  // Offences with no outcome at all this long after they were committed are a data-quality warning.
  int unresolved_offence_months = 6;
  std::vector<OutcomeTypeRule> outcome_types = defaultOutcomeTypes();

  const OutcomeTypeRule* findOutcomeType(std::string_view code) const;
};

// A published reference figure: a quarter ("2023Q2") or a financial year ("2022/23").
struct NationalAverage {
  std::string period;
  double binary_rate = 0.0;
  std::optional<double> reoffences_per_reoffender;
  std::string source;
};

// How much of a child's identity may appear in outputs meant for people (alerts, digests, sheets).
enum class IdentifyBy { kId, kInitials, kFullName };

struct PrivacySettings {
  IdentifyBy identify_by = IdentifyBy::kInitials;  // e-mail and the file spool
  IdentifyBy webhook_identify_by = IdentifyBy::kId;  // team chat is seen by more people
};

// A condition of the rules language (rules/expression.h) as written in the file, with where it
// was written, so that rules/ can report a compile error at its file, line and column.
struct ConditionText {
  std::string text;      // empty: always true
  std::string file;
  int line = 0;          // of the scalar's first character, 1-based
  int column = 0;
  std::string key_path;  // e.g. "alerts[2].when"
};

// A group of members the team focuses on (DOMAIN.md: e.g. 17-year-olds, looked-after children).
struct FocusGroupSettings {
  std::string id;  // lower-case letters, digits and _: what conditions test with `"id" in focus`
  std::string name;
  ConditionText when;
  double weight = 1.0;  // added to the priority of every member in the group
};

enum class AlertTrigger {
  kCohortEntry,
  kOffenceRecorded,
  kOffenceProven,
  kPersonChanged,
  kFollowUpEnding,  // `days` before a member's follow-up ends
  kNoReview,        // `days` since a member was last reviewed (or entered, when never reviewed)
  kActionDue,       // an open action due within `days`
  kActionOverdue,   // an open action past its due date
};
enum class DeliverWhen { kImmediately, kDigest };
enum class Severity { kLow, kMedium, kHigh };

struct AlertRuleSettings {
  std::string id;
  std::string name;  // shown in messages; defaults to the id
  AlertTrigger on = AlertTrigger::kCohortEntry;
  int days = 0;  // follow_up_ending, no_review, action_due
  ConditionText when;
  // Recipients: "managers", "caseworker" (the child's own), a group under recipients:, a channel
  // name, or an e-mail address.
  std::vector<std::string> notify = {"managers"};
  DeliverWhen deliver = DeliverWhen::kDigest;
  Severity severity = Severity::kMedium;
  int realert_days = 28;  // the same rule does not fire again for the same child within this
};

// Where messages go. Secrets (SMTP password, webhook signing secret) come from files or the
// environment.
struct SmtpChannelSettings {
  std::string url;  // smtp://host:587 (STARTTLS) or smtps://host:465 (TLS from the start)
  bool require_starttls = true;  // smtp:// only: refuse to send over a connection without TLS
  std::string username;          // AUTH when set
  std::optional<SecretRef> password;
  std::string from_address;
  std::string from_name = "cohortwatch";
  std::string reply_to;  // empty: none
  bool verify_tls = true;
  std::string ca_file;  // extra CA bundle (PEM), e.g. a private CA; empty: the system's
  int connect_timeout_seconds = 10;
  int timeout_seconds = 60;
};

enum class WebhookStyle { kGeneric, kTeams, kSlack };

struct WebhookChannelSettings {
  std::string url;
  WebhookStyle style = WebhookStyle::kGeneric;
  std::optional<SecretRef> secret;  // Standard Webhooks signing secret ("whsec_..." base64 or raw)
  bool verify_tls = true;
  std::string ca_file;
  int connect_timeout_seconds = 10;
  int timeout_seconds = 30;
};

// Messages written to a folder, one file each (.eml for e-mail, .json for webhooks): the default
// channel, which needs no server.
struct FileChannelSettings {
  std::string path;
};

struct ChannelSettings {
  std::string name;
  enum class Kind { kSmtp, kWebhook, kFile };
  Kind kind = Kind::kFile;
  SmtpChannelSettings smtp;
  WebhookChannelSettings webhook;
  FileChannelSettings file;
};

// A named list of recipients (e-mail addresses or channel names).
struct RecipientGroup {
  std::string name;
  std::vector<std::string> members;
};

struct NotificationSettings {
  // The channel e-mail recipients are sent through; empty: the first smtp channel, else the
  // first file channel, else the built-in spool.
  std::string email_channel;
  std::vector<std::string> managers;  // e-mail addresses or channel names
  std::vector<RecipientGroup> groups;
  std::string templates_dir;  // overrides of the built-in templates; empty: built-ins only
  std::string spool_dir;      // the built-in file channel's folder; empty: <database dir>/spool
  // The dispatcher retries a failed message with exponential backoff and jitter, from
  // first_retry_seconds up to max_retry_seconds, until it is max_age_hours old; then it is dead.
  // Change events dated more than this many days before the day they are evaluated fire no
  // alerts (an initial import of years of history is not news).
  int max_event_age_days = 30;
  int first_retry_seconds = 30;
  int max_retry_seconds = 3600;
  int max_age_hours = 48;
};

// A folder where case-management exports land (often a mounted share).
struct DirectorySource {
  std::string path;
  std::vector<std::string> patterns = {"*.csv"};  // file names taken (glob)
  // When a file is complete: its size and mtime unchanged for settle_seconds, or a marker file
  // "<name>.done" beside it.
  enum class Completion { kSettle, kMarker };
  Completion completion = Completion::kSettle;
  int settle_seconds = 10;
  int poll_interval_seconds = 30;  // the polling fallback, for network filesystems
  bool watch = true;               // inotify as well as polling
  // A taken file is moved to processed/, or left in place and remembered by its content hash.
  enum class AfterTaking { kMove, kKeep };
  AfterTaking after_taking = AfterTaking::kMove;
};

// An HTTPS endpoint polled on an interval.
struct HttpSource {
  std::string url;
  int interval_seconds = 300;
  enum class Auth { kNone, kBearer, kBasic };
  Auth auth = Auth::kNone;
  std::optional<SecretRef> token;     // bearer
  std::string username;               // basic
  std::optional<SecretRef> password;  // basic
  bool verify_tls = true;
  std::string ca_file;  // a PEM bundle to trust, e.g. an internal CA's; empty: the system's
  int connect_timeout_seconds = 10;
  int timeout_seconds = 120;
  // The incremental query parameter (empty: none), set to the last successful request's time
  // minus lookback_seconds so that late records with equal timestamps are not missed.
  std::string since_parameter = "since";
  int lookback_seconds = 3600;
  int max_backoff_seconds = 3600;
};

struct SourceSettings {
  std::string name;
  enum class Kind { kDirectory, kHttp };
  Kind kind = Kind::kDirectory;
  std::string mapping = "canonical";  // "canonical" or the name of a profile under mappings:
  DirectorySource directory;
  HttpSource http;
};

// The admin HTTP server (daemon/admin_server.h): health and metrics, on the loopback interface by
// default. Everything but /healthz needs the bearer token, read from a file or the environment.
struct AdminSettings {
  bool enabled = true;
  std::string address = "127.0.0.1";  // an IP address; 0.0.0.0 or :: listen on every interface
  int port = 9464;                    // 0: the kernel picks
  std::optional<SecretRef> token;
};

struct Settings {
  std::string config_file;  // where these settings came from; empty when built from defaults
  DatabaseSettings database;
  LoggingSettings logging;
  MethodologySettings methodology;
  std::vector<NationalAverage> national;
  PrivacySettings privacy;
  std::vector<SourceSettings> sources;
  std::map<std::string, MappingProfile> mappings;  // profile name -> profile (config/mapping_settings.h)
  std::vector<FocusGroupSettings> focus_groups;
  std::vector<AlertRuleSettings> alerts;
  std::vector<ChannelSettings> channels;
  NotificationSettings notifications;
  AdminSettings admin;
  std::vector<schedule::ScheduleSettings> schedules;
};

std::string_view toString(LogLevel level);
std::string_view toString(OutcomeGroup group);
std::string_view toString(IdentifyBy identify);
std::string_view toString(AlertTrigger trigger);
std::string_view toString(DeliverWhen deliver);
std::string_view toString(Severity severity);
std::string_view toString(WebhookStyle style);
std::string_view toString(ChannelSettings::Kind kind);

}  // namespace cohortwatch::config
