#include "rules/review_list.h"

#include <fmt/format.h>

#include <algorithm>

namespace cohortwatch::rules {

ReviewList::ReviewList(const MemberTable& table, const std::vector<MemberFocus>& focus,
                       const config::Settings& settings)
    : table_(table), focus_(focus) {
  for (const auto& group : settings.focus_groups) group_names_.emplace(group.id, group.name);
  for (const auto& rule : settings.alerts) rules_.emplace(rule.id, &rule);
  for (std::size_t i = 0; i < table_.members.size(); ++i) {
    const auto& member = table_.members[i];
    if (member.cohort_status == tracking::CohortStatus::kComplete) continue;
    latest_[member.person_id] = i;
  }
}

void ReviewList::addFocus(ReviewItem& item) const {
  const auto& focus = focus_[item.row];
  if (focus.groups.empty()) return;
  item.priority += focus.weight;
  std::string groups;
  for (auto id : focus.groups) {
    auto name = group_names_.find(id);
    groups += (groups.empty() ? "" : ", ") + (name != group_names_.end() ? name->second : std::string(id));
  }
  item.reasons.push_back("focus: " + groups);
}

void ReviewList::addAlert(ReviewItem& item, const tracking::AlertRecord& alert) const {
  auto rule = rules_.find(alert.rule_id);
  item.priority += rule != rules_.end() ? severityWeight(rule->second->severity) : 1.0;
  item.reasons.push_back(fmt::format("{} ({})", rule != rules_.end() ? rule->second->name : alert.rule_id,
                                     alert.fired_on.toString()));
}

void ReviewList::addCircumstances(ReviewItem& item) const {
  const auto& member = table_.members[item.row];
  if (member.pending_offences > 0) {
    item.reasons.push_back(fmt::format("{} pending offence(s)", member.pending_offences));
  }
  if (member.days_to_follow_up_end >= 0 && member.days_to_follow_up_end <= kFollowUpEndingDays) {
    item.reasons.push_back(fmt::format("follow-up ends {}", member.follow_up.last_day.toString()));
  }
  const int since_review =
      member.last_review ? member.last_review->daysUntil(table_.as_of) : member.days_since_index;
  if (since_review >= kNotReviewedDays) {
    item.reasons.push_back(member.last_review
                               ? fmt::format("not reviewed for {} days", since_review)
                               : fmt::format("never reviewed ({} days in the cohort)", since_review));
  }
}

ReviewItem ReviewList::assess(std::size_t row, std::span<const tracking::AlertRecord> alerts) const {
  ReviewItem item;
  item.row = row;
  addFocus(item);
  const auto person = table_.members[row].person_id;
  for (const auto& alert : alerts) {
    if (alert.person_id == person) addAlert(item, alert);
  }
  addCircumstances(item);
  return item;
}

std::vector<ReviewItem> ReviewList::build(std::span<const tracking::AlertRecord> alerts,
                                          std::string_view caseworker) const {
  std::map<std::size_t, ReviewItem> rows;
  const auto entry = [&](std::size_t row) -> ReviewItem& {
    auto& item = rows[row];
    item.row = row;
    return item;
  };
  for (const auto& [person_id, row] : latest_) {
    if (focus_[row].groups.empty()) continue;
    addFocus(entry(row));
  }
  for (const auto& alert : alerts) {
    auto it = latest_.find(alert.person_id);
    if (it != latest_.end()) addAlert(entry(it->second), alert);
  }
  std::vector<ReviewItem> list;
  for (auto& [row, item] : rows) {
    if (!caseworker.empty() && table_.members[row].caseworker != caseworker) continue;
    addCircumstances(item);
    list.push_back(std::move(item));
  }
  std::stable_sort(list.begin(), list.end(), [&](const ReviewItem& a, const ReviewItem& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    return table_.members[a.row].person_id < table_.members[b.row].person_id;
  });
  return list;
}

std::string joinReasons(const std::vector<std::string>& reasons) {
  std::string text;
  for (const auto& reason : reasons) text += (text.empty() ? "" : "; ") + reason;
  return text;
}

}  // namespace cohortwatch::rules
