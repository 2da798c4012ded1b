// Workbooks for the XLSX tests, made by writers independent of the reader under test: Python's
// zipfile for hand-written (and deliberately broken) parts, and openpyxl (Debian's
// python3-openpyxl) for workbooks as a spreadsheet program writes them. The interpreter is
// /usr/bin/python3, or $COHORTWATCH_TEST_PYTHON.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace cohortwatch::connectors::testing {

namespace fs = std::filesystem;

inline std::string python() {
  const char* configured = std::getenv("COHORTWATCH_TEST_PYTHON");
  return configured != nullptr && *configured != '\0' ? configured : "/usr/bin/python3";
}

inline void writeText(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << file;
}

// Runs a Python script with arguments (paths without spaces or quotes); fails the test on a
// non-zero exit.
inline void runPython(const fs::path& dir, const std::string& script, const std::string& args) {
  const fs::path file = dir / "script.py";
  writeText(file, script);
  const std::string command = python() + " " + file.string() + " " + args;
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

// A temporary folder per test, removed afterwards.
class TempFolder {
 public:
  TempFolder() {
    path_ = fs::temp_directory_path() /
            ("cw-xlsx-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempFolder() { fs::remove_all(path_); }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// Zips `parts` (part name -> content) into `file`, as given: nothing is added or checked.
inline void writeZip(const TempFolder& dir, const fs::path& file,
                     const std::map<std::string, std::string>& parts) {
  const fs::path root = dir / "parts";
  fs::remove_all(root);
  for (const auto& [name, content] : parts) writeText(root / name, content);
  runPython(dir.path(),
            "import os, sys, zipfile\n"
            "root, out = sys.argv[1], sys.argv[2]\n"
            "with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:\n"
            "    for folder, _, names in os.walk(root):\n"
            "        for name in sorted(names):\n"
            "            path = os.path.join(folder, name)\n"
            "            z.write(path, os.path.relpath(path, root))\n",
            root.string() + " " + file.string());
}

inline const char* kContentTypes =
    R"(<?xml version="1.0" encoding="UTF-8"?>)"
    R"(<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>)";
inline const char* kPackageRels =
    R"(<?xml version="1.0" encoding="UTF-8"?>)"
    R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)"
    R"(<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>)"
    R"(</Relationships>)";
inline const char* kWorkbook =
    R"(<?xml version="1.0" encoding="UTF-8"?>)"
    R"(<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" )"
    R"(xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">)"
    R"(<sheets><sheet name="Tracking" sheetId="1" r:id="rId1"/></sheets></workbook>)";
inline const char* kWorkbookRels =
    R"(<?xml version="1.0" encoding="UTF-8"?>)"
    R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)"
    R"(<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>)"
    R"(<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>)"
    R"(</Relationships>)";

inline std::string sheetXml(const std::string& sheet_data) {
  return R"(<?xml version="1.0" encoding="UTF-8"?>)"
         R"(<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>)" +
         sheet_data + "</sheetData></worksheet>";
}

inline std::string sharedStringsXml(const std::string& items) {
  return R"(<?xml version="1.0" encoding="UTF-8"?>)"
         R"(<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">)" +
         items + "</sst>";
}

// A minimal workbook: the package parts above, one sheet and its shared strings.
inline std::map<std::string, std::string> workbookParts(const std::string& sheet_data,
                                                        const std::string& shared_items = "") {
  return {{"[Content_Types].xml", kContentTypes},
          {"_rels/.rels", kPackageRels},
          {"xl/workbook.xml", kWorkbook},
          {"xl/_rels/workbook.xml.rels", kWorkbookRels},
          {"xl/worksheets/sheet1.xml", sheetXml(sheet_data)},
          {"xl/sharedStrings.xml", sharedStringsXml(shared_items)}};
}

}  // namespace cohortwatch::connectors::testing
