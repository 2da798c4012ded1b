// The default message templates, generated at build time from config/templates/*.mustache by
// channels/CMakeLists.txt (the files are the one source; this is their compiled-in copy).
#pragma once

#include <span>
#include <string_view>

namespace cohortwatch::channels {

struct BuiltinTemplate {
  std::string_view name;    // the file name without .mustache, e.g. "alert.html"
  std::string_view source;  // the file's text
};

std::span<const BuiltinTemplate> builtinTemplates();

}  // namespace cohortwatch::channels
