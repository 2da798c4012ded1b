#include "connectors/content_hash.h"

#include <fmt/format.h>
#include <nettle/sha2.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

namespace cohortwatch::connectors {

namespace {

class Sha256 {
 public:
  Sha256() { sha256_init(&context_); }
  void update(const void* data, std::size_t size) {
    // Empty text may come with a null pointer, which nettle would hand to memcpy.
    if (size > 0) sha256_update(&context_, size, static_cast<const std::uint8_t*>(data));
  }
  std::string hex() {
    std::array<std::uint8_t, SHA256_DIGEST_SIZE> digest{};
    sha256_digest(&context_, digest.size(), digest.data());
    std::string out;
    out.reserve(digest.size() * 2);
    for (const std::uint8_t byte : digest) out += fmt::format("{:02x}", byte);
    return out;
  }

 private:
  sha256_ctx context_{};
};

struct FileClose {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

}  // namespace

std::optional<std::string> sha256OfFile(const std::filesystem::path& file, std::string& error) {
  std::unique_ptr<std::FILE, FileClose> in(std::fopen(file.c_str(), "rb"));
  if (!in) {
    error = fmt::format("cannot open {}: {}", file.string(), std::strerror(errno));
    return std::nullopt;
  }
  Sha256 hash;
  std::array<char, 1 << 16> buffer{};
  std::size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), in.get())) > 0) hash.update(buffer.data(), got);
  if (std::ferror(in.get()) != 0) {
    error = fmt::format("cannot read {}: {}", file.string(), std::strerror(errno));
    return std::nullopt;
  }
  return hash.hex();
}

std::string sha256OfText(std::string_view text) {
  Sha256 hash;
  hash.update(text.data(), text.size());
  return hash.hex();
}

}  // namespace cohortwatch::connectors
