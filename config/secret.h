// Secrets (SMTP passwords, webhook tokens) are never written inline in the configuration: it names
// a file or an environment variable instead, and resolveSecret() reads it when it is needed.
// Error messages name the file or variable and never contain the secret itself.
#pragma once

#include <optional>
#include <string>

namespace cohortwatch::config {

struct SecretRef {
  enum class Kind { kFile, kEnv };
  Kind kind = Kind::kFile;
  std::string location;  // the file path (kFile) or the environment variable's name (kEnv)

  bool operator==(const SecretRef&) const = default;
};

// Exactly one of the two is meaningful: `value` when resolved, `error` otherwise.
struct SecretValue {
  std::optional<std::string> value;
  std::string error;
};

// Returns the file's contents with one trailing newline ("\n" or "\r\n") stripped, or the
// environment variable's value. A missing or unreadable file, an empty file, and an unset or
// empty variable are errors.
SecretValue resolveSecret(const SecretRef& ref);

}  // namespace cohortwatch::config
