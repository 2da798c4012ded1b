#include "channels/routing.h"

#include <algorithm>
#include <filesystem>

namespace cohortwatch::channels {

namespace {

using Kind = config::ChannelSettings::Kind;

bool isAddress(std::string_view text) {
  const auto at = text.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < text.size() &&
         text.find_first_of(" \t\r\n<>,;\"") == std::string_view::npos;
}

}  // namespace

Router::Router(const config::Settings& settings) : settings_(settings), channels_(settings.channels) {
  email_channel_ = settings.notifications.email_channel;
  for (Kind kind : {Kind::kSmtp, Kind::kFile}) {
    if (!email_channel_.empty()) break;
    for (const auto& channel : channels_) {
      if (channel.kind == kind) {
        email_channel_ = channel.name;
        break;
      }
    }
  }
  if (email_channel_.empty()) {
    config::ChannelSettings spool;
    spool.name = "spool";
    spool.kind = Kind::kFile;
    spool.file.path = settings.notifications.spool_dir;
    if (spool.file.path.empty()) {
      spool.file.path =
          (std::filesystem::path(settings.database.path).parent_path() / "spool").string();
    }
    channels_.push_back(spool);
    email_channel_ = spool.name;
  }
}

const config::ChannelSettings* Router::channel(std::string_view name) const {
  auto it = std::find_if(channels_.begin(), channels_.end(),
                         [&](const config::ChannelSettings& c) { return c.name == name; });
  return it == channels_.end() ? nullptr : &*it;
}

void Router::expand(std::string_view name, std::string_view caseworker, int depth,
                    std::vector<Target>& out) const {
  if (depth > 8) return;  // groups naming each other in a circle
  const auto add = [&](Target target) {
    if (std::find(out.begin(), out.end(), target) == out.end()) out.push_back(std::move(target));
  };
  if (name == "managers") {
    for (const auto& manager : settings_.notifications.managers) {
      expand(manager, caseworker, depth + 1, out);
    }
    return;
  }
  if (name == "caseworker") {
    if (isAddress(caseworker)) expand(caseworker, {}, depth + 1, out);
    return;
  }
  for (const auto& group : settings_.notifications.groups) {
    if (group.name == name) {
      for (const auto& member : group.members) expand(member, caseworker, depth + 1, out);
      return;
    }
  }
  if (const auto* named = channel(name)) {
    if (named->kind != Kind::kSmtp) add({named->name, "", named->kind});
    return;
  }
  if (isAddress(name)) {
    const auto* mail = channel(email_channel_);
    add({email_channel_, std::string(name), mail ? mail->kind : Kind::kFile});
  }
}

std::vector<Target> Router::resolve(std::span<const std::string> recipients,
                                    std::string_view caseworker) const {
  std::vector<Target> targets;
  for (const auto& recipient : recipients) expand(recipient, caseworker, 0, targets);
  return targets;
}

}  // namespace cohortwatch::channels
