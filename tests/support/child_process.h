// The test servers that are Python scripts (tests/support/*_server.py) run as child processes:
// started with nothing of the test process's but the stdout and stderr given, sent SIGTERM if
// the test process dies first, and stopped so that none outlives the object that started it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace cohortwatch::test_support {

// /usr/bin/python3 (the Debian one, with the modules the scripts need), or
// $COHORTWATCH_TEST_PYTHON; never `python3` from PATH, which may be another interpreter.
std::string testPython();

// tests/support in the source tree, where the scripts are.
std::filesystem::path supportDir();

// A new private folder <prefix>XXXXXX under $TMPDIR (or /tmp); throws std::system_error.
std::filesystem::path makeTempFolder(const char* prefix);

// The whole file, or "" when it cannot be read.
std::string readTextFile(const std::filesystem::path& path);

// Forks and execs args (args[0] a path) with stdout to `out_fd`, stderr to `err_fd` and stdin
// from /dev/null, no other descriptor inherited. Throws std::system_error when it cannot fork.
pid_t spawnChild(const std::vector<std::string>& args, int out_fd, int err_fd);

// Waits up to 15 s for the server child `pid` to write the port it listens on, as a whole line,
// into port_file, and returns it. Throws std::runtime_error ("the test <what> server exited at
// start: " or "... did not start within 15 s: " followed by the file at log_path) when it does
// not; when the child has exited, pid is set to -1 (it has been reaped).
std::uint16_t waitForListeningPort(pid_t& pid, const std::filesystem::path& port_file,
                                   const std::string& what, const std::filesystem::path& log_path);

// SIGTERM, then SIGKILL when the child has not exited within 3 s; reaps it.
void stopChild(pid_t pid);

}  // namespace cohortwatch::test_support
