#include "channels/tracking_sheet.h"

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

#include "channels/alert_messages.h"
#include "rules/review_list.h"

namespace cohortwatch::channels {

namespace {

using reports::SheetCell;
using reports::SheetColumnKind;

struct KeyedColumn {
  const char* key;
  SheetColumnKind kind;
  double width;
};

// The contract with connectors/action_import.h: headers are these keys, in this order.
const std::vector<KeyedColumn>& keyedColumns() {
  static const std::vector<KeyedColumn> columns = {
      {"person_id", SheetColumnKind::kText, 12},
      {"child", SheetColumnKind::kText, 24},
      {"cohort", SheetColumnKind::kText, 9},
      {"index_date", SheetColumnKind::kDate, 12},
      {"index_outcome", SheetColumnKind::kText, 20},
      {"follow_up_start", SheetColumnKind::kDate, 12},
      {"follow_up_end", SheetColumnKind::kDate, 12},
      {"proven_reoffences", SheetColumnKind::kInteger, 10},
      {"pending_offences", SheetColumnKind::kInteger, 10},
      {"focus_groups", SheetColumnKind::kText, 28},
      {"priority", SheetColumnKind::kDecimal, 9},
      {"reasons", SheetColumnKind::kText, 50},
      {"action_id", SheetColumnKind::kInteger, 9},
      {"action", SheetColumnKind::kText, 40},
      {"action_owner", SheetColumnKind::kText, 28},
      {"action_due", SheetColumnKind::kDate, 12},
      {"action_status", SheetColumnKind::kText, 12},
      {"action_notes", SheetColumnKind::kText, 30},
      {"reviewed_on", SheetColumnKind::kDate, 12},
  };
  return columns;
}

std::string focusGroupNames(const rules::MemberFocus& focus, const config::Settings& settings) {
  std::string names;
  for (auto id : focus.groups) {
    const auto group = std::find_if(settings.focus_groups.begin(), settings.focus_groups.end(),
                                    [&](const auto& g) { return g.id == id; });
    names += (names.empty() ? "" : ", ") +
             (group != settings.focus_groups.end() ? group->name : std::string(id));
  }
  return names;
}

std::vector<SheetCell> memberCells(const rules::MemberFacts& member, const rules::ReviewItem& item,
                                   const std::string& child, const std::string& focus_groups) {
  return {std::string(member.person_id),
          child,
          std::string(member.cohort_name),
          member.index_date,
          std::string(member.index_outcome_type),
          member.follow_up.first_day,
          member.follow_up.last_day,
          static_cast<double>(member.proven_reoffences),
          static_cast<double>(member.pending_offences),
          focus_groups,
          item.priority,
          rules::joinReasons(item.reasons)};
}

void addActionCells(std::vector<SheetCell>& row, const tracking::Action& action) {
  row.emplace_back(static_cast<double>(action.id));
  row.emplace_back(action.description);
  row.emplace_back(action.owner);
  row.emplace_back(action.due_on ? SheetCell{*action.due_on} : SheetCell{});
  row.emplace_back(action.status);
  row.emplace_back(action.notes);
}

}  // namespace

reports::Worksheet trackingSheet(const TrackingSheetInputs& in,
                                 const std::optional<tracking::Quarter>& cohort) {
  reports::Worksheet sheet;
  sheet.name = "Tracking sheet";
  for (const auto& column : keyedColumns())
    sheet.columns.push_back({column.key, column.kind, column.width});

  const rules::ReviewList review(in.table, in.focus, in.settings);
  std::vector<rules::ReviewItem> items;
  if (cohort) {
    const std::string name = cohort->name();
    for (std::size_t row = 0; row < in.table.members.size(); ++row) {
      if (in.table.members[row].cohort_name == name) items.push_back(review.assess(row, in.alerts));
    }
  } else {
    for (const auto& [person_id, row] : review.latest())
      items.push_back(review.assess(row, in.alerts));
  }
  std::sort(items.begin(), items.end(), [&](const auto& a, const auto& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    const auto& left = in.table.members[a.row];
    const auto& right = in.table.members[b.row];
    return left.person_id != right.person_id ? left.person_id < right.person_id
                                             : left.index_date < right.index_date;
  });

  std::unordered_map<std::string_view, const tracking::PersonDetails*> people;
  for (const auto& person : in.people) people.emplace(person.person_id, &person);
  std::map<std::string_view, std::vector<const tracking::Action*>> actions;  // store order kept
  for (const auto& action : in.open_actions) {
    if (action.status == "open") actions[action.person_id].push_back(&action);
  }

  for (const auto& item : items) {
    const auto& member = in.table.members[item.row];
    const auto person = people.find(member.person_id);
    const std::string child = person != people.end()
                                  ? identifyChild(in.settings.privacy.identify_by, *person->second)
                                  : std::string(member.person_id);
    const auto cells =
        memberCells(member, item, child, focusGroupNames(in.focus[item.row], in.settings));
    const auto open = actions.find(member.person_id);
    if (open == actions.end()) {
      sheet.rows.push_back(cells);
      continue;
    }
    for (const auto* action : open->second) {
      auto row = cells;
      addActionCells(row, *action);
      sheet.rows.push_back(std::move(row));
    }
  }
  return sheet;
}

}  // namespace cohortwatch::channels
