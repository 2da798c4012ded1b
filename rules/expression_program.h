// The compiled form of a condition and its evaluator. The checker (expression_checker.h) lowers a
// typed syntax tree to a flat vector of instructions whose operands are indices into it; every
// instruction's operand types were resolved at compile time, so evaluation is a recursive walk
// over plain structs that neither allocates nor throws (its depth is bounded by the parser's
// nesting limit, and `and`/`or` chains are flat).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "rules/expression.h"
#include "rules/expression_parser.h"

namespace cohortwatch::rules::detail {

enum class Op : std::uint8_t {
  // Producing a bool (never absent).
  kAnd,            // operands[first .. first+count)
  kOr,             // operands[first .. first+count)
  kNot,            // a
  kBoolConst,      // boolean
  kBoolField,      // slot; an absent bool field reads as false
  kChanged,        // text: the field name looked for in Context::changed
  kCompareInt,     // a cmp b, both integers
  kCompareNumber,  // a cmp b, integer or decimal, compared as doubles
  kCompareDate,
  kCompareText,
  kCompareBool,  // == and != only
  kInIntegers,   // a in operands[first .. first+count), integer constants; negated for `not in`
  kInNumbers,    // as doubles
  kInTexts,
  kInDates,
  kInBools,
  kInTextList,  // text a in text list b
  kBetweenInt,  // a between b and c
  kBetweenNumber,
  kBetweenDate,
  // Fused forms of the commonest shapes, a field against constants (one dispatch instead of three).
  kCompareIntField,   // field `slot` cmp integer
  kCompareTextField,  // field `slot` cmp text
  kCompareDateField,  // field `slot` cmp date
  kBetweenIntField,   // field `slot` between integer and `high`
  // Producing a value of `type` (possibly absent).
  kField,         // slot
  kIntConst,      // integer
  kDecimalConst,  // decimal
  kTextConst,     // text
  kDateConst,     // date
  kToday,
  kDaysBetween,    // a, b: dates
  kMonthsBetween,  // a, b: dates
  kNegateInt,      // a
  kNegateDecimal,  // a
};

struct Instruction {
  Op op = Op::kBoolConst;
  ValueType type = ValueType::kBool;  // of the result
  CompareOp compare = CompareOp::kEqual;
  bool negated = false;
  bool boolean = false;
  std::uint16_t slot = 0;
  std::uint32_t a = 0;
  std::uint32_t b = 0;
  std::uint32_t c = 0;
  std::uint32_t first = 0;
  std::uint32_t count = 0;
  std::int32_t date = 0;  // day number
  std::int64_t integer = 0;
  std::int64_t high = 0;  // kBetweenIntField
  double decimal = 0.0;
  std::string_view text;  // points into Program::texts
};

struct Program {
  std::vector<Instruction> code;
  std::vector<std::uint32_t> operands;  // the operand lists of kAnd, kOr and kIn*
  std::deque<std::string> texts;        // text constants (a deque: its strings never move)
  std::vector<std::uint16_t> fields_read;
  std::size_t fields_needed = 0;  // one more than the highest slot read
  std::uint32_t root = 0;
};

// The condition's value for `context`; false when the context has fewer fields than the program
// reads.
bool run(const Program& program, const Context& context) noexcept;

// months_between(a, b) as expression.h defines it.
std::int64_t monthsBetween(tracking::Date a, tracking::Date b) noexcept;

}  // namespace cohortwatch::rules::detail
