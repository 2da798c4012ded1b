#include "channels/base64.h"

#include <nettle/base64.h>

#include <cstddef>
#include <cstdint>

namespace cohortwatch::channels {

std::string encodeBase64(std::string_view data) {
  if (data.empty()) return {};
  std::string out(BASE64_ENCODE_RAW_LENGTH(data.size()), '\0');
  base64_encode_raw(out.data(), data.size(), reinterpret_cast<const std::uint8_t*>(data.data()));
  return out;
}

std::optional<std::string> decodeBase64(std::string_view text) {
  // Nettle skips white space ("Zm9v    " would decode); encodeBase64 never writes any, so text
  // with some is damaged. Nettle itself rejects the rest: bad characters, missing or misplaced
  // padding, stray bits.
  if (text.size() % 4 != 0 || text.find_first_of(" \t\n\v\f\r") != std::string_view::npos) {
    return std::nullopt;
  }
  if (text.empty()) return std::string();
  std::string out(BASE64_DECODE_LENGTH(text.size()), '\0');
  base64_decode_ctx context{};
  base64_decode_init(&context);
  std::size_t size = 0;
  if (base64_decode_update(&context, &size, reinterpret_cast<std::uint8_t*>(out.data()),
                           text.size(), text.data()) != 1 ||
      base64_decode_final(&context) != 1) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

}  // namespace cohortwatch::channels
