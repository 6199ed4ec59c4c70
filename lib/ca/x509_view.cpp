// What the views accept (RFC 2986, RFC 5280), everything else is nullopt:
// - strict DER lengths and tags (der.hpp), nothing after the outer SEQUENCE;
// - a CSR of version 0; attributes are skipped;
// - a certificate of version 3 without issuer/subject unique IDs, times in DER's UTCTime or GeneralizedTime "Z"
//   forms, extensions only of the six kinds a device certificate carries (basic constraints, key usage,
//   extended key usage, subject alternative name, subject and authority key identifiers), each at most once and
//   each well formed; an authority key identifier with the key identifier only.
#include "x509_view.hpp"

#include <array>

namespace provision::ca::x509 {

namespace {

using der::Element;
using der::Reader;

constexpr std::array<std::uint8_t, 7> kEcPublicKey{0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
constexpr std::array<std::uint8_t, 3> kCommonName{0x55, 0x04, 0x03};
constexpr std::array<std::uint8_t, 3> kBasicConstraints{0x55, 0x1D, 0x13};
constexpr std::array<std::uint8_t, 3> kKeyUsage{0x55, 0x1D, 0x0F};
constexpr std::array<std::uint8_t, 3> kExtKeyUsage{0x55, 0x1D, 0x25};
constexpr std::array<std::uint8_t, 3> kSubjectAltName{0x55, 0x1D, 0x11};
constexpr std::array<std::uint8_t, 3> kSubjectKeyId{0x55, 0x1D, 0x0E};
constexpr std::array<std::uint8_t, 3> kAuthorityKeyId{0x55, 0x1D, 0x23};

std::string text_of(Bytes bytes) { return std::string(bytes.begin(), bytes.end()); }

// A BIT STRING's bits when no bits are unused (keys and signatures are whole octets).
std::optional<Bytes> whole_octets(const Element& bits) {
  if (bits.content.empty() || bits.content[0] != 0) return std::nullopt;
  return bits.content.subspan(1);
}

// AlgorithmIdentifier: OID content, and whether the parameters are absent (false) or NULL (true); any other
// parameters land in `parameters`.
struct Algorithm {
  Bytes oid;
  std::optional<Element> parameters;
};
std::optional<Algorithm> read_algorithm(const Element& sequence) {
  Reader reader(sequence.content);
  auto oid = reader.next(der::kOid);
  if (!oid) return std::nullopt;
  Algorithm algorithm{oid->content, std::nullopt};
  if (!reader.at_end()) {
    algorithm.parameters = reader.next();
    if (!algorithm.parameters || !reader.at_end()) return std::nullopt;
  }
  return algorithm;
}

// SIGNED{...} (RFC 5280 4.1.1.1, RFC 2986 4.2): SEQUENCE {body, AlgorithmIdentifier, BIT STRING}, nothing after.
struct Signed {
  Element body;
  Element algorithm_element;
  Algorithm algorithm;
  Bytes signature;
};
std::optional<Signed> read_signed(Bytes bytes) {
  Reader top(bytes);
  auto outer = top.next(der::kSequence);
  if (!outer || !top.at_end()) return std::nullopt;
  Reader parts(outer->content);
  auto body = parts.next(der::kSequence);
  auto algorithm_element = parts.next(der::kSequence);
  auto signature = parts.next(der::kBitString);
  if (!body || !algorithm_element || !signature || !parts.at_end()) return std::nullopt;
  auto algorithm = read_algorithm(*algorithm_element);
  auto bits = whole_octets(*signature);
  if (!algorithm || !bits) return std::nullopt;
  return Signed{*body, *algorithm_element, *algorithm, *bits};
}

std::optional<PublicKeyInfo> read_public_key(const Element& spki) {
  if (spki.tag != der::kSequence) return std::nullopt;
  Reader reader(spki.content);
  auto algorithm_element = reader.next(der::kSequence);
  auto bits = reader.next(der::kBitString);
  if (!algorithm_element || !bits || !reader.at_end()) return std::nullopt;
  auto algorithm = read_algorithm(*algorithm_element);
  auto key = whole_octets(*bits);
  if (!algorithm || !key) return std::nullopt;
  PublicKeyInfo info{spki.whole, algorithm->oid, {}, *key};
  if (algorithm->parameters && algorithm->parameters->tag == der::kOid) info.curve = algorithm->parameters->content;
  return info;
}

// The first CN of a Name; `ok` false when the Name does not decode or that CN is in a string type not read here.
std::optional<std::string> read_common_name(const Element& name, bool& ok) {
  ok = false;
  if (name.tag != der::kSequence) return std::nullopt;
  Reader rdns(name.content);
  std::optional<std::string> found;
  while (!rdns.at_end()) {
    auto rdn = rdns.next(der::kSet);
    if (!rdn || rdn->content.empty()) return std::nullopt;
    Reader attributes(rdn->content);
    while (!attributes.at_end()) {
      auto attribute = attributes.next(der::kSequence);
      if (!attribute) return std::nullopt;
      Reader fields(attribute->content);
      auto type = fields.next(der::kOid);
      auto value = fields.next();
      if (!type || !value || !fields.at_end()) return std::nullopt;
      if (found || !der::equal(type->content, kCommonName)) continue;
      if (value->tag != der::kUtf8String && value->tag != der::kPrintableString && value->tag != der::kIa5String) {
        return std::nullopt;  // BMPString, T61String...: OpenSSL converts those
      }
      found = text_of(value->content);
    }
  }
  ok = true;
  return found;
}

bool is_digits(Bytes text, std::size_t from, std::size_t count) {
  for (std::size_t i = from; i < from + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

int number(Bytes text, std::size_t from, std::size_t count) {
  int value = 0;
  for (std::size_t i = from; i < from + count; ++i) value = value * 10 + (text[i] - '0');
  return value;
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {  // H. Hinnant's algorithm
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool read_extension_value(const Extension& extension, CertificateView& view) {
  Reader outer(extension.value);
  auto value = outer.next();
  if (!value || !outer.at_end()) return false;
  Reader inner(value->content);
  if (der::equal(extension.oid, kBasicConstraints)) {
    if (value->tag != der::kSequence) return false;
    bool malformed = false;
    if (auto ca = inner.next_if(der::kBoolean, malformed)) {
      if (ca->content.size() != 1 || ca->content[0] != 0xFF) return false;  // DER: TRUE is FF, FALSE is absent
    }
    if (auto path = inner.next_if(der::kInteger, malformed)) {
      if (path->content.empty() || (path->content[0] & 0x80)) return false;
    }
    return !malformed && inner.at_end();
  }
  if (der::equal(extension.oid, kKeyUsage)) {
    return value->tag == der::kBitString && !value->content.empty() && value->content[0] < 8;
  }
  if (der::equal(extension.oid, kExtKeyUsage)) {
    if (value->tag != der::kSequence || inner.at_end()) return false;
    while (!inner.at_end()) {
      if (!inner.next(der::kOid)) return false;
    }
    return true;
  }
  if (der::equal(extension.oid, kSubjectKeyId)) return value->tag == der::kOctetString;
  if (der::equal(extension.oid, kAuthorityKeyId)) {
    if (value->tag != der::kSequence) return false;
    auto key_id = inner.next(der::context(0, false));
    if (!key_id || !inner.at_end()) return false;  // issuer and serial forms: left to OpenSSL
    view.authority_key_id = key_id->content;
    return true;
  }
  if (der::equal(extension.oid, kSubjectAltName)) {
    if (value->tag != der::kSequence || inner.at_end()) return false;
    while (!inner.at_end()) {
      auto name = inner.next();
      if (!name) return false;
      if (name->tag == der::context(2, false)) {
        view.san_dns.push_back(text_of(name->content));
      } else if (name->tag == der::context(6, false)) {
        view.san_uri.push_back(text_of(name->content));
      } else if (name->tag != der::context(7, false)) {  // IP addresses are fine; other forms: OpenSSL
        return false;
      }
    }
    return true;
  }
  return false;  // a kind of extension the view does not read
}

bool read_extensions(const Element& wrapper, CertificateView& view) {
  Reader outer(wrapper.content);
  auto list = outer.next(der::kSequence);
  if (!list || !outer.at_end() || list->content.empty()) return false;
  Reader reader(list->content);
  while (!reader.at_end()) {
    auto sequence = reader.next(der::kSequence);
    if (!sequence) return false;
    Reader fields(sequence->content);
    Extension extension;
    auto oid = fields.next(der::kOid);
    if (!oid) return false;
    extension.oid = oid->content;
    bool malformed = false;
    if (auto critical = fields.next_if(der::kBoolean, malformed)) {
      if (critical->content.size() != 1 || critical->content[0] != 0xFF) return false;  // DER: FALSE is absent
      extension.critical = true;
    }
    auto value = fields.next(der::kOctetString);
    if (malformed || !value || !fields.at_end()) return false;
    extension.value = value->content;
    for (const auto& seen : view.extensions) {
      if (der::equal(seen.oid, extension.oid)) return false;  // twice: OpenSSL marks the certificate invalid
    }
    if (!read_extension_value(extension, view)) return false;
    view.extensions.push_back(extension);
  }
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_time(std::uint8_t tag, Bytes text) {
  std::size_t year_digits = tag == der::kUtcTime ? 2 : tag == der::kGeneralizedTime ? 4 : 0;
  if (year_digits == 0 || text.size() != year_digits + 11 || text.back() != 'Z' ||
      !is_digits(text, 0, year_digits + 10)) {
    return std::nullopt;
  }
  int year = number(text, 0, year_digits);
  if (year_digits == 2) year += year < 50 ? 2000 : 1900;  // RFC 5280 4.1.2.5.1
  const auto at = [&](std::size_t i) { return number(text, year_digits + i, 2); };
  const int month = at(0), day = at(2), hour = at(4), minute = at(6), second = at(8);
  constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29 && !leap) return std::nullopt;
  return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 + hour * 3600 +
         minute * 60 + second;
}

std::optional<CsrView> view_csr(Bytes bytes) {
  auto request = read_signed(bytes);
  if (!request) return std::nullopt;
  const Element& info = request->body;
  const Algorithm& algorithm = request->algorithm;

  CsrView view;
  view.info = info.whole;
  Reader fields(info.content);
  auto version = fields.next(der::kInteger);
  if (!version || version->content.size() != 1 || version->content[0] != 0) return std::nullopt;
  auto subject = fields.next(der::kSequence);
  auto spki = fields.next(der::kSequence);
  auto attributes = fields.next(der::context(0, true));
  if (!subject || !spki || !attributes || !fields.at_end()) return std::nullopt;
  bool name_ok = false;
  view.common_name = read_common_name(*subject, name_ok);
  auto key = read_public_key(*spki);
  if (!name_ok || !key) return std::nullopt;
  if (algorithm.parameters) {
    if (algorithm.parameters->tag != der::kNull || !algorithm.parameters->content.empty()) return std::nullopt;
    view.signature_parameters_null = true;
  }
  view.key = *key;
  view.signature_algorithm = algorithm.oid;
  view.signature = request->signature;
  return view;
}

std::optional<CertificateView> view_certificate(Bytes bytes) {
  auto certificate = read_signed(bytes);
  if (!certificate) return std::nullopt;

  CertificateView view;
  view.whole = bytes;
  view.tbs = certificate->body.whole;
  view.signature_algorithm = certificate->algorithm_element.whole;
  view.signature_algorithm_oid = certificate->algorithm.oid;
  view.signature = certificate->signature;

  Reader fields(certificate->body.content);
  auto version_wrapper = fields.next(der::context(0, true));
  if (!version_wrapper) return std::nullopt;
  Reader version_reader(version_wrapper->content);
  auto version = version_reader.next(der::kInteger);
  if (!version || !version_reader.at_end() || version->content.size() != 1 || version->content[0] != 2) {
    return std::nullopt;  // v3 only
  }
  auto serial = fields.next(der::kInteger);
  auto tbs_algorithm = fields.next(der::kSequence);
  auto issuer = fields.next(der::kSequence);
  auto validity = fields.next(der::kSequence);
  auto subject = fields.next(der::kSequence);
  auto spki = fields.next(der::kSequence);
  if (!serial || serial->content.empty() || !tbs_algorithm || !issuer || !validity || !subject || !spki) {
    return std::nullopt;
  }
  view.serial = serial->content;
  view.tbs_signature_algorithm = tbs_algorithm->whole;
  view.issuer = issuer->whole;
  view.subject = subject->whole;

  Reader times(validity->content);
  auto not_before = times.next();
  auto not_after = times.next();
  if (!not_before || !not_after || !times.at_end()) return std::nullopt;
  auto from = parse_time(not_before->tag, not_before->content);
  auto until = parse_time(not_after->tag, not_after->content);
  if (!from || !until) return std::nullopt;
  view.not_before = *from;
  view.not_after = *until;

  bool name_ok = false;
  view.common_name = read_common_name(*subject, name_ok);
  if (!name_ok) return std::nullopt;
  read_common_name(*issuer, name_ok);  // the issuer is compared as bytes, but must still be a Name
  if (!name_ok) return std::nullopt;
  auto key = read_public_key(*spki);
  if (!key) return std::nullopt;
  view.key = *key;

  if (!fields.at_end()) {
    auto extensions = fields.next(der::context(3, true));  // [1] and [2] unique IDs: not read here
    if (!extensions || !fields.at_end() || !read_extensions(*extensions, view)) return std::nullopt;
  }
  return view;
}

namespace oid {
Bytes ec_public_key() { return kEcPublicKey; }
Bytes common_name() { return kCommonName; }
Bytes basic_constraints() { return kBasicConstraints; }
Bytes key_usage() { return kKeyUsage; }
Bytes ext_key_usage() { return kExtKeyUsage; }
Bytes subject_alt_name() { return kSubjectAltName; }
Bytes subject_key_id() { return kSubjectKeyId; }
Bytes authority_key_id() { return kAuthorityKeyId; }
}  // namespace oid

}  // namespace provision::ca::x509
