#include "worker/curl_easy.h"

#include <mutex>
#include <stdexcept>

#ifndef COHORTWATCH_VERSION
#error "COHORTWATCH_VERSION must be defined by the build (worker/CMakeLists.txt)"
#endif

namespace cohortwatch::worker {

namespace {

constexpr const char* kUserAgent = "cohortwatch/" COHORTWATCH_VERSION;

void initCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("libcurl could not be initialised");
    }
  });
}

}  // namespace

CurlHandle newCurlHandle() {
  initCurlOnce();
  CurlHandle handle(curl_easy_init());
  if (!handle) throw std::runtime_error("libcurl could not create a handle");
  return handle;
}

bool appendLine(CurlList& list, const std::string& line) {
  curl_slist* appended = curl_slist_append(list.get(), line.c_str());
  if (appended == nullptr) return false;
  // The list grew in place, or it was empty and `appended` is its first node.
  (void)list.release();
  list.reset(appended);
  return true;
}

void setCommonOptions(CURL* handle, const CurlConnection& connection,
                      CurlErrorBuffer& error_buffer) {
  error_buffer.fill('\0');
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(connection.connect_timeout_seconds));
  curl_easy_setopt(handle, CURLOPT_TIMEOUT, static_cast<long>(connection.timeout_seconds));
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, connection.verify_tls ? 1L : 0L);
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, connection.verify_tls ? 2L : 0L);
  if (!connection.ca_file.empty()) {
    curl_easy_setopt(handle, CURLOPT_CAINFO, connection.ca_file.c_str());  // libcurl copies it
  }
  curl_easy_setopt(handle, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(handle, CURLOPT_USERAGENT, kUserAgent);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer.data());
}

}  // namespace cohortwatch::worker
