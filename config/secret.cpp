#include "config/secret.h"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <system_error>

namespace cohortwatch::config {

namespace {

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

std::string errnoMessage(int error) {
  return std::error_code(error, std::generic_category()).message();
}

SecretValue failure(std::string message) { return SecretValue{std::nullopt, std::move(message)}; }

SecretValue readSecretFile(const std::string& path) {
  // fopen/fread rather than iostreams: errno then says why the file could not be read
  // (missing, permission denied, a directory).
  errno = 0;
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    return failure(fmt::format("cannot read secret file {}: {}", path, errnoMessage(errno)));
  }
  std::string contents;
  std::array<char, 4096> buffer{};
  std::size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) {
    contents.append(buffer.data(), got);
  }
  if (std::ferror(file.get()) != 0) {
    return failure(fmt::format("cannot read secret file {}: {}", path, errnoMessage(errno)));
  }
  // Editors add a final newline; it is never part of the secret. Only one is stripped, so a
  // secret that really ends in whitespace survives.
  if (contents.ends_with("\r\n")) {
    contents.resize(contents.size() - 2);
  } else if (contents.ends_with('\n')) {
    contents.pop_back();
  }
  if (contents.empty()) return failure(fmt::format("secret file {} is empty", path));
  return SecretValue{std::move(contents), {}};
}

SecretValue readSecretEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return failure(fmt::format("environment variable {} is not set", name));
  if (*value == '\0') return failure(fmt::format("environment variable {} is empty", name));
  return SecretValue{std::string(value), {}};
}

}  // namespace

SecretValue resolveSecret(const SecretRef& ref) {
  switch (ref.kind) {
    case SecretRef::Kind::kFile:
      if (ref.location.empty()) return failure("secret file path is empty");
      return readSecretFile(ref.location);
    case SecretRef::Kind::kEnv:
      if (ref.location.empty()) return failure("secret environment variable name is empty");
      return readSecretEnv(ref.location);
  }
  return failure("unknown kind of secret reference");
}

}  // namespace cohortwatch::config
