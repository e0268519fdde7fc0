// Request-body compression (internal). One implementation per platform, chosen by CMake:
// zlib natively; the browser build compresses in fetch() with CompressionStream instead.
#ifndef VITRINE_SDK_CORE_COMPRESSION_H_
#define VITRINE_SDK_CORE_COMPRESSION_H_

#include <optional>
#include <string>
#include <string_view>

namespace vitrine::internal {

// gzip (RFC 1952) of `data`, or nullopt when this platform does not compress.
std::optional<std::string> GzipCompress(std::string_view data);

}  // namespace vitrine::internal

#endif  // VITRINE_SDK_CORE_COMPRESSION_H_
