// Mapping profiles: how a case-management system's CSV export (its own column names, date formats,
// codes and text encoding) becomes the canonical records of DOMAIN.md. These are the typed,
// already validated settings; connectors/export_mapping.h applies them to files. A profile that
// loaded without errors is consistent: every field name is canonical, every required field of
// every layout has a source, every date pattern compiles.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cohortwatch::config {

// The canonical record kinds in apply order (people, then offences, then outcomes); the same
// order as connectors::RecordKind, which config/ cannot see.
enum class CanonicalKind : std::uint8_t { kPeople, kOffences, kOutcomes };

struct CanonicalField {
  std::string_view name;
  bool required = false;
};

// The columns of a canonical file, in DOMAIN.md order, required and optional alike.
const std::vector<CanonicalField>& canonicalFields(CanonicalKind kind);
std::string_view toString(CanonicalKind kind);

// A date or date-time pattern written in a small token language: yyyy (four-digit year), mm / m
// (month, two digits / one or two), mon (Jan..Dec, any case), dd / d (day), HH / H (hour 0-23),
// MM (minutes), SS (seconds); every other character is a literal that must appear as written.
// E.g. "dd/mm/yyyy", "d-mon-yyyy", "dd/mm/yyyy HH:MM". Matching is exact (no surrounding text)
// and only real calendar days match (31/02/2025 does not).
class DatePattern {
 public:
  struct Parts {
    int year = 0;
    unsigned month = 0;
    unsigned day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
  };

  // The default date pattern, yyyy-mm-dd.
  DatePattern();
  // nullopt with `problem` set when `text` is not a pattern (unknown token, a part missing or
  // repeated, time parts in a date pattern, a variable-width part not followed by a separator).
  static std::optional<DatePattern> compile(std::string_view text, bool with_time,
                                            std::string& problem);

  const std::string& text() const { return text_; }
  bool hasTime() const { return has_time_; }
  std::optional<Parts> match(std::string_view value) const;

 private:
  struct Unchecked {};
  explicit DatePattern(Unchecked) {}

  enum class Token : std::uint8_t {
    kLiteral,
    kYear,
    kMonth2,
    kMonth,
    kMonthName,
    kDay2,
    kDay,
    kHour2,
    kHour,
    kMinute,
    kSecond,
  };
  struct Piece {
    Token token = Token::kLiteral;
    char literal = 0;
  };

  std::string text_;
  std::vector<Piece> pieces_;
  bool has_time_ = false;
};

enum class TextEncoding { kUtf8, kWindows1252 };

// The shape of one export file. kWide is one row per offence carrying its outcome's columns (and
// optionally the child's): each row gives an offence record and, when its outcome columns are not
// all empty, an outcome record (and, when person columns are mapped, a person record first).
enum class ExportLayout { kPeople, kOffences, kOutcomes, kWide };

std::string_view toString(TextEncoding encoding);
std::string_view toString(ExportLayout layout);

// Where one canonical field of a file's records comes from.
struct FieldSource {
  enum class Kind { kColumn, kConstant, kCopy };
  Kind kind = Kind::kColumn;
  std::string column;  // kColumn: the export's column name (matched trimmed, ignoring case)
  std::string value;   // kConstant: the canonical value itself
  // kCopy: prefix + the (mapped) value of the canonical field `from` of the same row + suffix; an
  // empty value stays empty. E.g. an outcome id derived from the offence id.
  std::string from;
  std::string prefix;
  std::string suffix;
};

// Codes of an export column and the canonical values they stand for. Codes are matched after
// trimming and without regard to ASCII case; a code not listed passes through unchanged (and
// canonical validation judges it) unless the map is strict, when the row is rejected.
struct ValueMap {
  std::map<std::string, std::string> codes;  // lower-cased code -> canonical value
  bool strict = false;
};

// One kind of file in an export folder.
struct FileMapping {
  // Globs (* and ?, any case) on the file name; the first entry of the profile whose glob matches
  // is used. An entry with no globs is chosen by its header: when the file has every column the
  // entry maps.
  std::vector<std::string> match;
  ExportLayout layout = ExportLayout::kPeople;
  std::map<std::string, FieldSource> fields;  // canonical field name -> where it comes from
  std::map<std::string, ValueMap> values;     // canonical field name -> codes
  DatePattern date_format;                    // date_of_birth, offence_date, outcome_date
  // updated_at; nullopt: the export writes ISO 8601 and values pass through unchanged.
  std::optional<DatePattern> datetime_format;
  int line = 0;  // where the entry is defined, for messages

  // The record kinds a file of this layout yields, in apply order.
  std::vector<CanonicalKind> kinds() const;
  const FieldSource* source(std::string_view field) const;
};

struct MappingProfile {
  std::string name;
  std::string defined_in;  // the YAML file the profile was read from
  TextEncoding encoding = TextEncoding::kUtf8;
  std::vector<FileMapping> files;
};

// Globs with * (any run of characters) and ? (one character), matched without regard to ASCII
// case, as Windows file shares name files.
bool globMatches(std::string_view pattern, std::string_view name);

}  // namespace cohortwatch::config
