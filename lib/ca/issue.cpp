// The CA side of certificates: X.509 v3 client certificates for devices, the self-signed CA certificate and the
// TLS certificate of the reference server. Extension values use OpenSSL's v3 config syntax.
#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <set>

#include "openssl_util.hpp"
#include "provision/ca_crypto.hpp"

namespace provision::ca {

using detail::openssl_error;

namespace {

constexpr long kClockSkewSeconds = 300;  // notBefore a little in the past: device clocks lag
constexpr int kCaValidityDays = 3650;
constexpr int kServerValidityDays = 825;  // the CA/Browser Forum's old maximum; clients accept it

[[noreturn]] void issue_failed(std::string_view what) {
  throw Error(ErrorCode::internal, fmt::format("{} failed: {}", what, openssl_error()));
}

// 127 random bits: positive, at most 16 bytes (RFC 5280 4.1.2.2: at most 20 octets), collisions negligible.
void set_random_serial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) issue_failed("the random serial");
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7F) | 0x40);  // positive, full 16-byte length
  BIGNUM* number = BN_bin2bn(bytes, sizeof bytes, nullptr);
  ASN1_INTEGER* serial = BN_to_ASN1_INTEGER(number, nullptr);
  X509_set_serialNumber(cert, serial);
  ASN1_INTEGER_free(serial);
  BN_free(number);
}

void set_common_name(X509_NAME* name, std::string_view common_name) {
  std::string cn(common_name);
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                                 -1, 0) != 1) {
    issue_failed("setting the subject");
  }
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (extension == nullptr) issue_failed(fmt::format("the extension {}", OBJ_nid2sn(nid)));
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
}

// Subject, issuer, serial and validity; the caller sets the public key (detail::set_public_key or copy_public_key).
Cert new_certificate(std::string_view common_name, X509_NAME* issuer_name, SysTime now, int validity_days) {
  Cert cert(X509_new());
  if (!cert) issue_failed("X509_new");
  X509_set_version(cert.get(), 2);  // v3 is encoded as 2
  set_random_serial(cert.get());
  std::time_t at = std::chrono::system_clock::to_time_t(now);
  ASN1_TIME_adj(X509_getm_notBefore(cert.get()), at, 0, -kClockSkewSeconds);
  ASN1_TIME_adj(X509_getm_notAfter(cert.get()), at, validity_days, 0);
  set_common_name(X509_get_subject_name(cert.get()), common_name);
  X509_set_issuer_name(cert.get(), issuer_name != nullptr ? issuer_name : X509_get_subject_name(cert.get()));
  return cert;
}

struct ExtensionFree {
  void operator()(X509_EXTENSION* extension) const { X509_EXTENSION_free(extension); }
};
using Extension = std::unique_ptr<X509_EXTENSION, ExtensionFree>;

Extension make_extension(X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, nullptr, nullptr, nullptr, 0);
  Extension extension(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!extension) issue_failed(fmt::format("the extension {}", OBJ_nid2sn(nid)));
  return extension;
}

// The extensions every device certificate of one CA carries alike, parsed from OpenSSL's config syntax and encoded
// once per thread instead of once per certificate (the server issues thousands a second).
struct DeviceExtensions {
  Cert issuer;  // holds a reference: the cache is for this very certificate (X509_cmp)
  Extension basic_constraints, key_usage, key_usage_rsa, ext_key_usage, authority_key_id;
};

const DeviceExtensions& device_extensions(X509* issuer) {
  thread_local DeviceExtensions cached;
  if (cached.issuer && X509_cmp(cached.issuer.get(), issuer) == 0) return cached;
  DeviceExtensions made;
  made.basic_constraints = make_extension(issuer, NID_basic_constraints, "critical,CA:FALSE");
  made.key_usage = make_extension(issuer, NID_key_usage, "critical,digitalSignature");
  made.key_usage_rsa = make_extension(issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
  made.ext_key_usage = make_extension(issuer, NID_ext_key_usage, "clientAuth");
  made.authority_key_id = make_extension(issuer, NID_authority_key_identifier, "keyid:always");
  X509_up_ref(issuer);
  made.issuer.reset(issuer);
  cached = std::move(made);
  return cached;
}

void add_copy(X509* cert, X509_EXTENSION* extension) {
  if (X509_add_ext(cert, extension, -1) != 1) issue_failed("adding an extension");
}

void add_subject_alt_name_uri(X509* cert, const std::string& uri) {
  GENERAL_NAMES* names = GENERAL_NAMES_new();
  GENERAL_NAME* name = GENERAL_NAME_new();
  ASN1_IA5STRING* text = ASN1_IA5STRING_new();
  const bool ok = names != nullptr && name != nullptr && text != nullptr &&
                  ASN1_STRING_set(text, uri.data(), static_cast<int>(uri.size())) == 1;
  if (ok) {
    GENERAL_NAME_set0_value(name, GEN_URI, text);
    text = nullptr;
  }
  const bool added = ok && sk_GENERAL_NAME_push(names, name) > 0;
  if (added) name = nullptr;
  const bool set = added && X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, X509V3_ADD_APPEND) == 1;
  ASN1_IA5STRING_free(text);
  GENERAL_NAME_free(name);
  GENERAL_NAMES_free(names);
  if (!set) issue_failed("the subject alternative name");
}

// RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits, what the config's "hash" computes.
void add_subject_key_id(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  ASN1_OCTET_STRING* id = ASN1_OCTET_STRING_new();
  const bool set = id != nullptr && X509_pubkey_digest(cert, EVP_sha1(), digest, &length) == 1 &&
                   ASN1_OCTET_STRING_set(id, digest, static_cast<int>(length)) == 1 &&
                   X509_add1_ext_i2d(cert, NID_subject_key_identifier, id, 0, X509V3_ADD_APPEND) == 1;
  ASN1_OCTET_STRING_free(id);
  if (!set) issue_failed("the subject key identifier");
}

void sign(X509* cert, const EVP_PKEY* key) {
  if (X509_sign(cert, const_cast<EVP_PKEY*>(key), EVP_sha256()) <= 0) issue_failed("signing the certificate");
}

}  // namespace

Cert issue_client_certificate(const CaIdentity& ca, const X509_PUBKEY* subject, const IssueParams& params) {
  Cert cert = new_certificate(params.uuid, X509_get_subject_name(ca.cert.get()), params.now, params.validity_days);
  detail::copy_public_key(X509_get_X509_PUBKEY(cert.get()), subject);
  const DeviceExtensions& fixed = device_extensions(ca.cert.get());
  add_copy(cert.get(), fixed.basic_constraints.get());
  add_copy(cert.get(), detail::is_rsa_key(subject) ? fixed.key_usage_rsa.get() : fixed.key_usage.get());
  add_copy(cert.get(), fixed.ext_key_usage.get());
  add_subject_alt_name_uri(cert.get(), "urn:uuid:" + params.uuid);
  add_subject_key_id(cert.get());
  add_copy(cert.get(), fixed.authority_key_id.get());
  sign(cert.get(), ca.key.get());
  return cert;
}

Cert issue_client_certificate(const CaIdentity& ca, const EVP_PKEY* subject_key, const IssueParams& params) {
  std::unique_ptr<X509_PUBKEY, void (*)(X509_PUBKEY*)> subject(X509_PUBKEY_new(), X509_PUBKEY_free);
  if (!subject) issue_failed("X509_PUBKEY_new");
  detail::set_public_key(subject.get(), subject_key);
  return issue_client_certificate(ca, subject.get(), params);
}

Cert make_ca_certificate(const EVP_PKEY* key, std::string_view common_name, SysTime now) {
  Cert cert = new_certificate(common_name, nullptr, now, kCaValidityDays);
  detail::set_public_key(X509_get_X509_PUBKEY(cert.get()), key);
  add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  add_extension(cert.get(), cert.get(), NID_authority_key_identifier, "keyid:always");
  sign(cert.get(), key);
  return cert;
}

Cert issue_server_certificate(const CaIdentity& ca, const EVP_PKEY* key, std::string_view host, SysTime now) {
  Cert cert = new_certificate(host, X509_get_subject_name(ca.cert.get()), now, kServerValidityDays);
  detail::set_public_key(X509_get_X509_PUBKEY(cert.get()), key);
  auto entry = [](std::string_view name) {
    bool ip = name.find(':') != std::string_view::npos ||
              name.find_first_not_of("0123456789.") == std::string_view::npos;
    return fmt::format("{}:{}", ip ? "IP" : "DNS", name);
  };
  std::set<std::string> seen;
  std::string san;
  for (std::string_view name : {host, std::string_view("localhost"), std::string_view("127.0.0.1"),
                                std::string_view("::1")}) {
    if (name.empty() || !seen.insert(std::string(name)).second) continue;
    san += (san.empty() ? "" : ",") + entry(name);
  }
  add_extension(cert.get(), ca.cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), ca.cert.get(), NID_key_usage,
                EVP_PKEY_is_a(key, "RSA") == 1 ? "critical,digitalSignature,keyEncipherment"
                                               : "critical,digitalSignature");
  add_extension(cert.get(), ca.cert.get(), NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), ca.cert.get(), NID_subject_alt_name, san);
  add_extension(cert.get(), ca.cert.get(), NID_subject_key_identifier, "hash");
  add_extension(cert.get(), ca.cert.get(), NID_authority_key_identifier, "keyid:always");
  sign(cert.get(), ca.key.get());
  return cert;
}

}  // namespace provision::ca
