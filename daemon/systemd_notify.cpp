#include "daemon/systemd_notify.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace cohortwatch::daemon {

SystemdNotifier::SystemdNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
}

void SystemdNotifier::ready() {
  notify("READY=1");
}

void SystemdNotifier::reloading() {
  // MONOTONIC_USEC lets systemd (253 and later, Type=notify-reload) tell this reload from an
  // earlier one; older versions ignore it.
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec));
  notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec.count()));
}

void SystemdNotifier::stopping() {
  notify("STOPPING=1");
}

void SystemdNotifier::status(std::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';  // a line break would start another assignment
  }
  notify("STATUS=" + line);
}

void SystemdNotifier::watchdog() {
  notify("WATCHDOG=1");
}

std::optional<std::chrono::microseconds> SystemdNotifier::watchdogInterval() const {
  std::uint64_t usec = 0;
  // 0: keep WATCHDOG_USEC and WATCHDOG_PID, so asking twice gives the same answer.
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

void SystemdNotifier::notify(const std::string& state) {
  if (!enabled_) return;
  const int result = sd_notify(0, state.c_str());
  if (result > 0) return;
  if (!warned_) {
    warned_ = true;
    const auto name = state.substr(0, state.find('='));
    spdlog::warn("systemd notification {} not sent: {}", name,
                 result < 0 ? std::strerror(-result) : "NOTIFY_SOCKET is not set");
  }
}

}  // namespace cohortwatch::daemon
