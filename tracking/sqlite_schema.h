// The SQLite schema as an ordered list of migrations. Migration N takes a database from
// user_version N-1 to N; they are applied in one transaction when the store opens.
#pragma once

#include <span>

namespace cohortwatch::tracking {

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

std::span<const Migration> sqliteMigrations();

// Written into the database header (PRAGMA application_id) so that a foreign SQLite file is refused.
inline constexpr int kSqliteApplicationId = 0x43575443;  // "CWTC"

}  // namespace cohortwatch::tracking
