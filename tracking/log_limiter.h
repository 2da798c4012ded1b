// Rate-limits repeated log lines, so that a source that fails every minute for a weekend, or an
// outbox retrying a thousand messages against a mail server that is down, writes a line when
// something changes and a reminder now and then, not thousands of identical lines. Not
// thread-safe: each component that logs keeps its own.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

namespace cohortwatch::tracking {

class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::seconds window = std::chrono::minutes(10)) : window_(window) {}

  // Whether to log `text` under `key` now: yes when it differs from the key's last logged text
  // or the window has passed since that was logged; otherwise the line is counted as suppressed.
  // When it says yes, `suppressed` is the number of lines held back since the last one logged.
  bool allow(std::string_view key, std::string_view text, long& suppressed,
             std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

 private:
  struct Last {
    std::string text;
    std::chrono::steady_clock::time_point at;
    long suppressed = 0;
  };
  std::chrono::seconds window_;
  std::map<std::string, Last, std::less<>> last_;
};

}  // namespace cohortwatch::tracking
