// The differential check shared by structs_codec_test.cc and the proto_structs fuzz target: one
// input parsed by protobuf (full classes, vitrine::v1) and by the browser build's structs
// (vitrine::v1_structs); they must agree on success, and on success the structs must re-encode
// exactly what protobuf encodes deterministically once it drops the unknown fields (the structs
// keep none).
#ifndef VITRINE_TESTS_PROTO_STRUCTS_PARITY_H_
#define VITRINE_TESTS_PROTO_STRUCTS_PARITY_H_

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message.h>
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace vitrine::proto_parity {

// protobuf logs every invalid UTF-8 string it refuses; the checks feed it thousands on purpose.
inline void SilenceProtobufLogs() {
  static const bool silenced = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)silenced;
}

// protobuf's deterministic encoding (map entries sorted by key), the one the structs must match.
inline std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    // proto3 messages have no required fields: serializing cannot fail.
    (void)message.SerializeToCodedStream(&coded);
  }
  return out;
}

inline std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

// Empty when protobuf and the structs agree on `input`, else what differs (for a failure message).
template <typename Proto, typename Struct>
std::string Disagreement(std::string_view input) {
  SilenceProtobufLogs();
  Proto proto;
  const bool proto_ok = proto.ParseFromArray(input.data(), static_cast<int>(input.size()));
  Struct structs;
  const bool structs_ok = structs.ParseFromString(input);
  std::string why;
  if (proto_ok != structs_ok) {
    why.append(Proto::descriptor()->full_name());
    why.append(proto_ok ? ": protobuf accepts, structs refuse "
                        : ": protobuf refuses, structs accept ");
    why.append(Hex(input));
    return why;
  }
  if (!proto_ok) return why;
  proto.DiscardUnknownFields();
  const std::string want = DeterministicBytes(proto);
  const std::string got = structs.SerializeAsString();
  if (want != got) {
    why.append(Proto::descriptor()->full_name());
    why.append(": input ");
    why.append(Hex(input));
    why.append(" protobuf re-encodes ");
    why.append(Hex(want));
    why.append(" structs re-encode ");
    why.append(Hex(got));
  }
  return why;
}

}  // namespace vitrine::proto_parity

#endif  // VITRINE_TESTS_PROTO_STRUCTS_PARITY_H_
