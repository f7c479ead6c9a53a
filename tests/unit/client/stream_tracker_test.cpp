// StreamTracker on its own: the consistency rule of docs/protocol.md ("With prev the last seq the client
// applied, a frame is consistent when its events ascend, the first is above prev, and last - prev =
// events.length + skipped") and the resume point it keeps.
#include "fleet/stream_tracker.hpp"

#include <gtest/gtest.h>

#include <initializer_list>

namespace fleet {
namespace {

using Verdict = StreamTracker::Verdict;
using Phase = StreamTracker::Phase;

constexpr const char* kEpoch = "5f0c2a9e1b7d4c36";

proto::Hello hello(Seq seq, std::optional<bool> recovered = {}, std::string epoch = kEpoch) {
  proto::Hello h;
  h.tenant = "org_a";
  h.user = "alice";
  h.seq = seq;
  h.epoch = std::move(epoch);
  h.recovered = recovered;
  return h;
}

proto::TelemetryMessage frame(std::initializer_list<Seq> seqs, std::uint64_t skipped = 0) {
  proto::TelemetryMessage t;
  for (Seq s : seqs) {
    StoredPoint p;
    p.seq = s;
    t.events.push_back(p);
  }
  t.skipped = skipped;
  return t;
}

// A tracker live at `seq` after a fresh session's snapshot.
StreamTracker live_at(Seq seq) {
  StreamTracker t;
  t.begin_connection();
  t.on_hello(hello(seq));
  t.on_snapshot(seq);
  return t;
}

TEST(StreamTracker, AFreshConnectionHasNothingToResume) {
  StreamTracker t;
  EXPECT_FALSE(t.begin_connection().has_value());
  EXPECT_EQ(t.phase(), Phase::awaiting_hello);
}

TEST(StreamTracker, TheSnapshotMakesItLiveAndResumable) {
  StreamTracker t;
  t.begin_connection();
  EXPECT_EQ(t.on_hello(hello(41)), Verdict::apply);
  EXPECT_EQ(t.phase(), Phase::awaiting_snapshot);
  EXPECT_FALSE(t.resume_point().has_value());  // nothing applied yet
  EXPECT_EQ(t.on_snapshot(41), Verdict::apply);
  EXPECT_EQ(t.phase(), Phase::live);
  ASSERT_TRUE(t.resume_point().has_value());
  EXPECT_EQ(t.resume_point()->since, 41u);
  EXPECT_EQ(t.resume_point()->epoch, kEpoch);
}

struct FrameCase {
  const char* name;
  proto::TelemetryMessage frame;
  Verdict verdict;
};

class StreamTrackerFrames : public ::testing::TestWithParam<FrameCase> {};

TEST_P(StreamTrackerFrames, Prev10) {
  StreamTracker t = live_at(10);
  EXPECT_EQ(t.on_telemetry(GetParam().frame), GetParam().verdict);
  // Loss leaves the resume point where it was; applying moves it to the frame's last event.
  const Seq want = GetParam().verdict == Verdict::apply ? GetParam().frame.events.back().seq : 10;
  EXPECT_EQ(t.resume_point()->since, want);
}

INSTANTIATE_TEST_SUITE_P(
    Rule, StreamTrackerFrames,
    ::testing::Values(FrameCase{"next", frame({11}), Verdict::apply},
                      FrameCase{"several", frame({11, 12, 13}), Verdict::apply},
                      FrameCase{"skipped_before_the_first", frame({14}, 3), Verdict::apply},
                      FrameCase{"skipped_between", frame({11, 15}, 3), Verdict::apply},
                      FrameCase{"gap", frame({12}), Verdict::loss},
                      FrameCase{"gap_not_fully_explained", frame({15}, 3), Verdict::loss},
                      FrameCase{"skipped_too_many", frame({12}, 2), Verdict::loss},
                      FrameCase{"skipped_overflowing", frame({12}, ~std::uint64_t{0}), Verdict::loss},
                      FrameCase{"duplicate_first", frame({10, 11}), Verdict::loss},
                      FrameCase{"old", frame({5}), Verdict::loss},
                      FrameCase{"descending", frame({12, 11}, 0), Verdict::loss},
                      FrameCase{"repeated", frame({11, 11}), Verdict::loss}),
    [](const ::testing::TestParamInfo<FrameCase>& param) { return std::string(param.param.name); });

TEST(StreamTracker, AnEmptyFrameChangesNothing) {
  StreamTracker t = live_at(10);
  EXPECT_EQ(t.on_telemetry(frame({})), Verdict::ignore);
  EXPECT_EQ(t.on_telemetry(frame({11})), Verdict::apply);
}

TEST(StreamTracker, TelemetryBeforeItsSnapshotIsLoss) {
  StreamTracker t;
  t.begin_connection();
  t.on_hello(hello(5));
  EXPECT_EQ(t.on_telemetry(frame({6})), Verdict::loss);
}

TEST(StreamTracker, ASnapshotBeforeHelloIsIgnored) {
  StreamTracker t;
  t.begin_connection();
  EXPECT_EQ(t.on_snapshot(5), Verdict::ignore);
  EXPECT_EQ(t.phase(), Phase::awaiting_hello);
}

TEST(StreamTracker, ASecondHelloIsLoss) {
  StreamTracker t = live_at(10);
  EXPECT_EQ(t.on_hello(hello(10)), Verdict::loss);
}

TEST(StreamTracker, ResumeRecoveredContinuesFromSince) {
  StreamTracker t = live_at(10);
  t.on_telemetry(frame({11, 12}));
  const auto asked = t.begin_connection();
  ASSERT_TRUE(asked.has_value());
  EXPECT_EQ(asked->since, 12u);
  EXPECT_EQ(asked->epoch, kEpoch);
  EXPECT_EQ(t.on_hello(hello(12, true)), Verdict::apply);
  EXPECT_EQ(t.phase(), Phase::live);
  EXPECT_EQ(t.on_telemetry(frame({13})), Verdict::apply);
  EXPECT_EQ(t.resume_point()->since, 13u);
}

TEST(StreamTracker, ResumeNotRecoveredWaitsForTheSnapshotAndKeepsTheOldPointUntilThen) {
  StreamTracker t = live_at(10);
  t.begin_connection();
  EXPECT_EQ(t.on_hello(hello(50, false, "0123456789abcdef")), Verdict::apply);
  EXPECT_EQ(t.phase(), Phase::awaiting_snapshot);
  EXPECT_EQ(t.resume_point()->since, 10u);
  EXPECT_EQ(t.resume_point()->epoch, kEpoch);
  // The connection drops here: the next one asks for the same point again.
  EXPECT_EQ(t.begin_connection()->since, 10u);
  t.on_hello(hello(50, false, "0123456789abcdef"));
  t.on_snapshot(50);
  EXPECT_EQ(t.resume_point()->since, 50u);
  EXPECT_EQ(t.resume_point()->epoch, "0123456789abcdef");
}

TEST(StreamTracker, RecoveredAtAnotherSeqOrEpochIsLossAndForgetsTheResumePoint) {
  for (const proto::Hello& h : {hello(11, true), hello(9, true), hello(10, true, "another_epoch")}) {
    StreamTracker t = live_at(10);
    t.begin_connection();
    EXPECT_EQ(t.on_hello(h), Verdict::loss) << h.seq << " " << h.epoch;
    EXPECT_FALSE(t.begin_connection().has_value());
  }
}

TEST(StreamTracker, RecoveredWithoutAskingMeansASnapshotFollows) {
  StreamTracker t;
  t.begin_connection();
  EXPECT_EQ(t.on_hello(hello(5, true)), Verdict::apply);
  EXPECT_EQ(t.phase(), Phase::awaiting_snapshot);
}

TEST(StreamTracker, WithoutAUsableEpochThereIsNoResume) {
  // A protocol 1 server sends no epoch; a malformed one would be refused with 1008 Invalid resume.
  for (const char* epoch : {"", "has space", "ünicode", "x/y"}) {
    StreamTracker t;
    t.begin_connection();
    t.on_hello(hello(3, {}, epoch));
    t.on_snapshot(3);
    EXPECT_EQ(t.on_telemetry(frame({4})), Verdict::apply) << epoch;  // the gap check still works
    EXPECT_EQ(t.on_telemetry(frame({6})), Verdict::loss) << epoch;
    EXPECT_FALSE(t.begin_connection().has_value()) << epoch;
  }
}

TEST(StreamTracker, ForgetStartsTheNextConnectionFresh) {
  StreamTracker t = live_at(10);
  t.forget();
  EXPECT_FALSE(t.begin_connection().has_value());
}

}  // namespace
}  // namespace fleet
