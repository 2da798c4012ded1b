#include "tracking/sqlite_casework_store.h"

#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include <chrono>
#include <unordered_map>

#include "tracking/clock.h"
#include "tracking/sqlite_statements.h"

namespace cohortwatch::tracking {

namespace {

std::string textOr(const SQLite::Column& column) {
  return column.isNull() ? std::string() : column.getString();
}

bool knownStatus(std::string_view status) {
  return status == "open" || status == "done" || status == "cancelled";
}

std::string dateText(const std::optional<Date>& date) {
  return date ? date->toString() : "";
}

class SqliteCaseworkStore final : public CaseworkStore, private SqliteStatements {
 public:
  SqliteCaseworkStore(SQLite::Database& db, std::string path)
      : SqliteStatements(db, std::move(path)), db_(db) {}

  // CaseworkStore
  std::optional<PersonDetails> person(std::string_view person_id) override {
    return guard("read a person", [&]() -> std::optional<PersonDetails> {
      auto& st = statement(
          "SELECT person_id, first_name, last_name, gender, ethnicity, looked_after, caseworker, "
          "team FROM people WHERE person_id = ?");
      st.bind(1, std::string(person_id));
      if (!st.executeStep()) return std::nullopt;
      PersonDetails person;
      person.person_id = st.getColumn(0).getString();
      person.first_name = textOr(st.getColumn(1));
      person.last_name = textOr(st.getColumn(2));
      person.gender = textOr(st.getColumn(3));
      person.ethnicity = textOr(st.getColumn(4));
      if (!st.getColumn(5).isNull()) person.looked_after = st.getColumn(5).getInt() != 0;
      person.caseworker = textOr(st.getColumn(6));
      person.team = textOr(st.getColumn(7));
      return person;
    });
  }

  long addAction(const Action& action) override {
    checkStatus(action.status);
    return guard("record an action", [&] {
      const std::int64_t person_ref = personRef(action.person_id);
      auto& st = statement(
          "INSERT INTO actions (person_ref, description, owner, due_on, status, notes, "
          "recorded_by, recorded_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
      const std::string now = formatUtc(std::chrono::system_clock::now());
      st.bind(1, person_ref);
      st.bind(2, action.description);
      st.bind(3, action.owner);
      bindOptional(st, 4, dateText(action.due_on));
      st.bind(5, action.status);
      bindOptional(st, 6, action.notes);
      st.bind(7, action.recorded_by);
      st.bind(8, now);
      st.bind(9, now);
      st.exec();
      return static_cast<long>(db_.getLastInsertRowid());
    });
  }

  std::vector<ActionChange> updateAction(long id, const ActionUpdate& update,
                                         std::string_view changed_by) override {
    if (update.status) checkStatus(*update.status);
    auto current = action(id);
    if (!current) throw StoreError(fmt::format("database {}: no action {}", path(), id));
    return guard("update an action", [&] {
      const std::string now = formatUtc(std::chrono::system_clock::now());
      std::vector<ActionChange> changes;
      auto change = [&](const char* field, std::string& stored, const std::string& wanted) {
        if (stored == wanted) return;
        changes.push_back({id, field, stored, wanted, std::string(changed_by), now});
        stored = wanted;
      };
      if (update.description) change("description", current->description, *update.description);
      if (update.owner) change("owner", current->owner, *update.owner);
      std::string due = dateText(current->due_on);
      if (update.due_on) change("due_on", due, dateText(*update.due_on));
      if (update.notes) change("notes", current->notes, *update.notes);
      if (update.status) change("status", current->status, *update.status);
      if (changes.empty()) return changes;

      for (const auto& c : changes) {
        auto& st = statement(
            "INSERT INTO action_history (action_ref, field, old_value, new_value, changed_by, "
            "changed_at) VALUES (?, ?, ?, ?, ?, ?)");
        st.bind(1, static_cast<std::int64_t>(id));
        st.bind(2, c.field);
        bindOptional(st, 3, c.old_value);
        bindOptional(st, 4, c.new_value);
        st.bind(5, c.changed_by);
        st.bind(6, c.changed_at);
        st.exec();
      }
      auto& st = statement(
          "UPDATE actions SET description = ?, owner = ?, due_on = ?, notes = ?, status = ?, "
          "updated_at = ? WHERE id = ?");
      st.bind(1, current->description);
      st.bind(2, current->owner);
      bindOptional(st, 3, due);
      bindOptional(st, 4, current->notes);
      st.bind(5, current->status);
      st.bind(6, now);
      st.bind(7, static_cast<std::int64_t>(id));
      st.exec();
      return changes;
    });
  }

  std::optional<Action> action(long id) override {
    return guard("read an action", [&]() -> std::optional<Action> {
      auto& st = statement(std::string(kSelectAction) + " WHERE a.id = ?");
      st.bind(1, static_cast<std::int64_t>(id));
      if (!st.executeStep()) return std::nullopt;
      return actionAt(st);
    });
  }

  std::vector<Action> actions(const ActionFilter& filter) override {
    return guard("read actions", [&] {
      auto& st = statement(std::string(kSelectAction) +
                           " WHERE (?1 = '' OR lower(a.owner) = lower(?1)) "
                           "AND (?2 = '' OR p.person_id = ?2) AND (?3 = '' OR a.status = ?3) "
                           "AND (?4 IS NULL OR (a.status = 'open' AND a.due_on < ?4)) "
                           "ORDER BY a.due_on IS NULL, a.due_on, a.id");
      st.bind(1, filter.owner);
      st.bind(2, filter.person_id);
      st.bind(3, filter.status);
      bindOptional(st, 4, dateText(filter.overdue_on));
      std::vector<Action> actions;
      while (st.executeStep()) actions.push_back(actionAt(st));
      return actions;
    });
  }

  std::vector<ActionChange> actionHistory(long id) override {
    return guard("read an action's history", [&] {
      auto& st = statement(
          "SELECT action_ref, field, coalesce(old_value, ''), coalesce(new_value, ''), "
          "changed_by, changed_at FROM action_history WHERE action_ref = ? ORDER BY id");
      st.bind(1, static_cast<std::int64_t>(id));
      std::vector<ActionChange> changes;
      while (st.executeStep()) {
        changes.push_back({static_cast<long>(st.getColumn(0).getInt64()),
                           st.getColumn(1).getString(), st.getColumn(2).getString(),
                           st.getColumn(3).getString(), st.getColumn(4).getString(),
                           st.getColumn(5).getString()});
      }
      return changes;
    });
  }

  long recordReview(const Review& review) override {
    return guard("record a review", [&] {
      const std::int64_t person_ref = personRef(review.person_id);
      auto& st = statement(
          "INSERT INTO reviews (person_ref, reviewed_on, note, recorded_by) VALUES (?, ?, ?, ?)");
      st.bind(1, person_ref);
      st.bind(2, review.reviewed_on.toString());
      bindOptional(st, 3, review.note);
      st.bind(4, review.recorded_by);
      st.exec();
      return static_cast<long>(db_.getLastInsertRowid());
    });
  }

  std::vector<Review> reviews(std::string_view person_id) override {
    return guard("read reviews", [&] {
      auto& st = statement(
          "SELECT r.id, p.person_id, r.reviewed_on, coalesce(r.note, ''), r.recorded_by, "
          "r.recorded_at FROM reviews r JOIN people p ON p.id = r.person_ref "
          "WHERE (?1 = '' OR p.person_id = ?1) ORDER BY r.reviewed_on DESC, r.id DESC");
      st.bind(1, std::string(person_id));
      std::vector<Review> reviews;
      while (st.executeStep()) {
        Review review;
        review.id = static_cast<long>(st.getColumn(0).getInt64());
        review.person_id = st.getColumn(1).getString();
        review.reviewed_on = Date::parse(st.getColumn(2).getString()).value_or(Date());
        review.note = st.getColumn(3).getString();
        review.recorded_by = st.getColumn(4).getString();
        review.recorded_at = st.getColumn(5).getString();
        reviews.push_back(std::move(review));
      }
      return reviews;
    });
  }

 private:
  static constexpr std::string_view kSelectAction =
      "SELECT a.id, p.person_id, a.description, a.owner, a.due_on, a.status, a.notes, "
      "a.recorded_by, a.recorded_at, a.updated_at FROM actions a JOIN people p ON p.id = "
      "a.person_ref";

  static Action actionAt(SQLite::Statement& st) {
    Action action;
    action.id = static_cast<long>(st.getColumn(0).getInt64());
    action.person_id = st.getColumn(1).getString();
    action.description = st.getColumn(2).getString();
    action.owner = st.getColumn(3).getString();
    if (!st.getColumn(4).isNull()) action.due_on = Date::parse(st.getColumn(4).getString());
    action.status = st.getColumn(5).getString();
    action.notes = textOr(st.getColumn(6));
    action.recorded_by = st.getColumn(7).getString();
    action.recorded_at = st.getColumn(8).getString();
    action.updated_at = st.getColumn(9).getString();
    return action;
  }

  // Empty text is stored as NULL: "not set".
  static void bindOptional(SQLite::Statement& st, int index, const std::string& value) {
    if (value.empty()) {
      st.bind(index);
    } else {
      st.bind(index, value);
    }
  }

  void checkStatus(std::string_view status) const {
    if (!knownStatus(status)) {
      throw StoreError(
          fmt::format("database {}: an action's status is open, done or cancelled, "
                      "not '{}'",
                      path(), status));
    }
  }

  std::int64_t personRef(const std::string& person_id) {
    auto& st = statement("SELECT id FROM people WHERE person_id = ?");
    st.bind(1, person_id);
    if (!st.executeStep()) {
      throw UnknownPersonError(fmt::format("no child with person_id '{}'", person_id));
    }
    return st.getColumn(0).getInt64();
  }

  SQLite::Database& db_;
};

}  // namespace

std::unique_ptr<CaseworkStore> makeSqliteCaseworkStore(SQLite::Database& db, std::string path) {
  return std::make_unique<SqliteCaseworkStore>(db, std::move(path));
}

}  // namespace cohortwatch::tracking
