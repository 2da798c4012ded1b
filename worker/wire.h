// The byte format between the service and cohortwatch-worker (worker/protocol.h says what goes
// in it): a frame is a 4-byte little-endian length and that many bytes; inside, fields follow one
// another, integers as 8 bytes little-endian, strings as a length and their bytes. Both ends are
// this code, built together, so there is no versioning; a reader still checks every length, and
// a frame that does not parse is an error (WireError), never undefined behaviour.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cohortwatch::worker {

// The largest frame either side accepts: a message with its attachments, a chart's PNG.
inline constexpr std::uint32_t kMaxFrameBytes = 256U << 20U;

class WireError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class WireWriter {
 public:
  void putInt(std::int64_t value);
  void putBool(bool value) { putInt(value ? 1 : 0); }
  void putString(std::string_view value);
  void putOptionalString(const std::optional<std::string>& value);
  template <typename Enum>
  void putEnum(Enum value) {
    putInt(static_cast<std::int64_t>(value));
  }

  // The frame: length prefix and the fields written so far.
  std::string frame() const;

 private:
  std::string bytes_;
};

class WireReader {
 public:
  // Reads `payload` in place: it must outlive the reader (hence no temporary strings).
  explicit WireReader(std::string_view payload) : rest_(payload) {}
  explicit WireReader(std::string&&) = delete;

  std::int64_t getInt();
  int getInt32();  // an int field: WireError when out of int's range
  bool getBool();
  std::string getString();
  std::optional<std::string> getOptionalString();
  // An enum field whose values run from 0 to `last`.
  template <typename Enum>
  Enum getEnum(Enum last) {
    const std::int64_t value = getInt();
    if (value < 0 || value > static_cast<std::int64_t>(last)) throw WireError("enum value out of range");
    return static_cast<Enum>(value);
  }
  // WireError unless every byte has been read.
  void expectEnd() const;

 private:
  std::string_view take(std::size_t size);
  std::string_view rest_;
};

// The length a frame's 4-byte prefix announces; WireError beyond kMaxFrameBytes.
std::uint32_t frameLength(const unsigned char (&prefix)[4]);

}  // namespace cohortwatch::worker
