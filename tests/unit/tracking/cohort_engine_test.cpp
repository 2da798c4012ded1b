// The cohort engine against DOMAIN.md's definitions, sentence by sentence, and its worked example.
#include "tracking/cohort_engine.h"

#include <gtest/gtest.h>

#include <map>

namespace cohortwatch::tracking {
namespace {

Date d(const char* text) { return *Date::parse(text); }

// Builds CohortData the way the store would load it, by ids.
class Facts {
 public:
  Facts& person(const std::string& id, const char* birth) {
    people_[id] = static_cast<std::uint32_t>(data_.people.size());
    data_.people.push_back({id, d(birth)});
    return *this;
  }
  Facts& offence(const std::string& id, const std::string& person, const char* date,
                 bool breach = false) {
    offences_[id] = static_cast<std::int32_t>(data_.offences.size());
    data_.offences.push_back({people_.at(person), d(date), breach});
    return *this;
  }
  Facts& outcome(const std::string& person, const std::string& offence, const std::string& type,
                 const char* date) {
    auto it = std::find(data_.outcome_types.begin(), data_.outcome_types.end(), type);
    if (it == data_.outcome_types.end()) it = data_.outcome_types.insert(it, type);
    OutcomeFacts facts;
    facts.person = people_.at(person);
    facts.offence = offence.empty() ? kNoOffence : offences_.at(offence);
    facts.type = static_cast<std::uint16_t>(it - data_.outcome_types.begin());
    facts.outcome_date = d(date);
    data_.outcomes.push_back(facts);
    return *this;
  }
  const CohortData& data() const { return data_; }

 private:
  CohortData data_;
  std::map<std::string, std::uint32_t> people_;
  std::map<std::string, std::int32_t> offences_;
};

class CohortEngineTest : public ::testing::Test {
 protected:
  CohortResults compute(const Facts& facts, const char* as_of) {
    CohortEngine engine(methodology_);
    return engine.compute(facts.data(), {d(as_of), true});
  }
  const CohortMember& onlyMember(const CohortResults& results, const char* quarter) {
    const Cohort* cohort = results.find(*Quarter::parse(quarter));
    EXPECT_NE(cohort, nullptr) << quarter;
    EXPECT_EQ(cohort->members.size(), 1u);
    return cohort->members.front();
  }

  config::MethodologySettings settings_;
  Methodology methodology_{settings_};
};

// DOMAIN.md "Worked example": child A, youth caution on 2025-02-03.
Facts workedExample() {
  Facts f;
  f.person("A", "2008-05-10");
  f.offence("idx", "A", "2025-01-20").outcome("A", "idx", "youth_caution", "2025-02-03");
  f.offence("same_day", "A", "2025-02-03").outcome("A", "same_day", "fine", "2025-03-01");
  f.offence("june", "A", "2025-06-01").outcome("A", "june", "referral_order", "2025-09-15");
  f.offence("jan20", "A", "2026-01-20").outcome("A", "jan20", "other_court", "2026-07-30");
  f.offence("jan25", "A", "2026-01-25").outcome("A", "jan25", "other_court", "2026-08-10");
  f.offence("nov", "A", "2025-11-02").outcome("A", "nov", "community_resolution", "2025-11-20");
  f.offence("breach", "A", "2025-07-01", true).outcome("A", "breach", "fine", "2025-07-20");
  return f;
}

TEST_F(CohortEngineTest, WorkedExampleFromDomain) {
  const auto results = compute(workedExample(), "2027-01-01");
  const auto& a = onlyMember(results, "2025Q1");
  EXPECT_EQ(a.index_date, d("2025-02-03"));
  EXPECT_EQ(a.age_at_index, 16);
  EXPECT_EQ(a.follow_up.first_day, d("2025-02-04"));
  EXPECT_EQ(a.follow_up.last_day, d("2026-02-03"));
  EXPECT_EQ(a.follow_up.proof_deadline, d("2026-08-03"));
  EXPECT_TRUE(a.reoffended());
  EXPECT_EQ(a.proven_reoffences, 2);
  EXPECT_EQ(a.first_reoffence_date, d("2025-06-01"));
  // The community-resolution offence is in follow-up and never proven: it stays pending.
  EXPECT_EQ(a.pending_offences, 1);

  const Cohort* q1 = results.find(*Quarter::parse("2025Q1"));
  EXPECT_EQ(q1->measures.cohort_size, 1);
  EXPECT_EQ(q1->measures.reoffenders, 1);
  EXPECT_EQ(q1->measures.reoffences, 2);
  EXPECT_DOUBLE_EQ(q1->measures.binary_rate, 100.0);
  EXPECT_DOUBLE_EQ(q1->measures.reoffences_per_reoffender, 2.0);
  EXPECT_EQ(q1->status, CohortStatus::kComplete);
}

TEST_F(CohortEngineTest, WorkedExampleSecondCohortFromReferralOrder) {
  Facts f = workedExample();
  f.offence("apr", "A", "2025-03-20").outcome("A", "apr", "referral_order", "2025-04-10");
  const auto results = compute(f, "2027-06-01");
  const auto& q2 = onlyMember(results, "2025Q2");
  EXPECT_EQ(q2.index_date, d("2025-04-10"));
  EXPECT_EQ(q2.follow_up.first_day, d("2025-04-11"));
  EXPECT_EQ(q2.follow_up.last_day, d("2026-04-10"));
  // From 2025-04-11: june (proven), jan20 (proven 2026-07-30 <= 2026-10-10), jan25 (proven
  // 2026-08-10 <= 2026-10-10): three; the 2025-03-20 offence is its index offence.
  EXPECT_EQ(q2.proven_reoffences, 3);
  // The 2025-03-20 offence was committed in A's 2025Q1 follow-up and proven in time.
  EXPECT_EQ(onlyMember(results, "2025Q1").proven_reoffences, 3);
}

TEST_F(CohortEngineTest, EarliestIndexEventInQuarterIsTheIndexDate) {
  Facts f;
  f.person("B", "2009-01-01");
  f.offence("o1", "B", "2025-04-01").outcome("B", "o1", "youth_rehabilitation_order", "2025-05-20");
  f.offence("o2", "B", "2025-03-30").outcome("B", "o2", "youth_caution", "2025-04-02");
  const auto results = compute(f, "2025-06-30");
  const auto& b = onlyMember(results, "2025Q2");
  EXPECT_EQ(b.index_date, d("2025-04-02"));
}

TEST_F(CohortEngineTest, OnlyIndexEventTypesStartMembership) {
  Facts f;
  f.person("C", "2009-01-01");
  f.offence("o1", "C", "2025-01-05").outcome("C", "o1", "community_resolution", "2025-01-10");
  f.offence("o2", "C", "2025-01-06").outcome("C", "o2", "custodial_sentence", "2025-02-10");
  const auto results = compute(f, "2025-12-31");
  EXPECT_TRUE(results.cohorts.empty());
}

TEST_F(CohortEngineTest, CustodySentenceThenReleaseEntersAtRelease) {
  Facts f;
  f.person("D", "2008-06-01");
  f.offence("o1", "D", "2024-12-01").outcome("D", "o1", "detention_training_order", "2025-01-10");
  f.outcome("D", "", "release_from_custody", "2025-05-10");
  f.offence("o2", "D", "2025-05-09").outcome("D", "o2", "fine", "2025-06-01");  // before release
  f.offence("o3", "D", "2025-05-11").outcome("D", "o3", "fine", "2025-06-02");
  const auto results = compute(f, "2026-12-31");
  EXPECT_EQ(results.find(*Quarter::parse("2025Q1")), nullptr);
  const auto& member = onlyMember(results, "2025Q2");
  EXPECT_EQ(member.index_date, d("2025-05-10"));
  EXPECT_EQ(f.data().outcome_types[member.index_outcome_type], "release_from_custody");
  EXPECT_EQ(member.proven_reoffences, 1);  // o3 only
}

TEST_F(CohortEngineTest, ProofOnLastDayOfWaitingPeriodCountsOneDayLaterDoesNot) {
  Facts f;
  f.person("E", "2009-03-03");
  f.offence("idx", "E", "2025-01-01").outcome("E", "idx", "youth_caution", "2025-01-15");
  // Follow-up 2025-01-16 .. 2026-01-15; proof deadline 2026-07-15.
  f.offence("on", "E", "2026-01-15").outcome("E", "on", "fine", "2026-07-15");
  f.offence("late", "E", "2026-01-14").outcome("E", "late", "fine", "2026-07-16");
  const auto member_results = compute(f, "2027-01-01");
  const auto& member = onlyMember(member_results, "2025Q1");
  EXPECT_EQ(member.follow_up.proof_deadline, d("2026-07-15"));
  EXPECT_EQ(member.proven_reoffences, 1);
  EXPECT_EQ(member.first_reoffence_date, d("2026-01-15"));
  EXPECT_EQ(member.pending_offences, 0);  // proven too late is neither counted nor pending
}

TEST_F(CohortEngineTest, OffenceAfterFollowUpEndDoesNotCount) {
  Facts f;
  f.person("E", "2009-03-03");
  f.offence("idx", "E", "2025-01-01").outcome("E", "idx", "youth_caution", "2025-01-15");
  f.offence("after", "E", "2026-01-16").outcome("E", "after", "fine", "2026-02-01");
  f.offence("before", "E", "2024-12-01").outcome("E", "before", "fine", "2025-02-01");
  const auto member_results = compute(f, "2027-01-01");
  const auto& member = onlyMember(member_results, "2025Q1");
  EXPECT_EQ(member.proven_reoffences, 0);
  EXPECT_EQ(member.pending_offences, 0);
}

TEST_F(CohortEngineTest, LeapDayIndexDateFollowUpEndsOn28February) {
  Facts f;
  f.person("F", "2008-01-01");
  f.offence("idx", "F", "2024-02-20").outcome("F", "idx", "referral_order", "2024-02-29");
  f.offence("last", "F", "2025-02-28").outcome("F", "last", "fine", "2025-08-28");
  f.offence("past", "F", "2025-03-01").outcome("F", "past", "fine", "2025-04-01");
  const auto member_results = compute(f, "2026-01-01");
  const auto& member = onlyMember(member_results, "2024Q1");
  EXPECT_EQ(member.follow_up.last_day, d("2025-02-28"));
  EXPECT_EQ(member.follow_up.proof_deadline, d("2025-08-28"));
  EXPECT_EQ(member.proven_reoffences, 1);
}

TEST_F(CohortEngineTest, LeapDayBirthdayTurnsAYearOlderOnFirstMarch) {
  Facts f;
  f.person("G", "2008-02-29");
  f.offence("o1", "G", "2025-02-01").outcome("G", "o1", "youth_caution", "2025-02-28");
  f.person("H", "2008-02-29");
  f.offence("o2", "H", "2025-02-01").outcome("H", "o2", "youth_caution", "2025-03-01");
  const auto results = compute(f, "2025-06-01");
  const auto& members = results.find(*Quarter::parse("2025Q1"))->members;
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].age_at_index, 16);
  EXPECT_EQ(members[1].age_at_index, 17);
}

TEST_F(CohortEngineTest, TenthBirthdayOnIndexDateIsInCohortDayBeforeIsNot) {
  Facts f;
  f.person("ten", "2015-03-10");
  f.offence("o1", "ten", "2025-03-01").outcome("ten", "o1", "youth_caution", "2025-03-10");
  f.person("nine", "2015-03-11");
  f.offence("o2", "nine", "2025-03-01").outcome("nine", "o2", "youth_caution", "2025-03-10");
  const auto results = compute(f, "2025-06-01");
  const auto& member = onlyMember(results, "2025Q1");
  EXPECT_EQ(f.data().people[member.person].person_id, "ten");
  EXPECT_EQ(member.age_at_index, 10);
  ASSERT_EQ(results.warnings.size(), 1u);
  EXPECT_EQ(results.warnings[0].kind, WarningKind::kUnderAgeIndexEvent);
  EXPECT_EQ(results.warnings[0].person_id, "nine");
}

TEST_F(CohortEngineTest, EighteenthBirthdayOnIndexDateIsOutDayBeforeIsInAndFollowedPast18) {
  Facts f;
  f.person("eighteen", "2007-03-10");
  f.offence("o1", "eighteen", "2025-03-01").outcome("eighteen", "o1", "youth_caution", "2025-03-10");
  f.person("seventeen", "2007-03-11");
  f.offence("o2", "seventeen", "2025-03-01").outcome("seventeen", "o2", "youth_caution", "2025-03-10");
  // Committed and proven after the 18th birthday: still counts.
  f.offence("adult", "seventeen", "2025-09-01").outcome("seventeen", "adult", "fine", "2025-10-01");
  const auto results = compute(f, "2026-12-01");
  const auto& member = onlyMember(results, "2025Q1");
  EXPECT_EQ(f.data().people[member.person].person_id, "seventeen");
  EXPECT_EQ(member.age_at_index, 17);
  EXPECT_TRUE(member.turns_18_in_follow_up);
  EXPECT_EQ(member.proven_reoffences, 1);
  ASSERT_EQ(results.warnings.size(), 1u);
  EXPECT_EQ(results.warnings[0].kind, WarningKind::kTurns18InFollowUp);
}

TEST_F(CohortEngineTest, FirstEventInQuarterAt18KeepsChildOutEvenIfLaterEventsExist) {
  Facts f;
  f.person("I", "2007-01-15");
  f.offence("o1", "I", "2025-01-01").outcome("I", "o1", "youth_caution", "2025-01-20");
  f.offence("o2", "I", "2025-01-02").outcome("I", "o2", "fine", "2025-02-20");
  EXPECT_TRUE(compute(f, "2025-06-01").cohorts.empty());
}

TEST_F(CohortEngineTest, SeveralOutcomesForOneOffenceCountOnceAtTheEarliestProof) {
  Facts f;
  f.person("J", "2009-01-01");
  f.offence("idx", "J", "2025-01-01").outcome("J", "idx", "youth_caution", "2025-01-15");
  f.offence("re", "J", "2025-05-01");
  f.outcome("J", "re", "fine", "2026-12-01");  // after the deadline
  f.outcome("J", "re", "referral_order", "2025-08-01");
  f.outcome("J", "re", "community_resolution", "2025-06-01");
  const auto results = compute(f, "2027-06-01");
  const Cohort* cohort = results.find(*Quarter::parse("2025Q1"));
  EXPECT_EQ(cohort->measures.reoffences, 1);
  EXPECT_EQ(cohort->members[0].proven_reoffences, 1);
}

TEST_F(CohortEngineTest, NonSubstantiveOnlyOffenceStaysPendingAndIsNotCounted) {
  Facts f;
  f.person("K", "2009-01-01");
  f.offence("idx", "K", "2025-01-01").outcome("K", "idx", "youth_caution", "2025-01-15");
  f.offence("nfa", "K", "2025-03-01").outcome("K", "nfa", "no_further_action", "2025-03-05");
  f.offence("tri", "K", "2025-03-02").outcome("K", "tri", "triage", "2025-03-06");
  const auto member_results = compute(f, "2025-06-01");
  const auto& member = onlyMember(member_results, "2025Q1");
  EXPECT_EQ(member.proven_reoffences, 0);
  EXPECT_EQ(member.pending_offences, 2);
  EXPECT_FALSE(member.reoffended());
}

TEST_F(CohortEngineTest, BreachesAreExcludedUnlessConfigured) {
  Facts f;
  f.person("L", "2009-01-01");
  f.offence("idx", "L", "2025-01-01").outcome("L", "idx", "referral_order", "2025-01-15");
  f.offence("br", "L", "2025-03-01", true).outcome("L", "br", "fine", "2025-03-20");
  f.offence("br2", "L", "2025-03-02", true);
  EXPECT_EQ(onlyMember(compute(f, "2025-06-01"), "2025Q1").proven_reoffences, 0);
  EXPECT_EQ(onlyMember(compute(f, "2025-06-01"), "2025Q1").pending_offences, 0);

  config::MethodologySettings counting;
  counting.count_breaches = true;
  Methodology methodology(counting);
  const auto results = CohortEngine(methodology).compute(f.data(), {d("2025-06-01"), true});
  EXPECT_EQ(results.cohorts[0].members[0].proven_reoffences, 1);
  EXPECT_EQ(results.cohorts[0].members[0].pending_offences, 1);
}

TEST_F(CohortEngineTest, AsOfHidesOutcomesDatedLater) {
  Facts f;
  f.person("M", "2009-01-01");
  f.offence("idx", "M", "2025-01-01").outcome("M", "idx", "youth_caution", "2025-02-15");
  f.offence("re", "M", "2025-04-01").outcome("M", "re", "fine", "2025-06-10");
  EXPECT_TRUE(compute(f, "2025-02-14").cohorts.empty());  // index event not yet known

  auto before = compute(f, "2025-06-09");
  EXPECT_EQ(onlyMember(before, "2025Q1").proven_reoffences, 0);
  EXPECT_EQ(onlyMember(before, "2025Q1").pending_offences, 1);
  EXPECT_EQ(onlyMember(before, "2025Q1").days_since_index, 114);
  EXPECT_EQ(before.cohorts[0].status, CohortStatus::kFollowingUp);

  auto after = compute(f, "2025-06-10");
  EXPECT_EQ(onlyMember(after, "2025Q1").proven_reoffences, 1);
  EXPECT_EQ(onlyMember(after, "2025Q1").pending_offences, 0);
  EXPECT_DOUBLE_EQ(after.cohorts[0].measures.binary_rate, 100.0);
}

TEST_F(CohortEngineTest, CompleteCohortFiguresDoNotChangeWithAsOf) {
  const Facts f = workedExample();
  const auto at_completion = compute(f, "2026-10-01");
  const auto years_later = compute(f, "2031-01-01");
  ASSERT_EQ(at_completion.cohorts[0].status, CohortStatus::kComplete);
  EXPECT_EQ(at_completion.cohorts[0].measures.reoffences, years_later.cohorts[0].measures.reoffences);
  EXPECT_EQ(at_completion.cohorts[0].measures.reoffenders, years_later.cohorts[0].measures.reoffenders);
  EXPECT_EQ(compute(f, "2026-09-30").cohorts[0].status, CohortStatus::kWaiting);
}

TEST_F(CohortEngineTest, MeasuresOverSeveralChildren) {
  Facts f;
  for (int i = 0; i < 4; ++i) {
    const std::string id = "P" + std::to_string(i);
    f.person(id, "2009-01-01");
    f.offence(id + "idx", id, "2025-01-01").outcome(id, id + "idx", "youth_caution", "2025-01-10");
  }
  for (int k = 0; k < 3; ++k) {
    const std::string id = "P0r" + std::to_string(k);
    f.offence(id, "P0", "2025-02-01");
  }
  f.outcome("P0", "P0r0", "fine", "2025-03-01").outcome("P0", "P0r1", "fine", "2025-03-01");
  f.outcome("P0", "P0r2", "fine", "2025-03-01");
  f.offence("P1r", "P1", "2025-05-01").outcome("P1", "P1r", "fine", "2025-06-01");
  const auto results = compute(f, "2027-01-01");
  const auto& m = results.cohorts.at(0).measures;
  EXPECT_EQ(m.cohort_size, 4);
  EXPECT_EQ(m.reoffenders, 2);
  EXPECT_EQ(m.reoffences, 4);
  EXPECT_DOUBLE_EQ(m.binary_rate, 50.0);
  EXPECT_DOUBLE_EQ(m.frequency_rate, 1.0);
  EXPECT_DOUBLE_EQ(m.reoffences_per_reoffender, 2.0);
}

TEST(MeasuresTest, NoReoffendersGivesZeroPerReoffender) {
  const auto m = measuresFrom(10, 0, 0);
  EXPECT_DOUBLE_EQ(m.binary_rate, 0.0);
  EXPECT_DOUBLE_EQ(m.reoffences_per_reoffender, 0.0);
  EXPECT_DOUBLE_EQ(measuresFrom(0, 0, 0).frequency_rate, 0.0);
}

TEST_F(CohortEngineTest, OffenceWithoutAnyOutcomeAfterSixMonthsIsWarned) {
  Facts f;
  f.person("N", "2009-01-01");
  f.offence("old", "N", "2025-01-01");
  f.offence("recent", "N", "2025-05-01");
  const auto results = compute(f, "2025-07-02");
  ASSERT_EQ(results.warnings.size(), 1u);
  EXPECT_EQ(results.warnings[0].kind, WarningKind::kOffenceWithoutOutcome);
  EXPECT_NE(results.warnings[0].detail.find("2025-01-01"), std::string::npos);
}

TEST_F(CohortEngineTest, OutcomeTypesComeFromTheMethodologyTable) {
  Facts f;
  f.person("O", "2009-01-01");
  f.offence("o1", "O", "2025-01-01").outcome("O", "o1", "local_panel", "2025-01-10");
  EXPECT_TRUE(compute(f, "2025-06-01").cohorts.empty());
  EXPECT_EQ(compute(f, "2025-06-01").warnings.at(0).kind, WarningKind::kUnknownOutcomeType);

  config::MethodologySettings adapted;
  adapted.outcome_types.push_back({"local_panel", config::OutcomeGroup::kPreCourt, true, true});
  Methodology methodology(adapted);
  const auto results = CohortEngine(methodology).compute(f.data(), {d("2025-06-01"), true});
  ASSERT_EQ(results.cohorts.size(), 1u);
  EXPECT_TRUE(results.warnings.empty());
}

TEST_F(CohortEngineTest, FollowUpLengthIsASetting) {
  config::MethodologySettings six;
  six.follow_up_months = 6;
  six.waiting_months = 3;
  Methodology methodology(six);
  EXPECT_EQ(methodology.followUp(d("2025-01-31")).last_day, d("2025-07-31"));
  EXPECT_EQ(methodology.followUp(d("2025-01-31")).proof_deadline, d("2025-10-31"));
  EXPECT_EQ(methodology.followUp(d("2025-05-31")).proof_deadline, d("2026-02-28"));
}

}  // namespace
}  // namespace cohortwatch::tracking
