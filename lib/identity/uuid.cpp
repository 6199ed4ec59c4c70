#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <fmt/format.h>

#include "provision/hex.hpp"
#include "provision/identity.hpp"

namespace provision {
namespace {

// espprov's namespace for RFC 9562 name-based ids: uuid5(NameSpace_URL, "urn:espprov:device-mac")
// = 1cbadafd-2a6e-5558-970b-30b2a2ff5e0c. The name is the MAC's 12 upper-case hex digits.
constexpr std::array<std::uint8_t, 16> kMacNamespace{0x1c, 0xba, 0xda, 0xfd, 0x2a, 0x6e, 0x55, 0x58,
                                                     0x97, 0x0b, 0x30, 0xb2, 0xa2, 0xff, 0x5e, 0x0c};

std::vector<std::uint8_t> digest(const EVP_MD* md, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestInit_ex(ctx, md, nullptr) && EVP_DigestUpdate(ctx, a.data(), a.size()) &&
            EVP_DigestUpdate(ctx, b.data(), b.size()) && EVP_DigestFinal_ex(ctx, out.data(), &len);
  EVP_MD_CTX_free(ctx);
  if (!ok) throw Error(ErrorCode::internal, "OpenSSL digest failed");
  out.resize(len);
  return out;
}

std::string format_uuid(const std::string& h) {
  return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4), h.substr(16, 4),
                     h.substr(20, 12));
}

}  // namespace

UuidScheme parse_uuid_scheme(std::string_view text) {
  if (text == "seed") return UuidScheme::seed;
  if (text == "rfc9562") return UuidScheme::rfc9562;
  throw Error(ErrorCode::bad_input, fmt::format("uuid-scheme: '{}' is not one of: seed, rfc9562", text),
              "uuid_scheme");
}

std::string_view to_string(UuidScheme scheme) { return scheme == UuidScheme::seed ? "seed" : "rfc9562"; }

std::string derive_uuid(const MacAddress& mac, UuidScheme scheme) {
  const std::string name = mac_hex(mac);
  const std::span<const std::uint8_t> name_bytes(reinterpret_cast<const std::uint8_t*>(name.data()), name.size());
  if (scheme == UuidScheme::seed) {
    // The legacy tool: sha256(ASCII of the 12 upper-case hex digits) as lower-case hex h, then
    // h[0:8]-h[8:12]-"4"+h[13:16]-h[16:20]-h[20:32]. Character 12 is dropped for a literal '4' and no variant
    // bits are set; kept bit for bit so fleets provisioned by that tool keep their ids.
    std::string h = to_hex(digest(EVP_sha256(), name_bytes, {}));
    h[12] = '4';
    return format_uuid(h);
  }
  // RFC 9562 section 5.5: SHA-1 over namespace || name, version 5, variant 10.
  auto d = digest(EVP_sha1(), kMacNamespace, name_bytes);
  d.resize(16);
  d[6] = static_cast<std::uint8_t>((d[6] & 0x0F) | 0x50);
  d[8] = static_cast<std::uint8_t>((d[8] & 0x3F) | 0x80);
  return format_uuid(to_hex(d));
}

std::string normalize_uuid(std::string_view text) {
  static constexpr std::array<std::size_t, 5> groups{8, 4, 4, 4, 12};
  std::string out;
  std::size_t pos = 0;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (std::size_t i = 0; i < groups[g]; ++i, ++pos) {
      if (pos >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[pos]))) {
        throw Error(ErrorCode::bad_input,
                    fmt::format("uuid: '{}' is not 8-4-4-4-12 hex digits (like 04e4822c-719e-45b0-b360-7e2819faca53)",
                                text),
                    "uuid");
      }
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(text[pos]))));
    }
    if (g + 1 < groups.size()) {
      if (pos >= text.size() || text[pos] != '-') {
        throw Error(ErrorCode::bad_input,
                    fmt::format("uuid: '{}' is not 8-4-4-4-12 hex digits separated by '-'", text), "uuid");
      }
      out.push_back('-');
      ++pos;
    }
  }
  if (pos != text.size()) {
    throw Error(ErrorCode::bad_input, fmt::format("uuid: '{}' has {} characters; a UUID has 36", text, text.size()),
                "uuid");
  }
  return out;
}

}  // namespace provision
