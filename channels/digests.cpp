#include "channels/digests.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "channels/alert_messages.h"
#include "reports/cohort_reports.h"
#include "reports/table.h"
#include "reports/xlsx_writer.h"
#include "rules/review_list.h"

namespace cohortwatch::channels {

namespace {

namespace mustache = kainjow::mustache;

constexpr int kReviewListInBody = 50;
constexpr int kReminderDays = 7;

mustache::data flag(bool value) {
  return value ? mustache::data::type::bool_true : mustache::data::type::bool_false;
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


double ratePercent(long reoffenders, long members) {
  return members > 0 ? 100.0 * static_cast<double>(reoffenders) / static_cast<double>(members) : 0.0;
}

// "3 new reoffenders", "1 new member", "2 fewer members" (after a correction at the source).
std::string countChange(long change, std::string_view singular, std::string_view plural) {
  const long size = change < 0 ? -change : change;
  return fmt::format("{} {} {}", size, change < 0 ? "fewer" : "new", size == 1 ? singular : plural);
}

// What changed in a cohort since the last digest, in words.
std::string changeSince(const tracking::CohortFigures& now, const tracking::DigestSnapshot* last) {
  if (last == nullptr) return "first digest";
  const auto then = std::find_if(last->cohorts.begin(), last->cohorts.end(),
                                 [&](const auto& figures) { return figures.cohort == now.cohort; });
  if (then == last->cohorts.end()) return "not in the last digest";
  const long reoffenders = now.reoffenders - then->reoffenders;
  const long members = now.members - then->members;
  const double points =
      ratePercent(now.reoffenders, now.members) - ratePercent(then->reoffenders, then->members);
  if (reoffenders == 0 && members == 0 && now.reoffences == then->reoffences) return "no change";
  return fmt::format("{:+.1f} pp, {}, {}", points, countChange(reoffenders, "reoffender", "reoffenders"),
                     countChange(members, "member", "members"));
}

// The cohorts being tracked (recruiting, following up or waiting), each with its live binary
// rate, the national average and the change since the last digest; `figures` receives them.
mustache::data cohortSummary(const DigestInputs& in, std::vector<tracking::CohortFigures>& figures) {
  std::map<std::string, std::pair<tracking::CohortFigures, std::string>> cohorts;  // and status
  for (const auto& member : in.table.members) {
    if (member.cohort_status == tracking::CohortStatus::kComplete ||
        member.cohort_status == tracking::CohortStatus::kNotStarted) {
      continue;
    }
    auto& [tally, status] = cohorts[std::string(member.cohort_name)];
    ++tally.members;
    if (member.reoffended()) ++tally.reoffenders;
    tally.reoffences += member.proven_reoffences;
    status = std::string(tracking::toString(member.cohort_status));
  }
  mustache::data list{mustache::data::type::list};
  for (auto& [name, entry] : cohorts) {
    auto& [tally, status] = entry;
    tally.cohort = name;
    mustache::data row;
    row.set("cohort", name);
    row.set("status", status);
    row.set("members", std::to_string(tally.members));
    row.set("members_phrase", fmt::format("{} {}", tally.members, tally.members == 1 ? "child" : "children"));
    row.set("reoffenders", std::to_string(tally.reoffenders));
    row.set("rate", fmt::format("{:.1f}%", ratePercent(tally.reoffenders, tally.members)));
    const auto quarter = tracking::Quarter::parse(name);
    const auto* national =
        quarter ? reports::nationalAverageFor(in.settings.national, *quarter) : nullptr;
    row.set("national", national ? fmt::format("{:.1f}%", national->binary_rate) : std::string("not configured"));
    row.set("change", changeSince(tally, in.last_digest));
    list.push_back(row);
    figures.push_back(tally);
  }
  return list;
}

// The data-quality warnings of the running cohorts, counted by kind, in words. Warnings about
// codes and index events under the minimum age (whose child is in no cohort) always count.
struct WarningCounts {
  mustache::data lines{mustache::data::type::list};
  long asking_for_action = 0;  // all but children turning 18
};

mustache::data line(std::string text) {
  mustache::data item;
  item.set("line", std::move(text));
  return item;
}

// The lines of the data-quality section (one list, so that the templates need no sections that
// can be skipped: kainjow leaves a blank line for a skipped section after a shown one).
WarningCounts warningCounts(const Context& context) {
  using tracking::WarningKind;
  std::map<WarningKind, long> counts;
  for (const auto& warning : context.in.warnings) {
    const bool running = context.latest().contains(warning.person_id);
    if (warning.kind == WarningKind::kUnknownOutcomeType ||
        warning.kind == WarningKind::kUnderAgeIndexEvent || running) {
      ++counts[warning.kind];
    }
  }
  const auto words = [](WarningKind kind) -> std::string_view {
    switch (kind) {
      case WarningKind::kUnderAgeIndexEvent: return "index event(s) under the minimum age (a data error)";
      case WarningKind::kOffenceWithoutOutcome: return "offence(s) still without an outcome long after the offence";
      case WarningKind::kUnknownOutcomeType: return "outcome type(s) stored but not in the methodology table";
      case WarningKind::kTurns18InFollowUp:
        return "child(ren) turning 18 during follow-up (later offending may be missing from youth records)";
    }
    return "other warning(s)";
  };
  WarningCounts result;
  for (const auto& [kind, count] : counts) {
    result.lines.push_back(line(fmt::format("{} {}", count, words(kind))));
    if (kind != WarningKind::kTurns18InFollowUp) result.asking_for_action += count;
  }
  if (context.in.rejected_pending > 0) {
    result.lines.push_back(
        line(fmt::format("{} rejected row(s) waiting for review", context.in.rejected_pending)));
  }
  if (result.lines.is_empty_list()) result.lines.push_back(line("No warnings."));
  return result;
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
      csv += (i ? "," : "") + reports::csvField(reports::neutraliseFormula(cells[i]));
    }
    csv += "\r\n";
  }
  return csv;
}

// The review list as a workbook: the CSV's columns, numbers as numbers and dates as dates.
reports::Worksheet reviewWorksheet(const Context& context, const std::vector<ReviewItem>& list,
                                   config::IdentifyBy identify) {
  using Kind = reports::SheetColumnKind;
  reports::Worksheet sheet{"Review list",
                           {{"rank", Kind::kInteger, 6},
                            {"child", Kind::kText, 24},
                            {"cohort", Kind::kText, 9},
                            {"priority", Kind::kDecimal, 9},
                            {"index_date", Kind::kDate, 12},
                            {"follow_up_end", Kind::kDate, 12},
                            {"pending_offences", Kind::kInteger, 10},
                            {"proven_reoffences", Kind::kInteger, 10},
                            {"caseworker", Kind::kText, 28},
                            {"reasons", Kind::kText, 60}},
                           {}};
  for (const auto& item : list) {
    const auto& member = context.in.table.members[item.row];
    sheet.rows.push_back({static_cast<double>(sheet.rows.size() + 1),
                          context.child(member.person_id, identify),
                          std::string(member.cohort_name), item.priority, member.index_date,
                          member.follow_up.last_day, static_cast<double>(member.pending_offences),
                          static_cast<double>(member.proven_reoffences),
                          std::string(member.caseworker), rules::joinReasons(item.reasons)});
  }
  return sheet;
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
  const auto list = context.review.build(in.alerts, {}, in.events);

  mustache::data entrants{mustache::data::type::list};
  long entrant_count = 0;
  // Since the last digest: the later of the schedule's last slot and its last queued digest.
  tracking::Date since = in.previous.value_or(in.table.as_of.addDays(-7));
  if (in.last_digest && (!in.previous || *in.previous < in.last_digest->as_of)) {
    since = in.last_digest->as_of;
  }
  // An index event imported only now (a late export) is new to managers too, whatever its
  // date: it has a cohort_entry event among those since the last digest.
  std::set<std::pair<std::string_view, std::string_view>> entered;  // person, index date
  for (const auto& event : in.events) {
    if (event.kind == "cohort_entry") entered.emplace(event.person_id, event.occurred_on);
  }
  for (const auto& [person_id, row] : context.latest()) {
    const auto& member = in.table.members[row];
    const std::string index_date = member.index_date.toString();
    if (member.index_date <= since && !entered.contains({person_id, index_date})) continue;
    mustache::data item;
    item.set("child", context.child(person_id, identify));
    item.set("cohort", std::string(member.cohort_name));
    item.set("index_date", index_date);
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

  std::vector<tracking::CohortFigures> figures;
  const auto warnings = warningCounts(context);

  mustache::data data;
  data.set("title", in.title);
  data.set("as_of", in.table.as_of.toString());
  data.set("since", since.toString());
  data.set("cohorts", cohortSummary(in, figures));
  data.set("last_digest", in.last_digest ? in.last_digest->as_of.toString() : std::string());
  data.set("has_last_digest", flag(in.last_digest != nullptr));
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
  data.set("data_quality", warnings.lines);

  Digest digest;
  digest.email = render(templates, "digest", data);
  digest.children = static_cast<long>(list.size());
  digest.figures = std::move(figures);
  digest.empty = list.empty() && entrant_count == 0 && by_owner.empty() &&
                 warnings.asking_for_action == 0 && in.rejected_pending == 0;
  if (!list.empty()) {
    digest.email.attachments.push_back(
        {"review-list-" + in.table.as_of.toString() + ".csv", "text/csv", reviewCsv(context, list, identify), ""});
    // The workbook is a convenience beside the CSV: a digest is not lost for want of it.
    try {
      digest.email.attachments.push_back(
          {"review-list-" + in.table.as_of.toString() + ".xlsx",
           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           reports::xlsxBytes(reviewWorksheet(context, list, identify)), ""});
    } catch (const reports::XlsxError& e) {
      spdlog::warn("digest {}: review list not attached as XLSX: {}", in.title, e.what());
    }
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

}  // namespace cohortwatch::channels
