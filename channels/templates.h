// Message templates: Mustache (kainjow::mustache, header-only, Debian's libkainjow-mustache-dev).
// The defaults are the files of config/templates/, compiled into the binary (and installed in
// /usr/share/cohortwatch/templates to copy from); a file <name>.mustache in
// notifications.templates_dir replaces the default of that name. Every template is parsed when
// the configuration loads, so a broken template is a configuration error at start, not a failed
// send at 3 a.m. Templates whose name ends in ".html" escape values for HTML; the others
// (subjects, plain text) insert values as they are.
#pragma once

#include <kainjow/mustache.hpp>

#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config_loader.h"
#include "config/settings.h"

namespace cohortwatch::channels {

// The names of the built-in templates, e.g. "alert.subject", "alert.text", "alert.html".
std::vector<std::string> builtinTemplateNames();

class Templates {
 public:
  // The built-ins, each replaced by <templates_dir>/<name>.mustache when that file exists. A
  // template that does not parse, an unreadable file, or a file in the folder that names no
  // template (a typo would silently do nothing) is an error naming the file.
  static std::variant<Templates, std::vector<config::ConfigError>> load(
      const config::NotificationSettings& settings);

  // Renders a template by name; throws std::out_of_range for a name that is not a template.
  std::string render(std::string_view name, const kainjow::mustache::data& data) const;

  // Where a template came from: "built-in" or its file.
  std::string origin(std::string_view name) const;

 private:
  struct Entry {
    std::string source;
    std::string origin;
  };
  std::map<std::string, Entry, std::less<>> templates_;
};

}  // namespace cohortwatch::channels
