// The public face of the condition language (expression.h): the Catalog, error rendering, and
// Expression, which runs lexer + parser (expression_parser.h), checker (expression_checker.h) and
// keeps the compiled Program (expression_program.h) that evaluate() runs.
#include "rules/expression.h"

#include <fmt/format.h>

#include <limits>
#include <stdexcept>
#include <utility>

#include "rules/expression_checker.h"
#include "rules/expression_lexer.h"
#include "rules/expression_parser.h"
#include "rules/expression_program.h"

namespace cohortwatch::rules {

namespace {

bool isNameStart(char c) {
  return (c >= 'a' && c <= 'z') || c == '_';
}
bool isNameChar(char c) {
  return isNameStart(c) || (c >= '0' && c <= '9');
}

// name ("." name)* with name := [a-z_][a-z0-9_]*: what the lexer reads as one field name.
bool isFieldName(std::string_view name) {
  bool at_start = true;
  for (const char c : name) {
    if (c == '.') {
      if (at_start) return false;
      at_start = true;
    } else if (at_start ? isNameStart(c) : isNameChar(c)) {
      at_start = false;
    } else {
      return false;
    }
  }
  return !at_start;
}

bool isContinuationByte(char c) {
  return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

}  // namespace

std::string_view toString(ValueType type) {
  switch (type) {
    case ValueType::kBool: return "bool";
    case ValueType::kInteger: return "integer";
    case ValueType::kDecimal: return "decimal";
    case ValueType::kText: return "text";
    case ValueType::kDate: return "date";
    case ValueType::kTextList: return "text list";
  }
  return "unknown";
}

std::uint16_t Catalog::add(std::string name, ValueType type) {
  if (!isFieldName(name)) {
    throw std::invalid_argument(fmt::format("catalog: \"{}\" is not a field name", name));
  }
  if (find(name) != nullptr) {
    throw std::invalid_argument(fmt::format("catalog: field \"{}\" added twice", name));
  }
  if (fields_.size() >= std::numeric_limits<std::uint16_t>::max()) {
    throw std::invalid_argument("catalog: too many fields");
  }
  const auto slot = static_cast<std::uint16_t>(fields_.size());
  fields_.push_back(Field{std::move(name), type, slot});
  return slot;
}

void Catalog::addChangeable(std::string name) {
  if (!isChangeable(name)) changeable_.push_back(std::move(name));
}

const Catalog::Field* Catalog::find(std::string_view name) const {
  for (const auto& field : fields_) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

bool Catalog::isChangeable(std::string_view name) const {
  for (const auto& changeable : changeable_) {
    if (changeable == name) return true;
  }
  return false;
}

std::string ExpressionError::render(std::string_view text) const {
  // Find the line holding the column (columns count code points over the whole text).
  std::size_t line_start = 0;
  int column_of_line_start = 1;
  int current = 1;
  std::size_t i = 0;
  for (; i < text.size() && current < column; ++i) {
    if (isContinuationByte(text[i])) continue;
    ++current;
    if (text[i] == '\n') {
      line_start = i + 1;
      column_of_line_start = current;
    }
  }
  std::size_t line_end = text.find('\n', line_start);
  if (line_end == std::string_view::npos) line_end = text.size();
  std::string_view line = text.substr(line_start, line_end - line_start);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

  // Pad under the line with the same tabs it has, so that the caret lines up.
  std::string padding;
  int to_skip = column - column_of_line_start;
  for (std::size_t j = 0; j < line.size() && to_skip > 0; ++j) {
    if (isContinuationByte(line[j])) continue;
    padding.push_back(line[j] == '\t' ? '\t' : ' ');
    --to_skip;
  }
  padding.append(static_cast<std::size_t>(std::max(to_skip, 0)), ' ');
  return fmt::format("{}\n  {}\n  {}^", message, line, padding);
}

struct Expression::Program {
  std::string text;
  detail::Program code;
};

std::variant<Expression, ExpressionError> Expression::compile(std::string_view text,
                                                              const Catalog& catalog) {
  auto tree = detail::parse(text);
  if (auto* error = std::get_if<ExpressionError>(&tree)) return std::move(*error);
  auto code = detail::check(text, std::get<detail::SyntaxTree>(tree), catalog);
  if (auto* error = std::get_if<ExpressionError>(&code)) return std::move(*error);
  auto program = std::make_unique<Program>();
  program->text = std::string(text);
  program->code = std::move(std::get<detail::Program>(code));
  return Expression(std::move(program));
}

bool Expression::evaluate(const Context& context) const noexcept {
  return detail::run(program_->code, context);
}

const std::string& Expression::text() const {
  return program_->text;
}

const std::vector<std::uint16_t>& Expression::fieldsRead() const {
  return program_->code.fields_read;
}

Expression::Expression(std::unique_ptr<Program> program) : program_(std::move(program)) {}
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;
Expression::~Expression() = default;

}  // namespace cohortwatch::rules
