#include "channels/alert_messages.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace cohortwatch::channels {

namespace {

namespace mustache = kainjow::mustache;

std::string initialOf(const std::string& name) {
  if (name.empty()) return {};
  // The first UTF-8 character, whole.
  std::size_t length = 1;
  const auto lead = static_cast<unsigned char>(name[0]);
  if (lead >= 0xF0) length = 4;
  else if (lead >= 0xE0) length = 3;
  else if (lead >= 0xC0) length = 2;
  return name.substr(0, std::min(length, name.size())) + ".";
}

std::string severityLabel(std::string_view severity) {
  if (severity == "high") return "High";
  if (severity == "low") return "Low";
  return "Medium";
}

std::string valueText(const nlohmann::json& value) {
  if (value.is_null()) return "not recorded";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (value.is_array()) {
    std::string joined;
    for (const auto& item : value) {
      if (!joined.empty()) joined += ", ";
      joined += item.is_string() ? item.get<std::string>() : item.dump();
    }
    return joined.empty() ? "none" : joined;
  }
  return value.dump();
}

// Attributes whose new value a message may state; names and dates of birth never.
bool isShareable(std::string_view field) {
  return field == "looked_after" || field == "team" || field == "caseworker";
}

struct View {
  std::string title;
  std::string summary;
  std::string child;
  std::string focus;
  std::vector<std::pair<std::string, std::string>> reasons;
  nlohmann::json reasons_json;
  nlohmann::json focus_json;
};

View viewOf(const AlertContent& content, config::IdentifyBy identify) {
  View view;
  view.title = content.decision.rule->name;
  view.summary = eventSummary(content.decision, content.member);
  view.child = identifyChild(identify, content.person);
  const auto reasons = nlohmann::json::parse(content.alert.reasons, nullptr, false);
  view.reasons_json = nlohmann::json::object();
  view.focus_json = nlohmann::json::array();
  if (reasons.is_object()) {
    if (reasons.contains("values") && reasons["values"].is_object()) {
      for (const auto& [field, value] : reasons["values"].items()) {
        if (field == "event.old" || field == "event.new") continue;  // may be personal
        view.reasons.emplace_back(field, valueText(value));
        view.reasons_json[field] = value;
      }
    }
    if (reasons.contains("focus") && reasons["focus"].is_array() && !reasons["focus"].empty()) {
      view.focus_json = reasons["focus"];
      view.focus = valueText(reasons["focus"]);
    }
  }
  return view;
}

mustache::data templateData(const AlertContent& content, const View& view) {
  mustache::data data;
  data.set("rule_id", content.decision.rule->id);
  data.set("rule_name", view.title);
  data.set("severity", content.alert.severity);
  data.set("severity_label", severityLabel(content.alert.severity));
  data.set("child", view.child);
  data.set("person_id", content.person.person_id);
  data.set("cohort", std::string(content.member.cohort_name));
  data.set("index_date", content.member.index_date.toString());
  data.set("follow_up_end", content.member.follow_up.last_day.toString());
  data.set("event_summary", view.summary);
  data.set("fired_on", content.alert.fired_on.toString());
  data.set("condition", content.decision.rule->when.text);
  data.set("proven_reoffences", std::to_string(content.member.proven_reoffences));
  data.set("pending_offences", std::to_string(content.member.pending_offences));
  data.set("has_focus", view.focus.empty() ? mustache::data::type::bool_false
                                           : mustache::data::type::bool_true);
  data.set("focus", view.focus);
  mustache::data reasons{mustache::data::type::list};
  for (const auto& [field, value] : view.reasons) {
    mustache::data item;
    item.set("field", field);
    item.set("value", value);
    reasons.push_back(item);
  }
  data.set("has_reasons", view.reasons.empty() ? mustache::data::type::bool_false
                                               : mustache::data::type::bool_true);
  data.set("reasons", reasons);
  return data;
}

std::string themeColour(std::string_view severity) {
  if (severity == "high") return "C4262E";
  if (severity == "low") return "6B6B6B";
  return "E8A317";
}

}  // namespace

std::string identifyChild(config::IdentifyBy identify, const tracking::PersonDetails& person) {
  const bool named = !person.first_name.empty() || !person.last_name.empty();
  switch (identify) {
    case config::IdentifyBy::kId: return person.person_id;
    case config::IdentifyBy::kInitials:
      if (!named) return person.person_id;
      return fmt::format("{}{} ({})", initialOf(person.first_name), initialOf(person.last_name),
                         person.person_id);
    case config::IdentifyBy::kFullName: {
      if (!named) return person.person_id;
      std::string name = person.first_name;
      if (!person.last_name.empty()) name += (name.empty() ? "" : " ") + person.last_name;
      return fmt::format("{} ({})", name, person.person_id);
    }
  }
  return person.person_id;
}

std::string eventSummary(const rules::AlertDecision& decision, const rules::MemberFacts& member) {
  const auto reasons = nlohmann::json::parse(decision.reasons, nullptr, false);
  nlohmann::json event = reasons.is_object() && reasons.contains("event") ? reasons["event"]
                                                                          : nlohmann::json::object();
  const auto text = [&](const char* key) {
    return event.contains(key) && event[key].is_string() ? event[key].get<std::string>()
                                                         : std::string();
  };
  const std::string& kind = decision.event_kind;
  const std::string date = decision.event_date.toString();
  if (kind == "cohort_entry") {
    return fmt::format("Entered the {} cohort ({} on {})", member.cohort_name,
                       text("outcome_type"), date);
  }
  if (kind == "offence_recorded") {
    const bool in_follow_up = event.value("in_follow_up", false);
    return fmt::format("New offence recorded, committed {}, {}", text("offence_date").empty() ? date : text("offence_date"),
                       in_follow_up ? "inside the follow-up period" : "outside any follow-up period");
  }
  if (kind == "offence_proven") {
    return fmt::format("Offence proven by {} on {}{}", text("outcome_type"), date,
                       event.value("in_follow_up", false) ? ": a proven reoffence" : "");
  }
  if (kind == "person_changed") {
    const std::string field = text("field");
    if (isShareable(field)) {
      return fmt::format("Circumstances changed: {} updated on {}", field, date);
    }
    return fmt::format("Case record changed: {} updated on {}", field, date);
  }
  if (kind == "follow_up_ending") {
    return fmt::format("Follow-up ends on {} (in {} days)", member.follow_up.last_day.toString(),
                       member.days_to_follow_up_end);
  }
  if (kind == "no_review") return "Not reviewed recently (see days_since_review below)";
  if (kind == "action_due") return fmt::format("An action is due on {}", text("due_on"));
  if (kind == "action_overdue") {
    return fmt::format("An action was due on {} and is still open", text("due_on"));
  }
  return kind;
}

EmailContent AlertMessages::email(const AlertContent& content) const {
  const View view = viewOf(content, privacy_.identify_by);
  const auto data = templateData(content, view);
  EmailContent email;
  email.subject = templates_.render("alert.subject", data);
  while (!email.subject.empty() && (email.subject.back() == '\n' || email.subject.back() == '\r')) {
    email.subject.pop_back();
  }
  email.text = templates_.render("alert.text", data);
  email.html = templates_.render("alert.html", data);
  return email;
}

std::string AlertMessages::webhookPayload(const AlertContent& content,
                                          config::WebhookStyle style) const {
  const View view = viewOf(content, privacy_.webhook_identify_by);
  const std::string& severity = content.alert.severity;
  switch (style) {
    case config::WebhookStyle::kTeams: {
      nlohmann::json facts = nlohmann::json::array(
          {{{"name", "Child"}, {"value", view.child}},
           {{"name", "Cohort"}, {"value", std::string(content.member.cohort_name)}},
           {{"name", "Severity"}, {"value", severityLabel(severity)}}});
      if (!view.focus.empty()) facts.push_back({{"name", "Focus"}, {"value", view.focus}});
      for (const auto& [field, value] : view.reasons) {
        facts.push_back({{"name", field}, {"value", value}});
      }
      return nlohmann::json{{"@type", "MessageCard"},
                            {"@context", "https://schema.org/extensions"},
                            {"summary", view.title},
                            {"themeColor", themeColour(severity)},
                            {"title", view.title},
                            {"sections", nlohmann::json::array(
                                             {{{"text", view.summary}, {"facts", facts}}})}}
          .dump();
    }
    case config::WebhookStyle::kSlack: {
      nlohmann::json fields = nlohmann::json::array(
          {{{"type", "mrkdwn"}, {"text", "*Child*\n" + view.child}},
           {{"type", "mrkdwn"}, {"text", "*Cohort*\n" + std::string(content.member.cohort_name)}},
           {{"type", "mrkdwn"}, {"text", "*Severity*\n" + severityLabel(severity)}}});
      if (!view.focus.empty()) fields.push_back({{"type", "mrkdwn"}, {"text", "*Focus*\n" + view.focus}});
      return nlohmann::json{
          {"text", fmt::format("{}: {}", view.title, view.child)},
          {"blocks", nlohmann::json::array(
                         {{{"type", "header"},
                           {"text", {{"type", "plain_text"}, {"text", view.title}}}},
                          {{"type", "section"},
                           {"text", {{"type", "mrkdwn"}, {"text", view.summary}}}},
                          {{"type", "section"}, {"fields", fields}}})}}
          .dump();
    }
    case config::WebhookStyle::kGeneric: break;
  }
  const auto data = templateData(content, view);
  return nlohmann::json{
      {"schema", "cohortwatch.alert.v1"},
      {"alert_id", content.alert.id},
      {"rule", {{"id", content.decision.rule->id}, {"name", view.title}}},
      {"severity", severity},
      {"fired_on", content.alert.fired_on.toString()},
      {"child", view.child},
      {"person_id", content.person.person_id},
      {"cohort", std::string(content.member.cohort_name)},
      {"event",
       {{"kind", content.decision.event_kind},
        {"date", content.decision.event_date.toString()},
        {"summary", view.summary}}},
      {"focus", view.focus_json},
      {"reasons", view.reasons_json},
      {"text", templates_.render("alert.text", data)}}
      .dump();
}

}  // namespace cohortwatch::channels
