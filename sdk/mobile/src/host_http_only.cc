// The mobile build's answer to "no HTTP executor was injected". Phones do HTTP with the host's
// own stack (OkHttp / HttpURLConnection through JNI, URLSession from Swift), handed in through
// vt_options.http_execute, so this build links no HTTP client (no cpprestsdk, no Boost, no
// OpenSSL). A client opened without an executor still works offline (capture, queue,
// recommendations from a stored snapshot); every send fails with a transport error that says
// what is missing, which surfaces as VT_UNAVAILABLE from vt_flush and in vt_stats.last_error.
#include <memory>
#include <string>

#include "vitrine/platform.h"

namespace vitrine {
namespace {

class NoHttpExecutor final : public HttpExecutor {
 public:
  HttpResponse Execute(const HttpRequest& /*request*/) override {
    HttpResponse response;
    response.transport_error =
        "the mobile build has no built-in HTTP client: pass vt_options.http_execute "
        "(Android: Vitrine.Builder.httpExecutor, iOS: URLSession executor)";
    return response;
  }
};

}  // namespace

std::unique_ptr<HttpExecutor> NewDefaultHttpExecutor(const std::string& /*ca_file*/) {
  return std::make_unique<NoHttpExecutor>();
}

}  // namespace vitrine
