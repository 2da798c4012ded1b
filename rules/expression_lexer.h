// The lexer of the condition language (see expression.h): turns a condition's text into tokens,
// each with its byte offset in the text, decoding text literals and validating dates on the way.
// Also the one place that turns a byte offset into the 1-based column an ExpressionError reports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "rules/expression.h"
#include "tracking/civil_date.h"

namespace cohortwatch::rules::detail {

enum class TokenKind : std::uint8_t {
  kEnd,
  kName,  // a field or function name: [A-Za-z_][A-Za-z0-9_]* ("." ...)*; case is checked later
  kInteger,
  kDecimal,
  kText,
  kDate,
  kTrue,
  kFalse,
  kAnd,
  kOr,
  kNot,
  kIn,
  kBetween,
  kLeftParen,
  kRightParen,
  kComma,
  kMinus,
  kEqual,
  kNotEqual,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::size_t offset = 0;     // byte offset of the token's first character in the text
  std::string_view spelling;  // the token as written (empty for kEnd)
  std::int64_t integer = 0;   // kInteger
  double decimal = 0.0;       // kDecimal
  std::string text;           // kText, escapes decoded
  tracking::Date date;        // kDate
};

// The tokens of `text`, the last one kEnd (at offset text.size()), or the first lexical error.
std::variant<std::vector<Token>, ExpressionError> tokenize(std::string_view text);

// 1-based column of the byte at `offset`, counting UTF-8 code points.
int columnAt(std::string_view text, std::size_t offset);

inline ExpressionError errorAt(std::string_view text, std::size_t offset, std::string message) {
  return ExpressionError{columnAt(text, offset), std::move(message)};
}

// How an error message names a token it found: 'team', ')', "text" as written, or
// "the end of the condition"; a name spelt like a keyword in capitals gets a hint.
std::string describeToken(const Token& token);

}  // namespace cohortwatch::rules::detail
