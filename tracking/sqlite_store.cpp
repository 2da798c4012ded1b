// The SQLite implementation of Store, the embedded default. SQLiteCpp stays inside this file:
// every SQLite::Exception is turned into a StoreError that names the database and the operation.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unordered_map>

#include "tracking/sqlite_schema.h"
#include "tracking/store.h"

namespace cohortwatch::tracking {

namespace {

// Creates the database file with mode 0600 before SQLite opens it (SQLite would use 0644), and
// tightens an existing file that is readable by others. SQLite gives its -wal and -shm files the
// permissions of the database file.
void prepareDatabaseFile(const std::string& path) {
  std::filesystem::path file(path);
  if (file.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
      throw StoreError(fmt::format("cannot create directory {} for the database: {}",
                                   file.parent_path().string(), ec.message()));
    }
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw StoreError(fmt::format("cannot open database {}: {}", path, std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && (st.st_mode & 0077) != 0) {
    spdlog::warn("database {} was readable by other users; setting its mode to 0600", path);
    if (::fchmod(fd, 0600) != 0) {
      spdlog::warn("cannot change the mode of {}: {}", path, std::strerror(errno));
    }
  }
  ::close(fd);
}

std::string textOrEmpty(const SQLite::Column& column) {
  return column.isNull() ? std::string() : std::string(column.getText());
}

Date dateColumn(const SQLite::Column& column) {
  // Dates are only ever written by this store, validated; a bad one means a hand-edited file.
  auto date = Date::parse(column.getText());
  if (!date) throw StoreError(fmt::format("malformed date '{}' in the database", column.getText()));
  return *date;
}

class SqliteTransaction final : public Transaction {
 public:
  explicit SqliteTransaction(SQLite::Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
  ~SqliteTransaction() override {
    if (!done_) {
      try {
        db_.exec("ROLLBACK");
      } catch (const SQLite::Exception& e) {
        spdlog::error("rollback failed: {}", e.what());
      }
    }
  }
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;

  void commit() override {
    db_.exec("COMMIT");
    done_ = true;
  }

 private:
  SQLite::Database& db_;
  bool done_ = false;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const config::DatabaseSettings& settings)
      : path_(settings.path), db_(open(settings)) {
    configure(settings);
    migrate();
  }

  // Store
  int schemaVersion() override {
    return guard("read the schema version", [&] { return db_.execAndGet("PRAGMA user_version").getInt(); });
  }

  std::unique_ptr<Transaction> begin() override {
    return guard("begin a transaction", [&] { return std::make_unique<SqliteTransaction>(db_); });
  }

  Applied applyPerson(const PersonRecord& person, Date changed_on) override {
    return guard("store a person", [&] { return applyPersonImpl(person, changed_on); });
  }

  Applied applyOffence(const OffenceRecord& offence) override {
    return guard("store an offence", [&] { return applyOffenceImpl(offence); });
  }

  Applied applyOutcome(const OutcomeRecord& outcome) override {
    return guard("store an outcome", [&] { return applyOutcomeImpl(outcome); });
  }

  std::optional<Date> personBirthDate(std::string_view person_id) override {
    return guard("look up a person", [&]() -> std::optional<Date> {
      auto& st = statement("SELECT date_of_birth FROM people WHERE person_id = ?");
      st.bind(1, std::string(person_id));
      if (!st.executeStep()) return std::nullopt;
      return dateColumn(st.getColumn(0));
    });
  }

  std::optional<StoredOffence> findOffence(std::string_view offence_id) override {
    return guard("look up an offence", [&]() -> std::optional<StoredOffence> {
      auto& st = statement(
          "SELECT p.person_id, o.offence_date FROM offences o JOIN people p ON p.id = o.person_ref "
          "WHERE o.offence_id = ?");
      st.bind(1, std::string(offence_id));
      if (!st.executeStep()) return std::nullopt;
      return StoredOffence{st.getColumn(0).getString(), dateColumn(st.getColumn(1))};
    });
  }

  std::vector<PersonChange> personChanges(std::string_view person_id) override {
    return guard("read a person's history", [&] {
      auto& st = statement(
          "SELECT c.field, c.old_value, c.new_value, c.changed_at FROM person_changes c "
          "JOIN people p ON p.id = c.person_ref WHERE p.person_id = ? ORDER BY c.id");
      st.bind(1, std::string(person_id));
      std::vector<PersonChange> changes;
      while (st.executeStep()) {
        changes.push_back({std::string(person_id), st.getColumn(0).getString(),
                           textOrEmpty(st.getColumn(1)), textOrEmpty(st.getColumn(2)),
                           st.getColumn(3).getString()});
      }
      return changes;
    });
  }

  void recordRejected(const RejectedRow& row) override {
    guard("record a rejected row", [&] {
      auto& st = statement(
          "INSERT INTO rejected_rows (source, file, line, kind, reason, raw, header) "
          "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, file, line, raw) DO UPDATE SET "
          "reason = excluded.reason, last_seen = excluded.last_seen, resolved_at = NULL");
      st.bind(1, row.source);
      st.bind(2, row.file);
      st.bind(3, static_cast<int64_t>(row.line));
      st.bind(4, row.kind);
      st.bind(5, row.reason);
      st.bind(6, row.raw);
      st.bind(7, row.header);
      st.exec();
      return 0;
    });
  }

  void resolveRejected(const RejectedRow& row) override {
    guard("resolve a rejected row", [&] {
      auto& st = statement(
          "UPDATE rejected_rows SET resolved_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
          "WHERE source = ? AND file = ? AND line = ? AND raw = ? AND resolved_at IS NULL");
      st.bind(1, row.source);
      st.bind(2, row.file);
      st.bind(3, static_cast<int64_t>(row.line));
      st.bind(4, row.raw);
      st.exec();
      return 0;
    });
  }

  std::vector<RejectedRow> pendingRejected() override {
    return guard("read rejected rows", [&] {
      auto& st = statement(
          "SELECT source, file, line, kind, reason, raw, header FROM rejected_rows "
          "WHERE resolved_at IS NULL ORDER BY id");
      std::vector<RejectedRow> rows;
      while (st.executeStep()) {
        rows.push_back({st.getColumn(0).getString(), st.getColumn(1).getString(),
                        static_cast<long>(st.getColumn(2).getInt64()), st.getColumn(3).getString(),
                        st.getColumn(4).getString(), st.getColumn(5).getString(),
                        st.getColumn(6).getString()});
      }
      return rows;
    });
  }

  CohortData loadCohortData() override {
    return guard("load cohort data", [&] { return loadCohortDataImpl(); });
  }

  StoreCounts counts() override {
    return guard("count records", [&] {
      StoreCounts counts;
      counts.people = db_.execAndGet("SELECT count(*) FROM people").getInt64();
      counts.offences = db_.execAndGet("SELECT count(*) FROM offences").getInt64();
      counts.outcomes = db_.execAndGet("SELECT count(*) FROM outcomes").getInt64();
      counts.rejected_pending =
          db_.execAndGet("SELECT count(*) FROM rejected_rows WHERE resolved_at IS NULL").getInt64();
      return counts;
    });
  }

 private:
  static SQLite::Database open(const config::DatabaseSettings& settings) {
    prepareDatabaseFile(settings.path);
    try {
      return SQLite::Database(settings.path, SQLite::OPEN_READWRITE, settings.busy_timeout_ms);
    } catch (const SQLite::Exception& e) {
      throw StoreError(fmt::format("cannot open database {}: {}", settings.path, e.what()));
    }
  }

  // Runs one store operation, turning SQLite's exceptions into a StoreError with context.
  template <typename Fn>
  auto guard(std::string_view what, Fn&& fn) -> decltype(fn()) {
    try {
      return fn();
    } catch (const SQLite::Exception& e) {
      throw StoreError(fmt::format("database {}: cannot {}: {}", path_, what, e.what()));
    }
  }

  void configure(const config::DatabaseSettings& settings) {
    guard("configure the connection", [&] {
      db_.setBusyTimeout(settings.busy_timeout_ms);
      const std::string mode = db_.execAndGet("PRAGMA journal_mode = WAL").getString();
      if (mode != "wal") spdlog::warn("database {}: journal mode is {}, not wal", path_, mode);
      db_.exec("PRAGMA foreign_keys = ON");
      db_.exec("PRAGMA synchronous = FULL");
      return 0;
    });
  }

  void migrate() {
    guard("apply schema migrations", [&] {
      const auto migrations = sqliteMigrations();
      const int latest = migrations.back().version;
      SqliteTransaction tx(db_);
      const int version = db_.execAndGet("PRAGMA user_version").getInt();
      const int app_id = db_.execAndGet("PRAGMA application_id").getInt();
      const int tables = db_.execAndGet("SELECT count(*) FROM sqlite_master").getInt();
      if (app_id != kSqliteApplicationId && (version != 0 || tables != 0)) {
        throw StoreError(fmt::format("{} is not a cohortwatch database", path_));
      }
      if (version > latest) {
        throw StoreError(fmt::format(
            "database {} has schema version {}, written by a newer cohortwatch; this version "
            "knows schema versions up to {}. Upgrade cohortwatch, or restore a backup made "
            "before the upgrade.",
            path_, version, latest));
      }
      for (const auto& migration : migrations) {
        if (migration.version <= version) continue;
        spdlog::info("database {}: applying migration {} ({})", path_, migration.version,
                     migration.description);
        db_.exec(migration.sql);
      }
      if (version < latest) {
        db_.exec(fmt::format("PRAGMA application_id = {}", kSqliteApplicationId));
        db_.exec(fmt::format("PRAGMA user_version = {}", latest));
      }
      tx.commit();
      return 0;
    });
  }

  // Prepared statements are kept and reused: import applies millions of rows.
  SQLite::Statement& statement(const std::string& sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      it = statements_.emplace(sql, std::make_unique<SQLite::Statement>(db_, sql)).first;
    } else {
      it->second->reset();
      it->second->clearBindings();
    }
    return *it->second;
  }

  std::optional<int64_t> personRef(const std::string& person_id) {
    auto& st = statement("SELECT id FROM people WHERE person_id = ?");
    st.bind(1, person_id);
    if (!st.executeStep()) return std::nullopt;
    return st.getColumn(0).getInt64();
  }

  std::optional<int64_t> offenceRef(const std::string& offence_id) {
    auto& st = statement("SELECT id FROM offences WHERE offence_id = ?");
    st.bind(1, offence_id);
    if (!st.executeStep()) return std::nullopt;
    return st.getColumn(0).getInt64();
  }

  // Binds an optional text attribute: nullopt and empty are both stored as NULL.
  static void bindText(SQLite::Statement& st, int index, const std::optional<std::string>& value) {
    if (value && !value->empty()) {
      st.bind(index, *value);
    } else {
      st.bind(index);
    }
  }

  Applied applyPersonImpl(const PersonRecord& person, Date changed_on) {
    auto& select = statement(
        "SELECT id, first_name, last_name, date_of_birth, gender, ethnicity, looked_after, "
        "caseworker, team, updated_at FROM people WHERE person_id = ?");
    select.bind(1, person.person_id);
    if (!select.executeStep()) {
      auto& insert = statement(
          "INSERT INTO people (person_id, first_name, last_name, date_of_birth, gender, ethnicity, "
          "looked_after, caseworker, team, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      insert.bind(1, person.person_id);
      bindText(insert, 2, person.first_name);
      bindText(insert, 3, person.last_name);
      insert.bind(4, person.date_of_birth.toString());
      bindText(insert, 5, person.gender);
      bindText(insert, 6, person.ethnicity);
      if (person.looked_after) {
        insert.bind(7, *person.looked_after ? 1 : 0);
      } else {
        insert.bind(7);
      }
      bindText(insert, 8, person.caseworker);
      bindText(insert, 9, person.team);
      bindText(insert, 10, person.updated_at);
      insert.exec();
      return Applied::kInserted;
    }

    const int64_t ref = select.getColumn(0).getInt64();
    const std::string stored_updated_at = textOrEmpty(select.getColumn(9));
    if (!person.updated_at.empty() && !stored_updated_at.empty() &&
        person.updated_at < stored_updated_at) {
      return Applied::kOlderIgnored;
    }

    // Attribute name, stored value, incoming value (nullopt: column absent, leave alone).
    struct Attribute {
      const char* name;
      std::string stored;
      std::optional<std::string> incoming;
    };
    auto flag = [](const std::optional<bool>& b) -> std::optional<std::string> {
      if (!b) return std::nullopt;
      return std::string(*b ? "true" : "false");
    };
    auto storedFlag = [](const SQLite::Column& c) {
      return c.isNull() ? std::string() : std::string(c.getInt() != 0 ? "true" : "false");
    };
    std::array<Attribute, 8> attributes = {{
        {"first_name", textOrEmpty(select.getColumn(1)), person.first_name},
        {"last_name", textOrEmpty(select.getColumn(2)), person.last_name},
        {"date_of_birth", textOrEmpty(select.getColumn(3)), person.date_of_birth.toString()},
        {"gender", textOrEmpty(select.getColumn(4)), person.gender},
        {"ethnicity", textOrEmpty(select.getColumn(5)), person.ethnicity},
        {"looked_after", storedFlag(select.getColumn(6)), flag(person.looked_after)},
        {"caseworker", textOrEmpty(select.getColumn(7)), person.caseworker},
        {"team", textOrEmpty(select.getColumn(8)), person.team},
    }};

    const std::string changed_at =
        person.updated_at.empty() ? changed_on.toString() : person.updated_at;
    bool changed = false;
    for (const auto& attribute : attributes) {
      if (!attribute.incoming || *attribute.incoming == attribute.stored) continue;
      changed = true;
      auto& history = statement(
          "INSERT INTO person_changes (person_ref, field, old_value, new_value, changed_at) "
          "VALUES (?, ?, ?, ?, ?)");
      history.bind(1, ref);
      history.bind(2, attribute.name);
      bindText(history, 3, attribute.stored);
      bindText(history, 4, *attribute.incoming);
      history.bind(5, changed_at);
      history.exec();
      // The column name comes from the fixed list above, never from input.
      auto& update = statement(fmt::format("UPDATE people SET {} = ? WHERE id = ?", attribute.name));
      if (std::string_view(attribute.name) == "looked_after") {
        if (person.looked_after) {
          update.bind(1, *person.looked_after ? 1 : 0);
        } else {
          update.bind(1);
        }
      } else {
        bindText(update, 1, attribute.incoming);
      }
      update.bind(2, ref);
      update.exec();
    }
    if (!person.updated_at.empty() && person.updated_at != stored_updated_at) {
      auto& touch = statement("UPDATE people SET updated_at = ? WHERE id = ?");
      touch.bind(1, person.updated_at);
      touch.bind(2, ref);
      touch.exec();
    }
    return changed ? Applied::kUpdated : Applied::kUnchanged;
  }

  Applied applyOffenceImpl(const OffenceRecord& offence) {
    const auto person = personRef(offence.person_id);
    if (!person) throw StoreError(fmt::format("offence {} refers to an unknown person", offence.offence_id));
    auto& select = statement(
        "SELECT id, person_ref, offence_date, offence_code, description, gravity, breach "
        "FROM offences WHERE offence_id = ?");
    select.bind(1, offence.offence_id);
    const std::string date = offence.offence_date.toString();
    const int gravity = offence.gravity.value_or(0);
    if (select.executeStep()) {
      const bool same = select.getColumn(1).getInt64() == *person &&
                        select.getColumn(2).getString() == date &&
                        textOrEmpty(select.getColumn(3)) == offence.offence_code &&
                        textOrEmpty(select.getColumn(4)) == offence.description &&
                        (select.getColumn(5).isNull() ? 0 : select.getColumn(5).getInt()) == gravity &&
                        (select.getColumn(6).getInt() != 0) == offence.breach;
      if (same) return Applied::kUnchanged;
      const int64_t ref = select.getColumn(0).getInt64();
      auto& update = statement(
          "UPDATE offences SET person_ref = ?, offence_date = ?, offence_code = ?, description = ?, "
          "gravity = ?, breach = ? WHERE id = ?");
      bindOffence(update, *person, offence);
      update.bind(7, ref);
      update.exec();
      return Applied::kUpdated;
    }
    auto& insert = statement(
        "INSERT INTO offences (person_ref, offence_date, offence_code, description, gravity, breach, "
        "offence_id) VALUES (?, ?, ?, ?, ?, ?, ?)");
    bindOffence(insert, *person, offence);
    insert.bind(7, offence.offence_id);
    insert.exec();
    return Applied::kInserted;
  }

  static void bindOffence(SQLite::Statement& st, int64_t person, const OffenceRecord& offence) {
    st.bind(1, person);
    st.bind(2, offence.offence_date.toString());
    bindText(st, 3, offence.offence_code);
    bindText(st, 4, offence.description);
    if (offence.gravity) {
      st.bind(5, *offence.gravity);
    } else {
      st.bind(5);
    }
    st.bind(6, offence.breach ? 1 : 0);
  }

  Applied applyOutcomeImpl(const OutcomeRecord& outcome) {
    const auto person = personRef(outcome.person_id);
    if (!person) throw StoreError(fmt::format("outcome {} refers to an unknown person", outcome.outcome_id));
    std::optional<int64_t> offence;
    if (!outcome.offence_id.empty()) {
      offence = offenceRef(outcome.offence_id);
      if (!offence) {
        throw StoreError(fmt::format("outcome {} refers to an unknown offence", outcome.outcome_id));
      }
    }
    auto& select = statement(
        "SELECT id, person_ref, offence_ref, outcome_type, outcome_date FROM outcomes "
        "WHERE outcome_id = ?");
    select.bind(1, outcome.outcome_id);
    const std::string date = outcome.outcome_date.toString();
    if (select.executeStep()) {
      const auto& stored_offence = select.getColumn(2);
      const bool same = select.getColumn(1).getInt64() == *person &&
                        (stored_offence.isNull() ? !offence
                                                 : offence && stored_offence.getInt64() == *offence) &&
                        select.getColumn(3).getString() == outcome.outcome_type &&
                        select.getColumn(4).getString() == date;
      if (same) return Applied::kUnchanged;
      const int64_t ref = select.getColumn(0).getInt64();
      auto& update = statement(
          "UPDATE outcomes SET person_ref = ?, offence_ref = ?, outcome_type = ?, outcome_date = ? "
          "WHERE id = ?");
      bindOutcome(update, *person, offence, outcome);
      update.bind(5, ref);
      update.exec();
      return Applied::kUpdated;
    }
    auto& insert = statement(
        "INSERT INTO outcomes (person_ref, offence_ref, outcome_type, outcome_date, outcome_id) "
        "VALUES (?, ?, ?, ?, ?)");
    bindOutcome(insert, *person, offence, outcome);
    insert.bind(5, outcome.outcome_id);
    insert.exec();
    return Applied::kInserted;
  }

  static void bindOutcome(SQLite::Statement& st, int64_t person, std::optional<int64_t> offence,
                          const OutcomeRecord& outcome) {
    st.bind(1, person);
    if (offence) {
      st.bind(2, *offence);
    } else {
      st.bind(2);
    }
    st.bind(3, outcome.outcome_type);
    st.bind(4, outcome.outcome_date.toString());
  }

  CohortData loadCohortDataImpl() {
    CohortData data;
    // Row ids are dense in practice; positions are looked up through a vector indexed by row id.
    std::vector<int32_t> person_position;
    {
      SQLite::Statement st(db_, "SELECT id, person_id, date_of_birth FROM people ORDER BY id");
      while (st.executeStep()) {
        const auto id = static_cast<std::size_t>(st.getColumn(0).getInt64());
        if (person_position.size() <= id) person_position.resize(id + 1, -1);
        person_position[id] = static_cast<int32_t>(data.people.size());
        data.people.push_back({st.getColumn(1).getString(), dateColumn(st.getColumn(2))});
      }
    }
    std::vector<int32_t> offence_position;
    {
      SQLite::Statement st(db_, "SELECT id, person_ref, offence_date, breach FROM offences ORDER BY id");
      while (st.executeStep()) {
        const auto id = static_cast<std::size_t>(st.getColumn(0).getInt64());
        if (offence_position.size() <= id) offence_position.resize(id + 1, -1);
        offence_position[id] = static_cast<int32_t>(data.offences.size());
        const auto person = person_position.at(static_cast<std::size_t>(st.getColumn(1).getInt64()));
        data.offences.push_back({static_cast<uint32_t>(person), dateColumn(st.getColumn(2)),
                                 st.getColumn(3).getInt() != 0});
      }
    }
    {
      std::unordered_map<std::string, uint16_t> types;
      SQLite::Statement st(
          db_, "SELECT person_ref, offence_ref, outcome_type, outcome_date FROM outcomes ORDER BY id");
      while (st.executeStep()) {
        OutcomeFacts outcome;
        outcome.person = static_cast<uint32_t>(
            person_position.at(static_cast<std::size_t>(st.getColumn(0).getInt64())));
        const auto& offence = st.getColumn(1);
        if (!offence.isNull()) {
          outcome.offence = offence_position.at(static_cast<std::size_t>(offence.getInt64()));
        }
        const char* type = st.getColumn(2).getText();
        auto [it, inserted] = types.try_emplace(type, static_cast<uint16_t>(data.outcome_types.size()));
        if (inserted) data.outcome_types.emplace_back(type);
        outcome.type = it->second;
        outcome.outcome_date = dateColumn(st.getColumn(3));
        data.outcomes.push_back(outcome);
      }
    }
    return data;
  }

  std::string path_;
  SQLite::Database db_;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
};

}  // namespace

std::unique_ptr<Store> openSqliteStore(const config::DatabaseSettings& settings) {
  return std::make_unique<SqliteStore>(settings);
}

int currentSchemaVersion() { return sqliteMigrations().back().version; }

}  // namespace cohortwatch::tracking
