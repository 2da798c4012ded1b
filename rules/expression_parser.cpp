// The recursive-descent parser of the condition language. Each parse function returns the index
// of the node it built, or kFailed once an error is recorded (the first error wins and parsing
// unwinds).
#include "rules/expression_parser.h"

#include <fmt/format.h>

#include <optional>
#include <utility>

#include "rules/expression_lexer.h"

namespace cohortwatch::rules::detail {

namespace {

constexpr std::uint32_t kFailed = UINT32_MAX;

bool isComparison(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEqual:
    case TokenKind::kNotEqual:
    case TokenKind::kLess:
    case TokenKind::kLessEqual:
    case TokenKind::kGreater:
    case TokenKind::kGreaterEqual: return true;
    default: return false;
  }
}

CompareOp compareOp(TokenKind kind) {
  switch (kind) {
    case TokenKind::kNotEqual: return CompareOp::kNotEqual;
    case TokenKind::kLess: return CompareOp::kLess;
    case TokenKind::kLessEqual: return CompareOp::kLessEqual;
    case TokenKind::kGreater: return CompareOp::kGreater;
    case TokenKind::kGreaterEqual: return CompareOp::kGreaterEqual;
    default: return CompareOp::kEqual;
  }
}

bool isLiteral(TokenKind kind) {
  switch (kind) {
    case TokenKind::kInteger:
    case TokenKind::kDecimal:
    case TokenKind::kText:
    case TokenKind::kDate:
    case TokenKind::kTrue:
    case TokenKind::kFalse: return true;
    default: return false;
  }
}

bool isNumber(TokenKind kind) {
  return kind == TokenKind::kInteger || kind == TokenKind::kDecimal;
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens)
      : text_(text), tokens_(std::move(tokens)) {}

  std::variant<SyntaxTree, ExpressionError> run() {
    if (current().kind == TokenKind::kEnd) return errorAt(text_, 0, "the condition is empty");
    const auto root = parseOr();
    if (root != kFailed && current().kind != TokenKind::kEnd) {
      if (isComparison(current().kind)) {
        fail(fmt::format("comparisons cannot be chained: write 'a < b and b < c', found {}",
                         describeToken(current())));
      } else {
        fail(fmt::format("expected 'and', 'or' or the end of the condition, found {}",
                         describeToken(current())));
      }
    }
    if (error_) return std::move(*error_);
    SyntaxTree tree;
    tree.nodes = std::move(nodes_);
    tree.root = root;
    return tree;
  }

 private:
  const Token& current() const { return tokens_[pos_]; }
  const Token& ahead(std::size_t n) const {
    return tokens_[pos_ + n < tokens_.size() ? pos_ + n : tokens_.size() - 1];
  }
  const Token& advance() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }

  std::uint32_t fail(std::string message) {
    if (!error_) error_ = errorAt(text_, current().offset, std::move(message));
    return kFailed;
  }

  std::uint32_t add(SyntaxNode node) {
    nodes_.push_back(std::move(node));
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }

  // Guards every recursion that nesting can repeat: parentheses, calls, `not`, unary minus.
  struct Nesting {
    explicit Nesting(int& depth) : depth_(depth) { ++depth_; }
    ~Nesting() { --depth_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;
    bool tooDeep() const { return depth_ > kMaxNesting; }
    int& depth_;
  };
  std::uint32_t failTooDeep() {
    return fail(
        fmt::format("the condition is nested too deeply (more than {} levels)", kMaxNesting));
  }

  // or := and ("or" and)*   and := not ("and" not)*
  std::uint32_t parseOr() { return parseChain(TokenKind::kOr, SyntaxKind::kOr, true); }
  std::uint32_t parseAnd() { return parseChain(TokenKind::kAnd, SyntaxKind::kAnd, false); }

  std::uint32_t parseChain(TokenKind keyword, SyntaxKind kind, bool is_or) {
    const auto first = is_or ? parseAnd() : parseNot();
    if (first == kFailed || current().kind != keyword) return first;
    SyntaxNode node;
    node.kind = kind;
    node.start = nodes_[first].start;
    node.at = current().offset;
    node.name = current().spelling;
    node.children.push_back(first);
    while (current().kind == keyword) {
      advance();
      const auto next = is_or ? parseAnd() : parseNot();
      if (next == kFailed) return kFailed;
      node.children.push_back(next);
    }
    return add(std::move(node));
  }

  // not := "not" not | comparison
  std::uint32_t parseNot() {
    if (current().kind != TokenKind::kNot) return parseComparison();
    Nesting nesting(depth_);
    if (nesting.tooDeep()) return failTooDeep();
    SyntaxNode node;
    node.kind = SyntaxKind::kNot;
    node.start = node.at = advance().offset;
    const auto operand = parseNot();
    if (operand == kFailed) return kFailed;
    node.children.push_back(operand);
    return add(std::move(node));
  }

  std::uint32_t parseComparison() {
    const auto left = parsePrimary();
    if (left == kFailed) return kFailed;
    SyntaxNode node;
    node.start = nodes_[left].start;
    node.at = current().offset;
    node.name = current().spelling;
    node.children.push_back(left);
    const auto kind = current().kind;
    if (isComparison(kind)) {
      advance();
      node.kind = SyntaxKind::kCompare;
      node.compare = compareOp(kind);
      const auto right = parsePrimary();
      if (right == kFailed) return kFailed;
      node.children.push_back(right);
    } else if (kind == TokenKind::kIn ||
               (kind == TokenKind::kNot && ahead(1).kind == TokenKind::kIn)) {
      node.kind = SyntaxKind::kIn;
      node.negated = kind == TokenKind::kNot;
      if (node.negated) advance();
      advance();
      const auto haystack = parseInRight();
      if (haystack == kFailed) return kFailed;
      node.children.push_back(haystack);
    } else if (kind == TokenKind::kNot) {
      advance();
      return fail(fmt::format("expected 'in' after 'not', found {}", describeToken(current())));
    } else if (kind == TokenKind::kBetween) {
      advance();
      node.kind = SyntaxKind::kBetween;
      const auto low = parsePrimary();
      if (low == kFailed) return kFailed;
      if (current().kind != TokenKind::kAnd) {
        return fail(fmt::format(
            "expected 'and' between the bounds of 'between' (x between 1 and 5), found {}",
            describeToken(current())));
      }
      advance();
      const auto high = parsePrimary();
      if (high == kFailed) return kFailed;
      node.children.push_back(low);
      node.children.push_back(high);
    } else {
      return left;
    }
    return add(std::move(node));
  }

  // The right of `in`: a literal list when '(' opens one, otherwise any primary (a list field).
  std::uint32_t parseInRight() {
    if (current().kind != TokenKind::kLeftParen) return parsePrimary();
    const auto& first = ahead(1);
    const bool literal_list =
        isLiteral(first.kind) || (first.kind == TokenKind::kMinus && isNumber(ahead(2).kind));
    if (!literal_list) return parsePrimary();
    SyntaxNode list;
    list.kind = SyntaxKind::kList;
    list.start = list.at = current().offset;
    const int open_column = columnAt(text_, current().offset);
    advance();
    while (true) {
      const auto element = parseLiteral();
      if (element == kFailed) return kFailed;
      list.children.push_back(element);
      if (current().kind == TokenKind::kComma) {
        advance();
        continue;
      }
      if (current().kind == TokenKind::kRightParen) break;
      return fail(fmt::format("expected ',' or ')' to close the list opened at column {}, found {}",
                              open_column, describeToken(current())));
    }
    advance();
    return add(std::move(list));
  }

  // A literal, or a minus sign and a number literal (folded into a negative literal).
  std::uint32_t parseLiteral() {
    SyntaxNode node;
    node.kind = SyntaxKind::kLiteral;
    node.start = node.at = current().offset;
    bool negative = false;
    if (current().kind == TokenKind::kMinus && isNumber(ahead(1).kind)) {
      negative = true;
      advance();
    }
    const Token& token = current();
    switch (token.kind) {
      case TokenKind::kInteger:
        node.literal_type = ValueType::kInteger;
        node.integer = negative ? -token.integer : token.integer;
        break;
      case TokenKind::kDecimal:
        node.literal_type = ValueType::kDecimal;
        node.decimal = negative ? -token.decimal : token.decimal;
        break;
      case TokenKind::kText:
        node.literal_type = ValueType::kText;
        node.text = token.text;
        break;
      case TokenKind::kDate:
        node.literal_type = ValueType::kDate;
        node.date = token.date;
        break;
      case TokenKind::kTrue:
      case TokenKind::kFalse:
        node.literal_type = ValueType::kBool;
        node.boolean = token.kind == TokenKind::kTrue;
        break;
      default:
        return fail(
            fmt::format(R"msg(a list holds literals only, e.g. ("a", "b") or (1, 2), found {})msg",
                        describeToken(token)));
    }
    advance();
    return add(std::move(node));
  }

  // primary := literal | field | call | "(" expr ")" | "-" primary
  std::uint32_t parsePrimary() {
    const Token& token = current();
    if (isLiteral(token.kind) || (token.kind == TokenKind::kMinus && isNumber(ahead(1).kind))) {
      return parseLiteral();
    }
    switch (token.kind) {
      case TokenKind::kName:
        return ahead(1).kind == TokenKind::kLeftParen ? parseCall() : parseField();
      case TokenKind::kLeftParen: {
        Nesting nesting(depth_);
        if (nesting.tooDeep()) return failTooDeep();
        const int open_column = columnAt(text_, token.offset);
        const std::size_t open_offset = token.offset;
        advance();
        const auto inner = parseOr();
        if (inner == kFailed) return kFailed;
        if (current().kind != TokenKind::kRightParen) {
          return fail(fmt::format("expected ')' to close the '(' at column {}, found {}",
                                  open_column, describeToken(current())));
        }
        advance();
        // The parenthesised node now starts at its '(' so that messages about it point there.
        nodes_[inner].start = open_offset;
        return inner;
      }
      case TokenKind::kMinus: {
        Nesting nesting(depth_);
        if (nesting.tooDeep()) return failTooDeep();
        SyntaxNode node;
        node.kind = SyntaxKind::kNegate;
        node.start = node.at = advance().offset;
        const auto operand = parsePrimary();
        if (operand == kFailed) return kFailed;
        node.children.push_back(operand);
        return add(std::move(node));
      }
      default:
        return fail(
            fmt::format("expected a value (a field, a literal, a function call or '('), found {}",
                        describeToken(token)));
    }
  }

  std::uint32_t parseField() {
    SyntaxNode node;
    node.kind = SyntaxKind::kField;
    node.start = node.at = current().offset;
    node.name = advance().spelling;
    return add(std::move(node));
  }

  // call := name "(" [expr ("," expr)*] ")"
  std::uint32_t parseCall() {
    Nesting nesting(depth_);
    if (nesting.tooDeep()) return failTooDeep();
    SyntaxNode node;
    node.kind = SyntaxKind::kCall;
    node.start = node.at = current().offset;
    node.name = advance().spelling;
    const int open_column = columnAt(text_, current().offset);
    advance();  // '('
    if (current().kind == TokenKind::kRightParen) {
      advance();
      return add(std::move(node));
    }
    while (true) {
      const auto argument = parseOr();
      if (argument == kFailed) return kFailed;
      node.children.push_back(argument);
      if (current().kind == TokenKind::kComma) {
        advance();
        continue;
      }
      if (current().kind == TokenKind::kRightParen) break;
      return fail(fmt::format("expected ',' or ')' to close the '(' of {}() at column {}, found {}",
                              node.name, open_column, describeToken(current())));
    }
    advance();
    return add(std::move(node));
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  std::vector<SyntaxNode> nodes_;
  std::optional<ExpressionError> error_;
};

}  // namespace

std::string_view toString(CompareOp op) {
  switch (op) {
    case CompareOp::kEqual: return "==";
    case CompareOp::kNotEqual: return "!=";
    case CompareOp::kLess: return "<";
    case CompareOp::kLessEqual: return "<=";
    case CompareOp::kGreater: return ">";
    case CompareOp::kGreaterEqual: return ">=";
  }
  return "==";
}

std::variant<SyntaxTree, ExpressionError> parse(std::string_view text) {
  auto tokens = tokenize(text);
  if (auto* error = std::get_if<ExpressionError>(&tokens)) return std::move(*error);
  return Parser(text, std::move(std::get<std::vector<Token>>(tokens))).run();
}

}  // namespace cohortwatch::rules::detail
