// The condition language of focus groups and alert rules (`when:` in the configuration):
//   age_at_index >= 17 and (looked_after or "recent" in focus)
//   event.kind == "offence_recorded" and days_between(index_date, event.offence_date) <= 90
// A real parser (lexer, recursive descent, type checker) compiles a condition once, against a
// Catalog that names the fields a context offers and their types; an unknown field, a type
// mismatch or a syntax error is an ExpressionError with the 1-based column inside the text.
// A compiled Expression is evaluated against a Context many times without allocating.
//
// Grammar (lowest precedence first; keywords are lower case):
//   expr       := or
//   or         := and ("or" and)*
//   and        := not ("and" not)*
//   not        := "not" not | comparison
//   comparison := primary [("==" | "!=" | "<" | "<=" | ">" | ">=") primary
//                          | "in" (list | primary)            -- primary must be a text list
//                          | "not" "in" (list | primary)
//                          | "between" primary "and" primary] -- inclusive at both ends
//   primary    := literal | field | call | "(" expr ")" | "-" primary
//   list       := "(" literal ("," literal)* ")"   -- literals of one type
//   literal    := integer | decimal | "text" | 'text' | date (2025-01-31) | true | false
//   field      := name ("." name)*                 -- e.g. age_at_index, event.offence_date
//   call       := name "(" [expr ("," expr)*] ")"
// Functions: today() -> date; days_between(date, date) -> integer (second minus first);
// months_between(a, b) -> integer: whole calendar months from a to b, with the end-of-month rule of
// tracking::Date::addMonths: for b >= a the largest n with a.addMonths(n) <= b (2025-01-31 to
// 2025-02-27 is 0, to 2025-02-28 is 1, so a follow-up from 2024-02-29 reaches 12 months on
// 2025-02-28), and months_between(b, a) = -months_between(a, b);
// changed("field") -> bool (the context's changed fields include it; the argument must be a text
// literal naming one of the catalog's changeable fields).
// Types: bool, integer, decimal, text, date, text list. Integers and decimals compare with each
// other; everything else compares only with its own type; text compares exactly (codes are lower
// case). Only numbers and dates are ordered (<, <=, >, >=, between); text and bool take == and !=
// only; a text list appears only on the right of `in`. A field may be absent in a context (a child
// never reviewed, an event without an offence date): every comparison (`!=` included), `in`,
// `not in` and `between` involving an absent value is false, `not` of that is true, a function of
// an absent date is absent, and a bool field that is absent is false.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tracking/civil_date.h"

namespace cohortwatch::rules {

enum class ValueType : std::uint8_t { kBool, kInteger, kDecimal, kText, kDate, kTextList };

std::string_view toString(ValueType type);  // "bool", "integer", "decimal", "text", "date", "text list"

// One field's value in a context. No ownership: text and lists point into data that outlives the
// evaluation (the member table, the event being evaluated).
struct Value {
  ValueType type = ValueType::kBool;
  bool present = false;
  bool boolean = false;
  std::int64_t integer = 0;
  double decimal = 0.0;
  std::string_view text{};
  tracking::Date date{};
  std::span<const std::string_view> list{};

  static Value none(ValueType type) { return Value{type}; }
  static Value ofBool(bool v) { Value x{ValueType::kBool, true}; x.boolean = v; return x; }
  static Value ofInteger(std::int64_t v) { Value x{ValueType::kInteger, true}; x.integer = v; return x; }
  static Value ofDecimal(double v) { Value x{ValueType::kDecimal, true}; x.decimal = v; return x; }
  static Value ofText(std::string_view v) { Value x{ValueType::kText, true}; x.text = v; return x; }
  static Value ofDate(tracking::Date v) { Value x{ValueType::kDate, true}; x.date = v; return x; }
  static Value ofList(std::span<const std::string_view> v) {
    Value x{ValueType::kTextList, true};
    x.list = v;
    return x;
  }
};

// The fields a context offers, each with a type and a slot: the position of its Value in
// Context::fields. Field names may contain dots ("event.kind").
class Catalog {
 public:
  // Adds a field; its slot is the number of fields added before it. A name that is not
  // name ("." name)* with name := [a-z_][a-z0-9_]*, or is added twice, is a programming error
  // (std::invalid_argument).
  std::uint16_t add(std::string name, ValueType type);
  // Fields changed("...") may name.
  void addChangeable(std::string name);

  struct Field {
    std::string name;
    ValueType type;
    std::uint16_t slot;
  };
  const Field* find(std::string_view name) const;
  bool isChangeable(std::string_view name) const;
  const std::vector<Field>& fields() const { return fields_; }
  const std::vector<std::string>& changeable() const { return changeable_; }

 private:
  std::vector<Field> fields_;
  std::vector<std::string> changeable_;
};

// What an expression is evaluated against: one Value per catalog field (by slot), today's date and
// the fields the triggering change altered (for changed()).
struct Context {
  std::span<const Value> fields;
  tracking::Date today;
  std::span<const std::string_view> changed;
};

struct ExpressionError {
  int column = 0;  // 1-based column in the expression text where the problem is
  std::string message;  // e.g. "unknown field \"agenow\" (did you mean \"age_now\"?)"

  // The message, then the expression and a caret under the column, on three lines:
  //   unknown field "agenow" (did you mean "age_now"?)
  //     agenow >= 17
  //     ^
  // Columns count characters (UTF-8 code points), not bytes. When the text spans several lines
  // (a YAML block scalar), only the line holding the column is shown.
  std::string render(std::string_view text) const;
};

class Expression {
 public:
  // Parses and type-checks `text` against `catalog`; the result must be a bool.
  static std::variant<Expression, ExpressionError> compile(std::string_view text,
                                                           const Catalog& catalog);

  // Never allocates, never throws. `context.fields` must hold a Value for every catalog slot, of
  // the catalog's type (a context with too few fields makes every condition false).
  bool evaluate(const Context& context) const noexcept;

  const std::string& text() const;
  // Slots of the fields the expression reads, each once, in order of first appearance: what a
  // dry run prints to say why a condition held.
  const std::vector<std::uint16_t>& fieldsRead() const;

  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;
  ~Expression();

 private:
  struct Program;
  explicit Expression(std::unique_ptr<Program> program);
  std::unique_ptr<Program> program_;
};

}  // namespace cohortwatch::rules
