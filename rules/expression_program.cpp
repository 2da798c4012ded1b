// The evaluator of compiled conditions: typed, recursive, allocation-free. Each typed reader
// returns the value with a `present` flag, and every comparison is false when a side is absent.
#include "rules/expression_program.h"

#include <algorithm>
#include <chrono>
#include <span>
#include <string_view>

namespace cohortwatch::rules::detail {

namespace {

template <typename T>
struct Maybe {
  T value{};
  bool present = false;
};

template <typename T>
bool compare(CompareOp op, const T& left, const T& right) noexcept {
  switch (op) {
    case CompareOp::kEqual: return left == right;
    case CompareOp::kNotEqual: return left != right;
    case CompareOp::kLess: return left < right;
    case CompareOp::kLessEqual: return left <= right;
    case CompareOp::kGreater: return left > right;
    case CompareOp::kGreaterEqual: return left >= right;
  }
  return false;
}

class Evaluator {
 public:
  Evaluator(const Program& program, const Context& context) noexcept
      : code_(program.code.data()),
        operands_(program.operands.data()),
        fields_(context.fields.data()),
        context_(context) {}

  bool boolean(std::uint32_t index) const noexcept {
    const Instruction& in = code_[index];
    switch (in.op) {
      case Op::kAnd:
        for (std::uint32_t i = 0; i < in.count; ++i) {
          if (!boolean(operands_[in.first + i])) return false;
        }
        return true;
      case Op::kOr:
        for (std::uint32_t i = 0; i < in.count; ++i) {
          if (boolean(operands_[in.first + i])) return true;
        }
        return false;
      case Op::kNot: return !boolean(in.a);
      case Op::kBoolConst: return in.boolean;
      case Op::kBoolField: {
        const Value& value = fields_[in.slot];
        return value.present && value.boolean;
      }
      case Op::kChanged:
        return std::find(context_.changed.begin(), context_.changed.end(), in.text) !=
               context_.changed.end();
      case Op::kCompareInt: return compareBoth(in, integer(in.a), integer(in.b));
      case Op::kCompareNumber: return compareBoth(in, number(in.a), number(in.b));
      case Op::kCompareDate: return compareBoth(in, date(in.a), date(in.b));
      case Op::kCompareText: return compareBoth(in, text(in.a), text(in.b));
      case Op::kCompareBool: return compareBoth(in, optionalBool(in.a), optionalBool(in.b));
      case Op::kInIntegers:
        return inConstants(in, integer(in.a), [](const Instruction& k) { return k.integer; });
      case Op::kInNumbers:
        return inConstants(in, number(in.a), [](const Instruction& k) {
          return k.type == ValueType::kInteger ? static_cast<double>(k.integer) : k.decimal;
        });
      case Op::kInTexts:
        return inConstants(in, text(in.a), [](const Instruction& k) { return k.text; });
      case Op::kInDates:
        return inConstants(in, date(in.a), [](const Instruction& k) { return k.date; });
      case Op::kInBools:
        return inConstants(in, optionalBool(in.a), [](const Instruction& k) { return k.boolean; });
      case Op::kInTextList: {
        const auto needle = text(in.a);
        const auto list = textList(in.b);
        if (!needle.present || !list.present) return false;
        const bool found =
            std::find(list.value.begin(), list.value.end(), needle.value) != list.value.end();
        return found != in.negated;
      }
      case Op::kBetweenInt: return between(integer(in.a), integer(in.b), integer(in.c));
      case Op::kBetweenNumber: return between(number(in.a), number(in.b), number(in.c));
      case Op::kBetweenDate: return between(date(in.a), date(in.b), date(in.c));
      case Op::kCompareIntField: {
        const Value& value = fields_[in.slot];
        return value.present && compare(in.compare, value.integer, in.integer);
      }
      case Op::kCompareTextField: {
        const Value& value = fields_[in.slot];
        return value.present && compare(in.compare, value.text, in.text);
      }
      case Op::kCompareDateField: {
        const Value& value = fields_[in.slot];
        return value.present && compare(in.compare, value.date.dayNumber(), in.date);
      }
      case Op::kBetweenIntField: {
        const Value& value = fields_[in.slot];
        return value.present && in.integer <= value.integer && value.integer <= in.high;
      }
      default: return false;  // not a bool instruction: the checker never emits this
    }
  }

 private:
  template <typename T>
  static bool compareBoth(const Instruction& in, Maybe<T> left, Maybe<T> right) noexcept {
    return left.present && right.present && compare(in.compare, left.value, right.value);
  }

  template <typename T, typename Constant>
  bool inConstants(const Instruction& in, Maybe<T> needle, Constant constant) const noexcept {
    if (!needle.present) return false;
    bool found = false;
    for (std::uint32_t i = 0; i < in.count && !found; ++i) {
      found = constant(code_[operands_[in.first + i]]) == needle.value;
    }
    return found != in.negated;
  }

  template <typename T>
  static bool between(Maybe<T> value, Maybe<T> low, Maybe<T> high) noexcept {
    return value.present && low.present && high.present && low.value <= value.value &&
           value.value <= high.value;
  }

  Maybe<bool> optionalBool(std::uint32_t index) const noexcept {
    const Instruction& in = code_[index];
    if (in.op == Op::kBoolField) {
      const Value& value = fields_[in.slot];
      return {value.boolean, value.present};
    }
    return {boolean(index), true};
  }

  Maybe<std::int64_t> integer(std::uint32_t index) const noexcept {
    const Instruction& in = code_[index];
    switch (in.op) {
      case Op::kField: {
        const Value& value = fields_[in.slot];
        return {value.integer, value.present};
      }
      case Op::kIntConst: return {in.integer, true};
      case Op::kDaysBetween: {
        const auto from = date(in.a);
        const auto to = date(in.b);
        return {std::int64_t{to.value} - std::int64_t{from.value}, from.present && to.present};
      }
      case Op::kMonthsBetween: {
        const auto from = date(in.a);
        const auto to = date(in.b);
        if (!from.present || !to.present) return {};
        return {monthsBetween(tracking::Date::fromDayNumber(from.value),
                              tracking::Date::fromDayNumber(to.value)),
                true};
      }
      case Op::kNegateInt: {
        const auto operand = integer(in.a);
        // Through unsigned: negating the smallest integer wraps instead of being undefined.
        return {static_cast<std::int64_t>(0U - static_cast<std::uint64_t>(operand.value)),
                operand.present};
      }
      default: return {};
    }
  }

  Maybe<double> number(std::uint32_t index) const noexcept {
    const Instruction& in = code_[index];
    if (in.type == ValueType::kInteger) {
      const auto value = integer(index);
      return {static_cast<double>(value.value), value.present};
    }
    switch (in.op) {
      case Op::kField: {
        const Value& value = fields_[in.slot];
        return {value.decimal, value.present};
      }
      case Op::kDecimalConst: return {in.decimal, true};
      case Op::kNegateDecimal: {
        const auto operand = number(in.a);
        return {-operand.value, operand.present};
      }
      default: return {};
    }
  }

  Maybe<std::int32_t> date(std::uint32_t index) const noexcept {
    const Instruction& in = code_[index];
    switch (in.op) {
      case Op::kField: {
        const Value& value = fields_[in.slot];
        return {value.date.dayNumber(), value.present};
      }
      case Op::kDateConst: return {in.date, true};
      case Op::kToday: return {context_.today.dayNumber(), true};
      default: return {};
    }
  }

  Maybe<std::string_view> text(std::uint32_t index) const noexcept {
    const Instruction& in = code_[index];
    switch (in.op) {
      case Op::kField: {
        const Value& value = fields_[in.slot];
        return {value.text, value.present};
      }
      case Op::kTextConst: return {in.text, true};
      default: return {};
    }
  }

  Maybe<std::span<const std::string_view>> textList(std::uint32_t index) const noexcept {
    const Instruction& in = code_[index];
    if (in.op != Op::kField) return {};  // a field is the only thing that holds a text list
    const Value& value = fields_[in.slot];
    return {value.list, value.present};
  }

  const Instruction* code_;
  const std::uint32_t* operands_;
  const Value* fields_;
  const Context& context_;
};

}  // namespace

bool run(const Program& program, const Context& context) noexcept {
  if (context.fields.size() < program.fields_needed) return false;
  return Evaluator(program, context).boolean(program.root);
}

std::int64_t monthsBetween(tracking::Date a, tracking::Date b) noexcept {
  if (b < a) return -monthsBetween(b, a);
  const auto from = a.ymd();
  const auto to = b.ymd();
  std::int64_t months =
      (std::int64_t{static_cast<int>(to.year())} - static_cast<int>(from.year())) * 12 +
      (std::int64_t{static_cast<unsigned>(to.month())} -
       std::int64_t{static_cast<unsigned>(from.month())});
  // a.addMonths(months) lands in b's month on a's day, clamped to that month's last day; if that
  // day is after b's, a whole month has not passed yet.
  const auto last =
      std::chrono::year_month_day_last(to.year(), std::chrono::month_day_last(to.month()));
  const auto day = std::min(from.day(), last.day());
  if (day > to.day()) --months;
  return months;
}

}  // namespace cohortwatch::rules::detail
