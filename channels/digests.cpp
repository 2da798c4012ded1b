#include "channels/digests.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "channels/alert_messages.h"
#include "reports/table.h"
#include "rules/review_list.h"

namespace cohortwatch::channels {

namespace {

namespace mustache = kainjow::mustache;

constexpr int kReviewListInBody = 50;
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

using rules::ReviewItem;

// What every document needs: the people by id and the review list.
class Context {
 public:
  explicit Context(const DigestInputs& inputs)
      : in(inputs), review(inputs.table, inputs.focus, inputs.settings) {
    for (const auto& person : in.people) people.emplace(person.person_id, &person);
  }

  std::string child(std::string_view person_id, config::IdentifyBy identify) const {
    auto it = people.find(person_id);
    if (it == people.end()) return std::string(person_id);
    return identifyChild(identify, *it->second);
  }

  const std::map<std::string_view, std::size_t>& latest() const { return review.latest(); }

  const DigestInputs& in;
  rules::ReviewList review;
  std::unordered_map<std::string_view, const tracking::PersonDetails*> people;
};

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

std::string reviewCsv(const Context& context, const std::vector<ReviewItem>& list,
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
        rules::joinReasons(item.reasons)};
    for (std::size_t i = 0; i < cells.size(); ++i) {
      csv += (i ? "," : "") + reports::csvField(safeCell(cells[i]));
    }
    csv += "\r\n";
  }
  return csv;
}

mustache::data reviewRows(const Context& context, const std::vector<ReviewItem>& list,
                          config::IdentifyBy identify, std::size_t limit) {
  mustache::data rows{mustache::data::type::list};
  for (std::size_t i = 0; i < list.size() && i < limit; ++i) {
    const auto& member = context.in.table.members[list[i].row];
    mustache::data row;
    row.set("rank", std::to_string(i + 1));
    row.set("child", context.child(member.person_id, identify));
    row.set("cohort", std::string(member.cohort_name));
    row.set("priority", fmt::format("{:.1f}", list[i].priority));
    row.set("reasons", rules::joinReasons(list[i].reasons));
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
  const auto list = context.review.build(in.alerts);

  mustache::data entrants{mustache::data::type::list};
  long entrant_count = 0;
  const tracking::Date since = in.previous.value_or(in.table.as_of.addDays(-7));
  for (const auto& [person_id, row] : context.latest()) {
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
    auto it = context.latest().find(alert.person_id);
    if (it != context.latest().end() && in.table.members[it->second].caseworker == caseworker) {
      own.push_back(alert);
    }
  }
  auto flagged = context.review.build(own, caseworker);
  std::erase_if(flagged, [&](const ReviewItem& item) {
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
  data.set("flagged", reviewRows(context, flagged, identify, flagged.size()));
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
