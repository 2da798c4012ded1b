// The type checker and code generator of the condition language (see expression_checker.h).
#include "rules/expression_checker.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "rules/expression_lexer.h"

namespace cohortwatch::rules::detail {

namespace {

bool isNumeric(ValueType type) {
  return type == ValueType::kInteger || type == ValueType::kDecimal;
}
bool isOrdered(ValueType type) {
  return isNumeric(type) || type == ValueType::kDate;
}
bool comparable(ValueType left, ValueType right) {
  return left == right || (isNumeric(left) && isNumeric(right));
}

// "but this is ..." in messages.
std::string_view describe(ValueType type) {
  switch (type) {
    case ValueType::kBool: return "a bool";
    case ValueType::kInteger: return "an integer";
    case ValueType::kDecimal: return "a decimal";
    case ValueType::kText: return "text";
    case ValueType::kDate: return "a date";
    case ValueType::kTextList: return "a text list";
  }
  return "a value";
}

std::string lowerCase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({previous[j] + 1, row[j - 1] + 1, substitution});
    }
    std::swap(previous, row);
  }
  return previous[b.size()];
}

struct Function {
  std::string_view name;
  Op op;
  std::size_t arity;
  std::string_view signature;  // for arity messages
  ValueType result;
};
constexpr std::array<Function, 4> kFunctions{{
    {"today", Op::kToday, 0, "", ValueType::kDate},
    {"days_between", Op::kDaysBetween, 2, "date, date", ValueType::kInteger},
    {"months_between", Op::kMonthsBetween, 2, "date, date", ValueType::kInteger},
    {"changed", Op::kChanged, 1, "a field name in quotes", ValueType::kBool},
}};

const Function* findFunction(std::string_view name) {
  for (const auto& function : kFunctions) {
    if (function.name == name) return &function;
  }
  return nullptr;
}

class Checker {
 public:
  Checker(std::string_view text, const SyntaxTree& tree, const Catalog& catalog)
      : text_(text), tree_(tree), catalog_(catalog) {}

  std::variant<Program, ExpressionError> run() {
    const auto root = check(tree_.root);
    if (root && root->type != ValueType::kBool) {
      fail(
          node(tree_.root).start,
          fmt::format("the condition must be true or false, but this is {}", describe(root->type)));
    }
    if (error_) return std::move(*error_);
    program_.root = root->index;
    return std::move(program_);
  }

 private:
  struct Typed {
    std::uint32_t index;
    ValueType type;
  };
  using Checked = std::optional<Typed>;

  const SyntaxNode& node(std::uint32_t index) const { return tree_.nodes[index]; }

  std::nullopt_t fail(std::size_t offset, std::string message) {
    if (!error_) error_ = errorAt(text_, offset, std::move(message));
    return std::nullopt;
  }

  Typed emit(Instruction instruction) {
    program_.code.push_back(instruction);
    return {static_cast<std::uint32_t>(program_.code.size() - 1), instruction.type};
  }

  std::string_view keep(std::string text) {
    program_.texts.push_back(std::move(text));
    return program_.texts.back();
  }

  // Appends an operand list, returning where it starts.
  std::uint32_t operandList(const std::vector<std::uint32_t>& indices) {
    const auto first = static_cast<std::uint32_t>(program_.operands.size());
    program_.operands.insert(program_.operands.end(), indices.begin(), indices.end());
    return first;
  }

  Checked check(std::uint32_t index) {
    const SyntaxNode& n = node(index);
    switch (n.kind) {
      case SyntaxKind::kLiteral: return literal(n);
      case SyntaxKind::kList: return fail(n.start, "a list in parentheses can only follow 'in'");
      case SyntaxKind::kField: return field(n);
      case SyntaxKind::kCall: return call(n);
      case SyntaxKind::kNot: return negation(n);
      case SyntaxKind::kAnd:
      case SyntaxKind::kOr: return chain(n);
      case SyntaxKind::kNegate: return minus(n);
      case SyntaxKind::kCompare: return comparison(n);
      case SyntaxKind::kIn: return membership(n);
      case SyntaxKind::kBetween: return between(n);
    }
    return fail(n.start, "internal error: unknown syntax node");
  }

  Checked literal(const SyntaxNode& n) {
    Instruction in;
    in.type = n.literal_type;
    switch (n.literal_type) {
      case ValueType::kBool:
        in.op = Op::kBoolConst;
        in.boolean = n.boolean;
        break;
      case ValueType::kInteger:
        in.op = Op::kIntConst;
        in.integer = n.integer;
        break;
      case ValueType::kDecimal:
        in.op = Op::kDecimalConst;
        in.decimal = n.decimal;
        break;
      case ValueType::kText:
        in.op = Op::kTextConst;
        in.text = keep(n.text);
        break;
      case ValueType::kDate:
        in.op = Op::kDateConst;
        in.date = n.date.dayNumber();
        break;
      case ValueType::kTextList: return fail(n.at, "internal error: a text list literal");
    }
    return emit(in);
  }

  Checked field(const SyntaxNode& n) {
    const Catalog::Field* found = catalog_.find(n.name);
    if (found == nullptr) {
      if (findFunction(n.name) != nullptr) {
        return fail(n.at, fmt::format("unknown field \"{}\" (to call the function, write {}())",
                                      n.name, n.name));
      }
      std::vector<std::string_view> names;
      for (const auto& f : catalog_.fields()) names.emplace_back(f.name);
      return fail(n.at, fmt::format("unknown field \"{}\"{}", n.name, didYouMean(n.name, names)));
    }
    if (std::find(program_.fields_read.begin(), program_.fields_read.end(), found->slot) ==
        program_.fields_read.end()) {
      program_.fields_read.push_back(found->slot);
    }
    program_.fields_needed = std::max(program_.fields_needed, std::size_t{found->slot} + 1);
    Instruction in;
    in.op = found->type == ValueType::kBool ? Op::kBoolField : Op::kField;
    in.type = found->type;
    in.slot = found->slot;
    return emit(in);
  }

  Checked call(const SyntaxNode& n) {
    const Function* function = findFunction(n.name);
    if (function == nullptr) {
      if (catalog_.find(n.name) != nullptr) {
        return fail(
            n.at, fmt::format("\"{}\" is a field, not a function: write it without '()'", n.name));
      }
      std::vector<std::string_view> names;
      names.reserve(kFunctions.size());
      for (const auto& f : kFunctions) names.push_back(f.name);
      std::string hint = didYouMean(n.name, names);
      if (hint.empty()) hint = " (the functions are today, days_between, months_between, changed)";
      return fail(n.at, fmt::format("unknown function \"{}\"{}", n.name, hint));
    }
    if (n.children.size() != function->arity) {
      const std::string takes =
          function->arity == 0 ? "no arguments"
                               : fmt::format("{} argument{} ({})", function->arity,
                                             function->arity == 1 ? "" : "s", function->signature);
      return fail(n.at, fmt::format("{}() takes {}, but was given {}", function->name, takes,
                                    n.children.size()));
    }
    Instruction in;
    in.op = function->op;
    in.type = function->result;
    if (function->op == Op::kChanged) return changed(n, in);
    std::array<std::uint32_t, 2> arguments{};
    for (std::size_t i = 0; i < n.children.size(); ++i) {
      const auto argument = check(n.children[i]);
      if (!argument) return std::nullopt;
      if (argument->type != ValueType::kDate) {
        return fail(node(n.children[i]).start,
                    fmt::format("argument {} of {}() must be a date, but this is {}", i + 1,
                                function->name, describe(argument->type)));
      }
      arguments[i] = argument->index;
    }
    in.a = arguments[0];
    in.b = arguments[1];
    return emit(in);
  }

  Checked changed(const SyntaxNode& n, Instruction in) {
    const SyntaxNode& argument = node(n.children[0]);
    if (argument.kind != SyntaxKind::kLiteral || argument.literal_type != ValueType::kText) {
      return fail(argument.start,
                  "changed() takes a field name in quotes, e.g. changed(\"looked_after\")");
    }
    if (!catalog_.isChangeable(argument.text)) {
      std::vector<std::string_view> names;
      for (const auto& name : catalog_.changeable()) names.emplace_back(name);
      std::string hint = didYouMean(argument.text, names);
      if (hint.empty() && !names.empty()) {
        std::string all;
        for (const auto& name : names) all += fmt::format("{}{}", all.empty() ? "" : ", ", name);
        hint = fmt::format(" (it can watch {})", all);
      }
      return fail(argument.start,
                  fmt::format("changed() cannot watch \"{}\"{}", argument.text, hint));
    }
    in.text = keep(argument.text);
    return emit(in);
  }

  Checked negation(const SyntaxNode& n) {
    const auto operand = check(n.children[0]);
    if (!operand) return std::nullopt;
    if (operand->type != ValueType::kBool) {
      return fail(
          node(n.children[0]).start,
          fmt::format("'not' needs true or false, but this is {}", describe(operand->type)));
    }
    Instruction in;
    in.op = Op::kNot;
    in.a = operand->index;
    return emit(in);
  }

  Checked chain(const SyntaxNode& n) {
    std::vector<std::uint32_t> operands;
    for (const auto child : n.children) {
      const auto operand = check(child);
      if (!operand) return std::nullopt;
      if (operand->type != ValueType::kBool) {
        return fail(node(child).start,
                    fmt::format("'{}' needs true or false on both sides, but this is {}", n.name,
                                describe(operand->type)));
      }
      operands.push_back(operand->index);
    }
    Instruction in;
    in.op = n.kind == SyntaxKind::kAnd ? Op::kAnd : Op::kOr;
    in.first = operandList(operands);
    in.count = static_cast<std::uint32_t>(operands.size());
    return emit(in);
  }

  Checked minus(const SyntaxNode& n) {
    const auto operand = check(n.children[0]);
    if (!operand) return std::nullopt;
    if (!isNumeric(operand->type)) {
      return fail(node(n.children[0]).start,
                  fmt::format("'-' needs a number, but this is {}", describe(operand->type)));
    }
    Instruction in;
    in.op = operand->type == ValueType::kInteger ? Op::kNegateInt : Op::kNegateDecimal;
    in.type = operand->type;
    in.a = operand->index;
    return emit(in);
  }

  std::nullopt_t failTextList(const SyntaxNode& operand) {
    return fail(operand.start, "a text list can only be searched with 'in', e.g. \"lac\" in focus");
  }

  Checked comparison(const SyntaxNode& n) {
    const auto left = check(n.children[0]);
    if (!left) return std::nullopt;
    const auto right = check(n.children[1]);
    if (!right) return std::nullopt;
    if (left->type == ValueType::kTextList) return failTextList(node(n.children[0]));
    if (right->type == ValueType::kTextList) return failTextList(node(n.children[1]));
    if (!comparable(left->type, right->type)) {
      return fail(n.at, fmt::format("cannot compare {} with {}", toString(left->type),
                                    toString(right->type)));
    }
    const bool ordering = n.compare != CompareOp::kEqual && n.compare != CompareOp::kNotEqual;
    if (ordering && !isOrdered(left->type)) {
      return fail(n.at, fmt::format("'{}' compares numbers and dates only, not {}",
                                    toString(n.compare), toString(left->type)));
    }
    Instruction in;
    in.compare = n.compare;
    in.a = left->index;
    in.b = right->index;
    if (left->type == ValueType::kInteger && right->type == ValueType::kInteger) {
      in.op = Op::kCompareInt;
    } else if (isNumeric(left->type)) {
      in.op = Op::kCompareNumber;
    } else if (left->type == ValueType::kDate) {
      in.op = Op::kCompareDate;
    } else if (left->type == ValueType::kText) {
      in.op = Op::kCompareText;
    } else {
      in.op = Op::kCompareBool;
    }
    return emit(fuseComparison(in));
  }

  // `field cmp constant` (or `constant cmp field`, flipped) as one instruction. The operands'
  // instructions stay in the code, unused: simpler than removing them, and harmless.
  Instruction fuseComparison(Instruction in) const {
    const Instruction* field = &program_.code[in.a];
    const Instruction* constant = &program_.code[in.b];
    Instruction fused = in;
    if (field->op != Op::kField) {
      std::swap(field, constant);
      fused.compare = flipped(in.compare);
    }
    if (field->op != Op::kField) return in;
    fused.slot = field->slot;
    if (in.op == Op::kCompareInt && constant->op == Op::kIntConst) {
      fused.op = Op::kCompareIntField;
      fused.integer = constant->integer;
    } else if (in.op == Op::kCompareText && constant->op == Op::kTextConst) {
      fused.op = Op::kCompareTextField;
      fused.text = constant->text;
    } else if (in.op == Op::kCompareDate && constant->op == Op::kDateConst) {
      fused.op = Op::kCompareDateField;
      fused.date = constant->date;
    } else {
      return in;
    }
    return fused;
  }

  static CompareOp flipped(CompareOp op) {
    switch (op) {
      case CompareOp::kLess: return CompareOp::kGreater;
      case CompareOp::kLessEqual: return CompareOp::kGreaterEqual;
      case CompareOp::kGreater: return CompareOp::kLess;
      case CompareOp::kGreaterEqual: return CompareOp::kLessEqual;
      default: return op;
    }
  }

  Checked membership(const SyntaxNode& n) {
    const auto needle = check(n.children[0]);
    if (!needle) return std::nullopt;
    const SyntaxNode& haystack = node(n.children[1]);
    Instruction in;
    in.negated = n.negated;
    in.a = needle->index;
    const std::string_view keyword = n.negated ? "not in" : "in";
    if (haystack.kind != SyntaxKind::kList) {
      const auto list = check(n.children[1]);
      if (!list) return std::nullopt;
      if (list->type != ValueType::kTextList) {
        return fail(haystack.start,
                    fmt::format("'{}' needs a list on its right: literals in parentheses such as "
                                "(\"a\", \"b\"), or a text list field; but this is {}",
                                keyword, describe(list->type)));
      }
      if (needle->type != ValueType::kText) {
        return fail(node(n.children[0]).start,
                    fmt::format("only text can be looked for in a text list, but this is {}",
                                describe(needle->type)));
      }
      in.op = Op::kInTextList;
      in.b = list->index;
      return emit(in);
    }
    std::vector<std::uint32_t> elements;
    ValueType list_type = node(haystack.children.front()).literal_type;
    for (const auto child : haystack.children) {
      const SyntaxNode& element = node(child);
      if (!comparable(list_type, element.literal_type)) {
        return fail(element.start,
                    fmt::format("a list holds values of one type, but this is {} and the first "
                                "is {}",
                                describe(element.literal_type), describe(list_type)));
      }
      if (element.literal_type == ValueType::kDecimal) list_type = ValueType::kDecimal;
      const auto constant = check(child);
      if (!constant) return std::nullopt;
      elements.push_back(constant->index);
    }
    if (!comparable(needle->type, list_type)) {
      return fail(n.at, fmt::format("cannot look for {} in a list of {}", describe(needle->type),
                                    toString(list_type)));
    }
    switch (list_type) {
      case ValueType::kInteger:
        in.op = needle->type == ValueType::kInteger ? Op::kInIntegers : Op::kInNumbers;
        break;
      case ValueType::kDecimal: in.op = Op::kInNumbers; break;
      case ValueType::kText: in.op = Op::kInTexts; break;
      case ValueType::kDate: in.op = Op::kInDates; break;
      case ValueType::kBool: in.op = Op::kInBools; break;
      case ValueType::kTextList: return fail(n.at, "internal error: a list of lists");
    }
    in.first = operandList(elements);
    in.count = static_cast<std::uint32_t>(elements.size());
    return emit(in);
  }

  Checked between(const SyntaxNode& n) {
    std::array<Typed, 3> operands{};
    for (std::size_t i = 0; i < 3; ++i) {
      const auto operand = check(n.children[i]);
      if (!operand) return std::nullopt;
      if (operand->type == ValueType::kTextList) return failTextList(node(n.children[i]));
      operands[i] = *operand;
    }
    const ValueType type = operands[0].type;
    if (!isOrdered(type)) {
      return fail(n.at,
                  fmt::format("'between' compares numbers and dates only, not {}", toString(type)));
    }
    for (std::size_t i = 1; i < 3; ++i) {
      if (!comparable(type, operands[i].type)) {
        return fail(node(n.children[i]).start,
                    fmt::format("the bounds of 'between' must be of the value's type: the value "
                                "is {}, but this is {}",
                                describe(type), describe(operands[i].type)));
      }
    }
    Instruction in;
    const bool all_integers = std::all_of(operands.begin(), operands.end(), [](const Typed& t) {
      return t.type == ValueType::kInteger;
    });
    in.op = type == ValueType::kDate ? Op::kBetweenDate
            : all_integers           ? Op::kBetweenInt
                                     : Op::kBetweenNumber;
    in.a = operands[0].index;
    in.b = operands[1].index;
    in.c = operands[2].index;
    const Instruction& value = program_.code[in.a];
    const Instruction& low = program_.code[in.b];
    const Instruction& high = program_.code[in.c];
    if (in.op == Op::kBetweenInt && value.op == Op::kField && low.op == Op::kIntConst &&
        high.op == Op::kIntConst) {
      in.op = Op::kBetweenIntField;
      in.slot = value.slot;
      in.integer = low.integer;
      in.high = high.integer;
    }
    return emit(in);
  }

  std::string_view text_;
  const SyntaxTree& tree_;
  const Catalog& catalog_;
  Program program_;
  std::optional<ExpressionError> error_;
};

}  // namespace

std::string didYouMean(std::string_view name, const std::vector<std::string_view>& candidates) {
  const std::string lower = lowerCase(name);
  for (const auto candidate : candidates) {
    if (lowerCase(candidate) == lower) return fmt::format(" (did you mean \"{}\"?)", candidate);
  }
  std::string_view best;
  std::size_t best_distance = 3;
  for (const auto candidate : candidates) {
    const std::size_t distance = editDistance(name, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  if (best.empty()) return "";
  return fmt::format(" (did you mean \"{}\"?)", best);
}

std::variant<Program, ExpressionError> check(std::string_view text, const SyntaxTree& tree,
                                             const Catalog& catalog) {
  return Checker(text, tree, catalog).run();
}

}  // namespace cohortwatch::rules::detail
