#include "config/mapping_settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>

namespace cohortwatch::config {

namespace {

char lowerAscii(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool isLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};

// Reads exactly `width` digits, or 1 to 2 digits when `width` is 0, at `pos`.
std::optional<int> readDigits(std::string_view value, std::size_t& pos, std::size_t width) {
  const std::size_t max = width == 0 ? 2 : width;
  std::size_t count = 0;
  int number = 0;
  while (count < max && pos + count < value.size() && isDigit(value[pos + count])) {
    number = number * 10 + (value[pos + count] - '0');
    ++count;
  }
  if (count == 0 || (width != 0 && count != width)) return std::nullopt;
  pos += count;
  return number;
}

}  // namespace

const std::vector<CanonicalField>& canonicalFields(CanonicalKind kind) {
  static const std::array<std::vector<CanonicalField>, 3> kFields = {{
      {{"person_id", true},
       {"first_name", false},
       {"last_name", false},
       {"date_of_birth", true},
       {"gender", false},
       {"ethnicity", false},
       {"looked_after", false},
       {"caseworker", false},
       {"team", false},
       {"updated_at", false}},
      {{"offence_id", true},
       {"person_id", true},
       {"offence_date", true},
       {"offence_code", false},
       {"description", false},
       {"gravity", false},
       {"breach", false}},
      {{"outcome_id", true},
       {"person_id", true},
       {"offence_id", false},
       {"outcome_type", true},
       {"outcome_date", true}},
  }};
  return kFields[static_cast<std::size_t>(kind)];
}

std::string_view toString(CanonicalKind kind) {
  switch (kind) {
    case CanonicalKind::kPeople: return "people";
    case CanonicalKind::kOffences: return "offences";
    case CanonicalKind::kOutcomes: return "outcomes";
  }
  return "people";
}

std::string_view toString(TextEncoding encoding) {
  return encoding == TextEncoding::kWindows1252 ? "windows-1252" : "utf-8";
}

std::string_view toString(ExportLayout layout) {
  switch (layout) {
    case ExportLayout::kPeople: return "people";
    case ExportLayout::kOffences: return "offences";
    case ExportLayout::kOutcomes: return "outcomes";
    case ExportLayout::kWide: return "wide";
  }
  return "people";
}

DatePattern::DatePattern() {
  std::string problem;
  *this = *compile("yyyy-mm-dd", false, problem);  // compile() never calls this constructor
}

std::optional<DatePattern> DatePattern::compile(std::string_view text, bool with_time,
                                                std::string& problem) {
  // Longest first, so that "mm" is not read as two "m" and "mon" not as "m" + "on".
  struct Name {
    std::string_view text;
    Token token;
  };
  static constexpr std::array<Name, 10> kNames = {{{"yyyy", Token::kYear},
                                                   {"mon", Token::kMonthName},
                                                   {"mm", Token::kMonth2},
                                                   {"dd", Token::kDay2},
                                                   {"HH", Token::kHour2},
                                                   {"MM", Token::kMinute},
                                                   {"SS", Token::kSecond},
                                                   {"m", Token::kMonth},
                                                   {"d", Token::kDay},
                                                   {"H", Token::kHour}}};
  DatePattern pattern{Unchecked{}};
  pattern.text_ = std::string(text);
  std::array<int, 5> seen{};  // year, month, day, hour, minute
  int seconds = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    if (!isLetter(text[pos])) {
      pattern.pieces_.push_back({Token::kLiteral, text[pos]});
      ++pos;
      continue;
    }
    const Name* found = nullptr;
    for (const Name& name : kNames) {
      if (text.substr(pos, name.text.size()) == name.text) {
        found = &name;
        break;
      }
    }
    if (found == nullptr) {
      std::size_t end = pos;
      while (end < text.size() && isLetter(text[end])) ++end;
      const std::string_view word = text.substr(pos, end - pos);
      problem = word == "yy"
                    ? "two-digit years (yy) are not supported: use yyyy"
                    : fmt::format(
                          "unknown token '{}' in \"{}\" (tokens: yyyy, mm, m, mon, dd, d{}; "
                          "other characters are separators)",
                          word, text, with_time ? ", HH, H, MM, SS" : "");
      return std::nullopt;
    }
    pattern.pieces_.push_back({found->token, 0});
    pos += found->text.size();
    switch (found->token) {
      case Token::kYear: ++seen[0]; break;
      case Token::kMonth2:
      case Token::kMonth:
      case Token::kMonthName: ++seen[1]; break;
      case Token::kDay2:
      case Token::kDay: ++seen[2]; break;
      case Token::kHour2:
      case Token::kHour: ++seen[3]; break;
      case Token::kMinute: ++seen[4]; break;
      case Token::kSecond: ++seconds; break;
      case Token::kLiteral: break;
    }
  }
  const bool time_used = seen[3] > 0 || seen[4] > 0 || seconds > 0;
  if (!with_time && time_used) {
    problem = fmt::format(
        "\"{}\" has time parts (HH, H, MM, SS); a date format has only yyyy, "
        "mm/m/mon and dd/d",
        text);
    return std::nullopt;
  }
  static constexpr std::array<std::string_view, 5> kPartNames = {
      "year (yyyy)", "month (mm, m or mon)", "day (dd or d)", "hour (HH or H)", "minutes (MM)"};
  const std::size_t parts = with_time ? 5 : 3;
  for (std::size_t i = 0; i < parts; ++i) {
    if (seen[i] != 1) {
      problem =
          fmt::format("\"{}\" {} the {}", text, seen[i] == 0 ? "lacks" : "repeats", kPartNames[i]);
      return std::nullopt;
    }
  }
  if (seconds > 1) {
    problem = fmt::format("\"{}\" repeats the seconds (SS)", text);
    return std::nullopt;
  }
  // A one-or-two-digit part directly followed by another number cannot be split reliably.
  for (std::size_t i = 0; i + 1 < pattern.pieces_.size(); ++i) {
    const Token token = pattern.pieces_[i].token;
    const Token next = pattern.pieces_[i + 1].token;
    const bool variable = token == Token::kMonth || token == Token::kDay || token == Token::kHour;
    if (variable && next != Token::kLiteral && next != Token::kMonthName) {
      problem = fmt::format("\"{}\": d, m and H need a separator after them", text);
      return std::nullopt;
    }
  }
  pattern.has_time_ = with_time;
  return pattern;
}

std::optional<DatePattern::Parts> DatePattern::match(std::string_view value) const {
  Parts parts;
  std::size_t pos = 0;
  for (const Piece& piece : pieces_) {
    std::optional<int> number;
    switch (piece.token) {
      case Token::kLiteral:
        if (pos >= value.size() || value[pos] != piece.literal) return std::nullopt;
        ++pos;
        continue;
      case Token::kMonthName: {
        if (pos + 3 > value.size()) return std::nullopt;
        std::string name;
        for (std::size_t i = 0; i < 3; ++i) name += lowerAscii(value[pos + i]);
        auto it = std::find(kMonthNames.begin(), kMonthNames.end(), name);
        if (it == kMonthNames.end()) return std::nullopt;
        parts.month = static_cast<unsigned>(it - kMonthNames.begin() + 1);
        pos += 3;
        continue;
      }
      case Token::kYear: number = readDigits(value, pos, 4); break;
      case Token::kMonth2:
      case Token::kDay2:
      case Token::kHour2:
      case Token::kMinute:
      case Token::kSecond: number = readDigits(value, pos, 2); break;
      case Token::kMonth:
      case Token::kDay:
      case Token::kHour: number = readDigits(value, pos, 0); break;
    }
    if (!number) return std::nullopt;
    switch (piece.token) {
      case Token::kYear: parts.year = *number; break;
      case Token::kMonth2:
      case Token::kMonth: parts.month = static_cast<unsigned>(*number); break;
      case Token::kDay2:
      case Token::kDay: parts.day = static_cast<unsigned>(*number); break;
      case Token::kHour2:
      case Token::kHour: parts.hour = *number; break;
      case Token::kMinute: parts.minute = *number; break;
      case Token::kSecond: parts.second = *number; break;
      case Token::kLiteral:
      case Token::kMonthName: break;
    }
  }
  if (pos != value.size()) return std::nullopt;
  const std::chrono::year_month_day ymd{
      std::chrono::year(parts.year), std::chrono::month(parts.month), std::chrono::day(parts.day)};
  if (!ymd.ok() || parts.hour > 23 || parts.minute > 59 || parts.second > 59) return std::nullopt;
  return parts;
}

std::vector<CanonicalKind> FileMapping::kinds() const {
  switch (layout) {
    case ExportLayout::kPeople: return {CanonicalKind::kPeople};
    case ExportLayout::kOffences: return {CanonicalKind::kOffences};
    case ExportLayout::kOutcomes: return {CanonicalKind::kOutcomes};
    case ExportLayout::kWide: break;
  }
  // A wide row yields a person record too when any field only a person has is mapped.
  for (const CanonicalField& field : canonicalFields(CanonicalKind::kPeople)) {
    if (field.name != "person_id" && fields.count(std::string(field.name)) > 0) {
      return {CanonicalKind::kPeople, CanonicalKind::kOffences, CanonicalKind::kOutcomes};
    }
  }
  return {CanonicalKind::kOffences, CanonicalKind::kOutcomes};
}

const FieldSource* FileMapping::source(std::string_view field) const {
  auto it = fields.find(std::string(field));
  return it == fields.end() ? nullptr : &it->second;
}

bool globMatches(std::string_view pattern, std::string_view name) {
  // Iterative matching with one backtrack point: linear enough for file names.
  std::size_t p = 0;
  std::size_t n = 0;
  std::size_t star = std::string_view::npos;
  std::size_t resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() &&
        (pattern[p] == '?' ||
         (pattern[p] != '*' && lowerAscii(pattern[p]) == lowerAscii(name[n])))) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace cohortwatch::config
