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
  IdentifyBy identify = IdentifyBy::kId;
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

struct Settings {
  std::string config_file;  // where these settings came from; empty when built from defaults
  DatabaseSettings database;
  LoggingSettings logging;
  MethodologySettings methodology;
  std::vector<NationalAverage> national;
  PrivacySettings privacy;
  std::vector<SourceSettings> sources;
  std::map<std::string, MappingProfile> mappings;  // profile name -> profile (config/mapping_settings.h)
};

std::string_view toString(LogLevel level);
std::string_view toString(OutcomeGroup group);
std::string_view toString(IdentifyBy identify);

}  // namespace cohortwatch::config
