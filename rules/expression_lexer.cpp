// The lexer of the condition language: characters to tokens, with the error messages for what
// cannot be a token (unterminated text, impossible dates, C-style operators).
#include "rules/expression_lexer.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <chrono>
#include <optional>
#include <system_error>

namespace cohortwatch::rules::detail {

namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isNameChar(char c) {
  return isNameStart(c) || isDigit(c);
}
bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool isContinuationByte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

struct Keyword {
  std::string_view spelling;
  TokenKind kind;
};
constexpr std::array<Keyword, 7> kKeywords{{{"and", TokenKind::kAnd},
                                            {"or", TokenKind::kOr},
                                            {"not", TokenKind::kNot},
                                            {"in", TokenKind::kIn},
                                            {"between", TokenKind::kBetween},
                                            {"true", TokenKind::kTrue},
                                            {"false", TokenKind::kFalse}}};

std::string_view monthName(unsigned month) {
  static constexpr std::array<std::string_view, 12> kNames{
      "January", "February", "March",     "April",   "May",      "June",
      "July",    "August",   "September", "October", "November", "December"};
  return kNames[month - 1];
}

// Why a YYYY-MM-DD-shaped spelling is not a date.
std::string badDateMessage(std::string_view spelling) {
  const bool shaped = spelling.size() == 10 && spelling[4] == '-' && spelling[7] == '-';
  if (!shaped) {
    return fmt::format("{} is not a date: write dates as YYYY-MM-DD, e.g. 2025-01-31", spelling);
  }
  auto number = [&](std::size_t from, std::size_t count) {
    int value = 0;
    for (std::size_t i = from; i < from + count; ++i) {
      if (!isDigit(spelling[i])) return -1;
      value = value * 10 + (spelling[i] - '0');
    }
    return value;
  };
  const int year = number(0, 4);
  const int month = number(5, 2);
  const int day = number(8, 2);
  if (year < 0 || month < 0 || day < 0) {
    return fmt::format("{} is not a date: write dates as YYYY-MM-DD, e.g. 2025-01-31", spelling);
  }
  if (month < 1 || month > 12) {
    return fmt::format("{} is not a date: there is no month {}", spelling, month);
  }
  const auto last = std::chrono::year_month_day_last(
      std::chrono::year(year),
      std::chrono::month_day_last(std::chrono::month(static_cast<unsigned>(month))));
  return fmt::format("{} is not a date: {} {} has {} days", spelling,
                     monthName(static_cast<unsigned>(month)), year,
                     static_cast<unsigned>(last.day()));
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  std::variant<std::vector<Token>, ExpressionError> run() {
    std::vector<Token> tokens;
    while (true) {
      while (pos_ < text_.size() && isSpace(text_[pos_])) ++pos_;
      if (pos_ >= text_.size()) break;
      Token token;
      token.offset = pos_;
      if (auto error = next(token)) return std::move(*error);
      token.spelling = text_.substr(token.offset, pos_ - token.offset);
      tokens.push_back(std::move(token));
    }
    Token end;
    end.offset = text_.size();
    tokens.push_back(std::move(end));
    return tokens;
  }

 private:
  std::optional<ExpressionError> fail(std::size_t offset, std::string message) const {
    return errorAt(text_, offset, std::move(message));
  }
  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  std::optional<ExpressionError> next(Token& token) {
    const char c = text_[pos_];
    if (isDigit(c)) return number(token);
    if (isNameStart(c)) return name(token);
    if (c == '"' || c == '\'') return quoted(token);
    auto single = [&](TokenKind kind, std::size_t length) -> std::optional<ExpressionError> {
      token.kind = kind;
      pos_ += length;
      return std::nullopt;
    };
    switch (c) {
      case '(': return single(TokenKind::kLeftParen, 1);
      case ')': return single(TokenKind::kRightParen, 1);
      case ',': return single(TokenKind::kComma, 1);
      case '-': return single(TokenKind::kMinus, 1);
      case '<':
        return peek(1) == '=' ? single(TokenKind::kLessEqual, 2) : single(TokenKind::kLess, 1);
      case '>':
        return peek(1) == '=' ? single(TokenKind::kGreaterEqual, 2)
                              : single(TokenKind::kGreater, 1);
      case '=':
        if (peek(1) == '=') return single(TokenKind::kEqual, 2);
        return fail(pos_, "'=' is not an operator: to compare, write '=='");
      case '!':
        if (peek(1) == '=') return single(TokenKind::kNotEqual, 2);
        return fail(pos_, "'!' is not an operator: write 'not'");
      case '&': return fail(pos_, "'&' is not an operator: write 'and'");
      case '|': return fail(pos_, "'|' is not an operator: write 'or'");
      default: break;
    }
    std::size_t length = 1;
    while (pos_ + length < text_.size() && isContinuationByte(text_[pos_ + length])) ++length;
    return fail(pos_, fmt::format("unexpected character '{}'", text_.substr(pos_, length)));
  }

  std::optional<ExpressionError> number(Token& token) {
    const std::size_t start = pos_;
    while (isDigit(peek())) ++pos_;
    if (peek() == '-' && isDigit(peek(1))) {
      // A date: there is no subtraction, so digits, '-', digit can be nothing else.
      while (isDigit(peek()) || peek() == '-') ++pos_;
      const auto spelling = text_.substr(start, pos_ - start);
      const auto date = tracking::Date::parse(spelling);
      if (!date) return fail(start, badDateMessage(spelling));
      token.kind = TokenKind::kDate;
      token.date = *date;
      return std::nullopt;
    }
    bool decimal = false;
    if (peek() == '.') {
      if (!isDigit(peek(1))) {
        return fail(pos_, "expected digits after the decimal point, e.g. 1.5");
      }
      decimal = true;
      ++pos_;
      while (isDigit(peek())) ++pos_;
    }
    if (isNameChar(peek())) {
      while (isNameChar(peek())) ++pos_;
      return fail(start, fmt::format("{} is not a number", text_.substr(start, pos_ - start)));
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (decimal) {
      token.kind = TokenKind::kDecimal;
      const auto result = std::from_chars(first, last, token.decimal);
      if (result.ec != std::errc()) return fail(start, "decimal literal out of range");
    } else {
      token.kind = TokenKind::kInteger;
      const auto result = std::from_chars(first, last, token.integer);
      if (result.ec != std::errc()) {
        return fail(start, "integer literal too large (the largest is 9223372036854775807)");
      }
    }
    return std::nullopt;
  }

  std::optional<ExpressionError> name(Token& token) {
    const std::size_t start = pos_;
    while (isNameChar(peek())) ++pos_;
    bool dotted = false;
    while (peek() == '.') {
      if (!isNameStart(peek(1))) return fail(pos_ + 1, "expected a name after '.'");
      dotted = true;
      ++pos_;
      while (isNameChar(peek())) ++pos_;
    }
    token.kind = TokenKind::kName;
    if (!dotted) {
      const auto spelling = text_.substr(start, pos_ - start);
      for (const auto& keyword : kKeywords) {
        if (keyword.spelling == spelling) token.kind = keyword.kind;
      }
    }
    return std::nullopt;
  }

  std::optional<ExpressionError> quoted(Token& token) {
    const std::size_t start = pos_;
    const char quote = text_[pos_++];
    token.kind = TokenKind::kText;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == quote) {
        ++pos_;
        return std::nullopt;
      }
      if (c == '\\') {
        const char escaped = peek(1);
        if (escaped != '"' && escaped != '\'' && escaped != '\\') {
          return fail(pos_, R"(unknown escape in text: only \", \' and \\ are allowed)");
        }
        token.text.push_back(escaped);
        pos_ += 2;
        continue;
      }
      token.text.push_back(c);
      ++pos_;
    }
    return fail(start, fmt::format("unterminated text: no closing {} before the end", quote));
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::variant<std::vector<Token>, ExpressionError> tokenize(std::string_view text) {
  return Lexer(text).run();
}

int columnAt(std::string_view text, std::size_t offset) {
  int column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (!isContinuationByte(text[i])) ++column;
  }
  if (offset > text.size()) column += static_cast<int>(offset - text.size());
  return column;
}

std::string describeToken(const Token& token) {
  if (token.kind == TokenKind::kEnd) return "the end of the condition";
  if (token.kind == TokenKind::kText) return std::string(token.spelling);
  std::string description = fmt::format("'{}'", token.spelling);
  if (token.kind == TokenKind::kName) {
    std::string lower(token.spelling);
    for (char& c : lower) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    for (const auto& keyword : kKeywords) {
      if (keyword.spelling == lower) {
        description += fmt::format(" (keywords are lower case: '{}')", lower);
      }
    }
  }
  return description;
}

}  // namespace cohortwatch::rules::detail
