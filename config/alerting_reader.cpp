#include "config/alerting_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

namespace cohortwatch::config {

namespace {

bool isIdentifier(std::string_view id) {
  return !id.empty() && !(id.front() >= '0' && id.front() <= '9') &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
         });
}

bool isChannelName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

bool looksLikeAddress(std::string_view text) {
  const auto at = text.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < text.size() &&
         text.find_first_of(" \t<>,;\"") == std::string_view::npos;
}

// A unique id/name among the items of one list: reports a repeat with the line of the first.
class UniqueNames {
 public:
  explicit UniqueNames(std::string_view what) : what_(what) {}
  void check(Reader& reader, const Value& at, const std::string& name) {
    if (auto first = first_line_.find(name); first != first_line_.end()) {
      reader.error(at, fmt::format("duplicate {} \"{}\" (first given on line {})", what_, name,
                                   first->second));
    } else {
      first_line_.emplace(name, at.mark.line + 1);
    }
  }

 private:
  std::string_view what_;
  std::map<std::string, int> first_line_;
};

// A condition kept as text with where it starts, for rules/ to compile and report against.
void readCondition(Reader& reader, const MapReader& map, std::string_view key, ConditionText& out) {
  const Value value = map.get(key);
  if (!value.present) return;
  const auto text = reader.string(value);
  if (!text) return;
  out.text = *text;
  out.file = reader.fileName();
  out.line = value.mark.line + 1;
  // A quoted scalar's mark is its opening quote; the expression starts one column later.
  const bool quoted = value.node.Tag() == "!";
  out.column = value.mark.column + 1 + (quoted ? 1 : 0);
  out.key_path = value.path;
}

std::vector<std::string> readNameList(Reader& reader, const Value& value) {
  std::vector<std::string> names;
  if (value.node.IsScalar()) {  // a single recipient written without brackets
    if (auto name = reader.string(value)) names.push_back(*name);
    return names;
  }
  for (const Value& item : reader.items(value)) {
    if (auto name = reader.string(item)) names.push_back(*name);
  }
  return names;
}

// "14d", "2w", "36h" (rounded up to whole days) or a bare number of days.
std::optional<int> readDays(Reader& reader, const Value& value, int max_days) {
  if (!value.node.IsScalar()) {
    reader.error(value, fmt::format("expected a number of days like 14 or 14d, got {}",
                                    describe(value.node)));
    return std::nullopt;
  }
  const std::string text = value.node.Scalar();
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string unit = text.substr(digits);
  long long number = -1;
  if (digits > 0 && digits <= 6) number = std::stoll(text.substr(0, digits));
  long long days = -1;
  if (number >= 0) {
    if (unit.empty() || unit == "d") days = number;
    if (unit == "w") days = number * 7;
    if (unit == "h") days = (number + 23) / 24;
  }
  if (days < 0 || days > max_days) {
    reader.error(value, fmt::format("expected a number of days from 0 to {} like 14, 14d, 2w or "
                                    "36h, got {}",
                                    max_days, describe(value.node)));
    return std::nullopt;
  }
  return static_cast<int>(days);
}

std::vector<FocusGroupSettings> readFocusGroups(Reader& reader, const Value& value) {
  std::vector<FocusGroupSettings> groups;
  UniqueNames ids("focus group id");
  for (const Value& item : reader.items(value)) {
    MapReader map = reader.map(item, {"id", "name", "when", "weight"});
    if (!map.ok()) continue;
    FocusGroupSettings group;
    if (map.string("id", group.id, Need::kRequired)) {
      if (!isIdentifier(group.id)) {
        reader.error(map.get("id"), fmt::format("expected an id of lower-case letters, digits and _ "
                                                "(not starting with a digit), got \"{}\"",
                                                group.id));
      } else {
        ids.check(reader, map.get("id"), group.id);
      }
    }
    map.string("name", group.name);
    if (group.name.empty()) group.name = group.id;
    if (map.require("when")) readCondition(reader, map, "when", group.when);
    map.number("weight", group.weight, 0.0, 100.0);
    groups.push_back(std::move(group));
  }
  return groups;
}

Choices<AlertTrigger> triggerChoices() {
  Choices<AlertTrigger> choices;
  using T = AlertTrigger;
  for (T trigger : {T::kCohortEntry, T::kOffenceRecorded, T::kOffenceProven, T::kPersonChanged,
                    T::kFollowUpEnding, T::kNoReview, T::kActionDue, T::kActionOverdue}) {
    choices.emplace_back(toString(trigger), trigger);
  }
  return choices;
}

bool needsDays(AlertTrigger trigger) {
  return trigger == AlertTrigger::kFollowUpEnding || trigger == AlertTrigger::kNoReview ||
         trigger == AlertTrigger::kActionDue;
}

std::vector<AlertRuleSettings> readAlerts(Reader& reader, const Value& value) {
  std::vector<AlertRuleSettings> rules;
  UniqueNames ids("alert id");
  for (const Value& item : reader.items(value)) {
    MapReader map = reader.map(item, {"id", "name", "on", "days", "when", "notify", "deliver",
                                      "severity", "realert"});
    if (!map.ok()) continue;
    AlertRuleSettings rule;
    if (map.string("id", rule.id, Need::kRequired)) {
      if (!isIdentifier(rule.id)) {
        reader.error(map.get("id"), fmt::format("expected an id of lower-case letters, digits and _ "
                                                "(not starting with a digit), got \"{}\"",
                                                rule.id));
      } else {
        ids.check(reader, map.get("id"), rule.id);
      }
    }
    map.string("name", rule.name);
    if (rule.name.empty()) rule.name = rule.id;
    const bool has_trigger = map.oneOf("on", rule.on, triggerChoices(), Need::kRequired);
    if (const Value days = map.get("days"); days.present) {
      if (auto read = readDays(reader, days, 3650)) rule.days = *read;
      if (has_trigger && !needsDays(rule.on)) {
        reader.error(days, fmt::format("days: applies to follow_up_ending, no_review and "
                                       "action_due, not to {}",
                                       toString(rule.on)));
      }
    } else if (has_trigger && needsDays(rule.on)) {
      reader.error(item, fmt::format("missing required key 'days' (how many days {})",
                                     rule.on == AlertTrigger::kFollowUpEnding
                                         ? "before the follow-up ends"
                                     : rule.on == AlertTrigger::kNoReview
                                         ? "without a review"
                                         : "before an action is due"));
    }
    readCondition(reader, map, "when", rule.when);
    if (const Value notify = map.get("notify"); notify.present) {
      rule.notify = readNameList(reader, notify);
      if (rule.notify.empty()) reader.error(notify, "expected at least one recipient");
    }
    map.oneOf("deliver", rule.deliver,
              Choices<DeliverWhen>{{"immediately", DeliverWhen::kImmediately},
                                   {"digest", DeliverWhen::kDigest}});
    map.oneOf("severity", rule.severity,
              Choices<Severity>{{"low", Severity::kLow}, {"medium", Severity::kMedium},
                                {"high", Severity::kHigh}});
    if (const Value realert = map.get("realert"); realert.present) {
      if (auto read = readDays(reader, realert, 3650)) rule.realert_days = *read;
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

void readTimeouts(MapReader& map, int& connect_timeout, int& timeout) {
  map.integer("connect_timeout_seconds", connect_timeout, 1, 600);
  map.integer("timeout_seconds", timeout, 1, 3600);
}

void readSmtp(Reader& reader, const Value& value, SmtpChannelSettings& out) {
  if (!value.present) {
    reader.error(value, "missing required section 'smtp' for an smtp channel");
    return;
  }
  MapReader map = reader.map(value, {"url", "require_starttls", "username", "password",
                                     "password_file", "from", "from_name", "reply_to",
                                     "verify_tls", "ca_file", "connect_timeout_seconds",
                                     "timeout_seconds"});
  if (!map.ok()) return;
  if (map.string("url", out.url, Need::kRequired) && out.url.rfind("smtp://", 0) != 0 &&
      out.url.rfind("smtps://", 0) != 0) {
    reader.error(map.get("url"), fmt::format("expected an smtp:// (STARTTLS) or smtps:// URL, "
                                             "got \"{}\"",
                                             out.url));
  }
  map.boolean("require_starttls", out.require_starttls);
  map.string("username", out.username);
  out.password = map.secret("password");
  if (!out.username.empty() && !out.password && !map.has("password") &&
      !map.has("password_file")) {
    reader.error(value, "username: needs password_file: FILE or password: env:NAME");
  }
  if (map.string("from", out.from_address, Need::kRequired) && !looksLikeAddress(out.from_address)) {
    reader.error(map.get("from"), fmt::format("expected an e-mail address, got \"{}\"",
                                              out.from_address));
  }
  map.string("from_name", out.from_name);
  if (map.string("reply_to", out.reply_to) && !looksLikeAddress(out.reply_to)) {
    reader.error(map.get("reply_to"), fmt::format("expected an e-mail address, got \"{}\"",
                                                  out.reply_to));
  }
  map.boolean("verify_tls", out.verify_tls);
  map.readableFile("ca_file", out.ca_file);
  readTimeouts(map, out.connect_timeout_seconds, out.timeout_seconds);
}

void readWebhook(Reader& reader, const Value& value, WebhookChannelSettings& out) {
  if (!value.present) {
    reader.error(value, "missing required section 'webhook' for a webhook channel");
    return;
  }
  MapReader map = reader.map(value, {"url", "style", "secret", "secret_file", "verify_tls",
                                     "ca_file", "connect_timeout_seconds", "timeout_seconds"});
  if (!map.ok()) return;
  if (map.string("url", out.url, Need::kRequired) && out.url.rfind("https://", 0) != 0 &&
      out.url.rfind("http://", 0) != 0) {
    reader.error(map.get("url"), fmt::format("expected an https:// URL, got \"{}\"", out.url));
  }
  map.oneOf("style", out.style,
            Choices<WebhookStyle>{{"generic", WebhookStyle::kGeneric},
                                  {"teams", WebhookStyle::kTeams},
                                  {"slack", WebhookStyle::kSlack}});
  out.secret = map.secret("secret");
  map.boolean("verify_tls", out.verify_tls);
  map.readableFile("ca_file", out.ca_file);
  readTimeouts(map, out.connect_timeout_seconds, out.timeout_seconds);
}

std::vector<ChannelSettings> readChannels(Reader& reader, const Value& value) {
  std::vector<ChannelSettings> channels;
  UniqueNames names("channel name");
  for (const Value& item : reader.items(value)) {
    MapReader map = reader.map(item, {"name", "kind", "smtp", "webhook", "file"});
    if (!map.ok()) continue;
    ChannelSettings channel;
    if (map.string("name", channel.name, Need::kRequired)) {
      if (!isChannelName(channel.name)) {
        reader.error(map.get("name"), fmt::format("expected a name of letters, digits, _ and -, "
                                                  "got \"{}\"",
                                                  channel.name));
      } else {
        names.check(reader, map.get("name"), channel.name);
      }
    }
    using Kind = ChannelSettings::Kind;
    if (map.oneOf("kind", channel.kind,
                  Choices<Kind>{{"smtp", Kind::kSmtp}, {"webhook", Kind::kWebhook}, {"file", Kind::kFile}},
                  Need::kRequired)) {
      for (std::string_view section : {"smtp", "webhook", "file"}) {
        if (section != toString(channel.kind) && map.has(section)) {
          reader.error(map.get(section), fmt::format("a {} section on a {} channel", section,
                                                     toString(channel.kind)));
        }
      }
      if (channel.kind == Kind::kSmtp) readSmtp(reader, map.get("smtp"), channel.smtp);
      if (channel.kind == Kind::kWebhook) readWebhook(reader, map.get("webhook"), channel.webhook);
      if (channel.kind == Kind::kFile) {
        const Value file = map.get("file");
        if (!file.present) {
          reader.error(item, "missing required section 'file' for a file channel");
        } else {
          MapReader file_map = reader.map(file, {"path"});
          file_map.string("path", channel.file.path, Need::kRequired);
        }
      }
    }
    channels.push_back(std::move(channel));
  }
  return channels;
}

void readNotifications(Reader& reader, const Value& value, NotificationSettings& out) {
  MapReader map = reader.map(value, {"email_channel", "managers", "groups", "templates_dir",
                                     "spool_dir", "max_event_age_days", "first_retry_seconds", "max_retry_seconds",
                                     "max_age_hours"});
  if (!map.ok()) return;
  map.string("email_channel", out.email_channel);
  if (const Value managers = map.get("managers"); managers.present) {
    out.managers = readNameList(reader, managers);
  }
  if (const Value groups = map.get("groups"); groups.present) {
    if (!groups.node.IsMap()) {
      reader.error(groups, fmt::format("expected a map of group name -> list of recipients, got {}",
                                       describe(groups.node)));
    } else {
      for (const auto& entry : groups.node) {
        RecipientGroup group;
        group.name = entry.first.Scalar();
        const Value members(entry.second, childPath(groups.path, group.name));
        if (!isChannelName(group.name)) {
          reader.error(members, fmt::format("expected a group name of letters, digits, _ and -, "
                                            "got \"{}\"",
                                            group.name));
        }
        group.members = readNameList(reader, members);
        out.groups.push_back(std::move(group));
      }
    }
  }
  map.string("templates_dir", out.templates_dir);
  map.string("spool_dir", out.spool_dir);
  map.integer("max_event_age_days", out.max_event_age_days, 0, 3650);
  map.integer("first_retry_seconds", out.first_retry_seconds, 1, 86400);
  map.integer("max_retry_seconds", out.max_retry_seconds, 1, 7 * 86400);
  map.integer("max_age_hours", out.max_age_hours, 1, 90 * 24);
  if (out.max_retry_seconds < out.first_retry_seconds) {
    reader.error(map.get("max_retry_seconds"), "max_retry_seconds must not be below "
                                               "first_retry_seconds");
  }
}

// "6h", "90m", "45s", "1d" or a bare number of seconds; nullopt (reported) otherwise.
std::optional<std::chrono::seconds> readDuration(Reader& reader, const Value& value) {
  const std::string text = value.node.IsScalar() ? value.node.Scalar() : std::string();
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string unit = text.substr(digits);
  if (digits > 0 && digits <= 7) {
    const long long number = std::stoll(text.substr(0, digits));
    long long factor = -1;
    if (unit.empty() || unit == "s") factor = 1;
    if (unit == "m") factor = 60;
    if (unit == "h") factor = 3600;
    if (unit == "d") factor = 86400;
    if (factor > 0 && number * factor <= 7 * 86400) return std::chrono::seconds(number * factor);
  }
  reader.error(value, fmt::format("expected a duration up to 7 days like 6h, 90m or 1d, got {}",
                                  describe(value.node)));
  return std::nullopt;
}

std::vector<schedule::ScheduleSettings> readSchedules(Reader& reader, const Value& value) {
  std::vector<schedule::ScheduleSettings> schedules;
  UniqueNames names("schedule name");
  for (const Value& item : reader.items(value)) {
    MapReader map = reader.map(item, {"name", "cron", "zone", "produces", "recipients", "catch_up",
                                      "send_empty"});
    if (!map.ok()) continue;
    schedule::ScheduleSettings entry;
    if (map.string("name", entry.name, Need::kRequired)) {
      if (!isChannelName(entry.name)) {
        reader.error(map.get("name"), fmt::format("expected a name of letters, digits, _ and -, "
                                                  "got \"{}\"",
                                                  entry.name));
      } else {
        names.check(reader, map.get("name"), entry.name);
      }
    }
    map.string("cron", entry.cron, Need::kRequired);
    map.string("zone", entry.zone);
    using P = schedule::Produces;
    Choices<P> produces;
    for (P kind : {P::kManagerDigest, P::kCaseworkerReminders, P::kStrategicReport}) {
      produces.emplace_back(schedule::producesName(kind), kind);
    }
    map.oneOf("produces", entry.produces, produces, Need::kRequired);
    if (const Value recipients = map.get("recipients"); recipients.present) {
      entry.recipients = readNameList(reader, recipients);
    } else if (entry.produces != P::kCaseworkerReminders) {
      entry.recipients = {"managers"};
    }
    if (const Value catch_up = map.get("catch_up"); catch_up.present) {
      if (auto duration = readDuration(reader, catch_up)) entry.catch_up = *duration;
    }
    map.boolean("send_empty", entry.send_empty);
    // The cron text, the zone and the rest, checked by the schedule component itself.
    if (!reader.hasErrors()) {
      for (const auto& problem : schedule::validateSchedule(entry)) {
        const bool about_zone = problem.rfind("zone", 0) == 0;
        const Value at = map.get(about_zone ? "zone" : "cron");
        reader.error(at.present ? at : item, problem);
      }
    }
    schedules.push_back(std::move(entry));
  }
  return schedules;
}

// Every recipient must be "managers", "caseworker", a group, a channel or an e-mail address.
void checkRecipients(Reader& reader, const Value& root, const Settings& settings) {
  std::set<std::string> known = {"managers", "caseworker"};
  for (const auto& group : settings.notifications.groups) known.insert(group.name);
  for (const auto& channel : settings.channels) known.insert(channel.name);
  auto check = [&](const Value& at, const std::string& name, bool allow_special) {
    if (looksLikeAddress(name)) return;
    if (!allow_special && (name == "managers" || name == "caseworker")) {
      reader.error(at, fmt::format("\"{}\" cannot be used here: give addresses, groups or "
                                   "channels",
                                   name));
      return;
    }
    if (known.count(name) == 0) {
      reader.error(at, fmt::format("unknown recipient \"{}\": expected managers, caseworker, a "
                                   "group under notifications.groups, a channel name or an "
                                   "e-mail address",
                                   name));
    }
  };
  // Only called on a file without errors, so items() reports nothing new here.
  const std::vector<Value> alert_items = reader.items(lookup(root, "alerts"));
  for (std::size_t i = 0; i < settings.alerts.size() && i < alert_items.size(); ++i) {
    for (const auto& name : settings.alerts[i].notify) {
      check(lookup(alert_items[i], "notify"), name, true);
    }
  }
  const Value notifications = lookup(root, "notifications");
  for (const auto& name : settings.notifications.managers) {
    check(lookup(notifications, "managers"), name, false);
  }
  for (const auto& group : settings.notifications.groups) {
    for (const auto& name : group.members) {
      check(lookup(lookup(notifications, "groups"), group.name), name, false);
    }
  }
  const std::vector<Value> schedule_items = reader.items(lookup(root, "schedules"));
  for (std::size_t i = 0; i < settings.schedules.size() && i < schedule_items.size(); ++i) {
    for (const auto& name : settings.schedules[i].recipients) {
      const Value at = lookup(schedule_items[i], "recipients");
      if (name == "caseworker") {
        reader.error(at, "\"caseworker\" cannot be used here: a schedule is not about one child "
                         "(caseworker_reminders go to each caseworker by themselves)");
        continue;
      }
      check(at, name, true);
    }
  }
  if (!settings.notifications.email_channel.empty()) {
    const auto it = std::find_if(settings.channels.begin(), settings.channels.end(),
                                 [&](const ChannelSettings& c) {
                                   return c.name == settings.notifications.email_channel;
                                 });
    if (it == settings.channels.end() || it->kind == ChannelSettings::Kind::kWebhook) {
      reader.error(lookup(notifications, "email_channel"),
                   fmt::format("expected the name of an smtp or file channel under channels:, "
                               "got \"{}\"",
                               settings.notifications.email_channel));
    }
  }
}

}  // namespace

void readAlerting(Reader& reader, const Value& root, Settings& out) {
  if (const Value groups = lookup(root, "focus_groups"); groups.present) {
    out.focus_groups = readFocusGroups(reader, groups);
  }
  if (const Value alerts = lookup(root, "alerts"); alerts.present) {
    out.alerts = readAlerts(reader, alerts);
  }
  if (const Value channels = lookup(root, "channels"); channels.present) {
    out.channels = readChannels(reader, channels);
  }
  readNotifications(reader, lookup(root, "notifications"), out.notifications);
  if (const Value schedules = lookup(root, "schedules"); schedules.present) {
    out.schedules = readSchedules(reader, schedules);
  }
  if (!reader.hasErrors()) checkRecipients(reader, root, out);
}

}  // namespace cohortwatch::config
