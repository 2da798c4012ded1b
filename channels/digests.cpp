#include "channels/digests.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "channels/alert_messages.h"
#include "reports/table.h"

namespace cohortwatch::channels {

namespace {

namespace mustache = kainjow::mustache;

constexpr int kReviewListInBody = 50;
constexpr int kFollowUpEndingDays = 28;
constexpr int kNotReviewedDays = 42;
constexpr int kReminderDays = 7;

mustache::data flag(bool value) {
  return value ? mustache::data::type::bool_true : mustache::data::type::bool_false;
}

// A spreadsheet would run a cell that starts like a formula: neutralise it (no formula injection).
std::string safeCell(const std::string& text) {
  if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@')) {
    return "'" + text;
  }
  return text;
}

struct Reviewed {
  std::size_t row = 0;
  double priority = 0.0;
  std::vector<std::string> reasons;
};

class Context {
 public:
  explicit Context(const DigestInputs& inputs) : in(inputs) {
    for (const auto& person : in.people) people.emplace(person.person_id, &person);
    for (const auto& group : in.settings.focus_groups) group_names.emplace(group.id, group.name);
    for (const auto& rule : in.settings.alerts) rule_names.emplace(rule.id, &rule);
    for (std::size_t i = 0; i < in.table.members.size(); ++i) {
      const auto& member = in.table.members[i];
      if (member.cohort_status == tracking::CohortStatus::kComplete) continue;
      // A child's latest running membership stands for the child on the lists.
      latest[member.person_id] = i;
    }
  }

  std::string child(std::string_view person_id, config::IdentifyBy identify) const {
    auto it = people.find(person_id);
    if (it == people.end()) return std::string(person_id);
    return identifyChild(identify, *it->second);
  }

  // The review list: children in a focus group or alerted about, by priority.
  std::vector<Reviewed> reviewList(std::string_view only_caseworker = {}) const {
    std::map<std::size_t, Reviewed> rows;
    const auto entry = [&](std::size_t row) -> Reviewed& {
      auto& item = rows[row];
      item.row = row;
      return item;
    };
    for (const auto& [person_id, row] : latest) {
      const auto& focus = in.focus[row];
      if (focus.groups.empty()) continue;
      auto& item = entry(row);
      item.priority += focus.weight;
      std::string groups;
      for (auto id : focus.groups) {
        auto name = group_names.find(std::string(id));
        groups += (groups.empty() ? "" : ", ") + (name != group_names.end() ? name->second : std::string(id));
      }
      item.reasons.push_back("focus: " + groups);
    }
    for (const auto& alert : in.alerts) {
      auto it = latest.find(alert.person_id);
      if (it == latest.end()) continue;
      auto& item = entry(it->second);
      auto rule = rule_names.find(alert.rule_id);
      const double weight = rule != rule_names.end() ? rules::severityWeight(rule->second->severity) : 1.0;
      item.priority += weight;
      item.reasons.push_back(fmt::format("{} ({})", rule != rule_names.end() ? rule->second->name : alert.rule_id,
                                         alert.fired_on.toString()));
    }
    std::vector<Reviewed> list;
    for (auto& [row, item] : rows) {
      const auto& member = in.table.members[row];
      if (!only_caseworker.empty() && member.caseworker != only_caseworker) continue;
      if (member.pending_offences > 0) {
        item.reasons.push_back(fmt::format("{} pending offence(s)", member.pending_offences));
      }
      if (member.days_to_follow_up_end >= 0 && member.days_to_follow_up_end <= kFollowUpEndingDays) {
        item.reasons.push_back(fmt::format("follow-up ends {}", member.follow_up.last_day.toString()));
      }
      const int since_review = member.last_review ? member.last_review->daysUntil(in.table.as_of)
                                                  : member.days_since_index;
      if (since_review >= kNotReviewedDays) {
        item.reasons.push_back(member.last_review
                                   ? fmt::format("not reviewed for {} days", since_review)
                                   : fmt::format("never reviewed ({} days in the cohort)", since_review));
      }
      list.push_back(std::move(item));
    }
    std::stable_sort(list.begin(), list.end(), [&](const Reviewed& a, const Reviewed& b) {
      if (a.priority != b.priority) return a.priority > b.priority;
      return in.table.members[a.row].person_id < in.table.members[b.row].person_id;
    });
    return list;
  }

  const DigestInputs& in;
  std::unordered_map<std::string_view, const tracking::PersonDetails*> people;
  std::map<std::string, std::string> group_names;
  std::map<std::string, const config::AlertRuleSettings*> rule_names;
  std::map<std::string_view, std::size_t> latest;  // person -> latest running membership
};

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : "; ") + item;
  return text;
}

const config::NationalAverage* nationalFor(const config::Settings& settings, const std::string& quarter) {
  for (const auto& average : settings.national) {
    if (average.period == quarter) return &average;
  }
  return nullptr;
}

mustache::data cohortSummary(const DigestInputs& in) {
  struct Tally {
    long members = 0, reoffenders = 0;
    std::string status;
  };
  std::map<std::string, Tally> cohorts;
  for (const auto& member : in.table.members) {
    if (member.cohort_status == tracking::CohortStatus::kComplete ||
        member.cohort_status == tracking::CohortStatus::kNotStarted) {
      continue;
    }
    auto& tally = cohorts[std::string(member.cohort_name)];
    ++tally.members;
    if (member.reoffended()) ++tally.reoffenders;
    tally.status = std::string(tracking::toString(member.cohort_status));
  }
  mustache::data list{mustache::data::type::list};
  for (const auto& [name, tally] : cohorts) {
    const double rate = tally.members > 0 ? 100.0 * static_cast<double>(tally.reoffenders) /
                                                static_cast<double>(tally.members)
                                          : 0.0;
    mustache::data row;
    row.set("cohort", name);
    row.set("status", tally.status);
    row.set("members", std::to_string(tally.members));
    row.set("reoffenders", std::to_string(tally.reoffenders));
    row.set("rate", fmt::format("{:.1f}%", rate));
    const auto* national = nationalFor(in.settings, name);
    row.set("national", national ? fmt::format("{:.1f}%", national->binary_rate) : std::string("not configured"));
    list.push_back(row);
  }
  return list;
}

std::string reviewCsv(const Context& context, const std::vector<Reviewed>& list,
                      config::IdentifyBy identify) {
  std::string csv = "rank,child,cohort,priority,index_date,follow_up_end,pending_offences,"
                    "proven_reoffences,caseworker,reasons\r\n";
  int rank = 0;
  for (const auto& item : list) {
    const auto& member = context.in.table.members[item.row];
    const std::vector<std::string> cells = {
        std::to_string(++rank),
        context.child(member.person_id, identify),
        std::string(member.cohort_name),
        fmt::format("{:.1f}", item.priority),
        member.index_date.toString(),
        member.follow_up.last_day.toString(),
        std::to_string(member.pending_offences),
        std::to_string(member.proven_reoffences),
        std::string(member.caseworker),
        joined(item.reasons)};
    for (std::size_t i = 0; i < cells.size(); ++i) {
      csv += (i ? "," : "") + reports::csvField(safeCell(cells[i]));
    }
    csv += "\r\n";
  }
  return csv;
}

mustache::data reviewRows(const Context& context, const std::vector<Reviewed>& list,
                          config::IdentifyBy identify, std::size_t limit) {
  mustache::data rows{mustache::data::type::list};
  for (std::size_t i = 0; i < list.size() && i < limit; ++i) {
    const auto& member = context.in.table.members[list[i].row];
    mustache::data row;
    row.set("rank", std::to_string(i + 1));
    row.set("child", context.child(member.person_id, identify));
    row.set("cohort", std::string(member.cohort_name));
    row.set("priority", fmt::format("{:.1f}", list[i].priority));
    row.set("reasons", joined(list[i].reasons));
    rows.push_back(row);
  }
  return rows;
}

EmailContent render(const Templates& templates, const std::string& kind, const mustache::data& data) {
  EmailContent email;
  email.subject = templates.render(kind + ".subject", data);
  while (!email.subject.empty() && (email.subject.back() == '\n' || email.subject.back() == '\r')) {
    email.subject.pop_back();
  }
  email.text = templates.render(kind + ".text", data);
  email.html = templates.render(kind + ".html", data);
  return email;
}

}  // namespace

Digest managerDigest(const Templates& templates, const DigestInputs& in) {
  const Context context(in);
  const auto identify = in.settings.privacy.identify_by;
  const auto list = context.reviewList();

  mustache::data entrants{mustache::data::type::list};
  long entrant_count = 0;
  const tracking::Date since = in.previous.value_or(in.table.as_of.addDays(-7));
  for (const auto& [person_id, row] : context.latest) {
    const auto& member = in.table.members[row];
    if (member.index_date <= since) continue;
    mustache::data item;
    item.set("child", context.child(person_id, identify));
    item.set("cohort", std::string(member.cohort_name));
    item.set("index_date", member.index_date.toString());
    item.set("outcome", std::string(member.index_outcome_type));
    entrants.push_back(item);
    ++entrant_count;
  }

  std::map<std::string, std::pair<long, long>> by_owner;  // open, overdue
  mustache::data overdue{mustache::data::type::list};
  for (const auto& action : in.actions) {
    auto& counts = by_owner[action.owner];
    ++counts.first;
    if (action.due_on && *action.due_on < in.table.as_of) {
      ++counts.second;
      mustache::data item;
      item.set("child", context.child(action.person_id, identify));
      item.set("owner", action.owner);
      item.set("due_on", action.due_on->toString());
      overdue.push_back(item);
    }
  }
  mustache::data owners{mustache::data::type::list};
  for (const auto& [owner, counts] : by_owner) {
    mustache::data item;
    item.set("owner", owner);
    item.set("open", std::to_string(counts.first));
    item.set("overdue", std::to_string(counts.second));
    owners.push_back(item);
  }

  mustache::data data;
  data.set("title", in.title);
  data.set("as_of", in.table.as_of.toString());
  data.set("since", since.toString());
  data.set("cohorts", cohortSummary(in));
  data.set("has_review", flag(!list.empty()));
  data.set("review_count", std::to_string(list.size()));
  data.set("review", reviewRows(context, list, identify, kReviewListInBody));
  data.set("has_more", flag(list.size() > static_cast<std::size_t>(kReviewListInBody)));
  data.set("more", std::to_string(list.size() > kReviewListInBody ? list.size() - kReviewListInBody : 0));
  data.set("has_entrants", flag(entrant_count > 0));
  data.set("entrant_count", std::to_string(entrant_count));
  data.set("entrants", entrants);
  data.set("has_actions", flag(!by_owner.empty()));
  data.set("owners", owners);
  data.set("has_overdue", flag(!overdue.is_empty_list()));
  data.set("overdue", overdue);

  Digest digest;
  digest.email = render(templates, "digest", data);
  digest.children = static_cast<long>(list.size());
  digest.empty = list.empty() && entrant_count == 0 && by_owner.empty();
  if (!list.empty()) {
    digest.email.attachments.push_back(
        {"review-list-" + in.table.as_of.toString() + ".csv", "text/csv", reviewCsv(context, list, identify), ""});
  }
  return digest;
}

std::vector<std::string> caseworkersOf(const DigestInputs& in) {
  std::set<std::string> addresses;
  for (const auto& action : in.actions) addresses.insert(action.owner);
  for (const auto& member : in.table.members) {
    if (member.cohort_status != tracking::CohortStatus::kComplete && !member.caseworker.empty()) {
      addresses.insert(std::string(member.caseworker));
    }
  }
  return {addresses.begin(), addresses.end()};
}

Digest caseworkerReminders(const Templates& templates, const DigestInputs& in,
                           const std::string& caseworker) {
  const Context context(in);
  const auto identify = in.settings.privacy.identify_by;
  mustache::data actions{mustache::data::type::list};
  long action_count = 0;
  for (const auto& action : in.actions) {
    if (action.owner != caseworker || !action.due_on) continue;
    const int days = in.table.as_of.daysUntil(*action.due_on);
    if (days > kReminderDays) continue;
    mustache::data item;
    item.set("child", context.child(action.person_id, identify));
    item.set("description", action.description);
    item.set("due_on", action.due_on->toString());
    item.set("when", days < 0 ? fmt::format("overdue by {} day(s)", -days)
                     : days == 0 ? std::string("due today")
                                 : fmt::format("due in {} day(s)", days));
    actions.push_back(item);
    ++action_count;
  }
  // Their own children flagged since the last reminders: alerts about a child whose caseworker
  // they are, nobody else's.
  std::vector<tracking::AlertRecord> own;
  for (const auto& alert : in.alerts) {
    auto it = context.latest.find(alert.person_id);
    if (it != context.latest.end() && in.table.members[it->second].caseworker == caseworker) {
      own.push_back(alert);
    }
  }
  DigestInputs mine = in;
  mine.alerts = own;
  const Context own_context(mine);
  auto flagged = own_context.reviewList(caseworker);
  std::erase_if(flagged, [&](const Reviewed& item) {
    return std::none_of(own.begin(), own.end(), [&](const auto& alert) {
      return alert.person_id == in.table.members[item.row].person_id;
    });
  });

  mustache::data data;
  data.set("title", in.title);
  data.set("as_of", in.table.as_of.toString());
  data.set("caseworker", caseworker);
  data.set("has_actions", flag(action_count > 0));
  data.set("actions", actions);
  data.set("has_flagged", flag(!flagged.empty()));
  data.set("flagged", reviewRows(own_context, flagged, identify, flagged.size()));
  Digest digest;
  digest.email = render(templates, "reminder", data);
  digest.children = static_cast<long>(flagged.size());
  digest.empty = action_count == 0 && flagged.empty();
  return digest;
}

Digest strategicReport(const Templates& templates, const DigestInputs& in) {
  struct Tally {
    long members = 0, reoffenders = 0, reoffences = 0;
    std::string status;
  };
  std::map<std::string, Tally> cohorts;
  for (const auto& member : in.table.members) {
    auto& tally = cohorts[std::string(member.cohort_name)];
    ++tally.members;
    if (member.reoffended()) ++tally.reoffenders;
    tally.reoffences += member.proven_reoffences;
    tally.status = std::string(tracking::toString(member.cohort_status));
  }
  while (cohorts.size() > 8) cohorts.erase(cohorts.begin());
  mustache::data rows{mustache::data::type::list};
  for (const auto& [name, tally] : cohorts) {
    const double rate = tally.members > 0 ? 100.0 * static_cast<double>(tally.reoffenders) /
                                                static_cast<double>(tally.members)
                                          : 0.0;
    mustache::data row;
    row.set("cohort", name);
    row.set("status", tally.status);
    row.set("provisional", flag(tally.status != "complete"));
    row.set("members", std::to_string(tally.members));
    row.set("reoffenders", std::to_string(tally.reoffenders));
    row.set("rate", fmt::format("{:.1f}%", rate));
    row.set("per_reoffender", tally.reoffenders > 0
                                  ? fmt::format("{:.2f}", static_cast<double>(tally.reoffences) /
                                                              static_cast<double>(tally.reoffenders))
                                  : std::string("-"));
    const auto* national = nationalFor(in.settings, name);
    row.set("national", national ? fmt::format("{:.1f}%", national->binary_rate) : std::string("-"));
    row.set("difference", national ? fmt::format("{:+.1f} pp", rate - national->binary_rate) : std::string("-"));
    rows.push_back(row);
  }
  mustache::data data;
  data.set("title", in.title);
  data.set("as_of", in.table.as_of.toString());
  data.set("cohorts", rows);
  Digest digest;
  digest.email = render(templates, "report", data);
  digest.empty = cohorts.empty();
  return digest;
}

}  // namespace cohortwatch::channels
