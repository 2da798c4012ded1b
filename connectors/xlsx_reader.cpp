#include "connectors/xlsx_reader.h"

#include <expat.h>
#include <fmt/format.h>
#include <zip.h>

#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <memory>
#include <utility>

namespace cohortwatch::connectors {

namespace {

constexpr long kMaxRows = 1048576;  // Excel's sheet limits
constexpr std::size_t kMaxColumns = 16384;

// The local part of an expat name: "namespace-uri|local" when namespaced (XML_ParserCreateNS with
// '|'), else the name itself. Part names are matched on local names: transitional and strict
// OOXML use different namespace URIs for the same elements.
std::string_view localName(const XML_Char* name) {
  std::string_view text(name);
  const auto bar = text.rfind('|');
  return bar == std::string_view::npos ? text : text.substr(bar + 1);
}

bool namespaced(const XML_Char* name) {
  return std::string_view(name).find('|') != std::string_view::npos;
}

// The value of the attribute whose local name is `name` (any namespace when `in_namespace`, no
// namespace otherwise).
const XML_Char* attribute(const XML_Char** attrs, std::string_view name,
                          bool in_namespace = false) {
  for (int i = 0; attrs[i] != nullptr; i += 2) {
    if (localName(attrs[i]) == name && namespaced(attrs[i]) == in_namespace) return attrs[i + 1];
  }
  return nullptr;
}

// What a part's parser does with elements and text. fail() stops the parse with a reason.
class XmlHandler {
 public:
  virtual ~XmlHandler() = default;
  virtual void start(std::string_view name, const XML_Char** attrs) = 0;
  virtual void end(std::string_view name) = 0;
  virtual void text(std::string_view /*chars*/) {}

  void attach(XML_Parser parser) { parser_ = parser; }
  void fail(std::string reason) {
    if (error_.empty()) error_ = std::move(reason);
    XML_StopParser(parser_, XML_FALSE);
  }
  const std::string& error() const { return error_; }

 private:
  XML_Parser parser_ = nullptr;
  std::string error_;
};

struct ZipCloser {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};
struct ParserFreer {
  void operator()(XML_ParserStruct* parser) const { XML_ParserFree(parser); }
};

class Workbook {
 public:
  Workbook(std::string file, const XlsxLimits& limits) : file_(std::move(file)), limits_(limits) {}

  bool open(std::string& error) {
    int code = 0;
    archive_.reset(zip_open(file_.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code));
    if (!archive_) {
      zip_error_t reason;
      zip_error_init_with_code(&reason, code);
      error = fmt::format("{}: not a readable XLSX workbook (zip): {}", file_,
                          zip_error_strerror(&reason));
      zip_error_fini(&reason);
      return false;
    }
    return true;
  }

  bool has(const std::string& part) const {
    return zip_name_locate(archive_.get(), part.c_str(), ZIP_FL_NOCASE) >= 0;
  }

  // Streams the part through expat into `handler`; false with `error` set on any failure.
  bool parse(const std::string& part, XmlHandler& handler, std::string& error) {
    const zip_int64_t index = zip_name_locate(archive_.get(), part.c_str(), ZIP_FL_NOCASE);
    if (index < 0) {
      error = fmt::format("{}: {}: missing from the workbook", file_, part);
      return false;
    }
    std::unique_ptr<zip_file_t, ZipFileCloser> entry(
        zip_fopen_index(archive_.get(), static_cast<zip_uint64_t>(index), 0));
    if (!entry) {
      error = fmt::format("{}: {}: cannot be read: {}", file_, part, zip_strerror(archive_.get()));
      return false;
    }
    std::unique_ptr<XML_ParserStruct, ParserFreer> parser(XML_ParserCreateNS(nullptr, '|'));
    if (!parser) {
      error = fmt::format("{}: {}: cannot create an XML parser", file_, part);
      return false;
    }
    handler.attach(parser.get());
    XML_SetUserData(parser.get(), &handler);
    XML_SetElementHandler(
        parser.get(),
        [](void* data, const XML_Char* name, const XML_Char** attrs) {
          static_cast<XmlHandler*>(data)->start(localName(name), attrs);
        },
        [](void* data, const XML_Char* name) {
          static_cast<XmlHandler*>(data)->end(localName(name));
        });
    XML_SetCharacterDataHandler(parser.get(), [](void* data, const XML_Char* chars, int length) {
      static_cast<XmlHandler*>(data)->text(
          std::string_view(chars, static_cast<std::size_t>(length)));
    });
    // Workbook parts have no business declaring a DTD; refusing one rules out entity tricks.
    XML_SetStartDoctypeDeclHandler(
        parser.get(), [](void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
          static_cast<XmlHandler*>(data)->fail("a DTD is not allowed in a workbook part");
        });

    std::array<char, 64 * 1024> buffer{};
    std::size_t total = 0;
    for (;;) {
      const zip_int64_t got = zip_fread(entry.get(), buffer.data(), buffer.size());
      if (got < 0) {
        error = fmt::format("{}: {}: cannot be read: {}", file_, part,
                            zip_error_strerror(zip_file_get_error(entry.get())));
        return false;
      }
      total += static_cast<std::size_t>(got);
      if (total > limits_.max_part_bytes) {
        error = fmt::format("{}: {}: larger than {} MiB uncompressed", file_, part,
                            limits_.max_part_bytes >> 20);
        return false;
      }
      const bool last = got == 0;
      if (XML_Parse(parser.get(), buffer.data(), static_cast<int>(got), last ? 1 : 0) !=
          XML_STATUS_OK) {
        if (!handler.error().empty()) {
          error = fmt::format("{}: {}: {}", file_, part, handler.error());
        } else {
          error = fmt::format("{}: {}: line {}: {}", file_, part,
                              XML_GetCurrentLineNumber(parser.get()),
                              XML_ErrorString(XML_GetErrorCode(parser.get())));
        }
        return false;
      }
      if (last) break;
    }
    if (!handler.error().empty()) {
      error = fmt::format("{}: {}: {}", file_, part, handler.error());
      return false;
    }
    return true;
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
  XlsxLimits limits_;
  std::unique_ptr<zip_t, ZipCloser> archive_;
};

// A part name from a relationship target, relative to the folder of the part that holds the
// relationships ("xl/"), or absolute from the package root ("/xl/worksheets/sheet1.xml").
std::string resolveTarget(std::string_view base_folder, std::string_view target) {
  if (!target.empty() && target.front() == '/') return std::string(target.substr(1));
  std::string folder(base_folder);
  while (target.substr(0, 3) == "../") {
    target.remove_prefix(3);
    if (!folder.empty()) folder.pop_back();  // the trailing '/'
    const auto slash = folder.rfind('/');
    folder = slash == std::string::npos ? std::string() : folder.substr(0, slash + 1);
  }
  return folder + std::string(target);
}

std::string folderOf(const std::string& part) {
  const auto slash = part.rfind('/');
  return slash == std::string::npos ? std::string() : part.substr(0, slash + 1);
}

std::string relsOf(const std::string& part) {
  const auto slash = part.rfind('/');
  const std::string name = slash == std::string::npos ? part : part.substr(slash + 1);
  return folderOf(part) + "_rels/" + name + ".rels";
}

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// A .rels part: relationship id -> (type, target).
struct Relationship {
  std::string id, type, target;
};

class RelationshipsHandler final : public XmlHandler {
 public:
  void start(std::string_view name, const XML_Char** attrs) override {
    if (name != "Relationship") return;
    const XML_Char* id = attribute(attrs, "Id");
    const XML_Char* type = attribute(attrs, "Type");
    const XML_Char* target = attribute(attrs, "Target");
    const XML_Char* mode = attribute(attrs, "TargetMode");
    if (id == nullptr || type == nullptr || target == nullptr) return;
    if (mode != nullptr && std::string_view(mode) == "External") return;
    relationships.push_back({id, type, target});
  }
  void end(std::string_view /*name*/) override {}

  std::vector<Relationship> relationships;
};

class WorkbookHandler final : public XmlHandler {
 public:
  void start(std::string_view name, const XML_Char** attrs) override {
    if (name == "workbookPr") {
      if (const XML_Char* value = attribute(attrs, "date1904")) {
        const std::string_view text(value);
        date1904 = text == "1" || text == "true";
      }
    } else if (name == "sheet" && !found_sheet) {
      found_sheet = true;
      const XML_Char* sheet_name = attribute(attrs, "name");
      const XML_Char* id = attribute(attrs, "id", true);
      if (sheet_name != nullptr) first_sheet_name = sheet_name;
      if (id == nullptr) {
        fail("the first sheet has no relationship id");
        return;
      }
      first_sheet_rel = id;
    }
  }
  void end(std::string_view /*name*/) override {}

  bool found_sheet = false;
  bool date1904 = false;
  std::string first_sheet_name;
  std::string first_sheet_rel;
};

// Text held for cells, against the limits: a shared string referenced by a million cells must not
// exhaust memory.
class Budget {
 public:
  explicit Budget(const XlsxLimits& limits) : limits_(limits) {}
  bool take(std::size_t cells, std::size_t text_bytes) {
    cells_ += cells;
    text_ += text_bytes;
    return cells_ <= limits_.max_cells && text_ <= limits_.max_text_bytes;
  }

 private:
  const XlsxLimits& limits_;
  std::size_t cells_ = 0;
  std::size_t text_ = 0;
};

class SharedStringsHandler final : public XmlHandler {
 public:
  explicit SharedStringsHandler(Budget& budget) : budget_(budget) {}

  void start(std::string_view name, const XML_Char** /*attrs*/) override {
    if (name == "si") {
      in_item_ = true;
      current_.clear();
    } else if (name == "rPh") {
      ++in_phonetic_;
    } else if (name == "t" && in_item_ && in_phonetic_ == 0) {
      in_text_ = true;
    }
  }
  void end(std::string_view name) override {
    if (name == "si") {
      in_item_ = false;
      if (!budget_.take(0, current_.size())) {
        fail("the shared strings exceed the size this reader accepts");
        return;
      }
      strings.push_back(std::move(current_));
      current_.clear();
    } else if (name == "rPh") {
      --in_phonetic_;
    } else if (name == "t") {
      in_text_ = false;
    }
  }
  void text(std::string_view chars) override {
    if (in_text_) current_.append(chars);
  }

  std::vector<std::string> strings;

 private:
  Budget& budget_;
  std::string current_;
  bool in_item_ = false;
  bool in_text_ = false;
  int in_phonetic_ = 0;
};

// "AB12" -> column index 27 (0-based); nullopt for anything that is not a cell reference within
// the sheet's limits.
std::optional<std::size_t> columnOf(std::string_view reference) {
  std::size_t column = 0;
  std::size_t letters = 0;
  auto upper = [&](std::size_t i) {
    const char c = reference[i];
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
  };
  while (letters < reference.size() && upper(letters) >= 'A' && upper(letters) <= 'Z') {
    column = column * 26 + static_cast<std::size_t>(upper(letters) - 'A' + 1);
    if (++letters > 3) return std::nullopt;
  }
  if (letters == 0 || letters == reference.size() || column > kMaxColumns) return std::nullopt;
  for (std::size_t i = letters; i < reference.size(); ++i) {
    if (reference[i] < '0' || reference[i] > '9') return std::nullopt;
  }
  return column - 1;
}

std::optional<long> wholeNumber(std::string_view text) {
  long value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// 45678.0 -> 45678; anything else as written.
std::string normaliseNumber(std::string_view text) {
  double value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc() && ptr == end && std::isfinite(value) && std::fabs(value) < 1e15 &&
      value == std::floor(value)) {
    return fmt::format("{}", static_cast<long long>(value));
  }
  return std::string(text);
}

class SheetHandler final : public XmlHandler {
 public:
  SheetHandler(const std::vector<std::string>& shared, Budget& budget)
      : shared_(shared), budget_(budget) {}

  void start(std::string_view name, const XML_Char** attrs) override {
    if (name == "sheetData") {
      in_data_ = true;
    } else if (!in_data_) {
      return;
    } else if (name == "row") {
      startRow(attrs);
    } else if (name == "c") {
      startCell(attrs);
    } else if (!in_cell_) {
      return;
    } else if (name == "v") {
      in_value_ = true;
    } else if (name == "is") {
      in_inline_ = true;
    } else if (name == "rPh") {
      ++in_phonetic_;
    } else if (name == "t" && in_inline_ && in_phonetic_ == 0) {
      in_text_ = true;
    }
  }

  void end(std::string_view name) override {
    if (name == "sheetData") {
      in_data_ = false;
    } else if (!in_data_) {
      return;
    } else if (name == "row") {
      if (row_open_ && !row_.cells.empty()) rows.push_back(std::move(row_));
      row_open_ = false;
    } else if (name == "c") {
      endCell();
    } else if (name == "v") {
      in_value_ = false;
    } else if (name == "is") {
      in_inline_ = false;
    } else if (name == "rPh") {
      --in_phonetic_;
    } else if (name == "t") {
      in_text_ = false;
    }
  }

  void text(std::string_view chars) override {
    if (in_value_) value_.append(chars);
    if (in_text_) inline_text_.append(chars);
  }

  std::vector<XlsxRow> rows;

 private:
  void startRow(const XML_Char** attrs) {
    long number = last_row_ + 1;
    if (const XML_Char* r = attribute(attrs, "r")) {
      const auto parsed = wholeNumber(r);
      if (!parsed) return fail(fmt::format("row {}: not a row number", last_row_ + 1));
      number = *parsed;
    }
    if (number < 1 || number > kMaxRows) {
      return fail(fmt::format("row {}: outside the sheet (1 to {})", number, kMaxRows));
    }
    row_ = XlsxRow{number, {}};
    row_open_ = true;
    last_row_ = number;
    next_column_ = 0;
  }

  void startCell(const XML_Char** attrs) {
    if (!row_open_) return fail("a cell outside a row");
    in_cell_ = true;
    value_.clear();
    inline_text_.clear();
    const XML_Char* type = attribute(attrs, "t");
    type_ = type == nullptr ? "n" : type;
    reference_.clear();
    column_ = next_column_;
    if (const XML_Char* r = attribute(attrs, "r")) {
      reference_ = r;
      const auto column = columnOf(reference_);
      if (!column)
        return fail(fmt::format("row {}: '{}' is not a cell reference", row_.number, reference_));
      column_ = *column;
    }
    if (column_ >= kMaxColumns) {
      return fail(fmt::format("row {}: more than {} columns", row_.number, kMaxColumns));
    }
    next_column_ = column_ + 1;
  }

  std::string cellName() const {
    return reference_.empty() ? fmt::format("row {}, column {}", row_.number, column_ + 1)
                              : "cell " + reference_;
  }

  void endCell() {
    if (!in_cell_) return;
    in_cell_ = false;
    std::string value;
    if (type_ == "s") {
      const auto index = wholeNumber(value_);
      if (!index || *index < 0 || static_cast<std::size_t>(*index) >= shared_.size()) {
        return fail(fmt::format("{}: shared string {} does not exist", cellName(), value_));
      }
      value = shared_[static_cast<std::size_t>(*index)];
    } else if (type_ == "inlineStr") {
      value = inline_text_;
    } else if (type_ == "b") {
      value = value_ == "1" || value_ == "true" ? "TRUE" : value_.empty() ? "" : "FALSE";
    } else if (type_ == "n") {
      value = normaliseNumber(value_);
    } else if (type_ == "d") {
      value = value_.substr(0, std::min<std::size_t>(value_.size(), 10));  // ISO 8601: the day
    } else {
      value = value_;  // str (a formula's text), e (an error value such as #N/A)
    }
    if (value.empty()) return;
    const std::size_t grow = column_ + 1 > row_.cells.size() ? column_ + 1 - row_.cells.size() : 0;
    if (!budget_.take(grow, value.size())) {
      return fail(fmt::format("{}: the sheet exceeds the size this reader accepts", cellName()));
    }
    if (grow > 0) row_.cells.resize(column_ + 1);
    row_.cells[column_] = std::move(value);
  }

  const std::vector<std::string>& shared_;
  Budget& budget_;
  XlsxRow row_;
  bool row_open_ = false;
  long last_row_ = 0;
  std::size_t next_column_ = 0;
  std::size_t column_ = 0;
  std::string reference_;
  std::string type_;
  std::string value_;
  std::string inline_text_;
  bool in_data_ = false;
  bool in_cell_ = false;
  bool in_value_ = false;
  bool in_inline_ = false;
  bool in_text_ = false;
  int in_phonetic_ = 0;
};

std::optional<std::vector<Relationship>> readRelationships(Workbook& book, const std::string& part,
                                                           std::string& error) {
  RelationshipsHandler handler;
  if (!book.parse(part, handler, error)) return std::nullopt;
  return std::move(handler.relationships);
}

}  // namespace

std::optional<XlsxSheet> readFirstXlsxSheet(const std::filesystem::path& file, std::string& error,
                                            const XlsxLimits& limits) {
  Workbook book(file.string(), limits);
  if (!book.open(error)) return std::nullopt;

  // The workbook part, from the package relationships (xl/workbook.xml in every file seen).
  std::string workbook_part = "xl/workbook.xml";
  if (book.has("_rels/.rels")) {
    auto package = readRelationships(book, "_rels/.rels", error);
    if (!package) return std::nullopt;
    for (const auto& rel : *package) {
      if (endsWith(rel.type, "/officeDocument")) workbook_part = resolveTarget("", rel.target);
    }
  }
  WorkbookHandler workbook;
  if (!book.parse(workbook_part, workbook, error)) return std::nullopt;
  if (!workbook.found_sheet) {
    error = fmt::format("{}: {}: the workbook has no sheet", book.file(), workbook_part);
    return std::nullopt;
  }

  const std::string rels_part = relsOf(workbook_part);
  auto rels = readRelationships(book, rels_part, error);
  if (!rels) return std::nullopt;
  const std::string folder = folderOf(workbook_part);
  std::string sheet_part;
  std::string strings_part;
  for (const auto& rel : *rels) {
    if (rel.id == workbook.first_sheet_rel) sheet_part = resolveTarget(folder, rel.target);
    if (endsWith(rel.type, "/sharedStrings")) strings_part = resolveTarget(folder, rel.target);
  }
  if (sheet_part.empty()) {
    error = fmt::format("{}: {}: no relationship '{}' for the first sheet", book.file(), rels_part,
                        workbook.first_sheet_rel);
    return std::nullopt;
  }
  if (strings_part.empty() && book.has(folder + "sharedStrings.xml")) {
    strings_part = folder + "sharedStrings.xml";
  }

  Budget budget(limits);
  SharedStringsHandler strings(budget);
  if (!strings_part.empty() && !book.parse(strings_part, strings, error)) return std::nullopt;
  SheetHandler sheet(strings.strings, budget);
  if (!book.parse(sheet_part, sheet, error)) return std::nullopt;

  XlsxSheet result;
  result.name = workbook.first_sheet_name;
  result.rows = std::move(sheet.rows);
  result.date1904 = workbook.date1904;
  return result;
}

bool looksLikeZip(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::array<char, 4> magic{};
  if (!in.read(magic.data(), magic.size())) return false;
  return magic == std::array<char, 4>{'P', 'K', '\3', '\4'};
}

std::optional<tracking::Date> xlsxSerialDate(std::string_view serial, bool date1904) {
  double value = 0;
  const auto* end = serial.data() + serial.size();
  const auto [ptr, ec] = std::from_chars(serial.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  const double day = std::floor(value);
  constexpr double kLastSerial = 2958465;  // 9999-12-31
  if (day < (date1904 ? 0 : 1) || day > kLastSerial) return std::nullopt;
  const int whole = static_cast<int>(day);
  if (date1904) return tracking::Date::fromYmd(1904, 1, 1)->addDays(whole);
  // Excel counts a 29 February 1900 that never was (serial 60), kept from Lotus 1-2-3.
  if (whole == 60) return std::nullopt;
  const auto base =
      whole < 60 ? tracking::Date::fromYmd(1899, 12, 31) : tracking::Date::fromYmd(1899, 12, 30);
  return base->addDays(whole);
}

}  // namespace cohortwatch::connectors
