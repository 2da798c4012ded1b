#include "connectors/change_events.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cassert>
#include <charconv>
#include <climits>
#include <optional>
#include <string_view>

namespace cohortwatch::connectors {

using tracking::Applied;

namespace {

// The detail of an event as a JSON object, written exactly as nlohmann::json's dump() writes the
// same object: keys in std::map order (so callers give them in ascending byte order), no spaces,
// strings escaped alike. Ingest records an event for nearly every new offence and outcome, and
// building an nlohmann object (a std::map of heap nodes) for each cost more than storing it.
class Detail {
 public:
  // Written into `buffer` (emptied first), which the recorder keeps from event to event.
  explicit Detail(std::string& buffer) : text_(buffer) { text_.clear(); }

  Detail& text(std::string_view key, std::string_view value) {
    name(key);
    string(value);
    return *this;
  }
  Detail& integer(std::string_view key, long value) {
    name(key);
    std::array<char, 24> digits{};
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
    text_.append(digits.data(), end);
    return *this;
  }
  Detail& boolean(std::string_view key, bool value) {
    name(key);
    text_ += value ? "true" : "false";
    return *this;
  }
  Detail& texts(std::string_view key, const std::vector<std::string>& values) {
    name(key);
    text_ += '[';
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) text_ += ',';
      string(values[i]);
    }
    text_ += ']';
    return *this;
  }
  std::string_view done() {
    text_ += text_.empty() ? "{}" : "}";
    return text_;
  }

 private:
  void name(std::string_view key) {
    assert(last_key_.empty() || last_key_ < key);  // nlohmann's order
    last_key_ = key;
    text_ += text_.empty() ? "{\"" : ",\"";
    text_ += key;  // the keys are plain ASCII literals
    text_ += "\":";
  }
  // Printable ASCII other than '"' and '\' is written as it is, as nlohmann does; anything else
  // (control characters, UTF-8, which nlohmann checks and may refuse) is left to nlohmann.
  void string(std::string_view value) {
    for (const char c : value) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte < 0x20 || byte >= 0x80 || c == '"' || c == '\\') {
        text_ += nlohmann::json(std::string(value)).dump();
        return;
      }
    }
    text_ += '"';
    text_ += value;
    text_ += '"';
  }

  std::string& text_;
  std::string_view last_key_;
};

// Date::toString() (YYYY-MM-DD) without fmt: two or three dates go into every event.
std::string isoDate(tracking::Date date) {
  const auto ymd = date.ymd();
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) return date.toString();
  std::string text = "0000-00-00";
  auto put = [&](std::size_t at, std::size_t width, unsigned value) {
    for (std::size_t i = width; i-- > 0; value /= 10) {
      text[at + i] = static_cast<char>('0' + value % 10);
    }
  };
  put(0, 4, static_cast<unsigned>(year));
  put(5, 2, static_cast<unsigned>(ymd.month()));
  put(8, 2, static_cast<unsigned>(ymd.day()));
  return text;
}

}  // namespace

ChangeEventRecorder::ChangeEventRecorder(tracking::Store& store,
                                         const config::MethodologySettings& methodology,
                                         std::string source)
    : store_(store), methodology_(methodology), source_(std::move(source)) {}

void ChangeEventRecorder::append(const char* kind, const std::string& person_id,
                                 std::string_view occurred_on, std::string_view detail) {
  // One event object, reused: its strings keep their capacity from event to event.
  event_.kind.assign(kind);
  event_.person_id.assign(person_id);
  event_.occurred_on.assign(occurred_on);
  event_.detail.assign(detail);
  event_.source.assign(source_);
  store_.appendEvent(event_);
}

const std::vector<ChangeEventRecorder::Membership>& ChangeEventRecorder::memberships(
    const std::string& person_id) {
  if (cached_.valid && cached_.person_id == person_id) return cached_.list;
  std::vector<Membership>& found = cached_.list;
  found.clear();
  cached_.valid = false;  // until the list is complete (the store may throw)
  cached_.person_id = person_id;
  const auto birth = store_.personBirthDate(person_id);
  if (!birth) return found;  // not kept: the child may arrive
  int previous_quarter = INT_MIN;
  for (const auto& outcome : store_.personOutcomes(person_id)) {  // ordered by date
    const auto* rule = methodology_.settings().findOutcomeType(outcome.outcome_type);
    if (rule == nullptr || !rule->index_event) continue;
    const auto quarter = tracking::Quarter::containing(outcome.outcome_date);
    if (quarter.ordinal() == previous_quarter) continue;
    previous_quarter = quarter.ordinal();
    const int age = tracking::ageOn(*birth, outcome.outcome_date);
    found.push_back({quarter, quarter.name(), outcome.outcome_id, outcome.outcome_date, age,
                     methodology_.followUp(outcome.outcome_date)});
  }
  cached_.valid = true;
  return found;
}

std::vector<std::string> ChangeEventRecorder::cohortsFollowing(const std::string& person_id,
                                                               tracking::Date date) {
  std::vector<std::string> cohorts;
  for (const auto& membership : memberships(person_id)) {
    if (methodology_.inAgeRange(membership.age) && membership.follow_up.contains(date)) {
      cohorts.push_back(membership.cohort);
    }
  }
  return cohorts;
}

void ChangeEventRecorder::personApplied(const tracking::PersonRecord& person,
                                        const std::vector<tracking::PersonChange>& changes) {
  // A new date of birth changes the ages at index.
  if (!changes.empty() && cached_.person_id == person.person_id) cached_.valid = false;
  for (const auto& change : changes) {
    nlohmann::json detail = {{"field", change.field}, {"old", change.old_value}, {"new", change.new_value}};
    append("person_changed", person.person_id, change.changed_at.substr(0, 10), detail.dump());
  }
}

void ChangeEventRecorder::offenceApplied(const tracking::OffenceRecord& offence, Applied applied) {
  if (applied != Applied::kInserted) return;
  const auto cohorts = cohortsFollowing(offence.person_id, offence.offence_date);
  const std::string date = isoDate(offence.offence_date);
  append("offence_recorded", offence.person_id, date,
         Detail(detail_)
             .boolean("breach", offence.breach)
             .texts("cohorts", cohorts)
             .boolean("in_follow_up", !cohorts.empty())
             .text("offence_date", date)
             .text("offence_id", offence.offence_id)
             .done());
}

void ChangeEventRecorder::outcomeApplied(const tracking::OutcomeRecord& outcome, Applied applied) {
  // A new outcome joins its child's; a changed one may have left another child.
  if (applied == Applied::kUpdated ||
      (applied == Applied::kInserted && cached_.person_id == outcome.person_id)) {
    cached_.valid = false;
  }
  if (applied != Applied::kInserted) return;
  const auto* rule = methodology_.settings().findOutcomeType(outcome.outcome_type);
  if (rule == nullptr) return;
  const std::string date = isoDate(outcome.outcome_date);
  // The child's cohort memberships, read once for both events below: recording the first event
  // changes no outcome, so a second read would find the same.
  auto membershipsOnce = [&]() -> const std::vector<Membership>& {
    return memberships(outcome.person_id);
  };
  if (rule->proves && !outcome.offence_id.empty()) {
    const auto offence = store_.findOffence(outcome.offence_id);
    std::vector<std::string> cohorts;
    if (offence) {
      for (const auto& membership : membershipsOnce()) {
        if (methodology_.inAgeRange(membership.age) &&
            membership.follow_up.contains(offence->offence_date)) {
          cohorts.push_back(membership.cohort);
        }
      }
    }
    append("offence_proven", outcome.person_id, date,
           Detail(detail_)
               .texts("cohorts", cohorts)
               .boolean("in_follow_up", !cohorts.empty())
               .text("offence_id", outcome.offence_id)
               .text("outcome_date", date)
               .text("outcome_id", outcome.outcome_id)
               .text("outcome_type", outcome.outcome_type)
               .done());
  }
  if (!rule->index_event) return;
  for (const auto& membership : membershipsOnce()) {
    if (membership.outcome_id != outcome.outcome_id) continue;
    if (membership.age < methodology_.settings().min_age) {
      nlohmann::json detail = {{"problem", "under_age_index_event"},
                               {"outcome_id", outcome.outcome_id},
                               {"age", membership.age},
                               {"outcome_date", date}};
      append("data_quality", outcome.person_id, date, detail.dump());
    } else if (methodology_.inAgeRange(membership.age)) {
      append("cohort_entry", outcome.person_id, date,
             Detail(detail_)
                 .integer("age_at_index", membership.age)
                 .text("cohort", membership.cohort)
                 .text("follow_up_end", isoDate(membership.follow_up.last_day))
                 .text("index_date", date)
                 .text("outcome_id", outcome.outcome_id)
                 .text("outcome_type", outcome.outcome_type)
                 .done());
    }
  }
}

}  // namespace cohortwatch::connectors
