// `cohortwatch export tracking-sheet`: the tracking sheet (channels/tracking_sheet.h) of one
// quarterly cohort, or of every running cohort, as XLSX or CSV, for managers to fill in at the
// review meeting and give back to `import actions`. It names children, so the file is written
// 0600, and atomically (a temporary file in the same folder, renamed), so that a reader never
// sees half a sheet.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>  // mkstemp
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <variant>

#include "channels/tracking_sheet.h"
#include "daemon/commands.h"
#include "reports/xlsx_writer.h"
#include "rules/member_table.h"
#include "rules/rule_set.h"
#include "tracking/store.h"

namespace cohortwatch::daemon {

namespace {

namespace fs = std::filesystem;

enum class SheetFormat { kXlsx, kCsv };

SheetFormat sheetFormatOption(const Invocation& invocation) {
  const auto text = invocation.value("format");
  if (!text) throw UsageError("--format xlsx or --format csv is required");
  if (*text == "xlsx") return SheetFormat::kXlsx;
  if (*text == "csv") return SheetFormat::kCsv;
  throw UsageError("--format: expected xlsx or csv, got '" + *text + "'");
}

std::optional<tracking::Quarter> cohortOption(const Invocation& invocation) {
  const auto text = invocation.value("cohort");
  if (!text) return std::nullopt;
  auto quarter = tracking::Quarter::parse(*text);
  if (!quarter) throw UsageError("--cohort: expected a quarter like 2025Q1, got '" + *text + "'");
  return quarter;
}

// The cohorts the data has as of the day, for the error naming a cohort it has not.
std::string knownCohorts(const rules::MemberTable& table) {
  std::set<std::string_view> names;
  for (const auto& member : table.members) names.insert(member.cohort_name);
  if (names.empty()) return "there are no cohorts in the data";
  return fmt::format("cohorts in the data: {}", fmt::join(names, ", "));
}

// Writes the sheet to a temporary file beside `target` (mkstemp creates it 0600) and renames it
// over `target`. Throws std::runtime_error naming the file.
void writeAtomically(const reports::Worksheet& sheet, SheetFormat format, const fs::path& target) {
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string temp_name = (dir / ".tracking-sheet-XXXXXX").string();
  const int fd = ::mkstemp(temp_name.data());
  if (fd < 0) {
    throw std::runtime_error(
        fmt::format("cannot create a file in {}: {}", dir.string(), std::strerror(errno)));
  }
  const auto fail = [&](const std::string& message) {
    ::unlink(temp_name.c_str());
    throw std::runtime_error(message);
  };
  if (format == SheetFormat::kCsv) {
    const std::string csv = reports::worksheetCsv(sheet);
    std::size_t written = 0;
    while (written < csv.size()) {
      const ssize_t n = ::write(fd, csv.data() + written, csv.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int error = errno;
        ::close(fd);
        fail(fmt::format("cannot write {}: {}", target.string(), std::strerror(error)));
      }
      written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
      fail(fmt::format("cannot write {}: {}", target.string(), std::strerror(errno)));
    }
  } else {
    ::close(fd);
    try {
      reports::writeXlsx(sheet, temp_name);  // replaces the temporary file, keeping its mode
    } catch (const reports::XlsxError& e) {
      fail(e.what());
    }
  }
  if (::rename(temp_name.c_str(), target.c_str()) != 0) {
    fail(fmt::format("cannot write {}: {}", target.string(), std::strerror(errno)));
  }
}

}  // namespace

int runExport(Invocation& invocation) {
  if (invocation.arguments.size() != 1 || invocation.arguments.front() != "tracking-sheet") {
    throw UsageError("name what to export: tracking-sheet");
  }
  const SheetFormat format = sheetFormatOption(invocation);
  const auto cohort = cohortOption(invocation);
  const tracking::Date as_of = asOfOption(invocation);
  const std::string extension = format == SheetFormat::kXlsx ? "xlsx" : "csv";
  const std::string out = invocation.value("out").value_or(fmt::format(
      "tracking-sheet-{}-{}.{}", cohort ? cohort->name() : "running", as_of.toString(), extension));
  if (out.empty()) throw UsageError("--out needs a file name (or - for CSV on stdout)");
  if (out == "-" && format == SheetFormat::kXlsx) {
    throw UsageError("an XLSX workbook is not written to stdout: give --out FILE");
  }

  auto settings = invocation.loadSettings();
  if (!settings) return kExitUsage;
  const auto compiled = rules::RuleSet::compile(*settings);
  const auto& rule_set = std::get<rules::RuleSet>(compiled);  // checked by loadSettings
  auto store = tracking::openSqliteStore(settings->database);
  const tracking::Methodology methodology(settings->methodology);
  const auto table = rules::loadMemberTable(*store, methodology, as_of);
  if (cohort && std::none_of(table.members.begin(), table.members.end(), [&](const auto& member) {
        return member.cohort_name == cohort->name();
      })) {
    throw UsageError(fmt::format("no cohort {} as of {} ({})", cohort->name(), as_of.toString(),
                                 knownCohorts(table)));
  }
  const auto focus = rule_set.focus(table);
  auto alerts = store->alerting().alertsSince(as_of.addDays(-channels::kTrackingSheetAlertDays));
  std::erase_if(alerts, [&](const auto& alert) { return as_of < alert.fired_on; });
  tracking::ActionFilter open;
  open.status = "open";
  const auto actions = store->casework().actions(open);
  const auto people = store->alerting().personDetails();

  const auto sheet =
      channels::trackingSheet({table, focus, alerts, actions, people, *settings}, cohort);
  spdlog::info("tracking sheet as of {}: {} rows", as_of.toString(), sheet.rows.size());
  if (out == "-") {
    invocation.out << reports::worksheetCsv(sheet);
    return kExitOk;
  }
  writeAtomically(sheet, format, out);
  invocation.out << out << '\n';
  return kExitOk;
}

}  // namespace cohortwatch::daemon
