#include "rules/review_list.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

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

namespace {

// A changed attribute in a manager's words; empty for those that are not circumstances (names).
std::string changedCircumstance(std::string_view field) {
  if (field == "looked_after") return "looked-after status changed";
  if (field == "caseworker") return "caseworker changed";
  if (field == "team") return "team changed";
  if (field == "date_of_birth") return "date of birth corrected (ages recalculated)";
  if (field == "gender") return "recorded gender changed";
  if (field == "ethnicity") return "recorded ethnicity changed";
  return {};
}

// A true/false field of an event's detail; false when missing.
bool isSet(const nlohmann::json& detail, const char* key) {
  const auto flag = detail.find(key);
  return flag != detail.end() && flag->is_boolean() && flag->get<bool>();
}

}  // namespace

bool ReviewList::addNews(ReviewItem& item, std::span<const tracking::AlertRecord> alerts,
                         std::span<const tracking::ChangeEvent> events) const {
  const auto& member = table_.members[item.row];
  int recorded = 0, proven = 0;
  std::vector<std::string> changes;
  for (const auto& event : events) {
    if (event.person_id != member.person_id) continue;
    const bool alerted = std::any_of(alerts.begin(), alerts.end(), [&](const auto& alert) {
      return alert.event_id == event.id && alert.person_id == event.person_id;
    });
    if (alerted) continue;
    const auto detail = nlohmann::json::parse(event.detail, nullptr, false);
    if (!detail.is_object()) continue;
    // In the follow-up of any of the child's cohorts, not only the latest: the outcome proving a
    // reoffence often starts a new membership itself.
    if (event.kind == "offence_recorded") {
      if (isSet(detail, "in_follow_up") && !isSet(detail, "breach")) ++recorded;
    } else if (event.kind == "offence_proven") {
      if (isSet(detail, "in_follow_up")) ++proven;
    } else if (event.kind == "person_changed") {
      const auto field = detail.find("field");
      if (field == detail.end() || !field->is_string()) continue;
      auto change = changedCircumstance(field->get_ref<const std::string&>());
      if (!change.empty() && std::find(changes.begin(), changes.end(), change) == changes.end()) {
        changes.push_back(std::move(change));
      }
    }
  }
  if (recorded > 0) {
    item.priority += kNewsWeight;
    item.reasons.push_back(fmt::format("{} new offence(s) recorded", recorded));
  }
  if (proven > 0) {
    item.priority += kNewsWeight;
    item.reasons.push_back(fmt::format("{} offence(s) proven (reoffending)", proven));
  }
  for (auto& change : changes) {
    item.priority += kNewsWeight;
    item.reasons.push_back(std::move(change));
  }
  return recorded > 0 || proven > 0 || !changes.empty();
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

ReviewItem ReviewList::assess(std::size_t row, std::span<const tracking::AlertRecord> alerts,
                              std::span<const tracking::ChangeEvent> events) const {
  ReviewItem item;
  item.row = row;
  addFocus(item);
  const auto person = table_.members[row].person_id;
  for (const auto& alert : alerts) {
    if (alert.person_id == person) addAlert(item, alert);
  }
  addNews(item, alerts, events);
  addCircumstances(item);
  return item;
}

std::vector<ReviewItem> ReviewList::build(std::span<const tracking::AlertRecord> alerts,
                                          std::string_view caseworker,
                                          std::span<const tracking::ChangeEvent> events) const {
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
  // News puts a child on the list too; it comes after the alerts among the reasons.
  std::set<std::size_t> with_news;
  for (const auto& event : events) {
    auto it = latest_.find(event.person_id);
    if (it != latest_.end()) with_news.insert(it->second);
  }
  for (const auto row : with_news) {
    auto found = rows.find(row);
    if (found != rows.end()) {
      addNews(found->second, alerts, events);
      continue;
    }
    ReviewItem item;
    item.row = row;
    if (addNews(item, alerts, events)) rows.emplace(row, std::move(item));
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
