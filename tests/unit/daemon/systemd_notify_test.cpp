// SystemdNotifier against a real notification socket: a unix datagram socket in a temporary folder
// named by NOTIFY_SOCKET, as systemd sets it up for a Type=notify service, and the watchdog
// interval as systemd passes it (WATCHDOG_USEC, WATCHDOG_PID).
#include "daemon/systemd_notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

namespace cohortwatch::daemon {
namespace {

namespace fs = std::filesystem;
using std::chrono::microseconds;

// Sets an environment variable for one test and puts the old value back afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    set(value);
  }
  ~ScopedEnv() { set(old_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void set(const std::optional<std::string>& value) {
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  std::string name_;
  std::optional<std::string> old_;
};

class SystemdNotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cw-notify-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
    socket_path_ = (dir_ / "notify").string();

    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0) << std::strerror(errno);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    ASSERT_LT(socket_path_.size(), sizeof(address.sun_path));
    socket_path_.copy(address.sun_path, socket_path_.size());
    ASSERT_EQ(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0)
        << std::strerror(errno);
  }

  void TearDown() override {
    if (fd_ >= 0) ::close(fd_);
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // The next datagram systemd would have received, or nothing if none was sent. sd_notify()
  // sends synchronously, so whatever was sent is already queued: no waiting.
  std::optional<std::string> receive() const {
    std::array<char, 4096> buffer{};
    const ssize_t got = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (got < 0) return std::nullopt;
    return std::string(buffer.data(), static_cast<size_t>(got));
  }

  fs::path dir_;
  std::string socket_path_;
  int fd_ = -1;
};

TEST_F(SystemdNotifyTest, SendsEachStateToTheNotifySocket) {
  const ScopedEnv socket("NOTIFY_SOCKET", socket_path_);
  SystemdNotifier notifier;
  ASSERT_TRUE(notifier.enabled());

  notifier.ready();
  EXPECT_EQ(receive(), "READY=1");
  notifier.status("3 sources, 1 message due");
  EXPECT_EQ(receive(), "STATUS=3 sources, 1 message due");
  notifier.watchdog();
  EXPECT_EQ(receive(), "WATCHDOG=1");
  notifier.stopping();
  EXPECT_EQ(receive(), "STOPPING=1");
  EXPECT_EQ(receive(), std::nullopt);  // one datagram per call, nothing else
}

TEST_F(SystemdNotifyTest, ReloadingCarriesTheMonotonicTime) {
  const ScopedEnv socket("NOTIFY_SOCKET", socket_path_);
  SystemdNotifier notifier;

  timespec before{};
  ::clock_gettime(CLOCK_MONOTONIC, &before);
  notifier.reloading();
  const auto message = receive();
  ASSERT_TRUE(message.has_value());
  const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
  ASSERT_EQ(message->substr(0, prefix.size()), prefix);
  const long long usec = std::stoll(message->substr(prefix.size()));
  EXPECT_GE(usec, static_cast<long long>(before.tv_sec) * 1'000'000);

  notifier.ready();  // the reload is over
  EXPECT_EQ(receive(), "READY=1");
}

TEST_F(SystemdNotifyTest, StatusIsKeptToOneLine) {
  const ScopedEnv socket("NOTIFY_SOCKET", socket_path_);
  SystemdNotifier notifier;

  // A line break would let the text set another variable, here READY=1.
  notifier.status("source cms failed\nREADY=1");
  EXPECT_EQ(receive(), "STATUS=source cms failed READY=1");
}

TEST_F(SystemdNotifyTest, OutsideSystemdNothingIsSent) {
  const ScopedEnv socket("NOTIFY_SOCKET", std::nullopt);
  SystemdNotifier notifier;
  EXPECT_FALSE(notifier.enabled());

  notifier.ready();
  notifier.status("idle");
  notifier.watchdog();
  notifier.stopping();
  EXPECT_EQ(receive(), std::nullopt);
}

TEST_F(SystemdNotifyTest, UnreachableSocketIsNotAnError) {
  // systemd gone (or the socket removed): the service carries on, it only logs a warning.
  const ScopedEnv socket("NOTIFY_SOCKET", (dir_ / "missing").string());
  SystemdNotifier notifier;
  EXPECT_TRUE(notifier.enabled());
  EXPECT_NO_THROW(notifier.ready());
  EXPECT_NO_THROW(notifier.watchdog());
  EXPECT_EQ(receive(), std::nullopt);
}

TEST(SystemdWatchdogTest, IntervalFromWatchdogUsecForThisProcess) {
  const ScopedEnv usec("WATCHDOG_USEC", "60000000");  // WatchdogSec=60
  const ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid()));
  const SystemdNotifier notifier;
  EXPECT_EQ(notifier.watchdogInterval(), microseconds(60'000'000));
  // Asking does not consume the variables.
  EXPECT_EQ(notifier.watchdogInterval(), microseconds(60'000'000));
}

TEST(SystemdWatchdogTest, IntervalWithoutWatchdogPidApplies) {
  const ScopedEnv usec("WATCHDOG_USEC", "30000000");
  const ScopedEnv pid("WATCHDOG_PID", std::nullopt);
  EXPECT_EQ(SystemdNotifier().watchdogInterval(), microseconds(30'000'000));
}

TEST(SystemdWatchdogTest, NoIntervalWhenTheWatchdogIsForAnotherProcess) {
  // systemd names the main process; a child that inherited the environment must not ping.
  const ScopedEnv usec("WATCHDOG_USEC", "60000000");
  const ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid() + 1));
  EXPECT_EQ(SystemdNotifier().watchdogInterval(), std::nullopt);
}

TEST(SystemdWatchdogTest, NoIntervalWithoutWatchdogUsec) {
  const ScopedEnv usec("WATCHDOG_USEC", std::nullopt);
  const ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid()));
  EXPECT_EQ(SystemdNotifier().watchdogInterval(), std::nullopt);
}

TEST(SystemdWatchdogTest, NoIntervalWhenWatchdogUsecIsNotANumber) {
  const ScopedEnv usec("WATCHDOG_USEC", "sixty");
  const ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid()));
  EXPECT_EQ(SystemdNotifier().watchdogInterval(), std::nullopt);
}

}  // namespace
}  // namespace cohortwatch::daemon
