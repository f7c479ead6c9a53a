// Device groups and shares (store.hpp), the same behaviour from every Store implementation.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/clock.hpp"
#include "store_impls.hpp"
#include "store_test_util.hpp"

namespace fleet::store {
namespace {

using namespace fleet::store::testing;

constexpr std::int64_t kT = 1'700'000'000'000;
const TenantId kA("org_a");
const TenantId kB("org_b");

bool is_id(const std::string& id, const std::string& prefix) {
  return id.size() == prefix.size() + 32 && id.starts_with(prefix) &&
         id.find_first_not_of("0123456789abcdef", prefix.size()) == std::string::npos;
}

template <class Impl>
class GroupsSharesContract : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Impl::make(dir_, clock_);
    ASSERT_NE(store_, nullptr);
    // Three devices of org_a, one of org_b.
    for (int i = 0; i < 3; ++i) {
      auto d = create(s(), "org_a", "a" + std::to_string(i), "ka" + std::to_string(i));
      ASSERT_TRUE(d) << d.error().message;
      a_.push_back(d->id);
    }
    auto b = create(s(), "org_b", "b0", "kb0");
    ASSERT_TRUE(b);
    b_ = b->id;
  }
  void TearDown() override {
    if (store_) store_->stop();
  }
  Store& s() { return *store_; }

  Result<Group> create_group(const TenantId& t, const std::string& name, std::vector<DeviceId> devices) {
    return call<Group>([&](auto cb) { s().create_group(t, name, std::move(devices), cb); });
  }
  Result<std::vector<Group>> list_groups(const TenantId& t) {
    return call<std::vector<Group>>([&](auto cb) { s().list_groups(t, cb); });
  }
  Result<Group> set_devices(const TenantId& t, const std::string& id, std::vector<DeviceId> devices) {
    return call<Group>([&](auto cb) { s().set_group_devices(t, id, std::move(devices), cb); });
  }
  Result<Group> delete_group(const TenantId& t, const std::string& id) {
    return call<Group>([&](auto cb) { s().delete_group(t, id, cb); });
  }
  Result<GroupMembers> members(const TenantId& t, std::vector<std::string> ids) {
    return call<GroupMembers>([&](auto cb) { s().group_members(t, std::move(ids), cb); });
  }
  Result<Share> create_share(const TenantId& t, std::vector<DeviceId> devices, std::int64_t expires_ms,
                             const std::string& label = "customer") {
    Share sh;
    sh.tenant = t;
    sh.label = label;
    sh.created_by = "user_1";
    sh.devices = std::move(devices);
    sh.expires_ms = expires_ms;
    return call<Share>([&](auto cb) { s().create_share(std::move(sh), cb); });
  }
  Result<std::vector<Share>> list_shares(const TenantId& t) {
    return call<std::vector<Share>>([&](auto cb) { s().list_shares(t, cb); });
  }
  Result<Share> revoke_share(const TenantId& t, const std::string& id) {
    return call<Share>([&](auto cb) { s().revoke_share(t, id, cb); });
  }
  Result<std::vector<Share>> active_shares(std::int64_t now_ms) {
    return call<std::vector<Share>>([&](auto cb) { s().active_shares(now_ms, cb); });
  }
  void revoke_device(const TenantId& t, const DeviceId& id) {
    ASSERT_TRUE(call<Device>([&](auto cb) { s().revoke_device(t, id, cb); }));
  }

  TempDir dir_;
  ManualClock clock_{kT};
  std::unique_ptr<Store> store_;
  std::vector<DeviceId> a_;
  DeviceId b_;
};

TYPED_TEST_SUITE(GroupsSharesContract, StoreImpls);

void expect_invalid(const Error& e, const char* field) {
  EXPECT_EQ(e.code, ErrorCode::invalid_field) << e.message;
  EXPECT_EQ(e.field, field);
}

void expect_not_found(const Error& e) { EXPECT_EQ(e.code, ErrorCode::not_found) << e.message; }

std::vector<std::string> ids_of(const std::vector<Group>& groups) {
  std::vector<std::string> out;
  out.reserve(groups.size());
  for (const Group& g : groups) out.push_back(g.id);
  return out;
}

std::vector<std::string> ids_of(const std::vector<Share>& shares) {
  std::vector<std::string> out;
  out.reserve(shares.size());
  for (const Share& s : shares) out.push_back(s.id);
  return out;
}

// --- Groups

TYPED_TEST(GroupsSharesContract, CreateGroupKeepsMembersInGivenOrderOnceAndListsByCreation) {
  auto g = this->create_group(kA, "north", {this->a_[2], this->a_[0], this->a_[2]});
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_TRUE(is_id(g->id, "grp_")) << g->id;
  EXPECT_EQ(g->tenant, kA);
  EXPECT_EQ(g->name, "north");
  EXPECT_EQ(g->created_ms, kT);
  EXPECT_EQ(g->devices, (std::vector<DeviceId>{this->a_[2], this->a_[0]}));

  this->clock_.advance_ms(7);
  auto empty = this->create_group(kA, "empty", {});
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->devices.empty());
  EXPECT_NE(empty->id, g->id);

  auto list = this->list_groups(kA);
  ASSERT_TRUE(list);
  ASSERT_EQ(ids_of(*list), (std::vector<std::string>{g->id, empty->id}));
  EXPECT_EQ((*list)[0].devices, g->devices);
  EXPECT_EQ((*list)[0].name, "north");
  EXPECT_EQ((*list)[1].created_ms, kT + 7);
  auto other = this->list_groups(kB);
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->empty());
}

TYPED_TEST(GroupsSharesContract, GroupNamesAreUniquePerTenant) {
  auto g = this->create_group(kA, "north", {});
  ASSERT_TRUE(g);
  auto dup = this->create_group(kA, "north", {this->a_[0]});
  ASSERT_FALSE(dup);
  expect_invalid(dup.error(), "name");
  EXPECT_TRUE(this->create_group(kB, "north", {this->b_}));  // another tenant's namespace

  auto list = this->list_groups(kA);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 1u);
  ASSERT_TRUE(this->delete_group(kA, g->id));
  EXPECT_TRUE(this->create_group(kA, "north", {}));  // free again once deleted
}

TYPED_TEST(GroupsSharesContract, GroupDevicesMustBeTheTenantsActiveDevicesElseNothingIsStored) {
  this->revoke_device(kA, this->a_[1]);
  const std::vector<std::vector<DeviceId>> bad = {
      {this->a_[0], this->b_},                             // another tenant's
      {DeviceId("dev_00000000000000000000000000000000")},  // missing
      {this->a_[0], this->a_[1]},                          // revoked
  };
  for (const auto& devices : bad) {
    auto g = this->create_group(kA, "north", devices);
    ASSERT_FALSE(g);
    expect_invalid(g.error(), "devices");
  }
  auto list = this->list_groups(kA);
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty());
  EXPECT_TRUE(this->create_group(kA, "north", {this->a_[0]}));  // the name was never taken
}

TYPED_TEST(GroupsSharesContract, SetGroupDevicesReplacesTheMembersAllOrNothing) {
  auto g = this->create_group(kA, "north", {this->a_[0], this->a_[1]});
  ASSERT_TRUE(g);
  auto set = this->set_devices(kA, g->id, {this->a_[2], this->a_[0], this->a_[0]});
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->id, g->id);
  EXPECT_EQ(set->name, "north");
  EXPECT_EQ(set->created_ms, kT);
  EXPECT_EQ(set->devices, (std::vector<DeviceId>{this->a_[2], this->a_[0]}));

  auto bad = this->set_devices(kA, g->id, {this->a_[1], this->b_});
  ASSERT_FALSE(bad);
  expect_invalid(bad.error(), "devices");
  auto list = this->list_groups(kA);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].devices, (std::vector<DeviceId>{this->a_[2], this->a_[0]}));

  auto cleared = this->set_devices(kA, g->id, {});
  ASSERT_TRUE(cleared);
  EXPECT_TRUE(cleared->devices.empty());
}

TYPED_TEST(GroupsSharesContract, AnotherTenantsGroupIsNotFoundLikeAMissingOne) {
  auto g = this->create_group(kA, "north", {this->a_[0]});
  ASSERT_TRUE(g);
  auto set = this->set_devices(kB, g->id, {this->b_});
  ASSERT_FALSE(set);
  expect_not_found(set.error());
  auto del = this->delete_group(kB, g->id);
  ASSERT_FALSE(del);
  expect_not_found(del.error());
  auto missing = this->delete_group(kA, "grp_00000000000000000000000000000000");
  ASSERT_FALSE(missing);
  expect_not_found(missing.error());
  EXPECT_EQ(missing.error().message, del.error().message);  // nothing tells the two apart

  auto list = this->list_groups(kA);  // untouched
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].devices, (std::vector<DeviceId>{this->a_[0]}));
}

TYPED_TEST(GroupsSharesContract, DeleteGroupAnswersTheGroupAndForgetsIt) {
  auto g = this->create_group(kA, "north", {this->a_[0], this->a_[1]});
  auto keep = this->create_group(kA, "south", {this->a_[1]});
  ASSERT_TRUE(g && keep);
  auto del = this->delete_group(kA, g->id);
  ASSERT_TRUE(del) << del.error().message;
  EXPECT_EQ(del->id, g->id);
  EXPECT_EQ(del->name, "north");
  EXPECT_EQ(del->devices, g->devices);

  auto list = this->list_groups(kA);
  ASSERT_TRUE(list);
  EXPECT_EQ(ids_of(*list), (std::vector<std::string>{keep->id}));
  auto again = this->delete_group(kA, g->id);
  ASSERT_FALSE(again);
  expect_not_found(again.error());
  auto m = this->members(kA, {g->id});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->unknown, (std::vector<std::string>{g->id}));
  EXPECT_TRUE(m->devices.empty());
}

TYPED_TEST(GroupsSharesContract, GroupMembersResolveTheTenantsGroupsAndListTheRestAsUnknown) {
  auto north = this->create_group(kA, "north", {this->a_[1], this->a_[0]});
  auto south = this->create_group(kA, "south", {this->a_[0], this->a_[2]});
  auto theirs = this->create_group(kB, "b", {this->b_});
  ASSERT_TRUE(north && south && theirs);
  const std::string missing = "grp_00000000000000000000000000000000";

  auto m = this->members(kA, {north->id, missing, south->id, theirs->id, missing});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->devices, (std::vector<DeviceId>{this->a_[1], this->a_[0], this->a_[2]}));
  EXPECT_EQ(m->unknown, (std::vector<std::string>{missing, theirs->id}));

  auto none = this->members(kA, {});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->devices.empty());
  EXPECT_TRUE(none->unknown.empty());
  // org_b sees its own group and not org_a's.
  auto b = this->members(kB, {theirs->id, north->id});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->devices, (std::vector<DeviceId>{this->b_}));
  EXPECT_EQ(b->unknown, (std::vector<std::string>{north->id}));
}

TYPED_TEST(GroupsSharesContract, RevokedMembersAreLeftOutOfGroupsAndMembers) {
  auto g = this->create_group(kA, "north", {this->a_[0], this->a_[1]});
  ASSERT_TRUE(g);
  this->revoke_device(kA, this->a_[0]);

  auto m = this->members(kA, {g->id});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->devices, (std::vector<DeviceId>{this->a_[1]}));
  EXPECT_TRUE(m->unknown.empty());
  auto list = this->list_groups(kA);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].devices, (std::vector<DeviceId>{this->a_[1]}));
  // The answer of a group read can be written back as it is.
  EXPECT_TRUE(this->set_devices(kA, g->id, (*list)[0].devices));
}

// --- Shares

TYPED_TEST(GroupsSharesContract, CreateShareAssignsIdAndTimesAndListsByCreation) {
  Share given;
  given.id = "shr_chosen_by_caller";
  given.tenant = kA;
  given.label = "Customer 42";
  given.created_by = "user_7";
  given.devices = {this->a_[1], this->a_[0], this->a_[1]};
  given.created_ms = 1;
  given.expires_ms = kT + 3'600'000;
  given.revoked_ms = 5;
  auto sh = call<Share>([&](auto cb) { this->s().create_share(given, cb); });
  ASSERT_TRUE(sh) << sh.error().message;
  EXPECT_TRUE(is_id(sh->id, "shr_")) << sh->id;
  EXPECT_EQ(sh->tenant, kA);
  EXPECT_EQ(sh->label, "Customer 42");
  EXPECT_EQ(sh->created_by, "user_7");
  EXPECT_EQ(sh->devices, (std::vector<DeviceId>{this->a_[1], this->a_[0]}));
  EXPECT_EQ(sh->created_ms, kT);
  EXPECT_EQ(sh->expires_ms, kT + 3'600'000);
  EXPECT_FALSE(sh->revoked_ms);

  this->clock_.advance_ms(3);
  auto second = this->create_share(kA, {this->a_[2]}, kT + 10'000, "");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->label, "");
  auto list = this->list_shares(kA);
  ASSERT_TRUE(list);
  ASSERT_EQ(ids_of(*list), (std::vector<std::string>{sh->id, second->id}));
  EXPECT_EQ((*list)[0].devices, sh->devices);
  EXPECT_EQ((*list)[0].label, "Customer 42");
  EXPECT_EQ((*list)[0].created_by, "user_7");
  EXPECT_EQ((*list)[0].expires_ms, kT + 3'600'000);
  EXPECT_EQ((*list)[1].created_ms, kT + 3);
  auto other = this->list_shares(kB);
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->empty());
}

TYPED_TEST(GroupsSharesContract, ShareDevicesMustBeTheTenantsActiveDevicesElseNothingIsStored) {
  this->revoke_device(kA, this->a_[2]);
  for (const auto& devices : std::vector<std::vector<DeviceId>>{
           {this->a_[0], this->b_}, {DeviceId("dev_00000000000000000000000000000000")}, {this->a_[2]}}) {
    auto sh = this->create_share(kA, devices, kT + 60'000);
    ASSERT_FALSE(sh);
    expect_invalid(sh.error(), "devices");
  }
  auto list = this->list_shares(kA);
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty());
  auto active = this->active_shares(kT);
  ASSERT_TRUE(active);
  EXPECT_TRUE(active->empty());
}

TYPED_TEST(GroupsSharesContract, RevokeShareOnceKeepsTheFirstTimeAndOnlyForItsTenant) {
  auto sh = this->create_share(kA, {this->a_[0]}, kT + 60'000);
  ASSERT_TRUE(sh);
  auto theirs = this->revoke_share(kB, sh->id);
  ASSERT_FALSE(theirs);
  expect_not_found(theirs.error());
  auto missing = this->revoke_share(kA, "shr_00000000000000000000000000000000");
  ASSERT_FALSE(missing);
  expect_not_found(missing.error());
  EXPECT_EQ(missing.error().message, theirs.error().message);
  auto list = this->list_shares(kA);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_FALSE((*list)[0].revoked_ms);  // org_b's attempt changed nothing

  this->clock_.advance_ms(10);
  auto revoked = this->revoke_share(kA, sh->id);
  ASSERT_TRUE(revoked) << revoked.error().message;
  EXPECT_EQ(revoked->revoked_ms, kT + 10);
  EXPECT_EQ(revoked->devices, sh->devices);
  this->clock_.advance_ms(10);
  auto again = this->revoke_share(kA, sh->id);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->revoked_ms, kT + 10);
  list = this->list_shares(kA);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);  // listed still, as revoked
  EXPECT_EQ((*list)[0].revoked_ms, kT + 10);
}

TYPED_TEST(GroupsSharesContract, ActiveSharesAreTheUnrevokedUnexpiredOfEveryTenant) {
  auto a1 = this->create_share(kA, {this->a_[0]}, kT + 1'000);
  auto b1 = this->create_share(kB, {this->b_}, kT + 5'000);
  auto a2 = this->create_share(kA, {this->a_[1], this->a_[2]}, kT + 9'000);
  auto gone = this->create_share(kA, {this->a_[0]}, kT + 9'000);
  ASSERT_TRUE(a1 && b1 && a2 && gone);
  ASSERT_TRUE(this->revoke_share(kA, gone->id));

  auto now = this->active_shares(kT);
  ASSERT_TRUE(now);
  ASSERT_EQ(ids_of(*now), (std::vector<std::string>{a1->id, b1->id, a2->id}));
  EXPECT_EQ((*now)[1].tenant, kB);
  EXPECT_EQ((*now)[1].devices, (std::vector<DeviceId>{this->b_}));
  EXPECT_EQ((*now)[2].devices, (std::vector<DeviceId>{this->a_[1], this->a_[2]}));
  EXPECT_EQ((*now)[2].created_by, "user_1");
  auto edge = this->active_shares(kT + 1'000);  // expired at exactly expires_ms
  ASSERT_TRUE(edge);
  EXPECT_EQ(ids_of(*edge), (std::vector<std::string>{b1->id, a2->id}));
  auto later = this->active_shares(kT + 9'000);
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->empty());
}

TYPED_TEST(GroupsSharesContract, ShareKeyIs32BytesStableAndPerStore) {
  const std::string key = this->s().share_key();
  EXPECT_EQ(key.size(), 32u);
  EXPECT_EQ(this->s().share_key(), key);
  TempDir other_dir;
  ManualClock clock{kT};
  auto other = TypeParam::make(other_dir, clock);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->share_key().size(), 32u);
  EXPECT_NE(other->share_key(), key);
  other->stop();
}

TYPED_TEST(GroupsSharesContract, EveryCallIsRefusedOnceStopped) {
  auto g = this->create_group(kA, "north", {});
  ASSERT_TRUE(g);
  this->s().stop();
  const auto unavailable = [](const auto& r) { return !r && r.error().code == ErrorCode::unavailable; };
  EXPECT_TRUE(unavailable(this->create_group(kA, "south", {})));
  EXPECT_TRUE(unavailable(this->list_groups(kA)));
  EXPECT_TRUE(unavailable(this->set_devices(kA, g->id, {})));
  EXPECT_TRUE(unavailable(this->delete_group(kA, g->id)));
  EXPECT_TRUE(unavailable(this->members(kA, {g->id})));
  EXPECT_TRUE(unavailable(this->create_share(kA, {this->a_[0]}, kT + 60'000)));
  EXPECT_TRUE(unavailable(this->list_shares(kA)));
  EXPECT_TRUE(unavailable(this->revoke_share(kA, "shr_00000000000000000000000000000000")));
  EXPECT_TRUE(unavailable(this->active_shares(kT)));
}

}  // namespace
}  // namespace fleet::store
