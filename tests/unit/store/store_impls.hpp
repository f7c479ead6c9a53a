#pragma once
// The Store implementations a contract suite runs against (TYPED_TEST_SUITE(..., StoreImpls)): each makes
// a fresh store in `dir` (PostgreSQL: a fresh database) on `clock`.
#include <gtest/gtest.h>

#include <memory>

#include "core/clock.hpp"
#include "pg_server.hpp"
#include "store/memory_store.hpp"
#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"
#include "store_test_util.hpp"

namespace fleet::store::testing {

struct MemoryImpl {
  static std::unique_ptr<Store> make(const TempDir&, const Clock& clock) {
    return std::make_unique<MemoryStore>(clock);
  }
};

struct SqliteImpl {
  static std::unique_ptr<Store> make(const TempDir& dir, const Clock& clock) {
    SqliteOptions o;
    o.path = dir.file("fleet.db");
    o.clock = &clock;
    auto s = SqliteStore::open(o);
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
    return s ? std::unique_ptr<Store>(std::move(*s)) : nullptr;
  }
};

// A fresh database on the binary's throwaway PostgreSQL (tests/support/pg_server.hpp) per store.
struct PgImpl {
  static std::unique_ptr<Store> make(const TempDir&, const Clock& clock) {
    auto& server = fleet::testing::PgServer::shared();
    PgOptions o;
    o.uri = server.uri(server.create_database());
    o.clock = &clock;
    auto s = PgStore::open(o);
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
    return s ? std::unique_ptr<Store>(std::move(*s)) : nullptr;
  }
};

using StoreImpls = ::testing::Types<MemoryImpl, SqliteImpl, PgImpl>;

}  // namespace fleet::store::testing
