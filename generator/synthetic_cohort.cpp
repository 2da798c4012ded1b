#include "generator/synthetic_cohort.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "generator/export_layouts.h"
#include "generator/random.h"
#include "generator/synthetic_catalogue.h"

namespace cohortwatch::generator {

namespace {

using catalogue::OutcomeType;
using tracking::Date;

// Shape of the synthetic cohort. Probabilities are parts per million, durations days.
constexpr std::uint32_t kLookedAfterPpm = 120'000;
// A child whose first disposal is non-substantive comes back with a substantive one this often.
constexpr std::uint32_t kLateEntryPpm = 500'000;
constexpr int kMaxDaysOffenceToFirstDisposal = 120;
// Further offences follow the cohort entry at exponential distances (front-loaded).
constexpr int kMeanDaysToFurtherOffence = 91;
constexpr std::uint32_t kBreachPpm = 50'000;
// Most further offences are dealt with 1-9 months later (the shorter the likelier); a few cases
// take 9-24 months, so some are proven after the waiting period and some are still pending.
constexpr std::uint32_t kSlowCasePpm = 30'000;
// A proving disposal sometimes comes with a second one (a compensation order); the offence still
// counts once.
constexpr std::uint32_t kSecondDisposalPpm = 30'000;
// Further offences per reoffender, 1..10 (per mille), then a heavy tail 11 + Exp(mean 8).
constexpr std::array<std::uint32_t, 11> kFurtherOffenceCountWeights = {340, 200, 120, 80, 60, 50,
                                                                       40,  30,  20,  20, 40};
constexpr int kMeanTailOffences = 8;

// Chance that a child who entered the cohort offends again (before proof and follow-up windows
// thin it out), tuned so that the proven binary rate of quarterly cohorts is about 32%, about 45%
// for looked-after children and about 38% for 17-year-olds.
std::uint32_t reoffendingPpm(int age, bool lookedAfter, bool female, bool afterCustody) {
  static constexpr std::array<std::uint64_t, 8> kByAge = {140'000, 158'000, 177'000, 214'000,
                                                          251'000, 279'000, 288'000, 409'000};
  std::uint64_t ppm = kByAge[static_cast<std::size_t>(std::clamp(age, 10, 17) - 10)];
  if (lookedAfter) ppm = ppm * 200 / 100;
  if (afterCustody) ppm = ppm * 130 / 100;
  if (female) ppm = ppm * 80 / 100;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(ppm, 900'000));
}

template <class T, std::size_t N>
const T& pickWeighted(Rng& rng, const std::array<T, N>& items) {
  std::uint32_t total = 0;
  for (const auto& item : items) total += item.weight;
  std::uint32_t r = rng.below(total);
  for (const auto& item : items) {
    if (r < item.weight) return item;
    r -= item.weight;
  }
  return items.back();
}

Date randomDate(Rng& rng, Date lo, Date hi) {
  return Date::fromDayNumber(rng.between(lo.dayNumber(), hi.dayNumber()));
}

std::string_view pickName(Rng& rng, bool male) {
  if (male) return catalogue::kMaleFirstNames[rng.below(catalogue::kMaleFirstNames.size())];
  return catalogue::kFemaleFirstNames[rng.below(catalogue::kFemaleFirstNames.size())];
}

std::string badDate(Date date, std::uint64_t variant) {
  switch (variant % 3) {
    case 0: return fmt::format("{:04}-13-{:02}", date.year(), date.day());
    case 1: return fmt::format("{:02}/{:02}/{:04}", date.day(), date.month(), date.year());
    default: return fmt::format("{:04}-02-30", date.year());
  }
}

struct OutcomeEvent {
  Date date;
  OutcomeType type;
  bool linked;  // false for release_from_custody, which names no offence
};

struct OffenceEvent {
  Date date;
  std::uint32_t order;  // creation order: a tie-break that keeps sorting deterministic
  std::uint8_t kind;    // index into kOffenceKinds, or kBreachKinds when breach
  std::uint8_t gravity;
  bool breach;
  std::uint8_t outcomeCount;
  std::array<OutcomeEvent, 3> outcomes;
};

struct ChildOutcome {
  Date date;
  std::uint32_t offencePosition;
  std::uint32_t sequence;
  OutcomeType type;
  bool linked;
};

// What the dirty rows borrow from the child being written, so that they look plausible.
struct ChildContext {
  std::uint64_t personNumber = 0;
  std::uint64_t firstOffenceNumber = 0;
  Date birth;
  Date updated;
};

enum class TargetFile { kPeople, kOffences, kOutcomes };

class CohortGenerator {
 public:
  CohortGenerator(const GeneratorOptions& options, const std::filesystem::path& dir)
      : options_(options),
        rng_(options.seed),
        dirtyRng_(dirtySeed(options.seed)),
        dirtyThreshold_(thresholdFor53Bits(options.dirty_rate)),
        writer_(makeExportWriter(options.layout, dir)),
        caseworkers_(static_cast<std::uint32_t>(
            std::clamp<std::int64_t>((options.children + 24) / 25, 1, 1'000'000))),
        futureDate_(std::max(*Date::fromYmd(2099, 1, 1), options.to.addMonths(24))) {}

  GeneratorSummary run() {
    for (std::int64_t i = 0; i < options_.children; ++i) generateChild();
    writer_->close();
    return summary_;
  }

 private:
  static std::uint64_t dirtySeed(std::uint64_t seed) {
    std::uint64_t x = seed ^ 0xD1B54A32D192ED03ULL;
    return Rng::splitMix64(x);
  }

  std::size_t addOffence(Date committed, bool breach) {
    OffenceEvent offence{};
    offence.date = committed;
    offence.order = static_cast<std::uint32_t>(childOffences_.size());
    offence.breach = breach;
    const catalogue::OffenceKind* kind = nullptr;
    if (breach) {
      kind = &pickWeighted(rng_, catalogue::kBreachKinds);
      offence.kind = static_cast<std::uint8_t>(kind - catalogue::kBreachKinds.data());
    } else {
      kind = &pickWeighted(rng_, catalogue::kOffenceKinds);
      offence.kind = static_cast<std::uint8_t>(kind - catalogue::kOffenceKinds.data());
    }
    offence.gravity = static_cast<std::uint8_t>(rng_.between(kind->gravityLow, kind->gravityHigh));
    childOffences_.push_back(offence);
    return childOffences_.size() - 1;
  }

  void addOutcome(std::size_t offence, Date date, OutcomeType type, bool linked = true) {
    auto& event = childOffences_[offence];
    if (event.outcomeCount < event.outcomes.size()) {
      event.outcomes[event.outcomeCount++] = OutcomeEvent{date, type, linked};
    }
  }

  // A custodial sentence is followed by a release 1-12 months later, which is the index event.
  std::optional<Date> addCustody(std::size_t offence, Date sentenced, OutcomeType type) {
    addOutcome(offence, sentenced, type);
    const Date released = randomDate(rng_, sentenced.addMonths(1), sentenced.addMonths(12));
    if (released > options_.to) return std::nullopt;
    addOutcome(offence, released, OutcomeType::kReleaseFromCustody, false);
    return released;
  }

  void addProvingOutcome(std::size_t offence, Date date, OutcomeType type) {
    addOutcome(offence, date, type);
    if (type != OutcomeType::kCompensationOrder && rng_.chance(kSecondDisposalPpm)) {
      const Date second = date.addDays(rng_.between(0, 14));
      if (second <= options_.to) addOutcome(offence, second, OutcomeType::kCompensationOrder);
    }
  }

  void disposeFurtherOffence(std::size_t offence) {
    const OutcomeType type = pickWeighted(rng_, catalogue::kFurtherDisposalMix).type;
    int delay = 0;
    if (rng_.chance(kSlowCasePpm)) {
      delay = rng_.between(274, 730);
    } else {
      const int first = rng_.between(30, 274);
      const int second = rng_.between(30, 274);
      delay = std::min(first, second);
    }
    const Date date = childOffences_[offence].date.addDays(delay);
    if (date > options_.to) return;  // not dealt with yet: pending
    if (catalogue::isCustodial(type)) {
      addCustody(offence, date, type);
    } else if (catalogue::isNonSubstantive(type)) {
      addOutcome(offence, date, type);
    } else {
      addProvingOutcome(offence, date, type);
    }
  }

  int furtherOffenceCount() {
    const auto bucket = static_cast<int>(rng_.pick(kFurtherOffenceCountWeights));
    if (bucket < 10) return bucket + 1;
    return 11 + rng_.exponential(kMeanTailOffences);
  }

  // Date of birth giving `age` on `anchor` (the first index event), and at least 10 on the earliest
  // offence; a child too young for that is made a year older.
  Date chooseBirth(int age, Date anchor, Date earliest) {
    const Date tenAtEarliest = earliest.addMonths(-120);
    for (;; ++age) {
      const Date lo = anchor.addMonths(-12 * (age + 1)).addDays(1);
      const Date hi = std::min(anchor.addMonths(-12 * age), tenAtEarliest);
      if (lo <= hi) return randomDate(rng_, lo, hi);
    }
  }

  void generateChild() {
    const Date from = options_.from;
    const Date to = options_.to;
    childOffences_.clear();

    const int age = 10 + static_cast<int>(rng_.pick(catalogue::kEntryAgeWeights));
    const auto gender = rng_.pick(catalogue::kGenderWeights);
    const auto ethnicity = rng_.pick(catalogue::kEthnicityWeights);
    const bool lookedAfter = rng_.chance(kLookedAfterPpm);
    const std::uint32_t caseworker = rng_.below(caseworkers_) + 1;
    const bool maleName = gender == 0 || (gender >= 2 && rng_.chance(500'000));
    const std::string_view firstName = pickName(rng_, maleName);
    const std::string_view lastName =
        catalogue::kLastNames[rng_.below(catalogue::kLastNames.size())];

    // First disposal, uniformly over [from, to], for an offence up to 120 days earlier.
    const Date firstDisposal = randomDate(rng_, from, to);
    const OutcomeType disposal = pickWeighted(rng_, catalogue::kFirstDisposalMix).type;
    const Date firstOffence =
        firstDisposal.addDays(-rng_.between(0, kMaxDaysOffenceToFirstDisposal));
    addOffence(firstOffence, false);
    std::optional<Date> entry;
    bool afterCustody = false;
    if (catalogue::isCustodial(disposal)) {
      entry = addCustody(0, firstDisposal, disposal);
      afterCustody = entry.has_value();
    } else if (catalogue::isNonSubstantive(disposal)) {
      addOutcome(0, firstDisposal, disposal);
      if (rng_.chance(kLateEntryPpm)) {
        const Date committed = firstDisposal.addDays(rng_.between(30, 365));
        if (committed <= to) {
          const std::size_t offence = addOffence(committed, false);
          const Date dealt = committed.addDays(rng_.between(0, kMaxDaysOffenceToFirstDisposal));
          const OutcomeType type = pickWeighted(rng_, catalogue::kLateEntryMix).type;
          if (dealt <= to) {
            addProvingOutcome(offence, dealt, type);
            entry = dealt;
          }
        }
      }
    } else {
      addProvingOutcome(0, firstDisposal, disposal);
      entry = firstDisposal;
    }

    if (entry && rng_.chance(reoffendingPpm(age, lookedAfter, gender == 1, afterCustody))) {
      const int count = furtherOffenceCount();
      for (int i = 0; i < count; ++i) {
        const Date committed = entry->addDays(1 + rng_.exponential(kMeanDaysToFurtherOffence));
        const bool breach = rng_.chance(kBreachPpm);
        if (committed > to) continue;
        disposeFurtherOffence(addOffence(committed, breach));
      }
    }

    ChildContext child;
    child.birth = chooseBirth(age, entry.value_or(firstDisposal), firstOffence);
    child.updated = firstOffence;
    for (const auto& offence : childOffences_) {
      child.updated = std::max(child.updated, offence.date);
      for (std::size_t j = 0; j < offence.outcomeCount; ++j) {
        child.updated = std::max(child.updated, offence.outcomes[j].date);
      }
    }
    const int updatedMinute = 8 * 60 + 15 * rng_.between(0, 40);
    child.personNumber = ++personNumber_;
    child.firstOffenceNumber = offenceNumber_ + 1;

    // people.csv
    addDirt(TargetFile::kPeople, child);
    scratch_.clear();
    fmt::format_to(std::back_inserter(scratch_), "caseworker{:02}@yot.example.org", caseworker);
    PersonRow person;
    person.number = child.personNumber;
    person.first_name = firstName;
    person.last_name = lastName;
    person.birth = child.birth;
    person.gender = catalogue::kGenders[gender];
    person.ethnicity = catalogue::kEthnicities[ethnicity];
    person.looked_after = lookedAfter;
    person.caseworker = scratch_;
    person.team = catalogue::kTeams[(caseworker - 1) % catalogue::kTeams.size()];
    person.updated = child.updated;
    person.updated_minute = updatedMinute;
    writer_->person(person);
    ++summary_.people;

    // offences.csv, in the order committed
    std::sort(childOffences_.begin(), childOffences_.end(),
              [](const OffenceEvent& a, const OffenceEvent& b) {
                return a.date != b.date ? a.date < b.date : a.order < b.order;
              });
    for (const auto& offence : childOffences_) {
      addDirt(TargetFile::kOffences, child);
      const auto& kind = offence.breach ? catalogue::kBreachKinds[offence.kind]
                                        : catalogue::kOffenceKinds[offence.kind];
      OffenceRow row;
      row.number = ++offenceNumber_;
      row.person = child.personNumber;
      row.date = offence.date;
      row.code = kind.code;
      row.description = kind.description;
      row.gravity = offence.gravity;
      row.breach = offence.breach;
      writer_->offence(row);
      ++summary_.offences;
    }

    // outcomes.csv, in date order
    childOutcomes_.clear();
    for (std::size_t i = 0; i < childOffences_.size(); ++i) {
      const auto& offence = childOffences_[i];
      for (std::size_t j = 0; j < offence.outcomeCount; ++j) {
        const auto& outcome = offence.outcomes[j];
        childOutcomes_.push_back(ChildOutcome{outcome.date, static_cast<std::uint32_t>(i),
                                            static_cast<std::uint32_t>(j), outcome.type,
                                            outcome.linked});
      }
    }
    std::sort(childOutcomes_.begin(), childOutcomes_.end(),
              [](const ChildOutcome& a, const ChildOutcome& b) {
                if (a.date != b.date) return a.date < b.date;
                if (a.offencePosition != b.offencePosition) {
                  return a.offencePosition < b.offencePosition;
                }
                return a.sequence < b.sequence;
              });
    for (const auto& outcome : childOutcomes_) {
      addDirt(TargetFile::kOutcomes, child);
      OutcomeRow row;
      row.number = ++outcomeNumber_;
      row.person = child.personNumber;
      row.offence = child.firstOffenceNumber + outcome.offencePosition;
      row.linked = outcome.linked;
      row.type = catalogue::outcomeCode(outcome.type);
      row.date = outcome.date;
      writer_->outcome(row);
      ++summary_.outcomes;
    }
    writer_->endChild();
  }

  // Dirty rows go in before a valid row, each slot being dirty with probability dirty_rate, so
  // that share of each file is invalid. They draw only from dirtyRng_.
  void addDirt(TargetFile target, const ChildContext& child) {
    if (dirtyThreshold_ == 0) return;
    while (dirtyRng_.chance53(dirtyThreshold_)) {
      switch (target) {
        case TargetFile::kPeople: writeDirtyPerson(child); break;
        case TargetFile::kOffences: writeDirtyOffence(child); break;
        case TargetFile::kOutcomes: writeDirtyOutcome(child); break;
      }
      ++summary_.dirty_rows;
    }
  }

  std::string dirtyDateTime(Date date) {
    return fmt::format("{}T{:02}:{:02}:00Z", date.toString(), dirtyRng_.between(8, 17),
                       15 * dirtyRng_.between(0, 3));
  }

  // people.csv defects: missing required value, bad date, date in the future, bad boolean.
  void writeDirtyPerson(const ChildContext& child) {
    const std::uint64_t n = dirtyPeople_++;
    const Date birth = child.birth.addDays(dirtyRng_.between(-400, 400));
    const bool male = dirtyRng_.chance(800'000);
    const std::uint32_t caseworker = dirtyRng_.below(caseworkers_) + 1;
    std::vector<std::string> fields = {
        fmt::format("PX{:07}", n + 1),
        std::string(pickName(dirtyRng_, male)),
        std::string(catalogue::kLastNames[dirtyRng_.below(catalogue::kLastNames.size())]),
        birth.toString(),
        male ? "male" : "female",
        std::string(catalogue::kEthnicities[dirtyRng_.below(catalogue::kEthnicities.size())]),
        dirtyRng_.chance(120'000) ? "true" : "false",
        fmt::format("caseworker{:02}@yot.example.org", caseworker),
        std::string(catalogue::kTeams[(caseworker - 1) % catalogue::kTeams.size()]),
        dirtyDateTime(child.updated)};
    const std::uint64_t variant = n / 4;
    switch (n % 4) {
      case 0: fields[variant % 2 == 0 ? 3 : 0].clear(); break;
      case 1: fields[3] = badDate(birth, variant); break;
      case 2: fields[3] = futureDate_.toString(); break;
      default: {
        static constexpr std::array<std::string_view, 3> kBadBooleans = {"maybe", "2", "tru"};
        fields[6] = std::string(kBadBooleans[variant % kBadBooleans.size()]);
        break;
      }
    }
    writer_->invalidRow(CanonicalFile::kPeople, fields);
  }

  // offences.csv defects: missing required value, bad date, unknown child, date in the future,
  // gravity out of range.
  void writeDirtyOffence(const ChildContext& child) {
    const std::uint64_t n = dirtyOffences_++;
    const Date committed = child.updated.addDays(-dirtyRng_.between(0, 200));
    const auto& kind = catalogue::kOffenceKinds[dirtyRng_.below(catalogue::kOffenceKinds.size())];
    std::vector<std::string> fields = {fmt::format("OX{:07}", n + 1),
                                       fmt::format("P{:07}", child.personNumber),
                                       committed.toString(),
                                       std::string(kind.code),
                                       std::string(kind.description),
                                       std::to_string(kind.gravityLow),
                                       "false"};
    const std::uint64_t variant = n / 5;
    switch (n % 5) {
      case 0: fields[variant % 3 == 0 ? 0 : (variant % 3 == 1 ? 1 : 2)].clear(); break;
      case 1: fields[2] = badDate(committed, variant); break;
      case 2: fields[1] = fmt::format("PZ{:07}", variant + 1); break;
      case 3: fields[2] = futureDate_.toString(); break;
      default: {
        static constexpr std::array<std::string_view, 3> kBadGravity = {"0", "9", "12"};
        fields[5] = std::string(kBadGravity[variant % kBadGravity.size()]);
        break;
      }
    }
    writer_->invalidRow(CanonicalFile::kOffences, fields);
  }

  // outcomes.csv defects: missing required value, bad date, unknown outcome code, unknown child,
  // unknown offence, date in the future.
  void writeDirtyOutcome(const ChildContext& child) {
    const std::uint64_t n = dirtyOutcomes_++;
    const Date dealt = child.updated.addDays(-dirtyRng_.between(0, 200));
    const auto& type =
        catalogue::kFurtherDisposalMix[dirtyRng_.below(catalogue::kFurtherDisposalMix.size())];
    std::vector<std::string> fields = {
        fmt::format("DX{:07}", n + 1), fmt::format("P{:07}", child.personNumber),
        fmt::format("O{:07}", child.firstOffenceNumber),
        std::string(catalogue::outcomeCode(type.type)), dealt.toString()};
    const std::uint64_t variant = n / 6;
    switch (n % 6) {
      case 0: {
        static constexpr std::array<std::size_t, 4> kRequired = {0, 1, 3, 4};
        fields[kRequired[variant % kRequired.size()]].clear();
        break;
      }
      case 1: fields[4] = badDate(dealt, variant); break;
      case 2: {
        static constexpr std::array<std::string_view, 3> kUnknownCodes = {
            "supervision_order", "warning", "conditional_caution"};
        fields[3] = std::string(kUnknownCodes[variant % kUnknownCodes.size()]);
        break;
      }
      case 3: fields[1] = fmt::format("PZ{:07}", variant + 1); break;
      case 4: fields[2] = fmt::format("OZ{:07}", variant + 1); break;
      default: fields[4] = futureDate_.toString(); break;
    }
    writer_->invalidRow(CanonicalFile::kOutcomes, fields);
  }

  const GeneratorOptions& options_;
  Rng rng_;
  Rng dirtyRng_;
  std::uint64_t dirtyThreshold_;
  std::unique_ptr<ExportWriter> writer_;
  std::uint32_t caseworkers_;
  Date futureDate_;
  std::vector<OffenceEvent> childOffences_;
  std::vector<ChildOutcome> childOutcomes_;
  std::string scratch_;
  std::uint64_t personNumber_ = 0;
  std::uint64_t offenceNumber_ = 0;
  std::uint64_t outcomeNumber_ = 0;
  std::uint64_t dirtyPeople_ = 0;
  std::uint64_t dirtyOffences_ = 0;
  std::uint64_t dirtyOutcomes_ = 0;
  GeneratorSummary summary_;
};

void validate(const GeneratorOptions& options) {
  if (options.out_dir.empty())
    throw std::invalid_argument("generator: an output directory is required");
  if (options.children < 0) {
    throw std::invalid_argument(
        fmt::format("generator: children must be 0 or more (got {})", options.children));
  }
  if (options.from > options.to) {
    throw std::invalid_argument(fmt::format("generator: from ({}) is after to ({})",
                                            options.from.toString(), options.to.toString()));
  }
  if (!(options.dirty_rate >= 0.0 && options.dirty_rate < 1.0)) {
    throw std::invalid_argument(fmt::format(
        "generator: dirty rate must be at least 0 and below 1 (got {})", options.dirty_rate));
  }
}

}  // namespace

GeneratorSummary generateCohortFiles(const GeneratorOptions& options) {
  validate(options);
  const std::filesystem::path dir(options.out_dir);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (!error && !std::filesystem::is_directory(dir, error) && !error) {
    error = std::make_error_code(std::errc::not_a_directory);
  }
  if (error) {
    throw std::runtime_error(
        fmt::format("cannot create output directory {}: {}", dir.string(), error.message()));
  }
  CohortGenerator generator(options, dir);
  return generator.run();
}

}  // namespace cohortwatch::generator
