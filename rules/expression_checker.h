// The type checker of the condition language: resolves names against a Catalog, checks every
// operator's and function's operand types (expression.h gives the rules) and lowers the syntax
// tree to the flat Program the evaluator runs. Errors point at the token they are about.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rules/expression.h"
#include "rules/expression_parser.h"
#include "rules/expression_program.h"

namespace cohortwatch::rules::detail {

std::variant<Program, ExpressionError> check(std::string_view text, const SyntaxTree& tree,
                                             const Catalog& catalog);

// " (did you mean \"x\"?)" for the candidate equal to `name` but for case, else the nearest within
// edit distance 2 (the first of equals); "" when none is near.
std::string didYouMean(std::string_view name, const std::vector<std::string_view>& candidates);

}  // namespace cohortwatch::rules::detail
