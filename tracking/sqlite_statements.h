// What the SQLite stores that share one connection (tracking/sqlite_alert_store.cpp,
// tracking/sqlite_casework_store.cpp) need to run SQL: statements prepared once and kept, reset
// when the operation that used them ends, and SQLite's exceptions turned into StoreError naming
// the database and the operation. Internal to tracking/.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tracking/store.h"

namespace cohortwatch::tracking {

class SqliteStatements {
 public:
  SqliteStatements(SQLite::Database& db, std::string path) : db_(db), path_(std::move(path)) {}

 protected:
  const std::string& path() const { return path_; }

  // The statement for `sql`, prepared on first use, reset and unbound. Use it inside guard():
  // a statement left mid-result would keep a read transaction, and its old snapshot, open on the
  // connection, and a later write on it would fail at once with "database is locked".
  SQLite::Statement& statement(const std::string& sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      it = statements_.emplace(sql, std::make_unique<SQLite::Statement>(db_, sql)).first;
    }
    it->second->reset();
    it->second->clearBindings();
    in_use_.push_back(it->second.get());
    return *it->second;
  }

  // Runs `fn`, resets the statements it used, and turns SQLite's exceptions into StoreError
  // ("database PATH: cannot WHAT: reason").
  template <typename Fn>
  auto guard(std::string_view what, Fn&& fn) -> decltype(fn()) {
    struct Reset {
      std::vector<SQLite::Statement*>& used;
      ~Reset() {
        for (auto* st : used) st->tryReset();
        used.clear();
      }
    } reset{in_use_};
    try {
      return fn();
    } catch (const SQLite::Exception& e) {
      throw StoreError(fmt::format("database {}: cannot {}: {}", path_, what, e.what()));
    }
  }

 private:
  SQLite::Database& db_;
  std::string path_;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
  std::vector<SQLite::Statement*> in_use_;
};

}  // namespace cohortwatch::tracking
