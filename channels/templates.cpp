#include "channels/templates.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "channels/builtin_templates.h"

namespace cohortwatch::channels {

namespace {

constexpr std::string_view kSuffix = ".mustache";

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

std::vector<std::string> builtinTemplateNames() {
  std::vector<std::string> names;
  for (const auto& entry : builtinTemplates()) names.emplace_back(entry.name);
  return names;
}

std::variant<Templates, std::vector<config::ConfigError>> Templates::load(
    const config::NotificationSettings& settings) {
  Templates templates;
  std::vector<config::ConfigError> errors;
  for (const auto& entry : builtinTemplates()) {
    templates.templates_[std::string(entry.name)] = {std::string(entry.source), "built-in"};
  }
  if (!settings.templates_dir.empty()) {
    std::error_code error;
    std::filesystem::directory_iterator it(settings.templates_dir, error);
    if (error) {
      errors.push_back({"", 0, 0, "notifications.templates_dir",
                        fmt::format("cannot read the templates folder {}: {}",
                                    settings.templates_dir, error.message())});
    }
    for (; !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
      const std::string file = it->path().filename().string();
      if (!endsWith(file, kSuffix)) continue;
      const std::string name = file.substr(0, file.size() - kSuffix.size());
      const std::string path = it->path().string();
      auto known = templates.templates_.find(name);
      if (known == templates.templates_.end()) {
        errors.push_back({path, 0, 0, "",
                          fmt::format("\"{}\" is not a template cohortwatch uses (expected one of: "
                                      "{})",
                                      name, fmt::join(builtinTemplateNames(), ", "))});
        continue;
      }
      std::ifstream in(it->path(), std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      if (!in.good() && !in.eof()) {
        errors.push_back({path, 0, 0, "", "cannot read the template"});
        continue;
      }
      known->second = {text.str(), path};
    }
  }
  for (const auto& [name, entry] : templates.templates_) {
    kainjow::mustache::mustache parsed(entry.source);
    if (!parsed.is_valid()) {
      errors.push_back({entry.origin == "built-in" ? "" : entry.origin, 0, 0, "",
                        fmt::format("template {} ({}): {}", name, entry.origin,
                                    parsed.error_message())});
    }
  }
  if (!errors.empty()) return errors;
  return templates;
}

std::string Templates::render(std::string_view name, const kainjow::mustache::data& data) const {
  auto it = templates_.find(name);
  if (it == templates_.end()) throw std::out_of_range(fmt::format("no template named {}", name));
  kainjow::mustache::mustache parsed(it->second.source);
  if (!endsWith(name, ".html")) {
    parsed.set_custom_escape([](const std::string& text) { return text; });
  }
  return parsed.render(data);
}

std::string Templates::origin(std::string_view name) const {
  auto it = templates_.find(name);
  return it == templates_.end() ? std::string() : it->second.origin;
}

}  // namespace cohortwatch::channels
