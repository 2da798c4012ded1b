#include "worker/wire.h"

#include <limits>

namespace cohortwatch::worker {

namespace {

void appendLittleEndian(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFFU));
}

}  // namespace

void WireWriter::putInt(std::int64_t value) {
  appendLittleEndian(bytes_, static_cast<std::uint64_t>(value), 8);
}

void WireWriter::putString(std::string_view value) {
  putInt(static_cast<std::int64_t>(value.size()));
  bytes_.append(value);
}

void WireWriter::putOptionalString(const std::optional<std::string>& value) {
  putBool(value.has_value());
  if (value) putString(*value);
}

std::string WireWriter::frame() const {
  if (bytes_.size() > kMaxFrameBytes) throw WireError("frame too large");
  std::string out;
  out.reserve(4 + bytes_.size());
  appendLittleEndian(out, bytes_.size(), 4);
  out += bytes_;
  return out;
}

std::string_view WireReader::take(std::size_t size) {
  if (size > rest_.size()) throw WireError("frame ends inside a field");
  const std::string_view out = rest_.substr(0, size);
  rest_.remove_prefix(size);
  return out;
}

std::int64_t WireReader::getInt() {
  const std::string_view bytes = take(8);
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) {
    value = (value << 8U) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
  }
  return static_cast<std::int64_t>(value);
}

int WireReader::getInt32() {
  const std::int64_t value = getInt();
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    throw WireError("integer field out of range");
  }
  return static_cast<int>(value);
}

bool WireReader::getBool() {
  const std::int64_t value = getInt();
  if (value != 0 && value != 1) throw WireError("boolean field neither 0 nor 1");
  return value == 1;
}

std::string WireReader::getString() {
  const std::int64_t size = getInt();
  if (size < 0 || static_cast<std::uint64_t>(size) > rest_.size()) {
    throw WireError("string length beyond the frame");
  }
  return std::string(take(static_cast<std::size_t>(size)));
}

std::optional<std::string> WireReader::getOptionalString() {
  if (!getBool()) return std::nullopt;
  return getString();
}

void WireReader::expectEnd() const {
  if (!rest_.empty()) throw WireError("bytes left over after the last field");
}

std::uint32_t frameLength(const unsigned char (&prefix)[4]) {
  std::uint32_t length = 0;
  for (int i = 3; i >= 0; --i) length = (length << 8U) | prefix[i];
  if (length > kMaxFrameBytes) throw WireError("frame too large");
  return length;
}

}  // namespace cohortwatch::worker
