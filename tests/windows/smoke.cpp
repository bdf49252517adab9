// Windows smoke program (issue 14 item 1): proves the cross toolchain and the deps prefix link into a
// console .exe that runs under Wine and needs no DLL besides Windows' own. tests/windows/smoke.sh
// builds it, runs it and checks its imports. Exit status 0 only when every check passes.
#include <curl/curl.h>
#include <openssl/evp.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>

namespace {

bool check(bool ok, const char* what, const std::string& detail) {
  std::printf("%s %s: %s\n", ok ? "ok  " : "FAIL", what, detail.c_str());
  return ok;
}

// FIPS 180-2 appendix B.1: SHA-256("abc").
bool sha256_abc() {
  constexpr std::string_view expected =
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  const bool ran = EVP_Digest("abc", 3, md.data(), &len, EVP_sha256(), nullptr) == 1;
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    std::array<char, 3> byte{};
    std::snprintf(byte.data(), byte.size(), "%02x", md[i]);
    hex += byte.data();
  }
  return check(ran && hex == expected, "libcrypto SHA-256(\"abc\")", hex);
}

// Schannel must be the TLS backend: the Windows certificate store is why it was chosen.
bool curl_schannel() {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return check(false, "libcurl", "curl_global_init failed");
  }
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  const std::string ssl = info->ssl_version != nullptr ? info->ssl_version : "";
  const bool tls = (info->features & CURL_VERSION_SSL) != 0;
  bool ok = check(tls && ssl.find("Schannel") != std::string::npos, "libcurl TLS backend",
                  std::string(info->version) + " " + ssl);
  // An easy handle exercises Winsock start-up inside curl_global_init/curl_easy_init.
  CURL* easy = curl_easy_init();
  ok = check(easy != nullptr, "libcurl easy handle", easy != nullptr ? "created" : "null") && ok;
  curl_easy_cleanup(easy);
  curl_global_cleanup();
  return ok;
}

// std::jthread and its stop token: needs the posix threads model of mingw-w64's libstdc++.
bool jthread_stop() {
  std::atomic<int> rounds{0};
  {
    std::jthread worker([&rounds](std::stop_token stop) {
      while (!stop.stop_requested()) {
        rounds.fetch_add(1);
        std::this_thread::yield();
      }
    });
    while (rounds.load() == 0) {
      std::this_thread::yield();
    }
  }  // ~jthread requests stop and joins
  return check(rounds.load() > 0, "std::jthread", "joined after " + std::to_string(rounds.load()) +
                                                      " rounds, hardware_concurrency " +
                                                      std::to_string(std::thread::hardware_concurrency()));
}

}  // namespace

int main() {
  bool ok = sha256_abc();
  ok = curl_schannel() && ok;
  ok = jthread_stop() && ok;
  std::printf("%s\n", ok ? "smoke: all checks passed" : "smoke: FAILED");
  return ok ? 0 : 1;
}
