// Tells systemd how the service is doing (Type=notify): READY once it serves, RELOADING while it
// re-reads its configuration, STOPPING as it shuts down, a STATUS line for `systemctl status`, and
// the watchdog ping. Outside systemd (NOTIFY_SOCKET unset: a terminal, `--once`, the tests) every
// call does nothing. A failed notification is logged, never thrown. libsystemd stays in the .cpp.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cohortwatch::daemon {

class SystemdNotifier {
 public:
  // Reads NOTIFY_SOCKET once: whether systemd is listening does not change while the service runs.
  SystemdNotifier();

  bool enabled() const { return enabled_; }

  void ready();                        // READY=1: started, or a reload finished
  void reloading();                    // RELOADING=1 (with MONOTONIC_USEC); follow with ready()
  void stopping();                     // STOPPING=1
  void status(std::string_view text);  // STATUS=text, one line (line breaks become spaces)
  void watchdog();                     // WATCHDOG=1

  // The unit's WatchdogSec= when systemd watches this process (WATCHDOG_USEC, and WATCHDOG_PID
  // naming this process if set), otherwise nothing. Ping at least every half of it.
  std::optional<std::chrono::microseconds> watchdogInterval() const;

 private:
  void notify(const std::string& state);

  bool enabled_ = false;
  bool warned_ = false;  // one warning per service run, not one per watchdog ping
};

}  // namespace cohortwatch::daemon
