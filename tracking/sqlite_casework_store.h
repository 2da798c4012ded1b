// The SQLite implementation of CaseworkStore (tracking/store.h): actions, their history and
// reviews, on the connection of the SQLite store that owns it, so that its writes join that
// store's transactions. Internal to tracking/.
#pragma once

#include <SQLiteCpp/Database.h>

#include <memory>
#include <string>

#include "tracking/store.h"

namespace cohortwatch::tracking {

std::unique_ptr<CaseworkStore> makeSqliteCaseworkStore(SQLite::Database& db, std::string path);

}  // namespace cohortwatch::tracking
