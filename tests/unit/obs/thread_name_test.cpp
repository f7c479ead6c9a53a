#include "obs/thread_name.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace fleet::obs {
namespace {

std::string named_in_thread(const std::string& name) {
  std::string seen;
  std::thread t([&] {
    set_thread_name(name);
    seen = thread_name();
  });
  t.join();
  return seen;
}

TEST(ThreadName, NamesTheCallingThread) { EXPECT_EQ(named_in_thread("fleet-store"), "fleet-store"); }

TEST(ThreadName, CutsToWhatLinuxKeeps) {
  EXPECT_EQ(named_in_thread("fleet-a-very-long-thread-name"), "fleet-a-very-lo");  // 15 bytes
}

}  // namespace
}  // namespace fleet::obs
