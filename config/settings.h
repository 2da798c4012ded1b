// Typed settings of cohortwatch, as read from the one YAML configuration file.
// Every field carries its default, so a default-constructed Settings is a working configuration
// (the SQLite store in the state directory, the MoJ methodology of DOMAIN.md). Nothing outside
// config/ reads YAML: components receive these structs.
#pragma once

#include <optional>
#include <string>
#include <vector>

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

struct Settings {
  std::string config_file;  // where these settings came from; empty when built from defaults
  DatabaseSettings database;
  LoggingSettings logging;
  MethodologySettings methodology;
  std::vector<NationalAverage> national;
  PrivacySettings privacy;
};

std::string_view toString(LogLevel level);
std::string_view toString(OutcomeGroup group);
std::string_view toString(IdentifyBy identify);

}  // namespace cohortwatch::config
