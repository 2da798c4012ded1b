// The parser of the condition language: tokens to a syntax tree by recursive descent, following
// the grammar in expression.h. Only syntax is checked here; names and types are the checker's.
// Nesting is limited (kMaxNesting) so that neither this parser nor the evaluation can exhaust the
// stack on a hostile condition; `a and b and c` is one node with three operands, not a deep tree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rules/expression.h"
#include "tracking/civil_date.h"

namespace cohortwatch::rules::detail {

inline constexpr int kMaxNesting = 64;

enum class SyntaxKind : std::uint8_t {
  kLiteral,
  kList,  // the literal list on the right of `in`: children are kLiteral
  kField,
  kCall,     // children are the arguments
  kNot,      // one child
  kAnd,      // two or more children
  kOr,       // two or more children
  kNegate,   // unary minus, one child
  kCompare,  // children: left, right
  kIn,       // children: needle, haystack (kList or any other node); `negated` for `not in`
  kBetween,  // children: value, low, high
};

enum class CompareOp : std::uint8_t {
  kEqual,
  kNotEqual,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual
};

std::string_view toString(CompareOp op);

struct SyntaxNode {
  SyntaxKind kind = SyntaxKind::kLiteral;
  std::size_t start = 0;  // byte offset of the node's first token
  std::size_t at = 0;     // byte offset of the token naming the node: operator, name, literal
  CompareOp compare = CompareOp::kEqual;
  bool negated = false;
  std::string_view name;  // kField, kCall; the operator's spelling for kAnd, kOr, kIn, kBetween
  // kLiteral
  ValueType literal_type = ValueType::kBool;
  bool boolean = false;
  std::int64_t integer = 0;
  double decimal = 0.0;
  std::string text;
  tracking::Date date;
  std::vector<std::uint32_t> children;
};

struct SyntaxTree {
  std::vector<SyntaxNode> nodes;
  std::uint32_t root = 0;
};

std::variant<SyntaxTree, ExpressionError> parse(std::string_view text);

}  // namespace cohortwatch::rules::detail
