// Base64 (RFC 4648: the standard alphabet, padded with '='), the one codec channels/ uses:
// attachments in outbox bodies, base64 MIME parts and RFC 2047 encoded words in mail. Nettle does
// the work; its headers stay behind this file.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cohortwatch::channels {

// One line, no breaks: 4 characters for every 3 bytes begun, the last group padded with '='.
std::string encodeBase64(std::string_view data);

// The bytes, or nullopt unless `text` is base64 as encodeBase64 writes it: a multiple of 4
// characters, the alphabet only (no white space), at most two '=' and only at the end, and no
// stray bits in the last group.
std::optional<std::string> decodeBase64(std::string_view text);

}  // namespace cohortwatch::channels
