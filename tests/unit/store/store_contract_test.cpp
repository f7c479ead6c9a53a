// The Store contract, run against every implementation.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/clock.hpp"
#include "store_impls.hpp"
#include "store_test_util.hpp"

namespace fleet::store {
namespace {

using namespace fleet::store::testing;

template <class Impl>
class StoreContract : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Impl::make(dir_, clock_);
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    if (store_) store_->stop();
  }
  Store& s() { return *store_; }

  TempDir dir_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<Store> store_;
};

TYPED_TEST_SUITE(StoreContract, StoreImpls);

constexpr std::int64_t kT = 1'700'000'000'000;

TYPED_TEST(StoreContract, CreateGetListRevoke) {
  auto a = create(this->s(), "org_a", "truck 1", "key-a1");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->id.str().size(), 36u);
  EXPECT_EQ(a->id.str().substr(0, 4), "dev_");
  EXPECT_EQ(a->id.str().find_first_not_of("0123456789abcdef", 4), std::string::npos);
  EXPECT_EQ(a->tenant.str(), "org_a");
  EXPECT_EQ(a->name, "truck 1");
  EXPECT_EQ(a->created_ms, kT);
  EXPECT_FALSE(a->revoked_ms);
  auto b = create(this->s(), "org_a", "truck 2", "key-a2");
  ASSERT_TRUE(b.has_value());
  EXPECT_NE(a->id, b->id);

  auto got = call<Device>([&](auto cb) { this->s().get_device(TenantId("org_a"), a->id, cb); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->name, "truck 1");
  EXPECT_FALSE(got->last);

  this->clock_.advance_ms(5);
  auto revoked = call<Device>([&](auto cb) { this->s().revoke_device(TenantId("org_a"), a->id, cb); });
  ASSERT_TRUE(revoked.has_value());
  EXPECT_EQ(revoked->revoked_ms, kT + 5);
  this->clock_.advance_ms(5);
  auto again = call<Device>([&](auto cb) { this->s().revoke_device(TenantId("org_a"), a->id, cb); });
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->revoked_ms, kT + 5);  // the first revocation time is kept

  auto list = call<std::vector<Device>>([&](auto cb) { this->s().list_devices(TenantId("org_a"), cb); });
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, a->id);  // creation order
  EXPECT_TRUE((*list)[0].revoked_ms);
  EXPECT_EQ((*list)[1].id, b->id);
}

TYPED_TEST(StoreContract, DuplicateKeyRefused) {
  ASSERT_TRUE(create(this->s(), "org_a", "one", "same-key"));
  auto dup = create(this->s(), "org_b", "two", "same-key");
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code, ErrorCode::invalid_field);
}

TYPED_TEST(StoreContract, SeqsAreConsecutivePerTenantAndIndependent) {
  ASSERT_TRUE(create(this->s(), "org_a", "a1", "ka1"));
  ASSERT_TRUE(create(this->s(), "org_a", "a2", "ka2"));
  ASSERT_TRUE(create(this->s(), "org_b", "b1", "kb1"));

  auto r1 = append(this->s(), "ka1", {point(kT), point(kT + 1)});
  ASSERT_TRUE(r1.has_value());
  ASSERT_EQ(r1->points.size(), 2u);
  EXPECT_EQ(r1->points[0].seq, 1u);
  EXPECT_EQ(r1->points[1].seq, 2u);
  EXPECT_EQ(r1->last_seq, 2u);
  EXPECT_EQ(r1->tenant.str(), "org_a");

  auto rb = append(this->s(), "kb1", {point(kT)});
  ASSERT_TRUE(rb.has_value());
  EXPECT_EQ(rb->points[0].seq, 1u);  // org_b counts on its own
  EXPECT_EQ(rb->tenant.str(), "org_b");

  auto r2 = append(this->s(), "ka2", {point(kT + 2), point(kT + 3), point(kT + 4)});
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->points[0].seq, 3u);
  EXPECT_EQ(r2->points[2].seq, 5u);
  EXPECT_EQ(r2->last_seq, 5u);
  EXPECT_EQ(r2->points[0].received_ms, 1'700'000'000'000);
  EXPECT_EQ(r2->points[0].device, r2->device);
}

TYPED_TEST(StoreContract, EventsAfterAreExactlyTheTenantsPointsAfterSinceInSeqOrder) {
  ASSERT_TRUE(create(this->s(), "org_a", "a1", "ka1"));
  ASSERT_TRUE(create(this->s(), "org_a", "a2", "ka2"));
  ASSERT_TRUE(create(this->s(), "org_b", "b1", "kb1"));
  ASSERT_TRUE(append(this->s(), "ka1", {point(kT, 1.5), point(kT + 1)}));
  ASSERT_TRUE(append(this->s(), "kb1", {point(kT)}));
  ASSERT_TRUE(append(this->s(), "ka2", {point(kT + 5), point(kT + 3)}));  // out of ts order: seq order counts
  ASSERT_TRUE(append(this->s(), "ka1", {point(kT + 9)}));

  auto r = events_after(this->s(), "org_a", 1, 100);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(r->seq, 5u);
  ASSERT_EQ(r->points.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(r->points[i].seq, 2 + i);
  EXPECT_EQ(r->points[1].point.ts_ms, kT + 5);
  EXPECT_EQ(r->points[3].point.ts_ms, kT + 9);
  EXPECT_NE(r->points[0].device, r->points[1].device);

  auto all = events_after(this->s(), "org_a", 0, 5);  // exactly at the bound
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->complete);
  EXPECT_DOUBLE_EQ(all->points.front().point.lat, 1.5);

  auto head = events_after(this->s(), "org_a", 5, 100);
  ASSERT_TRUE(head.has_value());
  EXPECT_TRUE(head->complete);
  EXPECT_TRUE(head->points.empty());

  // Never partial: more than the bound, or a since beyond the tenant's seq, is incomplete and empty.
  auto over = events_after(this->s(), "org_a", 0, 4);
  ASSERT_TRUE(over.has_value());
  EXPECT_FALSE(over->complete);
  EXPECT_TRUE(over->points.empty());
  EXPECT_EQ(over->seq, 5u);
  auto ahead = events_after(this->s(), "org_a", 6, 100);
  ASSERT_TRUE(ahead.has_value());
  EXPECT_FALSE(ahead->complete);

  auto unknown = events_after(this->s(), "org_nobody", 0, 100);
  ASSERT_TRUE(unknown.has_value());
  EXPECT_TRUE(unknown->complete);
  EXPECT_EQ(unknown->seq, 0u);
}

TYPED_TEST(StoreContract, EpochsDifferPerTenantAndStayPerStore) {
  const std::string a = this->s().epoch(TenantId("org_a"));
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(this->s().epoch(TenantId("org_a")), a);
  EXPECT_NE(this->s().epoch(TenantId("org_b")), a);
  // Another store (another database) is another seq space.
  TempDir other_dir;
  ManualClock clock{kT};
  auto other = TypeParam::make(other_dir, clock);
  ASSERT_NE(other, nullptr);
  EXPECT_NE(other->epoch(TenantId("org_a")), a);
  other->stop();
}

TYPED_TEST(StoreContract, UnknownAndRevokedKeysAreUnauthorizedAndStoreNothing) {
  auto d = create(this->s(), "org_a", "a1", "ka1");
  ASSERT_TRUE(d.has_value());
  auto unknown = append(this->s(), "nope", {point(kT)});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::unauthorized);

  ASSERT_TRUE(call<Device>([&](auto cb) { this->s().revoke_device(TenantId("org_a"), d->id, cb); }));
  auto revoked = append(this->s(), "ka1", {point(kT)});
  ASSERT_FALSE(revoked.has_value());
  EXPECT_EQ(revoked.error().code, ErrorCode::unauthorized);

  auto snap = snapshot(this->s(), "org_a");
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->seq, 0u);
  EXPECT_TRUE(snap->devices.empty());  // revoked devices leave the snapshot
  auto h =
      history(this->s(), HistoryQuery{TenantId("org_a"), d->id, INT64_MIN, INT64_MAX, 100, std::nullopt});
  ASSERT_TRUE(h.has_value());
  EXPECT_TRUE(h->points.empty());
}

TYPED_TEST(StoreContract, ConcurrentAppendsAreAllAcknowledgedGapFree) {
  constexpr int kThreads = 4;
  constexpr int kAppends = 60;
  std::vector<Device> devices;
  for (int t = 0; t < kThreads; ++t) {
    auto d = create(this->s(), "org_a", "d", "key" + std::to_string(t));
    ASSERT_TRUE(d.has_value());
    devices.push_back(*d);
  }
  std::mutex mu;
  std::vector<Seq> seqs;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::future<void>> acks;
      for (int i = 0; i < kAppends; ++i) {
        auto done = std::make_shared<std::promise<void>>();
        acks.push_back(done->get_future());
        std::vector<TelemetryPoint> pts{point(kT + i), point(kT + i)};
        this->s().append(AppendRequest{"key" + std::to_string(t), pts, kT},
                         [&, done](Result<AppendResult> r) {
                           if (!r) {
                             ++failures;
                           } else {
                             std::lock_guard lock(mu);
                             for (const auto& p : r->points) seqs.push_back(p.seq);
                           }
                           done->set_value();
                         });
      }
      for (auto& f : acks) f.get();
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  constexpr std::size_t kTotal = kThreads * kAppends * 2;
  ASSERT_EQ(seqs.size(), kTotal);
  std::sort(seqs.begin(), seqs.end());
  for (std::size_t i = 0; i < kTotal; ++i) ASSERT_EQ(seqs[i], i + 1);

  auto snap = snapshot(this->s(), "org_a");
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->seq, kTotal);
  std::size_t in_history = 0;
  for (const Device& d : devices) {
    auto h =
        history(this->s(), HistoryQuery{TenantId("org_a"), d.id, INT64_MIN, INT64_MAX, 1000, std::nullopt});
    ASSERT_TRUE(h.has_value());
    in_history += h->points.size();
  }
  EXPECT_EQ(in_history, kTotal);
}

TYPED_TEST(StoreContract, SnapshotReflectsNewestByTsThenSeq) {
  auto a = create(this->s(), "org_a", "a", "ka");
  auto b = create(this->s(), "org_a", "b", "kb");
  auto c = create(this->s(), "org_a", "c", "kc");
  ASSERT_TRUE(a && b && c);
  TelemetryPoint p = point(kT + 100, 10, 20);
  p.speed_kph = 42;
  p.attributes_json = R"({"door":"open"})";
  ASSERT_TRUE(append(this->s(), "ka", {p}));
  ASSERT_TRUE(append(this->s(), "ka", {point(kT + 50, 11, 21)}));  // older: must not replace last
  ASSERT_TRUE(append(this->s(), "kb", {point(kT + 7, 1, 1), point(kT + 7, 2, 2)}));  // tie: later seq wins
  ASSERT_TRUE(call<Device>([&](auto cb) { this->s().revoke_device(TenantId("org_a"), c->id, cb); }));

  auto snap = snapshot(this->s(), "org_a");
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->seq, 4u);
  ASSERT_EQ(snap->devices.size(), 2u);
  const Device& da = snap->devices[0];
  ASSERT_TRUE(da.last);
  EXPECT_EQ(da.last->seq, 1u);
  EXPECT_EQ(da.last->point, p);
  EXPECT_EQ(da.last->device, a->id);
  const Device& db = snap->devices[1];
  ASSERT_TRUE(db.last);
  EXPECT_EQ(db.last->seq, 4u);
  EXPECT_EQ(db.last->point.lat, 2);

  auto other = snapshot(this->s(), "org_none");
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->seq, 0u);
  EXPECT_TRUE(other->devices.empty());
}

// The WebSocket session's gap-free rule rests on this: a snapshot with seq S, taken on any thread while
// appends commit, shows as each device's last the newest (by ts, then seq) of its points with seq <= S,
// and nothing later.
TYPED_TEST(StoreContract, SnapshotsTakenDuringAppendsShowExactlyThePointsUpToTheirSeq) {
  constexpr int kDevices = 4;
  constexpr int kBursts = 30;
  constexpr int kPerBurst = 10;
  std::vector<Device> devices;
  for (int i = 0; i < kDevices; ++i) {
    auto d = create(this->s(), "org_a", "d" + std::to_string(i), "key" + std::to_string(i));
    ASSERT_TRUE(d.has_value());
    devices.push_back(*d);
  }
  ASSERT_TRUE(create(this->s(), "org_b", "other", "other"));
  ASSERT_TRUE(append(this->s(), "other", {point(kT)}));  // another tenant's seq must not leak in

  std::mutex mu;
  std::map<Seq, StoredPoint> committed;  // every acknowledged point of org_a
  std::atomic<bool> writing{true};
  std::atomic<int> snapshot_failures{0};
  std::vector<Snapshot> seen;  // kept when the seq moved, and a sample of the rest
  std::thread reader([&] {
    Seq prev = 0;
    std::size_t taken = 0;
    while (writing.load()) {
      auto snap = snapshot(this->s(), "org_a");
      if (!snap) {
        ++snapshot_failures;
        continue;
      }
      if (snap->seq < prev) ++snapshot_failures;  // one reader must never see time go backwards
      if ((snap->seq != prev || ++taken % 64 == 0) && seen.size() < 4'000) seen.push_back(*snap);
      prev = snap->seq;
    }
  });

  std::uint32_t rng = 12345;  // a fixed LCG: disorder and ties in device time, reproducibly
  auto next_ts = [&rng] {
    rng = rng * 1'664'525u + 1'013'904'223u;
    return kT + static_cast<std::int64_t>((rng >> 16) % 40);
  };
  int sent = 0;
  for (int burst = 0; burst < kBursts; ++burst) {
    std::vector<std::future<bool>> acks;
    for (int i = 0; i < kPerBurst; ++i, ++sent) {
      std::vector<TelemetryPoint> pts;
      for (int k = 0; k <= sent % 3; ++k) pts.push_back(point(next_ts(), sent, k));
      auto done = std::make_shared<std::promise<bool>>();
      acks.push_back(done->get_future());
      this->s().append(AppendRequest{"key" + std::to_string(sent % kDevices), std::move(pts), kT},
                       [&, done](Result<AppendResult> r) {
                         if (r) {
                           std::lock_guard lock(mu);
                           for (const auto& p : r->points) committed.emplace(p.seq, p);
                         }
                         done->set_value(r.has_value());
                       });
    }
    for (auto& f : acks) ASSERT_TRUE(f.get());
  }
  writing = false;
  reader.join();
  auto final_snap = snapshot(this->s(), "org_a");
  ASSERT_TRUE(final_snap.has_value());
  seen.push_back(*final_snap);

  EXPECT_EQ(snapshot_failures.load(), 0);
  ASSERT_FALSE(committed.empty());
  EXPECT_EQ(committed.rbegin()->first, committed.size());  // gap-free 1..N
  EXPECT_EQ(final_snap->seq, committed.size());
  for (const Snapshot& snap : seen) {
    SCOPED_TRACE("snapshot seq " + std::to_string(snap.seq));
    ASSERT_LE(snap.seq, committed.size());
    ASSERT_EQ(snap.devices.size(), devices.size());
    std::map<DeviceId, const StoredPoint*> newest;  // over the points with seq <= snap.seq, in seq order
    for (auto it = committed.begin(); it != committed.end() && it->first <= snap.seq; ++it) {
      const StoredPoint*& n = newest[it->second.device];
      if (n == nullptr || it->second.point.ts_ms >= n->point.ts_ms) n = &it->second;
    }
    for (std::size_t i = 0; i < devices.size(); ++i) {
      const Device& d = snap.devices[i];
      ASSERT_EQ(d.id, devices[i].id);
      const StoredPoint* want = newest.contains(d.id) ? newest[d.id] : nullptr;
      ASSERT_EQ(d.last.has_value(), want != nullptr) << i;
      if (want == nullptr) continue;
      ASSERT_EQ(d.last->seq, want->seq) << i;
      ASSERT_EQ(d.last->point, want->point) << i;
    }
  }
}

TYPED_TEST(StoreContract, HistoryPagesCoverEveryPointOnceWithTiesAndDisorder) {
  auto d = create(this->s(), "org_a", "a", "ka");
  ASSERT_TRUE(create(this->s(), "org_a", "other", "kother"));
  ASSERT_TRUE(d.has_value());
  // Out-of-order arrival with many tied timestamps, interleaved with another device's seqs.
  const std::vector<std::int64_t> offsets = {5, 1, 5, 3, 1, 5, 2, 9, 1, 5, 0, 3, 3};
  std::vector<TelemetryPoint> first, second;
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    (i % 2 == 0 ? first : second).push_back(point(kT + offsets[i], static_cast<double>(i)));
  }
  ASSERT_TRUE(append(this->s(), "ka", first));
  ASSERT_TRUE(append(this->s(), "kother", {point(kT + 1)}));
  ASSERT_TRUE(append(this->s(), "ka", second));

  for (std::size_t page_size : {1u, 2u, 3u, 5u, 100u}) {
    std::vector<StoredPoint> all;
    HistoryQuery q{TenantId("org_a"), d->id, INT64_MIN, INT64_MAX, page_size, std::nullopt};
    for (int guard = 0; guard < 100; ++guard) {
      auto page = history(this->s(), q);
      ASSERT_TRUE(page.has_value()) << page.error().message;
      EXPECT_LE(page->points.size(), page_size);
      all.insert(all.end(), page->points.begin(), page->points.end());
      if (!page->next_after) break;
      EXPECT_EQ(*page->next_after, page->points.back().seq);
      q.after_seq = page->next_after;
    }
    ASSERT_EQ(all.size(), offsets.size()) << "page size " << page_size;
    std::set<Seq> unique;
    for (std::size_t i = 0; i < all.size(); ++i) {
      unique.insert(all[i].seq);
      EXPECT_EQ(all[i].device, d->id);
      if (i > 0) {
        EXPECT_TRUE(std::tie(all[i - 1].point.ts_ms, all[i - 1].seq) <
                    std::tie(all[i].point.ts_ms, all[i].seq));
      }
    }
    EXPECT_EQ(unique.size(), offsets.size());
  }

  // Range is [from, to) on device time.
  auto ranged = history(this->s(), HistoryQuery{TenantId("org_a"), d->id, kT + 1, kT + 5, 100, std::nullopt});
  ASSERT_TRUE(ranged.has_value());
  ASSERT_EQ(ranged->points.size(), 7u);  // offsets 1,1,1,2,3,3,3
  for (const auto& p : ranged->points) {
    EXPECT_GE(p.point.ts_ms, kT + 1);
    EXPECT_LT(p.point.ts_ms, kT + 5);
  }
  EXPECT_FALSE(ranged->next_after);
}

TYPED_TEST(StoreContract, HistoryLimitIsCappedAndBadCursorRefused) {
  auto d = create(this->s(), "org_a", "a", "ka");
  auto other = create(this->s(), "org_a", "b", "kb");
  ASSERT_TRUE(d && other);
  std::vector<TelemetryPoint> pts(1100, point(kT));
  ASSERT_TRUE(append(this->s(), "ka", pts));
  auto other_pt = append(this->s(), "kb", {point(kT)});
  ASSERT_TRUE(other_pt.has_value());
  auto page =
      history(this->s(), HistoryQuery{TenantId("org_a"), d->id, INT64_MIN, INT64_MAX, 5000, std::nullopt});
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->points.size(), 1000u);
  EXPECT_EQ(page->next_after, 1000u);

  auto bad = history(this->s(),
                     HistoryQuery{TenantId("org_a"), d->id, INT64_MIN, INT64_MAX, 10, other_pt->last_seq});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_field);
}

TYPED_TEST(StoreContract, TenantIsolationLooksLikeMissing) {
  auto d = create(this->s(), "org_a", "a", "ka");
  ASSERT_TRUE(d.has_value());
  ASSERT_TRUE(append(this->s(), "ka", {point(kT)}));
  const DeviceId missing("dev_00000000000000000000000000000000");
  for (const DeviceId& id : {d->id, missing}) {
    auto got = call<Device>([&](auto cb) { this->s().get_device(TenantId("org_b"), id, cb); });
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().code, ErrorCode::not_found);
    auto rev = call<Device>([&](auto cb) { this->s().revoke_device(TenantId("org_b"), id, cb); });
    ASSERT_FALSE(rev.has_value());
    EXPECT_EQ(rev.error().code, ErrorCode::not_found);
    auto h = history(this->s(), HistoryQuery{TenantId("org_b"), id, INT64_MIN, INT64_MAX, 100, std::nullopt});
    ASSERT_FALSE(h.has_value());
    EXPECT_EQ(h.error().code, ErrorCode::not_found);
  }
  auto list = call<std::vector<Device>>([&](auto cb) { this->s().list_devices(TenantId("org_b"), cb); });
  ASSERT_TRUE(list.has_value());
  EXPECT_TRUE(list->empty());
  // The failed cross-tenant revoke changed nothing.
  EXPECT_TRUE(append(this->s(), "ka", {point(kT)}).has_value());
}

TYPED_TEST(StoreContract, StoppedStoreRefusesWork) {
  ASSERT_TRUE(create(this->s(), "org_a", "a", "ka"));
  this->s().stop();
  this->s().stop();  // idempotent
  auto r = append(this->s(), "ka", {point(kT)});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::unavailable);
  auto c = create(this->s(), "org_a", "b", "kb");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, ErrorCode::unavailable);
}

// The transport asks device_key_active before it reads an ingest body (HTTP edge): it must follow every
// create and revoke whose callback has run, and know only what append would accept.
TYPED_TEST(StoreContract, DeviceKeyActiveFollowsCreateAndRevoke) {
  const std::string key(64, 'a');
  EXPECT_FALSE(this->s().device_key_active(key));
  auto d = create(this->s(), "org_a", "truck", key);
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(this->s().device_key_active(key));
  EXPECT_FALSE(this->s().device_key_active(std::string(64, 'b')));
  EXPECT_FALSE(this->s().device_key_active(""));
  ASSERT_TRUE(call<Device>([&](auto cb) { this->s().revoke_device(TenantId("org_a"), d->id, cb); }));
  EXPECT_FALSE(this->s().device_key_active(key));
  EXPECT_FALSE(append(this->s(), key, {point(kT)}).has_value());
}

}  // namespace
}  // namespace fleet::store
