// The condition language of focus groups and alert rules (rules/expression.h): every construct,
// every error with its message and column, absent values, months_between, worked members with the
// member catalog of issue 5, and that evaluate() never allocates.
#include "rules/expression.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "rules/expression_program.h"
#include "tracking/civil_date.h"

// Counts allocations made on the current thread while t_counting is set: evaluate() must make none.
// Replacing the global operator new is the only way to see allocations made anywhere below the
// call; the counter is thread_local so that nothing else in the process is counted.
// With optimisation GCC inlines these replacements into library code and then reports the malloc
// behind `new` being released by the free behind `delete` as a mismatch; they are a matched pair.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
thread_local bool t_counting = false;
thread_local long t_allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  if (t_counting) ++t_allocations;
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  return ::operator new(size);
}
// The nothrow forms too (std::stable_sort's buffer uses them): otherwise they come from the
// sanitizer's allocator and are freed by the delete below, which AddressSanitizer reports.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (t_counting) ++t_allocations;
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return ::operator new(size, tag);
}
void operator delete(void* memory, const std::nothrow_t&) noexcept {
  std::free(memory);
}
void operator delete[](void* memory, const std::nothrow_t&) noexcept {
  std::free(memory);
}
void operator delete(void* memory) noexcept {
  std::free(memory);
}
void operator delete[](void* memory) noexcept {
  std::free(memory);
}
void operator delete(void* memory, std::size_t) noexcept {
  std::free(memory);
}
void operator delete[](void* memory, std::size_t) noexcept {
  std::free(memory);
}

namespace cohortwatch::rules {
namespace {

using ::testing::HasSubstr;
using tracking::Date;

Date d(const char* text) {
  return *Date::parse(text);
}

// The member catalog of issue 5, plus one decimal field (attendance_rate) so that decimals are
// covered too.
const Catalog& catalog() {
  static const Catalog instance = [] {
    Catalog c;
    using T = ValueType;
    c.add("age_at_index", T::kInteger);
    c.add("age_now", T::kInteger);
    c.add("gender", T::kText);
    c.add("ethnicity", T::kText);
    c.add("looked_after", T::kBool);
    c.add("team", T::kText);
    c.add("caseworker", T::kText);
    c.add("index_date", T::kDate);
    c.add("index_outcome_type", T::kText);
    c.add("index_outcome_group", T::kText);
    c.add("days_since_index", T::kInteger);
    c.add("days_to_follow_up_end", T::kInteger);
    c.add("turns_18_in_follow_up", T::kBool);
    c.add("prior_offences", T::kInteger);
    c.add("gravity_max", T::kInteger);
    c.add("proven_reoffences", T::kInteger);
    c.add("pending_offences", T::kInteger);
    c.add("reoffended", T::kBool);
    c.add("focus", T::kTextList);
    c.add("open_actions", T::kInteger);
    c.add("overdue_actions", T::kInteger);
    c.add("days_since_review", T::kInteger);
    c.add("event.kind", T::kText);
    c.add("event.offence_date", T::kDate);
    c.add("event.field", T::kText);
    c.add("event.old", T::kText);
    c.add("event.new", T::kText);
    c.add("attendance_rate", T::kDecimal);
    for (const char* name : {"looked_after", "team", "caseworker", "gender"}) c.addChangeable(name);
    return c;
  }();
  return instance;
}

// One context: every field absent until set. Not copyable: the focus list's span points into it.
class Member {
 public:
  Member() {
    for (const auto& field : catalog().fields()) values_.push_back(Value::none(field.type));
  }
  Member(const Member&) = delete;
  Member& operator=(const Member&) = delete;

  Member& set(std::string_view name, Value value) {
    const auto* field = catalog().find(name);
    EXPECT_NE(field, nullptr) << name;
    if (field != nullptr) values_[field->slot] = value;
    return *this;
  }
  Member& integer(std::string_view name, std::int64_t v) { return set(name, Value::ofInteger(v)); }
  Member& text(std::string_view name, std::string_view v) { return set(name, Value::ofText(v)); }
  Member& date(std::string_view name, const char* v) { return set(name, Value::ofDate(d(v))); }
  Member& boolean(std::string_view name, bool v) { return set(name, Value::ofBool(v)); }
  Member& focus(std::vector<std::string_view> groups) {
    focus_ = std::move(groups);
    return set("focus", Value::ofList(focus_));
  }
  Member& today(const char* v) {
    today_ = d(v);
    return *this;
  }
  Member& changed(std::vector<std::string_view> fields) {
    changed_ = std::move(fields);
    return *this;
  }
  Context context() const { return Context{values_, today_, changed_}; }

 private:
  std::vector<Value> values_;
  std::vector<std::string_view> focus_;
  std::vector<std::string_view> changed_;
  Date today_ = d("2025-06-30");
};

std::variant<Expression, ExpressionError> compile(std::string_view text) {
  return Expression::compile(text, catalog());
}

// Whether `text` holds for `member`; a condition that does not compile fails the test.
bool holds(std::string_view text, const Member& member) {
  auto result = compile(text);
  if (auto* error = std::get_if<ExpressionError>(&result)) {
    ADD_FAILURE() << "does not compile:\n" << error->render(text);
    return false;
  }
  return std::get<Expression>(result).evaluate(member.context());
}

bool holds(std::string_view text) {
  return holds(text, Member());
}

ExpressionError errorOf(std::string_view text) {
  auto result = compile(text);
  if (auto* error = std::get_if<ExpressionError>(&result)) return *error;
  ADD_FAILURE() << "compiled, but an error was expected: " << text;
  return {};
}

// The message and column of the error `text` gives, as one comparable string.
std::string failure(std::string_view text) {
  const auto error = errorOf(text);
  return std::to_string(error.column) + ": " + error.message;
}

// --- literals ------------------------------------------------------------------------------

TEST(ExpressionLiterals, IntegersDecimalsBoolsDates) {
  EXPECT_TRUE(holds("1 == 1"));
  EXPECT_FALSE(holds("1 == 2"));
  EXPECT_TRUE(holds("1.5 > 1"));
  EXPECT_TRUE(holds("2 == 2.0"));
  EXPECT_TRUE(holds("0.25 < 0.5"));
  EXPECT_TRUE(holds("true"));
  EXPECT_FALSE(holds("false"));
  EXPECT_TRUE(holds("true == true"));
  EXPECT_TRUE(holds("true != false"));
  EXPECT_TRUE(holds("2025-01-31 < 2025-02-01"));
  EXPECT_TRUE(holds("2024-02-29 == 2024-02-29"));
  EXPECT_TRUE(holds("9223372036854775807 > 0"));
}

TEST(ExpressionLiterals, TextInEitherQuotesWithEscapes) {
  Member m;
  m.text("team", "north").text("event.old", "it's").text("event.new", R"(say "hi" \ bye)");
  EXPECT_TRUE(holds("team == \"north\"", m));
  EXPECT_TRUE(holds("team == 'north'", m));
  EXPECT_FALSE(holds("team == 'North'", m));  // exact: codes are lower case
  EXPECT_TRUE(holds(R"(event.old == 'it\'s')", m));
  EXPECT_TRUE(holds(R"(event.old == "it's")", m));
  EXPECT_TRUE(holds(R"(event.new == "say \"hi\" \\ bye")", m));
  EXPECT_TRUE(holds(R"(event.new == 'say "hi" \\ bye')", m));
  EXPECT_TRUE(holds(R"("" == "")", m));
}

TEST(ExpressionLiterals, UnaryMinus) {
  Member m;
  m.integer("days_to_follow_up_end", -20).set("attendance_rate", Value::ofDecimal(0.5));
  EXPECT_TRUE(holds("days_to_follow_up_end > -30", m));
  EXPECT_TRUE(holds("days_to_follow_up_end < - 10", m));
  EXPECT_TRUE(holds("-days_to_follow_up_end == 20", m));
  EXPECT_TRUE(holds("- -days_to_follow_up_end == -20", m));
  EXPECT_TRUE(holds("-(days_to_follow_up_end) between 19 and 21", m));
  EXPECT_TRUE(holds("-attendance_rate == -0.5", m));
  EXPECT_TRUE(holds("-1.5 < -1", m));
  EXPECT_TRUE(holds("-days_between(2025-01-02, 2025-01-01) == 1", m));
}

// --- operators -----------------------------------------------------------------------------

TEST(ExpressionOperators, Comparisons) {
  Member m;
  m.integer("age_now", 17).text("gender", "female").date("index_date", "2025-02-03");
  EXPECT_TRUE(holds("age_now == 17", m));
  EXPECT_FALSE(holds("age_now != 17", m));
  EXPECT_TRUE(holds("age_now != 16", m));
  EXPECT_TRUE(holds("age_now < 18", m));
  EXPECT_FALSE(holds("age_now < 17", m));
  EXPECT_TRUE(holds("age_now <= 17", m));
  EXPECT_TRUE(holds("age_now > 16", m));
  EXPECT_FALSE(holds("age_now > 17", m));
  EXPECT_TRUE(holds("age_now >= 17", m));
  EXPECT_TRUE(holds("16 < age_now", m));
  EXPECT_TRUE(holds("gender == \"female\"", m));
  EXPECT_TRUE(holds("gender != \"male\"", m));
  EXPECT_TRUE(holds("index_date >= 2025-01-01", m));
  EXPECT_TRUE(holds("index_date < 2025-04-01", m));
  EXPECT_TRUE(holds("index_date == 2025-02-03", m));
}

// Every operator in both directions and with every kind of operand (fields, constants, function
// results, parenthesised expressions), so that no operand order or operand kind is mishandled.
TEST(ExpressionOperators, EveryOperatorEitherWayRoundWithEveryKindOfOperand) {
  Member m;
  m.integer("age_now", 17).integer("age_at_index", 16).text("team", "north");
  m.date("index_date", "2025-02-03").date("event.offence_date", "2025-03-05").today("2025-06-30");
  struct Case {
    const char* left;
    const char* right;
    int order;  // the sign of left - right
  };
  const std::vector<Case> cases = {
      {"age_now", "16", 1},
      {"16", "age_now", -1},
      {"age_now", "17", 0},
      {"age_now", "age_at_index", 1},
      {"age_at_index", "age_now", -1},
      {"(age_now)", "(16)", 1},
      {"-age_now", "-16", -1},
      {"age_now", "16.5", 1},
      {"16.5", "age_now", -1},
      {"days_between(index_date, event.offence_date)", "29", 1},
      {"29", "days_between(index_date, event.offence_date)", -1},
      {"days_between(index_date, event.offence_date)", "30", 0},
      {"months_between(index_date, today())", "5", -1},
      {"5", "months_between(index_date, today())", 1},
      {"index_date", "2025-02-02", 1},
      {"2025-02-02", "index_date", -1},
      {"index_date", "event.offence_date", -1},
      {"today()", "index_date", 1},
      {"index_date", "today()", -1},
  };
  for (const auto& c : cases) {
    const auto check = [&](const char* op, bool expected) {
      const std::string text = std::string(c.left) + " " + op + " " + c.right;
      EXPECT_EQ(holds(text, m), expected) << text;
    };
    check("==", c.order == 0);
    check("!=", c.order != 0);
    check("<", c.order < 0);
    check("<=", c.order <= 0);
    check(">", c.order > 0);
    check(">=", c.order >= 0);
  }
  EXPECT_TRUE(holds("\"north\" == team", m));
  EXPECT_TRUE(holds("\"south\" != team", m));
  EXPECT_FALSE(holds("\"south\" == team", m));
  EXPECT_TRUE(holds("age_now between age_at_index and 17", m));
  EXPECT_TRUE(holds("days_between(index_date, event.offence_date) between 30 and 30", m));
  EXPECT_FALSE(holds("days_between(index_date, event.offence_date) between 31 and 40", m));
  EXPECT_FALSE(holds("age_now between 18 and 20", m));
  EXPECT_FALSE(holds("age_now between 10 and 16", m));
}

TEST(ExpressionOperators, IntegersAndDecimalsCompareWithEachOther) {
  Member m;
  m.integer("age_now", 17).set("attendance_rate", Value::ofDecimal(0.75));
  EXPECT_TRUE(holds("age_now > 16.5", m));
  EXPECT_FALSE(holds("age_now > 17.5", m));
  EXPECT_TRUE(holds("age_now == 17.0", m));
  EXPECT_TRUE(holds("attendance_rate < 1", m));
  EXPECT_TRUE(holds("attendance_rate >= 0.75", m));
  EXPECT_TRUE(holds("attendance_rate between 0 and 1", m));
  EXPECT_TRUE(holds("age_now between 16.5 and 17.5", m));
  EXPECT_TRUE(holds("age_now in (16.5, 17)", m));
  EXPECT_TRUE(holds("attendance_rate in (0.5, 0.75, 1)", m));
  EXPECT_FALSE(holds("attendance_rate in (1, 2)", m));
}

TEST(ExpressionOperators, AndOrNotAndTheirPrecedence) {
  Member m;
  m.boolean("looked_after", true)
      .boolean("reoffended", false)
      .boolean("turns_18_in_follow_up", false);
  EXPECT_TRUE(holds("looked_after", m));
  EXPECT_FALSE(holds("not looked_after", m));
  EXPECT_TRUE(holds("not not looked_after", m));
  EXPECT_TRUE(holds("looked_after and not reoffended", m));
  EXPECT_FALSE(holds("looked_after and reoffended", m));
  EXPECT_TRUE(holds("reoffended or looked_after", m));
  EXPECT_TRUE(holds("looked_after and looked_after and looked_after and not reoffended", m));
  // `and` binds tighter than `or`: true or (false and false).
  EXPECT_TRUE(holds("looked_after or reoffended and turns_18_in_follow_up", m));
  EXPECT_FALSE(holds("(looked_after or reoffended) and turns_18_in_follow_up", m));
  // `not` binds tighter than `and` and `or` but looser than comparisons.
  EXPECT_FALSE(holds("not looked_after and looked_after", m));
  EXPECT_TRUE(holds("not reoffended or reoffended", m));
  EXPECT_TRUE(holds("not 1 == 2", m));
  EXPECT_TRUE(holds("not (looked_after and reoffended)", m));
  // Comparisons of bools, and of bool-valued expressions.
  EXPECT_TRUE(holds("looked_after == true", m));
  EXPECT_TRUE(holds("reoffended == false", m));
  EXPECT_TRUE(holds("(1 < 2) == looked_after", m));
  EXPECT_TRUE(holds("looked_after in (true)", m));
  EXPECT_TRUE(holds("reoffended not in (true)", m));
}

TEST(ExpressionOperators, InWithLiteralListsAndTextListFields) {
  Member m;
  m.text("index_outcome_type", "youth_caution").integer("gravity_max", 3).focus({"lac", "recent"});
  m.date("index_date", "2025-02-03");
  EXPECT_TRUE(holds("index_outcome_type in (\"youth_caution\", \"youth_conditional_caution\")", m));
  EXPECT_FALSE(holds("index_outcome_type in ('referral_order')", m));
  EXPECT_TRUE(holds("index_outcome_type not in ('referral_order')", m));
  EXPECT_FALSE(holds("index_outcome_type not in ('referral_order', 'youth_caution')", m));
  EXPECT_TRUE(holds("gravity_max in (1, 3, 5)", m));
  EXPECT_TRUE(holds("gravity_max not in (-1, 4)", m));
  EXPECT_TRUE(holds("index_date in (2025-02-03, 2025-02-04)", m));
  EXPECT_TRUE(holds("\"lac\" in focus", m));
  EXPECT_TRUE(holds("'recent' in focus", m));
  EXPECT_FALSE(holds("\"seventeen\" in focus", m));
  EXPECT_TRUE(holds("\"seventeen\" not in focus", m));
  EXPECT_FALSE(holds("\"lac\" not in focus", m));
  EXPECT_TRUE(holds("\"lac\" in (focus)", m));
  EXPECT_TRUE(holds("not \"seventeen\" in focus", m));
  Member empty;
  empty.focus({});
  EXPECT_FALSE(holds("\"lac\" in focus", empty));
  EXPECT_TRUE(holds("\"lac\" not in focus", empty));
}

TEST(ExpressionOperators, BetweenIsInclusiveAndItsAndIsNotALogicalAnd) {
  Member m;
  m.integer("age_now", 15).boolean("looked_after", false).date("index_date", "2025-03-31");
  EXPECT_TRUE(holds("age_now between 15 and 17", m));
  m.integer("age_now", 17);
  EXPECT_TRUE(holds("age_now between 15 and 17", m));
  m.integer("age_now", 18);
  EXPECT_FALSE(holds("age_now between 15 and 17", m));
  m.integer("age_now", 14);
  EXPECT_FALSE(holds("age_now between 15 and 17", m));
  m.integer("age_now", 16);
  // (age_now between 15 and 17) and looked_after
  EXPECT_FALSE(holds("age_now between 15 and 17 and looked_after", m));
  EXPECT_TRUE(holds("age_now between 15 and 17 and not looked_after", m));
  EXPECT_TRUE(holds("age_now between 15 and 17 or looked_after", m));
  EXPECT_TRUE(holds("looked_after or age_now between 15 and 17", m));
  EXPECT_TRUE(
      holds("not looked_after and age_now between 15 and 17 and age_now between 16 and 16", m));
  EXPECT_TRUE(holds("age_now between -1 and 16", m));
  EXPECT_TRUE(holds("age_now between (10) and (20)", m));
  EXPECT_FALSE(holds("age_now between 17 and 15", m));  // an empty range
  EXPECT_TRUE(holds("index_date between 2025-01-01 and 2025-03-31", m));
  EXPECT_TRUE(holds("not age_now between 1 and 2", m));
}

// --- functions -----------------------------------------------------------------------------

TEST(ExpressionFunctions, TodayAndDaysBetween) {
  Member m;
  m.today("2025-06-30").date("index_date", "2025-02-03").date("event.offence_date", "2025-05-04");
  EXPECT_TRUE(holds("today() == 2025-06-30", m));
  EXPECT_TRUE(holds("today() > index_date", m));
  EXPECT_TRUE(holds("days_between(index_date, event.offence_date) == 90", m));
  EXPECT_TRUE(holds("days_between(event.offence_date, index_date) == -90", m));
  EXPECT_TRUE(holds("days_between(index_date, today()) == 147", m));
  EXPECT_TRUE(holds("days_between(2024-02-28, 2024-03-01) == 2", m));
  EXPECT_TRUE(holds("days_between(2025-02-28, 2025-03-01) == 1", m));
  EXPECT_TRUE(holds("days_between(index_date, index_date) == 0", m));
}

TEST(ExpressionFunctions, MonthsBetweenFollowsAddMonths) {
  Member m;
  const auto months = [&](const char* from, const char* to, int expected) {
    const std::string text =
        std::string("months_between(") + from + ", " + to + ") == " + std::to_string(expected);
    EXPECT_TRUE(holds(text, m)) << text << " (it is " << detail::monthsBetween(d(from), d(to))
                                << ")";
  };
  months("2025-01-15", "2025-01-15", 0);
  months("2025-01-15", "2025-02-14", 0);
  months("2025-01-15", "2025-02-15", 1);
  months("2025-01-15", "2026-01-15", 12);
  // The end-of-month rule of Date::addMonths: 2025-01-31 + 1 month is 2025-02-28.
  months("2025-01-31", "2025-02-27", 0);
  months("2025-01-31", "2025-02-28", 1);
  months("2025-01-31", "2025-03-01", 1);
  months("2025-01-31", "2025-03-30", 1);
  months("2025-01-31", "2025-03-31", 2);
  months("2025-01-30", "2025-02-28", 1);
  months("2025-03-31", "2025-04-30", 1);
  // The follow-up of an index event on 29 February ends on 28 February a year later.
  months("2024-02-29", "2025-02-27", 11);
  months("2024-02-29", "2025-02-28", 12);
  months("2024-01-31", "2024-02-29", 1);
  months("2024-01-31", "2024-02-28", 0);
  months("2024-12-31", "2025-01-01", 0);
  months("2023-06-30", "2025-06-30", 24);
  // Reversed: the negation of the forward count.
  months("2025-02-28", "2025-01-31", -1);
  months("2025-02-27", "2025-01-31", 0);
  months("2025-03-01", "2025-01-31", -1);
  months("2025-02-15", "2025-01-15", -1);
  months("2025-02-14", "2025-01-15", 0);
  months("2026-01-15", "2025-01-15", -12);
  m.today("2025-02-28").date("index_date", "2024-02-29");
  EXPECT_TRUE(holds("months_between(index_date, today()) >= 12", m));
}

TEST(ExpressionFunctions, MonthsBetweenIsTheLargestWholeNumberOfAddMonths) {
  // For every pair over three years (every 7th start day, every end day up to 800 days later):
  // a.addMonths(n) <= b < a.addMonths(n + 1), and reversing the dates negates the count.
  int pairs = 0;
  for (Date a = d("2023-01-01"); a <= d("2025-12-31"); a = a.addDays(7)) {
    for (int gap = 0; gap <= 800; ++gap) {
      const Date b = a.addDays(gap);
      const auto n = static_cast<int>(detail::monthsBetween(a, b));
      ASSERT_LE(a.addMonths(n), b) << a.toString() << " " << b.toString();
      ASSERT_GT(a.addMonths(n + 1), b) << a.toString() << " " << b.toString();
      ASSERT_EQ(detail::monthsBetween(b, a), -n) << a.toString() << " " << b.toString();
      ++pairs;
    }
  }
  EXPECT_GT(pairs, 100000);
}

TEST(ExpressionFunctions, ChangedLooksInTheContextsChangedFields) {
  Member m;
  m.boolean("looked_after", true).changed({"looked_after", "team"});
  EXPECT_TRUE(holds("changed(\"looked_after\")", m));
  EXPECT_TRUE(holds("changed('team') and looked_after", m));
  EXPECT_FALSE(holds("changed(\"caseworker\")", m));
  EXPECT_TRUE(holds("not changed(\"gender\")", m));
  EXPECT_FALSE(holds("changed(\"looked_after\")"));  // nothing changed
}

// --- absent values -------------------------------------------------------------------------

TEST(ExpressionAbsentValues, ComparisonsInAndBetweenAreFalseAndNotNegates) {
  Member m;  // every field absent
  EXPECT_FALSE(holds("days_since_review > 28", m));
  EXPECT_FALSE(holds("days_since_review <= 28", m));
  EXPECT_FALSE(holds("days_since_review == 0", m));
  EXPECT_FALSE(holds("days_since_review != 0", m));
  EXPECT_TRUE(holds("not days_since_review > 28", m));
  EXPECT_TRUE(holds("not (days_since_review <= 28)", m));
  EXPECT_FALSE(holds("days_since_review == days_since_review", m));
  EXPECT_FALSE(holds("gender == \"male\"", m));
  EXPECT_FALSE(holds("gender != \"male\"", m));
  EXPECT_FALSE(holds("event.offence_date < 2025-01-01", m));
  EXPECT_FALSE(holds("attendance_rate < 1", m));
  EXPECT_FALSE(holds("gender in ('male', 'female')", m));
  EXPECT_FALSE(holds("gender not in ('male', 'female')", m));
  EXPECT_TRUE(holds("not gender in ('male', 'female')", m));
  EXPECT_FALSE(holds("'lac' in focus", m));
  EXPECT_FALSE(holds("'lac' not in focus", m));
  EXPECT_FALSE(holds("team in focus", m));
  EXPECT_FALSE(holds("gravity_max between 1 and 5", m));
  EXPECT_TRUE(holds("not gravity_max between 1 and 5", m));
  m.integer("age_now", 16);
  EXPECT_FALSE(holds("age_now between gravity_max and 20", m));
  EXPECT_FALSE(holds("age_now between 10 and gravity_max", m));
  EXPECT_FALSE(holds("age_now in (16) and gravity_max > 0", m));
  EXPECT_TRUE(holds("age_now in (16) or gravity_max > 0", m));
}

TEST(ExpressionAbsentValues, AnAbsentBoolFieldIsFalse) {
  Member m;
  EXPECT_FALSE(holds("looked_after", m));
  EXPECT_TRUE(holds("not looked_after", m));
  EXPECT_FALSE(holds("looked_after and true", m));
  EXPECT_TRUE(holds("looked_after or true", m));
  // ... but as an operand of a comparison it is absent, so the comparison is false.
  EXPECT_FALSE(holds("looked_after == false", m));
  EXPECT_FALSE(holds("looked_after != true", m));
  EXPECT_FALSE(holds("looked_after in (false)", m));
}

TEST(ExpressionAbsentValues, FunctionsOfAnAbsentDateAreAbsent) {
  Member m;
  m.date("index_date", "2025-02-03");
  EXPECT_FALSE(holds("days_between(index_date, event.offence_date) <= 90", m));
  EXPECT_FALSE(holds("days_between(index_date, event.offence_date) > 90", m));
  EXPECT_TRUE(holds("not days_between(index_date, event.offence_date) <= 90", m));
  EXPECT_FALSE(holds("months_between(event.offence_date, index_date) == 0", m));
  EXPECT_FALSE(holds("-days_between(index_date, event.offence_date) < 0", m));
  EXPECT_FALSE(holds("months_between(event.offence_date, today()) != 0", m));
}

TEST(ExpressionAbsentValues, AContextWithTooFewFieldsMakesTheConditionFalse) {
  auto result = compile("not days_since_review > 28");
  ASSERT_TRUE(std::holds_alternative<Expression>(result));
  const std::vector<Value> too_few(3, Value::ofInteger(1));
  EXPECT_FALSE(std::get<Expression>(result).evaluate(Context{too_few, d("2025-01-01"), {}}));
}

// --- worked members ------------------------------------------------------------------------

// Two members of the 2025Q1 cohort on 2025-06-30, and the focus-group and alert conditions a YOT
// would write for them.
class WorkedMembers : public ::testing::Test {
 protected:
  WorkedMembers() {
    // Aisha: 17 at her youth caution on 2025-02-03, looked after, in the "recent" focus group;
    // turns 18 during follow-up; one proven reoffence; an offence recorded on 2025-05-04.
    aisha.integer("age_at_index", 17).integer("age_now", 17).text("gender", "female");
    aisha.text("ethnicity", "white british").boolean("looked_after", true).text("team", "north");
    aisha.text("caseworker", "sam.jones@example.org").date("index_date", "2025-02-03");
    aisha.text("index_outcome_type", "youth_caution").text("index_outcome_group", "pre_court");
    aisha.integer("days_since_index", 147).integer("days_to_follow_up_end", 218);
    aisha.boolean("turns_18_in_follow_up", true).integer("prior_offences", 2);
    aisha.integer("gravity_max", 3).integer("proven_reoffences", 1).integer("pending_offences", 0);
    aisha.boolean("reoffended", true).focus({"lac", "recent"}).integer("open_actions", 2);
    aisha.integer("overdue_actions", 1).integer("days_since_review", 35);
    aisha.text("event.kind", "offence_recorded").date("event.offence_date", "2025-05-04");
    aisha.today("2025-06-30");
    // Ben: 14, referral order on 2025-03-20, never reviewed, no gravity recorded, not looked
    // after; his caseworker just changed.
    ben.integer("age_at_index", 14).integer("age_now", 14).text("gender", "male");
    ben.boolean("looked_after", false).text("team", "south").text("caseworker", "kim@example.org");
    ben.date("index_date", "2025-03-20").text("index_outcome_type", "referral_order");
    ben.text("index_outcome_group", "first_tier").integer("days_since_index", 102);
    ben.integer("days_to_follow_up_end", 263).boolean("turns_18_in_follow_up", false);
    ben.integer("prior_offences", 0).integer("proven_reoffences", 0).integer("pending_offences", 1);
    ben.boolean("reoffended", false).focus({}).integer("open_actions", 0);
    ben.integer("overdue_actions", 0).text("event.kind", "person_changed");
    ben.text("event.field", "caseworker").text("event.old", "pat@example.org");
    ben.text("event.new", "kim@example.org").changed({"caseworker"}).today("2025-06-30");
  }
  Member aisha;
  Member ben;
};

TEST_F(WorkedMembers, FocusGroups) {
  const char* seventeen_or_lac = "age_at_index >= 17 and (looked_after or \"recent\" in focus)";
  EXPECT_TRUE(holds(seventeen_or_lac, aisha));
  EXPECT_FALSE(holds(seventeen_or_lac, ben));
  const char* pre_court_girls = "index_outcome_group == 'pre_court' and gender == 'female'";
  EXPECT_TRUE(holds(pre_court_girls, aisha));
  EXPECT_FALSE(holds(pre_court_girls, ben));
  const char* young_first_tier =
      "age_at_index between 10 and 14 and index_outcome_group in ('first_tier', 'community')";
  EXPECT_FALSE(holds(young_first_tier, aisha));
  EXPECT_TRUE(holds(young_first_tier, ben));
  const char* serious = "gravity_max >= 3 or prior_offences > 1";
  EXPECT_TRUE(holds(serious, aisha));
  EXPECT_FALSE(holds(serious, ben));  // gravity absent, no priors
}

TEST_F(WorkedMembers, AlertConditions) {
  const char* reoffence_within_90_days =
      "event.kind == \"offence_recorded\" and days_between(index_date, event.offence_date) <= 90";
  EXPECT_TRUE(holds(reoffence_within_90_days, aisha));
  EXPECT_FALSE(holds(reoffence_within_90_days, ben));
  const char* review_overdue = "days_since_review > 28 or not days_since_review >= 0";
  EXPECT_TRUE(holds(review_overdue, aisha));
  EXPECT_TRUE(holds(review_overdue, ben));  // never reviewed
  const char* turning_18 = "turns_18_in_follow_up and days_to_follow_up_end between 0 and 365";
  EXPECT_TRUE(holds(turning_18, aisha));
  EXPECT_FALSE(holds(turning_18, ben));
  const char* new_caseworker =
      "changed(\"caseworker\") and event.field == 'caseworker' and "
      "event.new != event.old and open_actions == 0";
  EXPECT_FALSE(holds(new_caseworker, aisha));
  EXPECT_TRUE(holds(new_caseworker, ben));
  const char* halfway = "months_between(index_date, today()) >= 4 and not reoffended";
  EXPECT_FALSE(holds(halfway, aisha));  // 4 months, but reoffended
  EXPECT_FALSE(holds(halfway, ben));    // 3 months
  const char* actions = "overdue_actions > 0 and open_actions >= overdue_actions";
  EXPECT_TRUE(holds(actions, aisha));
  EXPECT_FALSE(holds(actions, ben));
}

// --- fields read ---------------------------------------------------------------------------

TEST(ExpressionFieldsRead, EachSlotOnceInOrderOfFirstAppearance) {
  auto result = compile(
      "team == 'north' and (age_now > 16 or 'lac' in focus) and team != 'x' and "
      "days_between(index_date, today()) > age_now");
  ASSERT_TRUE(std::holds_alternative<Expression>(result));
  const auto slot = [](const char* name) { return catalog().find(name)->slot; };
  EXPECT_THAT(
      std::get<Expression>(result).fieldsRead(),
      ::testing::ElementsAre(slot("team"), slot("age_now"), slot("focus"), slot("index_date")));
  EXPECT_EQ(std::get<Expression>(result).text(),
            "team == 'north' and (age_now > 16 or 'lac' in focus) and team != 'x' and "
            "days_between(index_date, today()) > age_now");
  EXPECT_TRUE(std::get<Expression>(compile("true")).fieldsRead().empty());
}

// --- errors: lexical -----------------------------------------------------------------------

TEST(ExpressionErrors, Lexical) {
  EXPECT_EQ(failure("team == \"north"), "9: unterminated text: no closing \" before the end");
  EXPECT_EQ(failure("team == 'north"), "9: unterminated text: no closing ' before the end");
  EXPECT_EQ(failure("team == 'it\\'s"), "9: unterminated text: no closing ' before the end");
  EXPECT_EQ(failure("team == \"a\\nb\""),
            "11: unknown escape in text: only \\\", \\' and \\\\ are allowed");
  EXPECT_EQ(failure("index_date < 2025-02-30"),
            "14: 2025-02-30 is not a date: February 2025 has 28 days");
  EXPECT_EQ(failure("index_date < 2025-02-29"),
            "14: 2025-02-29 is not a date: February 2025 has 28 days");
  EXPECT_EQ(failure("index_date < 2025-04-31"),
            "14: 2025-04-31 is not a date: April 2025 has 30 days");
  EXPECT_EQ(failure("index_date < 2025-13-01"),
            "14: 2025-13-01 is not a date: there is no month 13");
  EXPECT_EQ(failure("index_date < 2025-00-10"),
            "14: 2025-00-10 is not a date: there is no month 0");
  EXPECT_EQ(failure("index_date < 2025-01-00"),
            "14: 2025-01-00 is not a date: January 2025 has 31 days");
  EXPECT_EQ(failure("index_date < 2025-1-5"),
            "14: 2025-1-5 is not a date: write dates as YYYY-MM-DD, e.g. 2025-01-31");
  EXPECT_EQ(failure("age_now > 17years"), "11: 17years is not a number");
  EXPECT_EQ(failure("age_now > 1."), "12: expected digits after the decimal point, e.g. 1.5");
  EXPECT_EQ(failure("age_now > 99999999999999999999"),
            "11: integer literal too large (the largest is 9223372036854775807)");
  EXPECT_EQ(failure("age_now = 17"), "9: '=' is not an operator: to compare, write '=='");
  EXPECT_EQ(failure("!looked_after"), "1: '!' is not an operator: write 'not'");
  EXPECT_EQ(failure("looked_after && reoffended"), "14: '&' is not an operator: write 'and'");
  EXPECT_EQ(failure("looked_after || reoffended"), "14: '|' is not an operator: write 'or'");
  EXPECT_EQ(failure("age_now # 1"), "9: unexpected character '#'");
  EXPECT_EQ(failure("event. == 'x'"), "7: expected a name after '.'");
  // Columns count characters, not bytes.
  EXPECT_EQ(failure("team == \"é\" and age_now # 1"), "25: unexpected character '#'");
  EXPECT_EQ(failure("team == ünknown"), "9: unexpected character 'ü'");
}

// --- errors: syntax ------------------------------------------------------------------------

TEST(ExpressionErrors, Syntax) {
  EXPECT_EQ(failure(""), "1: the condition is empty");
  EXPECT_EQ(failure("   "), "1: the condition is empty");
  EXPECT_EQ(failure("age_now >= (17"),
            "15: expected ')' to close the '(' at column 12, found the end of the condition");
  EXPECT_EQ(failure("(age_now > 1 team"),
            "14: expected ')' to close the '(' at column 1, found 'team'");
  EXPECT_EQ(failure("age_now > 17 )"),
            "14: expected 'and', 'or' or the end of the condition, found ')'");
  EXPECT_EQ(failure("age_now >="),
            "11: expected a value (a field, a literal, a function call or '('), found the end of "
            "the condition");
  EXPECT_EQ(failure("age_now > and"),
            "11: expected a value (a field, a literal, a function call or '('), found 'and'");
  EXPECT_EQ(failure("looked_after and or reoffended"),
            "18: expected a value (a field, a literal, a function call or '('), found 'or'");
  EXPECT_EQ(failure("age_now > 1 AND looked_after"),
            "13: expected 'and', 'or' or the end of the condition, found 'AND' (keywords are lower "
            "case: 'and')");
  EXPECT_EQ(failure("1 < age_now < 5"),
            "13: comparisons cannot be chained: write 'a < b and b < c', found '<'");
  EXPECT_EQ(failure("age_now between 1 or 5"),
            "19: expected 'and' between the bounds of 'between' (x between 1 and 5), found 'or'");
  EXPECT_EQ(failure("team not 'x'"), "10: expected 'in' after 'not', found 'x'");
  EXPECT_EQ(failure("team in ('a', team)"),
            "15: a list holds literals only, e.g. (\"a\", \"b\") or (1, 2), found 'team'");
  EXPECT_EQ(failure("team in ('a' 'b')"),
            "14: expected ',' or ')' to close the list opened at column 9, found 'b'");
  EXPECT_EQ(failure("team in ('a',)"),
            "14: a list holds literals only, e.g. (\"a\", \"b\") or (1, 2), found ')'");
  EXPECT_EQ(
      failure("team in"),
      "8: expected a value (a field, a literal, a function call or '('), found the end of the "
      "condition");
  EXPECT_EQ(failure("days_between(index_date today()) > 1"),
            "25: expected ',' or ')' to close the '(' of days_between() at column 13, found "
            "'today'");
  EXPECT_EQ(failure("today( > 1"),
            "8: expected a value (a field, a literal, a function call or '('), found '>'");
  EXPECT_EQ(failure("looked_after reoffended"),
            "14: expected 'and', 'or' or the end of the condition, found 'reoffended'");
  EXPECT_EQ(failure("team == \"a\" \"b\""),
            "13: expected 'and', 'or' or the end of the condition, found \"b\"");
}

TEST(ExpressionErrors, NestingIsLimitedButLongChainsAreNot) {
  const std::string deep = std::string(200, '(') + "true" + std::string(200, ')');
  EXPECT_EQ(failure(deep), "65: the condition is nested too deeply (more than 64 levels)");
  std::string nots;
  for (int i = 0; i < 100; ++i) nots += "not ";
  EXPECT_THAT(failure(nots + "true"), HasSubstr("nested too deeply"));
  EXPECT_THAT(failure(std::string(100, '-') + "1 == 1"), HasSubstr("nested too deeply"));
  const std::string fine = std::string(60, '(') + "true" + std::string(60, ')');
  EXPECT_TRUE(holds(fine));
  std::string chain = "age_now == 0";
  for (int i = 1; i < 5000; ++i) chain += " or age_now == " + std::to_string(i);
  Member m;
  m.integer("age_now", 4999);
  EXPECT_TRUE(holds(chain, m));
  m.integer("age_now", 5000);
  EXPECT_FALSE(holds(chain, m));
}

// --- errors: names and types ---------------------------------------------------------------

TEST(ExpressionErrors, UnknownNames) {
  EXPECT_EQ(failure("agenow >= 17"), "1: unknown field \"agenow\" (did you mean \"age_now\"?)");
  EXPECT_EQ(failure("Age_now >= 17"), "1: unknown field \"Age_now\" (did you mean \"age_now\"?)");
  EXPECT_EQ(failure("LOOKED_AFTER"),
            "1: unknown field \"LOOKED_AFTER\" (did you mean \"looked_after\"?)");
  EXPECT_EQ(failure("event.knd == 'x'"),
            "1: unknown field \"event.knd\" (did you mean \"event.kind\"?)");
  EXPECT_EQ(failure("looked_after and xyzzy > 1"), "18: unknown field \"xyzzy\"");
  EXPECT_EQ(failure("age > 1"), "1: unknown field \"age\"");  // age_now is 4 edits away
  EXPECT_EQ(failure("today > 2025-01-01"),
            "1: unknown field \"today\" (to call the function, write today())");
  EXPECT_EQ(failure("todya() > index_date"),
            "1: unknown function \"todya\" (did you mean \"today\"?)");
  EXPECT_EQ(failure("x == 1 or foo(1)"),
            "1: unknown field \"x\"");  // the first error in the text wins
  EXPECT_EQ(failure("true or foo(1)"),
            "9: unknown function \"foo\" (the functions are today, days_between, months_between, "
            "changed)");
  EXPECT_EQ(failure("age_now() > 1"),
            "1: \"age_now\" is a field, not a function: write it without '()'");
}

TEST(ExpressionErrors, FunctionArguments) {
  EXPECT_EQ(failure("days_between(index_date) > 3"),
            "1: days_between() takes 2 arguments (date, date), but was given 1");
  EXPECT_EQ(failure("months_between(index_date, today(), today()) > 3"),
            "1: months_between() takes 2 arguments (date, date), but was given 3");
  EXPECT_EQ(failure("today(1) > index_date"), "1: today() takes no arguments, but was given 1");
  EXPECT_EQ(failure("changed()"),
            "1: changed() takes 1 argument (a field name in quotes), but was given 0");
  EXPECT_EQ(failure("days_between(index_date, 5) > 3"),
            "26: argument 2 of days_between() must be a date, but this is an integer");
  EXPECT_EQ(failure("months_between(team, today()) > 3"),
            "16: argument 1 of months_between() must be a date, but this is text");
  EXPECT_EQ(failure("days_between((index_date), (1 < 2)) > 3"),
            "28: argument 2 of days_between() must be a date, but this is a bool");
  EXPECT_EQ(failure("changed(team)"),
            "9: changed() takes a field name in quotes, e.g. changed(\"looked_after\")");
  EXPECT_EQ(failure("changed(\"lookd_after\")"),
            "9: changed() cannot watch \"lookd_after\" (did you mean \"looked_after\"?)");
  EXPECT_EQ(failure("changed('age_now')"),
            "9: changed() cannot watch \"age_now\" (it can watch looked_after, team, caseworker, "
            "gender)");
}

TEST(ExpressionErrors, Types) {
  EXPECT_EQ(failure("team == 3"), "6: cannot compare text with integer");
  EXPECT_EQ(failure("index_date > 17"), "12: cannot compare date with integer");
  EXPECT_EQ(failure("looked_after == 1"), "14: cannot compare bool with integer");
  EXPECT_EQ(failure("team < \"b\""), "6: '<' compares numbers and dates only, not text");
  EXPECT_EQ(failure("looked_after >= true"), "14: '>=' compares numbers and dates only, not bool");
  EXPECT_EQ(failure("focus == 'lac'"),
            "1: a text list can only be searched with 'in', e.g. \"lac\" in focus");
  EXPECT_EQ(failure("'lac' != focus"),
            "10: a text list can only be searched with 'in', e.g. \"lac\" in focus");
  EXPECT_EQ(failure("age_now and looked_after"),
            "1: 'and' needs true or false on both sides, but this is an integer");
  EXPECT_EQ(failure("looked_after or team"),
            "17: 'or' needs true or false on both sides, but this is text");
  EXPECT_EQ(failure("looked_after and (age_now)"),
            "18: 'and' needs true or false on both sides, but this is an integer");
  EXPECT_EQ(failure("not age_now"), "5: 'not' needs true or false, but this is an integer");
  EXPECT_EQ(failure("-team == 'x'"), "2: '-' needs a number, but this is text");
  EXPECT_EQ(failure("-index_date < today()"), "2: '-' needs a number, but this is a date");
}

TEST(ExpressionErrors, InAndBetween) {
  EXPECT_EQ(failure("team in \"north\""),
            "9: 'in' needs a list on its right: literals in parentheses such as (\"a\", \"b\"), or "
            "a text list field; but this is text");
  EXPECT_EQ(failure("team not in (team)"),
            "13: 'not in' needs a list on its right: literals in parentheses such as (\"a\", "
            "\"b\"), or a text list field; but this is text");
  EXPECT_EQ(failure("age_now in focus"),
            "1: only text can be looked for in a text list, but this is an integer");
  EXPECT_EQ(failure("team in ('a', 1)"),
            "15: a list holds values of one type, but this is an integer and the first is text");
  EXPECT_EQ(failure("age_now in (1, 2, 2025-01-01)"),
            "19: a list holds values of one type, but this is a date and the first is an integer");
  EXPECT_EQ(failure("age_now in (\"a\", \"b\")"),
            "9: cannot look for an integer in a list of text");
  EXPECT_EQ(failure("focus in ('lac')"), "7: cannot look for a text list in a list of text");
  EXPECT_EQ(failure("team between 'a' and 'b'"),
            "6: 'between' compares numbers and dates only, not text");
  EXPECT_EQ(failure("age_now between index_date and 5"),
            "17: the bounds of 'between' must be of the value's type: the value is an integer, "
            "but this is a date");
  EXPECT_EQ(failure("index_date between 2025-01-01 and 30"),
            "35: the bounds of 'between' must be of the value's type: the value is a date, but "
            "this is an integer");
  EXPECT_EQ(failure("focus between 1 and 2"),
            "1: a text list can only be searched with 'in', e.g. \"lac\" in focus");
}

TEST(ExpressionErrors, TheWholeConditionMustBeABool) {
  EXPECT_EQ(failure("age_now"), "1: the condition must be true or false, but this is an integer");
  EXPECT_EQ(failure("team"), "1: the condition must be true or false, but this is text");
  EXPECT_EQ(failure("(index_date)"), "1: the condition must be true or false, but this is a date");
  EXPECT_EQ(failure("days_between(index_date, today())"),
            "1: the condition must be true or false, but this is an integer");
  EXPECT_EQ(failure("  -1.5"), "3: the condition must be true or false, but this is a decimal");
  EXPECT_EQ(failure("focus"), "1: the condition must be true or false, but this is a text list");
}

// --- rendering -----------------------------------------------------------------------------

TEST(ExpressionErrorRender, MessageTextAndCaretOnThreeLines) {
  const std::string text = "age_now >= 17 and agenow < 18";
  EXPECT_EQ(errorOf(text).render(text),
            "unknown field \"agenow\" (did you mean \"age_now\"?)\n"
            "  age_now >= 17 and agenow < 18\n"
            "                    ^");
  EXPECT_EQ(errorOf("agenow >= 17").render("agenow >= 17"),
            "unknown field \"agenow\" (did you mean \"age_now\"?)\n"
            "  agenow >= 17\n"
            "  ^");
  // At the end of the text, the caret stands just after it.
  EXPECT_EQ(errorOf("age_now >=").render("age_now >="),
            "expected a value (a field, a literal, a function call or '('), found the end of the "
            "condition\n"
            "  age_now >=\n"
            "            ^");
}

TEST(ExpressionErrorRender, CountsCharactersKeepsTabsAndShowsTheLineOfAMultiLineCondition) {
  const std::string accented = "team == \"é\" and agenow > 1";
  EXPECT_EQ(errorOf(accented).render(accented),
            "unknown field \"agenow\" (did you mean \"age_now\"?)\n"
            "  team == \"é\" and agenow > 1\n"
            "                  ^");
  const std::string tabbed = "\tagenow > 1";
  EXPECT_EQ(errorOf(tabbed).render(tabbed),
            "unknown field \"agenow\" (did you mean \"age_now\"?)\n"
            "  \tagenow > 1\n"
            "  \t^");
  const std::string lines = "age_now >= 17\n  and agenow < 18\nor looked_after";
  const auto error = errorOf(lines);
  EXPECT_EQ(error.column, 21);
  EXPECT_EQ(error.render(lines),
            "unknown field \"agenow\" (did you mean \"age_now\"?)\n"
            "    and agenow < 18\n"
            "        ^");
}

// --- catalog -------------------------------------------------------------------------------

TEST(ExpressionCatalog, SlotsNamesAndChangeableFields) {
  Catalog c;
  EXPECT_EQ(c.add("a", ValueType::kInteger), 0);
  EXPECT_EQ(c.add("event.kind", ValueType::kText), 1);
  ASSERT_NE(c.find("event.kind"), nullptr);
  EXPECT_EQ(c.find("event.kind")->slot, 1);
  EXPECT_EQ(c.find("event.kind")->type, ValueType::kText);
  EXPECT_EQ(c.find("event"), nullptr);
  EXPECT_THROW(c.add("a", ValueType::kBool), std::invalid_argument);
  EXPECT_THROW(c.add("Age", ValueType::kBool), std::invalid_argument);
  EXPECT_THROW(c.add("event.", ValueType::kBool), std::invalid_argument);
  EXPECT_THROW(c.add("1a", ValueType::kBool), std::invalid_argument);
  EXPECT_THROW(c.add("", ValueType::kBool), std::invalid_argument);
  c.addChangeable("a");
  EXPECT_TRUE(c.isChangeable("a"));
  EXPECT_FALSE(c.isChangeable("event.kind"));
  EXPECT_EQ(toString(ValueType::kTextList), "text list");
  EXPECT_EQ(toString(ValueType::kDecimal), "decimal");
}

// --- allocation ----------------------------------------------------------------------------

TEST(ExpressionEvaluation, NeverAllocates) {
  // The counter works: an allocation made while counting is seen.
  t_allocations = 0;
  t_counting = true;
  void* volatile probe = ::operator new(64);
  t_counting = false;
  ::operator delete(probe);
  ASSERT_EQ(t_allocations, 1);

  // One condition per kind of instruction.
  const std::vector<std::string> conditions = {
      "age_at_index >= 17 and (looked_after or \"recent\" in focus)",
      "event.kind == \"offence_recorded\" and days_between(index_date, event.offence_date) <= 90",
      "months_between(index_date, today()) between 3 and 6 or not reoffended",
      "team not in ('north', 'south') or gender in ('female') or gravity_max in (1, 2, 3)",
      "attendance_rate < 0.5 or attendance_rate in (1, 0.25) or -attendance_rate > -1",
      "changed('looked_after') and looked_after == true and index_date in (2025-02-03)",
      "-days_to_follow_up_end < 0 and index_date between 2025-01-01 and 2025-03-31",
      "looked_after in (true, false) and age_now > 16.5 and 'young' not in focus",
  };
  std::vector<Expression> compiled;
  for (const auto& text : conditions) {
    auto result = compile(text);
    ASSERT_TRUE(std::holds_alternative<Expression>(result)) << text;
    compiled.push_back(std::move(std::get<Expression>(result)));
  }
  Member absent;
  Member present;
  present.integer("age_at_index", 17).boolean("looked_after", true).focus({"lac", "recent"});
  present.text("event.kind", "offence_recorded").date("index_date", "2025-02-03");
  present.date("event.offence_date", "2025-03-01").text("team", "east").integer("gravity_max", 2);
  present.set("attendance_rate", Value::ofDecimal(0.25)).changed({"looked_after"});
  present.integer("days_to_follow_up_end", 200).integer("age_now", 17).text("caseworker", "y");
  const std::array<Context, 2> contexts{absent.context(), present.context()};

  int held = 0;
  t_allocations = 0;
  t_counting = true;
  for (int repeat = 0; repeat < 100; ++repeat) {
    for (const auto& context : contexts) {
      for (const auto& expression : compiled) held += expression.evaluate(context) ? 1 : 0;
    }
  }
  t_counting = false;
  EXPECT_EQ(t_allocations, 0);
  // Every condition holds for the present member; the absent one satisfies only the third.
  EXPECT_EQ(held, 100 * (static_cast<int>(conditions.size()) + 1));
}

}  // namespace
}  // namespace cohortwatch::rules
