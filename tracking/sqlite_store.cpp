// The SQLite implementation of Store, the embedded default. SQLiteCpp stays inside this file:
// every SQLite::Exception is turned into a StoreError that names the database and the operation.
// Import applies millions of rows and every report loads every row, so the statements on those
// paths go through the SQLite C API directly (prepared once, text bound without copies, columns
// read without temporaries); see bench/README.md for what that buys.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <unordered_map>

#include "tracking/sqlite_alert_store.h"
#include "tracking/sqlite_casework_store.h"
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

Date dateColumn(std::string_view text) {
  // Dates are only ever written by this store, validated; a bad one means a hand-edited file.
  auto date = Date::parse(text);
  if (!date) throw StoreError(fmt::format("malformed date '{}' in the database", text));
  return *date;
}

// "YYYY-MM-DD" as Date::toString() writes it, in a buffer of its own: import binds millions of
// dates and fmt::format would allocate a string for each.
class DateText {
 public:
  explicit DateText(Date date) {
    const auto ymd = date.ymd();
    const int year = static_cast<int>(ymd.year());
    if (year < 0 || year > 9999) {
      fallback_ = date.toString();
      view_ = fallback_;
      return;
    }
    put(0, 4, static_cast<unsigned>(year));
    text_[4] = '-';
    put(5, 2, static_cast<unsigned>(ymd.month()));
    text_[7] = '-';
    put(8, 2, static_cast<unsigned>(ymd.day()));
    view_ = std::string_view(text_.data(), text_.size());
  }
  DateText(const DateText&) = delete;
  DateText& operator=(const DateText&) = delete;

  std::string_view view() const { return view_; }

 private:
  void put(std::size_t at, std::size_t width, unsigned value) {
    for (std::size_t i = width; i-- > 0; value /= 10)
      text_[at + i] = static_cast<char>('0' + value % 10);
  }

  std::array<char, 10> text_{};
  std::string fallback_;
  std::string_view view_;
};

// One prepared statement on the SQLite C API. Errors throw SQLite::Exception, which the store's
// guard turns into a StoreError like every other SQLite failure.
class Prepared {
 public:
  Prepared(sqlite3* db, const char* sql) : db_(db) {
    const int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK) throw SQLite::Exception(db, rc);
  }
  ~Prepared() { sqlite3_finalize(stmt_); }
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;

  // Ready for a new execution: ends the last one (and the read snapshot an unfinished SELECT
  // holds outside a transaction) and forgets its bindings.
  void restart() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  // Text is bound without a copy: the caller keeps it alive until the statement has run.
  void bind(int index, std::string_view text) {
    // A null pointer would bind NULL; an empty value is an empty text.
    const char* data = text.data() == nullptr ? "" : text.data();
    check(sqlite3_bind_text(stmt_, index, data, static_cast<int>(text.size()), nullptr));
  }
  void bind(int index, std::int64_t value) { check(sqlite3_bind_int64(stmt_, index, value)); }
  void bindNull(int index) { check(sqlite3_bind_null(stmt_, index)); }
  // An optional attribute: absent and empty are both stored as NULL.
  void bindOptional(int index, const std::optional<std::string>& value) {
    if (value && !value->empty()) {
      bind(index, std::string_view(*value));
    } else {
      bindNull(index);
    }
  }
  void bindOptional(int index, std::string_view value) {
    if (!value.empty()) {
      bind(index, value);
    } else {
      bindNull(index);
    }
  }

  // True with a row to read, false when done.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw SQLite::Exception(db_, rc);
  }
  // Runs a statement that returns no rows; the number of rows it changed.
  int run() {
    if (step()) throw SQLite::Exception("a write statement returned a row");
    return sqlite3_changes(db_);
  }

  bool isNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::int64_t int64At(int column) const { return sqlite3_column_int64(stmt_, column); }
  int intAt(int column) const { return sqlite3_column_int(stmt_, column); }
  std::string_view textAt(int column) const {
    const auto* text = sqlite3_column_text(stmt_, column);
    if (text == nullptr) return {};
    return {reinterpret_cast<const char*>(text),
            static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
  }
  std::string stringAt(int column) const { return std::string(textAt(column)); }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) throw SQLite::Exception(db_, rc);
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Restarts a statement when the scope that read its row ends, however it ends: an unfinished
// SELECT would otherwise hold its read snapshot (outside a transaction) until its next use.
class Finished {
 public:
  explicit Finished(Prepared& statement) : statement_(statement) {}
  ~Finished() { statement_.restart(); }
  Finished(const Finished&) = delete;
  Finished& operator=(const Finished&) = delete;

 private:
  Prepared& statement_;
};

// What lookups return: a person's row id and date of birth; an offence's row id, child and date.
struct PersonKey {
  std::int64_t ref = 0;
  Date date_of_birth;
};

struct OffenceKey {
  std::int64_t ref = 0;
  std::string person_id;
  Date offence_date;
};

// A small direct-mapped cache from an id to what the store looked up for it. Its slots are
// allocated by the first put() and released by release(): a connection that never imports (the
// service's cycle and outbox lanes) never holds them, and one that does gives them back when its
// transaction ends (4096 slots of each of the three caches come to about 900 KiB).
template <typename Value>
class LookupCache {
 public:
  const Value* find(std::string_view key) const {
    if (slots_.empty()) return nullptr;
    const Slot& slot = slots_[slotOf(key)];
    return slot.used && slot.key == key ? &slot.value : nullptr;
  }
  Value* find(std::string_view key) {
    if (slots_.empty()) return nullptr;
    Slot& slot = slots_[slotOf(key)];
    return slot.used && slot.key == key ? &slot.value : nullptr;
  }
  void put(std::string_view key, Value value) {
    if (slots_.empty()) slots_.resize(kSlots);
    Slot& slot = slots_[slotOf(key)];
    slot.key.assign(key);
    slot.value = std::move(value);
    slot.used = true;
  }
  void forget(std::string_view key) {
    if (slots_.empty()) return;
    Slot& slot = slots_[slotOf(key)];
    if (slot.used && slot.key == key) slot.used = false;
  }
  void clear() {
    for (auto& slot : slots_) slot.used = false;
  }
  void release() { std::vector<Slot>().swap(slots_); }

 private:
  static constexpr std::size_t kSlots = 4096;
  struct Slot {
    std::string key;
    Value value{};
    bool used = false;
  };
  static std::size_t slotOf(std::string_view key) {
    return std::hash<std::string_view>{}(key) % kSlots;
  }

  std::vector<Slot> slots_;
};

// One of a child's outcomes as personOutcomes() returns them, with what orders them (the stored
// date text, then the row id: ORDER BY outcome_date, id).
struct OutcomeRow {
  std::int64_t id = 0;
  std::string date;
  StoredOutcome outcome;

  friend bool operator<(const OutcomeRow& a, const OutcomeRow& b) {
    return a.date != b.date ? a.date < b.date : a.id < b.id;
  }
};

// A change event appended inside a write transaction and not inserted yet.
struct PendingEvent {
  std::string kind;
  std::optional<std::int64_t> person_ref;
  std::string occurred_on;
  std::string detail;
  std::string source;
  std::string recorded_at;
};

// The lookups an import repeats: the validator checks the child and the offence a row refers to,
// then the write looks them up again, the change events read the child's outcomes for every new
// offence and outcome, and consecutive rows of an export usually concern the same child. They are
// served from these caches only inside this connection's write transaction (BEGIN IMMEDIATE: no
// other connection can write meanwhile), and emptied whenever a transaction begins or ends,
// committed or rolled back, so nothing a rollback undid can be served from them. A write keeps
// them true: it forgets or replaces the entry it touches (an outcome it inserts is added to its
// child's cached outcomes; an outcome it changes empties the outcome cache).
//
// The change events appended inside the transaction wait here to be inserted several to a
// statement (SqliteStore::appendEvent); `flush_events` inserts them, and a transaction's commit()
// calls it first. Whatever ends the transaction otherwise (rollback, or SQLite's own rollback
// after an error) drops them with it, as it would have undone their insert.
struct LookupCaches {
  LookupCache<PersonKey> people;
  LookupCache<OffenceKey> offences;
  LookupCache<std::vector<OutcomeRow>> outcomes;  // by person_id, in order
  // The child found last (row id and person_id): the offence an outcome row refers to is looked
  // up just after its child, and belongs to it.
  std::int64_t last_person_ref = -1;
  std::string last_person_id;
  bool active = false;
  // The transaction is an ingest's (Store::beginIngest); kept until its COMMIT has returned.
  bool ingest = false;
  // Foreign keys are off on the connection (see ForeignKeysOff).
  bool foreign_keys_off = false;
  std::vector<PendingEvent> events;  // the first `pending` are waiting; the rest keep capacity
  std::size_t pending = 0;
  std::function<void()> flush_events;

  // Emptied when a transaction begins; released (memory given back) when it ends.
  void reset(bool now_active) {
    if (now_active) {
      clear();
    } else {
      people.release();
      offences.release();
      outcomes.release();
      last_person_ref = -1;
    }
    pending = 0;
    active = now_active;
    ingest = false;
  }
  void clear() {
    people.clear();
    offences.clear();
    outcomes.clear();
    last_person_ref = -1;
  }
};

// An ingest transaction's writes have been checked by the importer (Store::beginIngest): foreign
// keys are off on the connection for its length, and on again as soon as it ends however it ends.
// PRAGMA foreign_keys is a no-op inside a transaction, so it is switched before BEGIN and after
// COMMIT or ROLLBACK. `off` records the connection's state: if it could not be switched back
// (an open transaction that would not end), the next transaction switches it back first.
class ForeignKeysOff {
 public:
  ForeignKeysOff(SQLite::Database& db, bool& off) : db_(db), off_(off) {
    db_.exec("PRAGMA foreign_keys = OFF");
    off_ = true;
  }
  ~ForeignKeysOff() { restore(db_, off_); }
  ForeignKeysOff(const ForeignKeysOff&) = delete;
  ForeignKeysOff& operator=(const ForeignKeysOff&) = delete;

  // Foreign keys on again, if they are off and no transaction is open (where it would be a no-op).
  static void restore(SQLite::Database& db, bool& off) noexcept {
    if (!off || sqlite3_get_autocommit(db.getHandle()) == 0) return;
    if (db.tryExec("PRAGMA foreign_keys = ON") == SQLITE_OK) {
      off = false;
    } else {
      spdlog::error("cannot switch foreign keys on again: {}", sqlite3_errmsg(db.getHandle()));
    }
  }

 private:
  SQLite::Database& db_;
  bool& off_;
};

class SqliteTransaction final : public Transaction {
 public:
  enum class Kind { kOrdinary, kIngest };

  SqliteTransaction(SQLite::Database& db, LookupCaches& caches, Kind kind = Kind::kOrdinary)
      : db_(db), caches_(caches) {
    ForeignKeysOff::restore(db_, caches_.foreign_keys_off);
    if (kind == Kind::kIngest) foreign_keys_off_.emplace(db_, caches_.foreign_keys_off);
    db_.exec("BEGIN IMMEDIATE");
    caches_.reset(true);
    caches_.ingest = kind == Kind::kIngest;
  }
  ~SqliteTransaction() override {
    // A committed transaction has reset the caches already; resetting them again here would
    // drop the events waiting in a transaction begun since.
    if (!done_) {
      caches_.reset(false);
      try {
        db_.exec("ROLLBACK");
      } catch (const SQLite::Exception& e) {
        spdlog::error("rollback failed: {}", e.what());
      }
    }
    // foreign_keys_off_ (a member) switches foreign keys on again after this.
  }
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;

  void commit() override {
    // Events still waiting go in before the commit (an error here leaves the transaction to be
    // rolled back, as an error in the last appendEvent would have).
    if (caches_.pending > 0 && caches_.flush_events) caches_.flush_events();
    // The WAL hook (SqliteStore::walCommitted) reads `ingest` during the COMMIT.
    const bool ingest = caches_.ingest;
    caches_.reset(false);
    caches_.ingest = ingest;
    struct EndOfCommit {
      LookupCaches& caches;
      ~EndOfCommit() { caches.ingest = false; }
    } end_of_commit{caches_};
    db_.exec("COMMIT");
    done_ = true;
    foreign_keys_off_.reset();
  }

 private:
  SQLite::Database& db_;
  LookupCaches& caches_;
  std::optional<ForeignKeysOff> foreign_keys_off_;
  bool done_ = false;
};

// Reads in one snapshot: the three tables of CohortData must agree even while an import commits
// from another process between the queries. Inside the caller's own transaction it does nothing.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(SQLite::Database& db) : db_(db) {
    if (sqlite3_get_autocommit(db_.getHandle()) != 0) {
      db_.exec("BEGIN");
      began_ = true;
    }
  }
  ~ReadSnapshot() {
    // A read-only transaction: COMMIT and ROLLBACK both just end it; whichever works.
    if (began_ && sqlite3_get_autocommit(db_.getHandle()) == 0 &&
        db_.tryExec("COMMIT") != SQLITE_OK && db_.tryExec("ROLLBACK") != SQLITE_OK) {
      spdlog::error("cannot end the read transaction: {}", sqlite3_errmsg(db_.getHandle()));
    }
  }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  SQLite::Database& db_;
  bool began_ = false;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(const config::DatabaseSettings& settings)
      : path_(settings.path), db_(open(settings)) {
    caches_.flush_events = [this] {
      guard("record a change event", [&] {
        flushEvents();
        return 0;
      });
    };
    configure(settings);
    migrate();
  }
  ~SqliteStore() override {
    // The WAL hook reads this store, whose members go before the connection closes.
    sqlite3_wal_hook(handle(), nullptr, nullptr);
  }
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // Store
  int schemaVersion() override {
    return guard("read the schema version", [&] { return db_.execAndGet("PRAGMA user_version").getInt(); });
  }

  std::unique_ptr<Transaction> begin() override {
    return guard("begin a transaction",
                 [&] { return std::make_unique<SqliteTransaction>(db_, caches_); });
  }

  std::unique_ptr<Transaction> beginIngest() override {
    return guard("begin an ingest transaction", [&] {
      return std::make_unique<SqliteTransaction>(db_, caches_, SqliteTransaction::Kind::kIngest);
    });
  }

  Applied applyPerson(const PersonRecord& person, Date changed_on,
                      std::vector<PersonChange>* changes) override {
    return guard("store a person", [&] { return applyPersonImpl(person, changed_on, changes); });
  }

  Applied applyOffence(const OffenceRecord& offence) override {
    return guard("store an offence", [&] { return applyOffenceImpl(offence); });
  }

  Applied applyOutcome(const OutcomeRecord& outcome) override {
    return guard("store an outcome", [&] { return applyOutcomeImpl(outcome); });
  }

  std::optional<Date> personBirthDate(std::string_view person_id) override {
    return guard("look up a person", [&]() -> std::optional<Date> {
      auto person = findPerson(person_id);
      if (!person) return std::nullopt;
      return person->date_of_birth;
    });
  }

  std::optional<StoredOffence> findOffence(std::string_view offence_id) override {
    return guard("look up an offence", [&]() -> std::optional<StoredOffence> {
      auto offence = findOffenceKey(offence_id);
      if (!offence) return std::nullopt;
      return StoredOffence{std::move(offence->person_id), offence->offence_date};
    });
  }

  std::vector<PersonChange> personChanges(std::string_view person_id) override {
    return guard("read a person's history", [&] {
      auto& st = statement(
          "SELECT c.field, c.old_value, c.new_value, c.changed_at FROM person_changes c "
          "JOIN people p ON p.id = c.person_ref WHERE p.person_id = ? ORDER BY c.id");
      st.bind(1, person_id);
      std::vector<PersonChange> changes;
      while (st.step()) {
        changes.push_back({std::string(person_id), st.stringAt(0), st.stringAt(1), st.stringAt(2),
                           st.stringAt(3)});
      }
      return changes;
    });
  }

  std::vector<StoredOutcome> personOutcomes(std::string_view person_id) override {
    return guard("read a person's outcomes", [&] {
      // Ingest asks this for every new offence and outcome (change events), mostly about a child
      // with a few outcomes at most, and often about the child of the row before. Inside a write
      // transaction the answer is cached; the child's row id comes from the lookup cache, and the
      // few rows are put in order here (ORDER BY made SQLite set up a sorter for every call).
      const bool cached = cachesUsable();
      if (cached) {
        if (const auto* hit = caches_.outcomes.find(person_id)) return storedOutcomes(*hit);
      }
      const auto person = findPerson(person_id);
      if (!person) return std::vector<StoredOutcome>();
      auto& st = statement(
          "SELECT d.id, d.outcome_date, d.outcome_id, o.offence_id, d.outcome_type FROM outcomes d "
          "LEFT JOIN offences o ON o.id = d.offence_ref WHERE d.person_ref = ?");
      const Finished finished(st);
      st.bind(1, person->ref);
      std::vector<OutcomeRow> rows;
      while (st.step()) {
        rows.push_back(
            {st.int64At(0),
             st.stringAt(1),
             {st.stringAt(2), st.stringAt(3), st.stringAt(4), dateColumn(st.textAt(1))}});
      }
      std::sort(rows.begin(), rows.end());
      auto outcomes = storedOutcomes(rows);
      if (cached) caches_.outcomes.put(person_id, std::move(rows));
      return outcomes;
    });
  }

  // Ingest records an event for nearly every new offence and outcome. Inside a write transaction
  // they are inserted kEventBatch to a statement, in the order appended (so with the same ids),
  // when the batch is full, before the commit and before events() reads them; one INSERT per
  // event cost as much as storing the record itself (a statement's set-up, and a descent of the
  // table and of events_unevaluated for each row). Everything an event is made of is taken
  // now: the child's row id (NULL for an unknown child, as the subquery this replaced gave) and
  // recorded_at, given rather than left to the column's default (the same text, the same clock:
  // SQLite would format it with strftime for every row). Outside a transaction an event is
  // inserted at once. Anything that reads or writes the events table must flush first.
  void appendEvent(const ChangeEvent& event) override {
    guard("record a change event", [&] {
      const auto person = findPerson(event.person_id);
      PendingEvent direct;
      const bool buffered = cachesUsable();
      if (buffered && caches_.events.size() <= caches_.pending) caches_.events.emplace_back();
      PendingEvent& pending = buffered ? caches_.events[caches_.pending] : direct;
      pending.kind = event.kind;
      pending.person_ref = person ? std::optional<std::int64_t>(person->ref) : std::nullopt;
      pending.occurred_on = event.occurred_on;
      pending.detail = event.detail;
      pending.source = event.source;
      pending.recorded_at = nowUtc();
      if (!buffered) {
        insertEvent(direct);
      } else if (++caches_.pending == kEventBatch) {
        flushEvents();
      }
      return 0;
    });
  }

  std::vector<ChangeEvent> events(long after_id, int limit) override {
    if (caches_.pending > 0) caches_.flush_events();
    return guard("read change events", [&] {
      auto& st = statement(
          "SELECT e.id, e.kind, p.person_id, e.occurred_on, e.detail, e.source FROM events e "
          "LEFT JOIN people p ON p.id = e.person_ref WHERE e.id > ? ORDER BY e.id LIMIT ?");
      const Finished finished(st);
      st.bind(1, std::int64_t{after_id});
      st.bind(2, std::int64_t{limit});
      std::vector<ChangeEvent> events;
      while (st.step()) {
        events.push_back({static_cast<long>(st.int64At(0)), st.stringAt(1), st.stringAt(2),
                          st.stringAt(3), st.stringAt(4), st.stringAt(5)});
      }
      return events;
    });
  }

  std::optional<SourceFile> findSourceFile(std::string_view source,
                                           std::string_view content_hash) override {
    return guard("look up a source file", [&]() -> std::optional<SourceFile> {
      auto& st = statement(
          "SELECT name, size, status, rows_taken, rows_rejected, error, taken_at FROM source_files "
          "WHERE source = ? AND content_hash = ?");
      const Finished finished(st);
      st.bind(1, source);
      st.bind(2, content_hash);
      if (!st.step()) return std::nullopt;
      SourceFile file;
      file.source = std::string(source);
      file.content_hash = std::string(content_hash);
      file.name = st.stringAt(0);
      file.size = st.int64At(1);
      file.rejected = st.stringAt(2) == "rejected";
      file.rows_taken = static_cast<long>(st.int64At(3));
      file.rows_rejected = static_cast<long>(st.int64At(4));
      file.error = st.stringAt(5);
      file.taken_at = st.stringAt(6);
      return file;
    });
  }

  void recordSourceFile(const SourceFile& file) override {
    guard("record a source file", [&] {
      auto& st = statement(
          "INSERT INTO source_files (source, content_hash, name, size, status, rows_taken, "
          "rows_rejected, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      const Finished finished(st);
      st.bind(1, file.source);
      st.bind(2, file.content_hash);
      st.bind(3, file.name);
      st.bind(4, std::int64_t{file.size});
      st.bind(5, std::string_view(file.rejected ? "rejected" : "taken"));
      st.bind(6, std::int64_t{file.rows_taken});
      st.bind(7, std::int64_t{file.rows_rejected});
      st.bindOptional(8, std::string_view(file.error));
      st.run();
      return 0;
    });
  }

  SourceState sourceState(std::string_view source) override {
    return guard("read a source's state", [&] {
      auto& st = statement(
          "SELECT source, etag, last_modified, cursor, last_run, last_success, last_error, "
          "files_taken, requests, rows_taken, rows_rejected FROM source_state WHERE source = ?");
      const Finished finished(st);
      st.bind(1, source);
      SourceState state;
      state.source = std::string(source);
      if (st.step()) state = stateAt(st);
      return state;
    });
  }

  std::vector<SourceState> sourceStates() override {
    return guard("read sources' state", [&] {
      auto& st = statement(
          "SELECT source, etag, last_modified, cursor, last_run, last_success, last_error, "
          "files_taken, requests, rows_taken, rows_rejected FROM source_state ORDER BY source");
      const Finished finished(st);
      std::vector<SourceState> states;
      while (st.step()) states.push_back(stateAt(st));
      return states;
    });
  }

  void saveSourceState(const SourceState& state) override {
    guard("save a source's state", [&] {
      auto& st = statement(
          "INSERT OR REPLACE INTO source_state (source, etag, last_modified, cursor, last_run, "
          "last_success, last_error, files_taken, requests, rows_taken, rows_rejected) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      const Finished finished(st);
      st.bind(1, state.source);
      st.bindOptional(2, std::string_view(state.etag));
      st.bindOptional(3, std::string_view(state.last_modified));
      st.bindOptional(4, std::string_view(state.cursor));
      st.bindOptional(5, std::string_view(state.last_run));
      st.bindOptional(6, std::string_view(state.last_success));
      st.bindOptional(7, std::string_view(state.last_error));
      st.bind(8, std::int64_t{state.files_taken});
      st.bind(9, std::int64_t{state.requests});
      st.bind(10, std::int64_t{state.rows_taken});
      st.bind(11, std::int64_t{state.rows_rejected});
      st.run();
      return 0;
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
      st.bind(3, static_cast<std::int64_t>(row.line));
      st.bind(4, row.kind);
      st.bind(5, row.reason);
      st.bind(6, row.raw);
      st.bind(7, row.header);
      st.run();
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
      st.bind(3, static_cast<std::int64_t>(row.line));
      st.bind(4, row.raw);
      st.run();
      return 0;
    });
  }

  std::vector<RejectedRow> pendingRejected() override {
    return guard("read rejected rows", [&] {
      auto& st = statement(
          "SELECT source, file, line, kind, reason, raw, header FROM rejected_rows "
          "WHERE resolved_at IS NULL ORDER BY id");
      std::vector<RejectedRow> rows;
      while (st.step()) {
        rows.push_back({st.stringAt(0), st.stringAt(1), static_cast<long>(st.int64At(2)),
                        st.stringAt(3), st.stringAt(4), st.stringAt(5), st.stringAt(6)});
      }
      return rows;
    });
  }

  CohortData loadCohortData() override {
    return guard("load cohort data", [&] { return loadCohortDataImpl(); });
  }

  AlertStore& alerting() override { return *alerting_; }
  CaseworkStore& casework() override { return *casework_; }

  void releaseMemory() override { sqlite3_db_release_memory(handle()); }

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
    // SQLite counts the memory it allocates under a process-wide mutex, which nothing here reads
    // (sqlite3_memory_used): every allocation of an import paid a lock and an unlock, about 2% of
    // its instructions. The setting only takes before SQLite is first used in the process; after
    // that the call is refused (SQLITE_MISUSE) and changes nothing, so its result is not checked.
    static const int kNoMemoryStatistics = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    static_cast<void>(kNoMemoryStatistics);
    try {
      // No per-call mutex: a Store is used by one thread at a time (its prepared statements
      // and caches are not shared either), so SQLite's serialising lock would only cost time.
      return SQLite::Database(settings.path, SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX,
                              settings.busy_timeout_ms);
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
      // Whatever failed, nothing cached may outlive it.
      caches_.clear();
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
      // 16 MiB of page cache instead of SQLite's 2 MiB: an import's index lookups and the pages
      // it dirties stay in memory; measured, import is about 12% faster and more does not help.
      db_.exec("PRAGMA cache_size = -16384");
      page_size_ = db_.execAndGet("PRAGMA page_size").getInt64();
      sqlite3_wal_hook(handle(), &SqliteStore::walCommitted, this);
      return 0;
    });
  }

  // SQLite's automatic checkpoint (wal_autocheckpoint: a PASSIVE checkpoint by the commit that
  // leaves 1000 pages or more in the WAL), except after an ingest's commit: that one made every
  // export's commit copy the whole transaction into the database file and sync it, on the
  // ingest's path. After an ingest the checkpoint is left to the next other commit on any
  // connection (in the service the cycle's, on its own lane; in `run --once` the cycle after the
  // sources), or to the next ingest commit that finds the WAL above kIngestWalBound, so the WAL
  // stays bounded at file boundaries whatever follows. Durability is unchanged: a commit is in
  // the WAL and synced (synchronous = FULL) before COMMIT returns, checkpointed or not.
  static int walCommitted(void* self, sqlite3* db, const char* schema, int frames) {
    const auto& store = *static_cast<const SqliteStore*>(self);
    if (frames < kAutoCheckpointFrames) return SQLITE_OK;
    if (store.caches_.ingest && frames * store.page_size_ < kIngestWalBound) return SQLITE_OK;
    // As SQLite's own hook: a checkpoint that cannot finish now (a reader) is finished later.
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
  }

  void migrate() {
    guard("apply schema migrations", [&] {
      const auto migrations = sqliteMigrations();
      const int latest = migrations.back().version;
      SqliteTransaction tx(db_, caches_);
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

  sqlite3* handle() const { return db_.getHandle(); }

  static SourceState stateAt(Prepared& st) {
    SourceState state;
    state.source = st.stringAt(0);
    state.etag = st.stringAt(1);
    state.last_modified = st.stringAt(2);
    state.cursor = st.stringAt(3);
    state.last_run = st.stringAt(4);
    state.last_success = st.stringAt(5);
    state.last_error = st.stringAt(6);
    state.files_taken = static_cast<long>(st.int64At(7));
    state.requests = static_cast<long>(st.int64At(8));
    state.rows_taken = static_cast<long>(st.int64At(9));
    state.rows_rejected = static_cast<long>(st.int64At(10));
    return state;
  }

  // Prepared statements are kept and reused: import applies millions of rows. They are keyed by
  // the address of their SQL, which is always a string literal of this file (or, for the
  // batched event insert, a string made once that lives as long as the program).
  Prepared& statement(const char* sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      it = statements_.emplace(sql, std::make_unique<Prepared>(handle(), sql)).first;
    } else {
      it->second->restart();
    }
    return *it->second;
  }

  // True while the lookup caches may be used: inside this store's write transaction. SQLite
  // rolls a transaction back by itself after some errors; the caches go with it.
  bool cachesUsable() {
    if (!caches_.active) return false;
    if (sqlite3_get_autocommit(handle()) != 0) {
      caches_.reset(false);
      return false;
    }
    return true;
  }

  std::optional<PersonKey> findPerson(std::string_view person_id) {
    const bool cached = cachesUsable();
    if (cached) {
      if (const auto* hit = caches_.people.find(person_id)) {
        rememberPerson(person_id, hit->ref);
        return *hit;
      }
    }
    auto& st = statement("SELECT id, date_of_birth FROM people WHERE person_id = ?");
    const Finished finished(st);
    st.bind(1, person_id);
    if (!st.step()) return std::nullopt;
    const PersonKey key{st.int64At(0), dateColumn(st.textAt(1))};
    if (cached) {
      caches_.people.put(person_id, key);
      rememberPerson(person_id, key.ref);
    }
    return key;
  }

  void rememberPerson(std::string_view person_id, std::int64_t ref) {
    if (caches_.last_person_ref == ref) return;
    caches_.last_person_ref = ref;
    caches_.last_person_id.assign(person_id);
  }

  std::optional<OffenceKey> findOffenceKey(std::string_view offence_id) {
    const bool cached = cachesUsable();
    if (cached) {
      if (const auto* hit = caches_.offences.find(offence_id)) return *hit;
    }
    auto& st = statement("SELECT id, person_ref, offence_date FROM offences WHERE offence_id = ?");
    const Finished finished(st);
    st.bind(1, offence_id);
    if (!st.step()) return std::nullopt;
    OffenceKey key{st.int64At(0), std::string(), dateColumn(st.textAt(2))};
    // The child's person_id: usually the child just looked up, otherwise read (an offence whose
    // child is missing is not found, as the join this replaced would not find it).
    const std::int64_t person_ref = st.int64At(1);
    if (cached && caches_.last_person_ref == person_ref) {
      key.person_id = caches_.last_person_id;
    } else {
      auto& person = statement("SELECT person_id FROM people WHERE id = ?");
      const Finished person_finished(person);
      person.bind(1, person_ref);
      if (!person.step()) return std::nullopt;
      key.person_id = person.stringAt(0);
    }
    if (cached) caches_.offences.put(offence_id, key);
    return key;
  }

  static std::string textOrEmpty(const Prepared& st, int column) { return st.stringAt(column); }

  Applied applyPersonImpl(const PersonRecord& person, Date changed_on,
                          std::vector<PersonChange>* changes) {
    // Whatever happens below, the cached date of birth may no longer be the stored one.
    caches_.people.forget(person.person_id);
    const DateText birth(person.date_of_birth);
    // Most rows of a large import are new: try the insert first, and compare only when the
    // person is already stored.
    auto& insert = statement(
        "INSERT INTO people (person_id, first_name, last_name, date_of_birth, gender, ethnicity, "
        "looked_after, caseworker, team, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (person_id) DO NOTHING");
    insert.bind(1, person.person_id);
    insert.bindOptional(2, person.first_name);
    insert.bindOptional(3, person.last_name);
    insert.bind(4, birth.view());
    insert.bindOptional(5, person.gender);
    insert.bindOptional(6, person.ethnicity);
    if (person.looked_after) {
      insert.bind(7, std::int64_t{*person.looked_after ? 1 : 0});
    } else {
      insert.bindNull(7);
    }
    insert.bindOptional(8, person.caseworker);
    insert.bindOptional(9, person.team);
    insert.bindOptional(10, std::string_view(person.updated_at));
    if (insert.run() > 0) return Applied::kInserted;

    auto& select = statement(
        "SELECT id, first_name, last_name, date_of_birth, gender, ethnicity, looked_after, "
        "caseworker, team, updated_at FROM people WHERE person_id = ?");
    select.bind(1, person.person_id);
    if (!select.step()) throw SQLite::Exception("a person vanished while it was being stored");

    const std::int64_t ref = select.int64At(0);
    const std::string stored_updated_at = textOrEmpty(select, 9);
    if (!person.updated_at.empty() && !stored_updated_at.empty() &&
        person.updated_at < stored_updated_at) {
      select.restart();
      return Applied::kOlderIgnored;
    }

    // Attribute name, stored value, incoming value (nullopt: column absent, leave alone), and
    // the statement that updates it.
    struct Attribute {
      const char* name;
      std::string stored;
      std::optional<std::string> incoming;
      const char* update_sql;
    };
    auto flag = [](const std::optional<bool>& b) -> std::optional<std::string> {
      if (!b) return std::nullopt;
      return std::string(*b ? "true" : "false");
    };
    const std::string stored_flag =
        select.isNull(6) ? std::string() : std::string(select.intAt(6) != 0 ? "true" : "false");
    std::array<Attribute, 8> attributes = {{
        {"first_name", textOrEmpty(select, 1), person.first_name,
         "UPDATE people SET first_name = ? WHERE id = ?"},
        {"last_name", textOrEmpty(select, 2), person.last_name,
         "UPDATE people SET last_name = ? WHERE id = ?"},
        {"date_of_birth", textOrEmpty(select, 3), std::string(birth.view()),
         "UPDATE people SET date_of_birth = ? WHERE id = ?"},
        {"gender", textOrEmpty(select, 4), person.gender,
         "UPDATE people SET gender = ? WHERE id = ?"},
        {"ethnicity", textOrEmpty(select, 5), person.ethnicity,
         "UPDATE people SET ethnicity = ? WHERE id = ?"},
        {"looked_after", stored_flag, flag(person.looked_after),
         "UPDATE people SET looked_after = ? WHERE id = ?"},
        {"caseworker", textOrEmpty(select, 7), person.caseworker,
         "UPDATE people SET caseworker = ? WHERE id = ?"},
        {"team", textOrEmpty(select, 8), person.team, "UPDATE people SET team = ? WHERE id = ?"},
    }};
    select.restart();

    const std::string changed_at =
        person.updated_at.empty() ? changed_on.toString() : person.updated_at;
    bool changed = false;
    for (const auto& attribute : attributes) {
      if (!attribute.incoming || *attribute.incoming == attribute.stored) continue;
      changed = true;
      if (changes != nullptr) {
        changes->push_back({person.person_id, attribute.name, std::string(attribute.stored),
                            *attribute.incoming, changed_at});
      }
      auto& history = statement(
          "INSERT INTO person_changes (person_ref, field, old_value, new_value, changed_at) "
          "VALUES (?, ?, ?, ?, ?)");
      history.bind(1, ref);
      history.bind(2, std::string_view(attribute.name));
      history.bindOptional(3, std::string_view(attribute.stored));
      history.bindOptional(4, std::string_view(*attribute.incoming));
      history.bind(5, changed_at);
      history.run();
      auto& update = statement(attribute.update_sql);
      if (std::string_view(attribute.name) == "looked_after") {
        if (person.looked_after) {
          update.bind(1, std::int64_t{*person.looked_after ? 1 : 0});
        } else {
          update.bindNull(1);
        }
      } else {
        update.bindOptional(1, attribute.incoming);
      }
      update.bind(2, ref);
      update.run();
    }
    if (!person.updated_at.empty() && person.updated_at != stored_updated_at) {
      auto& touch = statement("UPDATE people SET updated_at = ? WHERE id = ?");
      touch.bind(1, person.updated_at);
      touch.bind(2, ref);
      touch.run();
    }
    return changed ? Applied::kUpdated : Applied::kUnchanged;
  }

  Applied applyOffenceImpl(const OffenceRecord& offence) {
    const auto person = findPerson(offence.person_id);
    if (!person) throw StoreError(fmt::format("offence {} refers to an unknown person", offence.offence_id));
    caches_.offences.forget(offence.offence_id);
    const DateText date(offence.offence_date);
    auto& insert = statement(
        "INSERT INTO offences (person_ref, offence_date, offence_code, description, gravity, "
        "breach, "
        "offence_id) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (offence_id) DO NOTHING");
    bindOffence(insert, person->ref, offence, date.view());
    insert.bind(7, offence.offence_id);
    if (insert.run() > 0) {
      // What is stored now is known: the outcome that usually follows (a wide export's next
      // record) finds its offence without a query.
      rememberOffence(offence, sqlite3_last_insert_rowid(handle()), date.view());
      return Applied::kInserted;
    }

    auto& select = statement(
        "SELECT id, person_ref, offence_date, offence_code, description, gravity, breach "
        "FROM offences WHERE offence_id = ?");
    select.bind(1, offence.offence_id);
    if (!select.step()) throw SQLite::Exception("an offence vanished while it was being stored");
    const int gravity = offence.gravity.value_or(0);
    const bool same = select.int64At(1) == person->ref && select.textAt(2) == date.view() &&
                      select.textAt(3) == offence.offence_code &&
                      select.textAt(4) == offence.description &&
                      (select.isNull(5) ? 0 : select.intAt(5)) == gravity &&
                      (select.intAt(6) != 0) == offence.breach;
    const std::int64_t ref = select.int64At(0);
    select.restart();
    if (same) {
      rememberOffence(offence, ref, date.view());
      return Applied::kUnchanged;
    }
    auto& update = statement(
        "UPDATE offences SET person_ref = ?, offence_date = ?, offence_code = ?, description = ?, "
        "gravity = ?, breach = ? WHERE id = ?");
    bindOffence(update, person->ref, offence, date.view());
    update.bind(7, ref);
    update.run();
    rememberOffence(offence, ref, date.view());
    return Applied::kUpdated;
  }

  // After a write of `offence` as row `ref`: the offence cache holds what is stored. Dates are
  // only cached in the form they are read back in (a year outside 0-9999 is read, and refused,
  // by dateColumn).
  void rememberOffence(const OffenceRecord& offence, std::int64_t ref, std::string_view date) {
    if (!cachesUsable() || date.size() != 10) return;
    caches_.offences.put(offence.offence_id,
                         OffenceKey{ref, offence.person_id, offence.offence_date});
  }

  static void bindOffence(Prepared& st, std::int64_t person, const OffenceRecord& offence,
                          std::string_view date) {
    st.bind(1, person);
    st.bind(2, date);
    st.bindOptional(3, std::string_view(offence.offence_code));
    st.bindOptional(4, std::string_view(offence.description));
    if (offence.gravity) {
      st.bind(5, std::int64_t{*offence.gravity});
    } else {
      st.bindNull(5);
    }
    st.bind(6, std::int64_t{offence.breach ? 1 : 0});
  }

  Applied applyOutcomeImpl(const OutcomeRecord& outcome) {
    const auto person = findPerson(outcome.person_id);
    if (!person) throw StoreError(fmt::format("outcome {} refers to an unknown person", outcome.outcome_id));
    std::optional<std::int64_t> offence;
    if (!outcome.offence_id.empty()) {
      const auto key = findOffenceKey(outcome.offence_id);
      if (!key) {
        throw StoreError(fmt::format("outcome {} refers to an unknown offence", outcome.outcome_id));
      }
      offence = key->ref;
    }
    const DateText date(outcome.outcome_date);
    auto& insert = statement(
        "INSERT INTO outcomes (person_ref, offence_ref, outcome_type, outcome_date, outcome_id) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (outcome_id) DO NOTHING");
    bindOutcome(insert, person->ref, offence, outcome, date.view());
    insert.bind(5, outcome.outcome_id);
    if (insert.run() > 0) {
      // The child's cached outcomes, if any, gain this one in its place.
      if (auto* rows = cachesUsable() ? caches_.outcomes.find(outcome.person_id) : nullptr) {
        if (date.view().size() == 10) {
          OutcomeRow row{
              sqlite3_last_insert_rowid(handle()),
              std::string(date.view()),
              {outcome.outcome_id, outcome.offence_id, outcome.outcome_type, outcome.outcome_date}};
          rows->insert(std::upper_bound(rows->begin(), rows->end(), row), std::move(row));
        } else {
          caches_.outcomes.forget(outcome.person_id);
        }
      }
      return Applied::kInserted;
    }

    auto& select = statement(
        "SELECT id, person_ref, offence_ref, outcome_type, outcome_date FROM outcomes "
        "WHERE outcome_id = ?");
    select.bind(1, outcome.outcome_id);
    if (!select.step()) throw SQLite::Exception("an outcome vanished while it was being stored");
    const bool same = select.int64At(1) == person->ref &&
                      (select.isNull(2) ? !offence : offence && select.int64At(2) == *offence) &&
                      select.textAt(3) == outcome.outcome_type && select.textAt(4) == date.view();
    const std::int64_t ref = select.int64At(0);
    select.restart();
    if (same) return Applied::kUnchanged;
    // It may move to another child, or to another place among the child's outcomes.
    caches_.outcomes.clear();
    auto& update = statement(
        "UPDATE outcomes SET person_ref = ?, offence_ref = ?, outcome_type = ?, outcome_date = ? "
        "WHERE id = ?");
    bindOutcome(update, person->ref, offence, outcome, date.view());
    update.bind(5, ref);
    update.run();
    return Applied::kUpdated;
  }

  static void bindOutcome(Prepared& st, std::int64_t person, std::optional<std::int64_t> offence,
                          const OutcomeRecord& outcome, std::string_view date) {
    st.bind(1, person);
    if (offence) {
      st.bind(2, *offence);
    } else {
      st.bindNull(2);
    }
    st.bind(3, outcome.outcome_type);
    st.bind(4, date);
  }

  // The largest row id of a table (0 when empty): sizes the position tables before loading.
  std::size_t maxRowId(const char* sql) {
    Prepared st(handle(), sql);
    if (!st.step() || st.isNull(0)) return 0;
    return static_cast<std::size_t>(std::max<std::int64_t>(0, st.int64At(0)));
  }

  // Position of the row with id `ref` in what was loaded; a reference to a row that was not
  // loaded means a database that broke its own foreign keys.
  static std::uint32_t positionOf(const std::vector<std::int32_t>& positions, std::int64_t ref,
                                  const char* what) {
    if (ref < 0 || static_cast<std::size_t>(ref) >= positions.size() ||
        positions[static_cast<std::size_t>(ref)] < 0) {
      throw StoreError(fmt::format("the database refers to a missing {} (row {})", what, ref));
    }
    return static_cast<std::uint32_t>(positions[static_cast<std::size_t>(ref)]);
  }

  static void place(std::vector<std::int32_t>& positions, std::int64_t id, std::size_t position) {
    const auto at = static_cast<std::size_t>(id);
    if (positions.size() <= at) positions.resize(at + 1, -1);
    positions[at] = static_cast<std::int32_t>(position);
  }

  CohortData loadCohortDataImpl() {
    const ReadSnapshot snapshot(db_);
    CohortData data;
    // Row ids are dense in practice; positions are looked up through a vector indexed by row id.
    std::vector<std::int32_t> person_position(maxRowId("SELECT max(id) FROM people") + 1, -1);
    data.people.reserve(person_position.size());
    {
      Prepared st(handle(), "SELECT id, person_id, date_of_birth FROM people ORDER BY id");
      while (st.step()) {
        place(person_position, st.int64At(0), data.people.size());
        data.people.push_back({st.stringAt(1), dateColumn(st.textAt(2))});
      }
    }
    std::vector<std::int32_t> offence_position(maxRowId("SELECT max(id) FROM offences") + 1, -1);
    data.offences.reserve(offence_position.size());
    {
      Prepared st(handle(),
                  "SELECT id, person_ref, offence_date, breach, coalesce(gravity, 0) FROM "
                  "offences ORDER BY id");
      while (st.step()) {
        place(offence_position, st.int64At(0), data.offences.size());
        data.offences.push_back({positionOf(person_position, st.int64At(1), "person"),
                                 dateColumn(st.textAt(2)), st.intAt(3) != 0,
                                 static_cast<std::uint8_t>(st.intAt(4))});
      }
    }
    data.outcomes.reserve(maxRowId("SELECT max(id) FROM outcomes"));
    {
      // A handful of distinct codes: the last one seen is almost always the next one too.
      std::size_t last_type = 0;
      Prepared st(
          handle(),
          "SELECT person_ref, offence_ref, outcome_type, outcome_date FROM outcomes ORDER BY id");
      while (st.step()) {
        OutcomeFacts outcome;
        outcome.person = positionOf(person_position, st.int64At(0), "person");
        if (!st.isNull(1)) {
          outcome.offence =
              static_cast<std::int32_t>(positionOf(offence_position, st.int64At(1), "offence"));
        }
        const std::string_view type = st.textAt(2);
        if (last_type >= data.outcome_types.size() || data.outcome_types[last_type] != type) {
          last_type = static_cast<std::size_t>(
              std::find(data.outcome_types.begin(), data.outcome_types.end(), type) -
              data.outcome_types.begin());
          if (last_type == data.outcome_types.size()) {
            if (last_type > std::numeric_limits<std::uint16_t>::max()) {
              throw StoreError("more distinct outcome types in the database than can be loaded");
            }
            data.outcome_types.emplace_back(type);
          }
        }
        outcome.type = static_cast<std::uint16_t>(last_type);
        outcome.outcome_date = dateColumn(st.textAt(3));
        data.outcomes.push_back(outcome);
      }
    }
    return data;
  }

  // Now in UTC as strftime('%Y-%m-%dT%H:%M:%SZ', 'now') writes it (the schema's default for
  // recorded_at), formatted once a second.
  const std::string& nowUtc() {
    const std::time_t now = std::time(nullptr);
    if (now != now_second_ || now_text_.empty()) {
      std::tm utc{};
      gmtime_r(&now, &utc);
      std::array<char, 32> text{};
      const std::size_t size = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
      now_text_.assign(text.data(), size);
      now_second_ = now;
    }
    return now_text_;
  }

  static constexpr std::size_t kEventBatch = 32;
  static constexpr int kAutoCheckpointFrames = 1000;  // SQLite's default wal_autocheckpoint
  static constexpr std::int64_t kIngestWalBound = std::int64_t{1} << 30;  // 1 GiB

  static void bindEvent(Prepared& st, int first, const PendingEvent& event) {
    st.bind(first, event.kind);
    if (event.person_ref) {
      st.bind(first + 1, *event.person_ref);
    } else {
      st.bindNull(first + 1);
    }
    st.bindOptional(first + 2, std::string_view(event.occurred_on));
    st.bind(first + 3, event.detail);
    st.bind(first + 4, event.source);
    st.bind(first + 5, event.recorded_at);
  }

  void insertEvent(const PendingEvent& event) {
    auto& st = statement(
        "INSERT INTO events (kind, person_ref, occurred_on, detail, source, recorded_at) VALUES "
        "(?, ?, ?, ?, ?, ?)");
    const Finished finished(st);
    bindEvent(st, 1, event);
    st.run();
  }

  // The INSERT of kEventBatch events, made once (statement() keys it by this address).
  static const char* eventBatchSql() {
    static const std::string sql = [] {
      std::string text =
          "INSERT INTO events (kind, person_ref, occurred_on, detail, source, recorded_at) VALUES ";
      for (std::size_t i = 0; i < kEventBatch; ++i) {
        text += i == 0 ? "(?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?)";
      }
      return text;
    }();
    return sql.c_str();
  }

  // Inserts the waiting events, in order. They are dropped whatever happens: on an error the
  // transaction is rolled back by its owner (a batch is one statement, all of it or nothing),
  // and inserting some of them twice would be worse. After SQLite rolled the transaction back by
  // itself they are dropped unsent, with everything else the transaction did.
  void flushEvents() {
    struct Drop {
      std::size_t& pending;
      ~Drop() { pending = 0; }
    } drop{caches_.pending};
    if (caches_.pending == 0 || !cachesUsable()) return;
    std::size_t next = 0;
    for (; caches_.pending - next >= kEventBatch; next += kEventBatch) {
      auto& st = statement(eventBatchSql());
      const Finished finished(st);
      for (std::size_t i = 0; i < kEventBatch; ++i) {
        bindEvent(st, static_cast<int>(6 * i + 1), caches_.events[next + i]);
      }
      st.run();
    }
    for (; next < caches_.pending; ++next) insertEvent(caches_.events[next]);
  }

  static std::vector<StoredOutcome> storedOutcomes(const std::vector<OutcomeRow>& rows) {
    std::vector<StoredOutcome> outcomes;
    outcomes.reserve(rows.size());
    for (const auto& row : rows) outcomes.push_back(row.outcome);
    return outcomes;
  }

  std::string path_;
  SQLite::Database db_;
  LookupCaches caches_;
  std::int64_t page_size_ = 4096;
  std::time_t now_second_ = 0;
  std::string now_text_;
  std::unordered_map<const char*, std::unique_ptr<Prepared>> statements_;
  std::unique_ptr<AlertStore> alerting_ = makeSqliteAlertStore(db_, path_);
  std::unique_ptr<CaseworkStore> casework_ = makeSqliteCaseworkStore(db_, path_);
};

}  // namespace

std::unique_ptr<Store> openSqliteStore(const config::DatabaseSettings& settings) {
  return std::make_unique<SqliteStore>(settings);
}

int currentSchemaVersion() { return sqliteMigrations().back().version; }

}  // namespace cohortwatch::tracking
