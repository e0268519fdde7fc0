// Native request-body compression with zlib: gzip framing (RFC 1952), level 6 (zlib's default
// trade-off; event batches are repetitive text-like protobuf and compress ~5-10x at this level).
#include <zlib.h>

#include <limits>

#include "sdk/src/core/compression.h"

namespace vitrine::internal {

std::optional<std::string> GzipCompress(std::string_view data) {
  // zlib counts in uInt; batches are bounded far below 4 GiB, anything larger is a caller bug
  // that we answer with "not compressed" rather than a truncated stream.
  if (data.size() > std::numeric_limits<uInt>::max() / 2) return std::nullopt;
  z_stream zs{};
  // windowBits 15 + 16 selects the gzip wrapper instead of zlib's.
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::nullopt;
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  // deflateBound guarantees a single Z_FINISH call completes.
  const int rc = deflate(&zs, Z_FINISH);
  const uLong produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  out.resize(produced);
  return out;
}

}  // namespace vitrine::internal
