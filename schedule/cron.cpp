#include "schedule/cron.h"

#include <array>
#include <cctype>
#include <cstdint>
#include <optional>
#include <vector>

namespace cohortwatch::schedule {

namespace {

struct FieldSpec {
  const char* name;
  unsigned min;
  unsigned max;       // highest value accepted in the text
  unsigned star_max;  // highest value `*` stands for (day-of-week: 6, as 7 is Sunday again)
  const std::array<const char*, 12>* names;  // names[i] stands for value i + names_base
  unsigned names_base;
  const char* names_hint;  // "a month name (jan-dec)"
};

constexpr std::array<const char*, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                     "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<const char*, 12> kDayNames = {
    "sun", "mon", "tue", "wed", "thu", "fri", "sat", nullptr, nullptr, nullptr, nullptr, nullptr};

constexpr std::array<FieldSpec, 5> kFields = {{
    {"minute", 0, 59, 59, nullptr, 0, nullptr},
    {"hour", 0, 23, 23, nullptr, 0, nullptr},
    {"day-of-month", 1, 31, 31, nullptr, 0, nullptr},
    {"month", 1, 12, 12, &kMonthNames, 1, "a month name (jan-dec)"},
    {"day-of-week", 0, 7, 6, &kDayNames, 0, "a day name (sun-sat)"},
}};

constexpr std::size_t kFieldCount = kFields.size();
constexpr const char* kFieldList = "minute hour day-of-month month day-of-week";

bool isBlank(char c) {
  return c == ' ' || c == '\t';
}
bool isAlnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// One field's text being parsed: `offset` is where it starts in the whole expression, so errors
// carry columns of the whole expression.
class FieldParser {
 public:
  FieldParser(const FieldSpec& spec, std::string_view text, std::size_t offset)
      : spec_(spec), text_(text), offset_(offset) {}

  // The values the field matches as bits, or the first error.
  std::variant<std::uint64_t, CronError> parse() {
    std::uint64_t bits = 0;
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = text_.find(',', start);
      const std::size_t end = comma == std::string_view::npos ? text_.size() : comma;
      if (end == start) return error(start, "empty list element");
      auto element = parseElement(start, end);
      if (auto* failed = std::get_if<CronError>(&element)) return *failed;
      bits |= std::get<std::uint64_t>(element);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return bits;
  }

 private:
  struct Value {
    unsigned value;
    bool is_name;
    std::string_view text;
  };

  CronError error(std::size_t at, const std::string& what) const {
    return CronError{offset_ + at + 1, std::string(spec_.name) + ": " + what};
  }

  std::string rangeText() const {
    return std::to_string(spec_.min) + "-" + std::to_string(spec_.max);
  }

  // `*`, `*/n`, `a`, `a-b` or `a-b/n` in text_[begin, end).
  std::variant<std::uint64_t, CronError> parseElement(std::size_t begin, std::size_t end) {
    std::size_t pos = begin;
    unsigned low = 0;
    unsigned high = 0;
    bool single = false;
    if (text_[pos] == '*') {
      low = spec_.min;
      high = spec_.star_max;
      ++pos;
    } else {
      auto first = parseValue(pos, end);
      if (auto* failed = std::get_if<CronError>(&first)) return *failed;
      low = high = std::get<Value>(first).value;
      pos += std::get<Value>(first).text.size();
      single = true;
      if (pos < end && text_[pos] == '-') {
        ++pos;
        auto second = parseValue(pos, end);
        if (auto* failed = std::get_if<CronError>(&second)) return *failed;
        const Value& last = std::get<Value>(second);
        high = last.value;
        // `sat-sun`: Sunday closing a range is day 7.
        if (spec_.names == &kDayNames && last.is_name && high == 0 && low > 0) high = 7;
        if (high < low) {
          return error(begin, "range " +
                                  std::string(text_.substr(begin, pos + last.text.size() - begin)) +
                                  " runs backwards");
        }
        pos += last.text.size();
        single = false;
      }
    }

    unsigned step = 1;
    if (pos < end && text_[pos] == '/') {
      if (single) {
        const std::string value(text_.substr(begin, pos - begin));
        const std::string step_text(text_.substr(pos + 1, end - pos - 1));
        return error(pos, "a step needs '*' or a range before '/' (write " + value + "-" +
                              std::to_string(spec_.max) + "/" + step_text + ")");
      }
      ++pos;
      std::size_t digits_end = pos;
      while (digits_end < end && isAlnum(text_[digits_end])) ++digits_end;
      const std::string_view step_text = text_.substr(pos, digits_end - pos);
      if (step_text.empty()) return error(pos, "missing step after '/'");
      const std::optional<unsigned> number = parseNumber(step_text);
      if (!number) return error(pos, "step " + quoted(step_text) + " is not a number");
      const unsigned max_step = spec_.star_max - spec_.min;
      if (*number < 1 || *number > max_step) {
        return error(pos, "step " + std::string(step_text) + " is out of range 1-" +
                              std::to_string(max_step));
      }
      step = *number;
      pos = digits_end;
    }

    if (pos < end) {
      return error(pos, "unexpected " + quoted(text_.substr(pos, 1)) + " after " +
                            quoted(text_.substr(begin, pos - begin)));
    }

    std::uint64_t bits = 0;
    for (unsigned v = low; v <= high; v += step) {
      const unsigned bit = (spec_.names == &kDayNames && v == 7) ? 0 : v;
      bits |= std::uint64_t{1} << bit;
    }
    return bits;
  }

  // A number or (month and day-of-week only) a three-letter name starting at pos.
  std::variant<Value, CronError> parseValue(std::size_t pos, std::size_t end) const {
    std::size_t token_end = pos;
    while (token_end < end && isAlnum(text_[token_end])) ++token_end;
    const std::string_view token = text_.substr(pos, token_end - pos);
    if (token.empty()) {
      if (pos >= end)
        return error(pos, "expected a number after " + quoted(text_.substr(pos - 1, 1)));
      return error(pos, "expected a number, found " + quoted(text_.substr(pos, 1)));
    }
    if (const std::optional<unsigned> number = parseNumber(token)) {
      if (*number < spec_.min || *number > spec_.max) {
        return error(pos, std::string(token) + " is out of range " + rangeText());
      }
      return Value{*number, false, token};
    }
    if (spec_.names != nullptr) {
      if (token.size() == 3) {
        for (std::size_t i = 0; i < spec_.names->size(); ++i) {
          const char* name = (*spec_.names)[i];
          if (name != nullptr && lower(token[0]) == name[0] && lower(token[1]) == name[1] &&
              lower(token[2]) == name[2]) {
            return Value{static_cast<unsigned>(i) + spec_.names_base, true, token};
          }
        }
      }
      return error(pos, quoted(token) + " is not a number or " + spec_.names_hint);
    }
    return error(pos, quoted(token) + " is not a number");
  }

  // Decimal digits only; values too large for any field saturate (they are out of range anyway).
  static std::optional<unsigned> parseNumber(std::string_view token) {
    unsigned value = 0;
    for (char c : token) {
      if (!isDigit(c)) return std::nullopt;
      value = value > 100000 ? value : value * 10 + static_cast<unsigned>(c - '0');
    }
    return value;
  }

  const FieldSpec& spec_;
  std::string_view text_;
  std::size_t offset_;
};

struct FieldText {
  std::string_view text;
  std::size_t offset;
};

}  // namespace

std::variant<CronExpression, CronError> CronExpression::parse(std::string_view text) {
  std::size_t first = 0;
  while (first < text.size() && isBlank(text[first])) ++first;
  std::size_t last = text.size();
  while (last > first && isBlank(text[last - 1])) --last;

  if (first == last) {
    return CronError{1,
                     std::string("empty cron expression: expected 5 fields (") + kFieldList + ")"};
  }
  if (text[first] == '@') {
    std::size_t end = first;
    while (end < last && !isBlank(text[end])) ++end;
    return CronError{first + 1, quoted(text.substr(first, end - first)) +
                                    " shortcuts are not supported: write the 5 fields (" +
                                    kFieldList + ")"};
  }

  std::vector<FieldText> fields;
  std::size_t pos = first;
  while (pos < last) {
    std::size_t end = pos;
    while (end < last && !isBlank(text[end])) ++end;
    fields.push_back({text.substr(pos, end - pos), pos});
    pos = end;
    while (pos < last && isBlank(text[pos])) ++pos;
  }
  if (fields.size() != kFieldCount) {
    const std::size_t column =
        fields.size() > kFieldCount ? fields[kFieldCount].offset + 1 : last + 1;
    return CronError{column, "expected 5 fields (" + std::string(kFieldList) + "), found " +
                                 std::to_string(fields.size())};
  }

  std::array<std::uint64_t, kFieldCount> bits{};
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    auto parsed = FieldParser(kFields[i], fields[i].text, fields[i].offset).parse();
    if (auto* failed = std::get_if<CronError>(&parsed)) return *failed;
    bits[i] = std::get<std::uint64_t>(parsed);
  }

  CronExpression expression;
  expression.text_ = std::string(text.substr(first, last - first));
  expression.minutes_ = std::bitset<60>(bits[0]);
  expression.hours_ = std::bitset<24>(bits[1]);
  expression.days_of_month_ = std::bitset<32>(bits[2]);
  expression.months_ = std::bitset<13>(bits[3]);
  expression.weekdays_ = std::bitset<7>(bits[4]);
  expression.day_of_month_unrestricted_ = fields[2].text.front() == '*';
  expression.weekday_unrestricted_ = fields[4].text.front() == '*';
  return expression;
}

bool CronExpression::matchesDay(unsigned month, unsigned day_of_month, unsigned weekday) const {
  if (!matchesMonth(month) || day_of_month < 1 || day_of_month > 31 || weekday > 6) return false;
  const bool by_day_of_month = days_of_month_.test(day_of_month);
  const bool by_weekday = weekdays_.test(weekday);
  if (!day_of_month_unrestricted_ && !weekday_unrestricted_) return by_day_of_month || by_weekday;
  return by_day_of_month && by_weekday;
}

bool CronExpression::canEverFire() const {
  // Either rule (both restricted): any matching month has every weekday in it.
  if (!day_of_month_unrestricted_ && !weekday_unrestricted_) return months_.any();
  constexpr std::array<unsigned, 13> kLongestMonth = {0,  31, 29, 31, 30, 31, 30,
                                                      31, 31, 30, 31, 30, 31};
  for (unsigned month = 1; month <= 12; ++month) {
    if (!months_.test(month)) continue;
    for (unsigned day = 1; day <= kLongestMonth[month]; ++day) {
      if (days_of_month_.test(day)) return true;
    }
  }
  return false;
}

}  // namespace cohortwatch::schedule
