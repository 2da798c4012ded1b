// Who receives a message, and through which channel. Recipients in the configuration are
// "managers" (notifications.managers), "caseworker" (the child's own caseworker's address), a
// group (notifications.groups), a channel name (a webhook or file channel: the message goes to
// that channel as such) or an e-mail address (sent through the e-mail channel). The e-mail channel
// is notifications.email_channel, else the first smtp channel, else the first file channel, else
// the built-in spool: a file channel named "spool" writing to notifications.spool_dir (default: a
// "spool" folder beside the database), which is what makes a fresh install work with no server.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"

namespace cohortwatch::channels {

struct Target {
  std::string channel;    // a channel name
  std::string recipient;  // an e-mail address; empty for a webhook or a file channel as such
  config::ChannelSettings::Kind kind = config::ChannelSettings::Kind::kFile;
  bool email() const { return !recipient.empty(); }
  bool operator==(const Target&) const = default;
};

class Router {
 public:
  explicit Router(const config::Settings& settings);

  // The targets of a list of recipients, each once, in the order first reached. A caseworker
  // that is not an e-mail address (none recorded) gives no target.
  std::vector<Target> resolve(std::span<const std::string> recipients,
                              std::string_view caseworker) const;

  // Every channel messages may go through: the configured ones plus the built-in spool when it
  // is in use.
  const std::vector<config::ChannelSettings>& channels() const { return channels_; }
  const config::ChannelSettings* channel(std::string_view name) const;
  const std::string& emailChannel() const { return email_channel_; }

 private:
  void expand(std::string_view name, std::string_view caseworker, int depth,
              std::vector<Target>& out) const;

  const config::Settings& settings_;
  std::vector<config::ChannelSettings> channels_;
  std::string email_channel_;
};

}  // namespace cohortwatch::channels
