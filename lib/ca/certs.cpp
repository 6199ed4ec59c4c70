// Reading certificates and checking the one a CA returned: each way it can be wrong is its own error code.
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "openssl_util.hpp"
#include "provision/ca_crypto.hpp"
#include "provision/hex.hpp"

namespace provision::ca {

using detail::Bio;
using detail::bio_text;
using detail::empty_bio;
using detail::memory_bio;
using detail::openssl_error;

namespace {

std::string asn1_string_utf8(const ASN1_STRING* text) {
  unsigned char* utf8 = nullptr;
  int length = ASN1_STRING_to_UTF8(&utf8, text);
  if (length < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return out;
}

bool san_names(X509* cert, std::string_view uuid) {
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return false;
  bool found = false;
  const std::string urn = "urn:uuid:" + std::string(uuid);
  for (int i = 0; i < sk_GENERAL_NAME_num(names) && !found; ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) found = asn1_string_utf8(name->d.dNSName) == uuid;
    if (name->type == GEN_URI) found = asn1_string_utf8(name->d.uniformResourceIdentifier) == urn;
  }
  GENERAL_NAMES_free(names);
  return found;
}

struct StoreCtxFree {
  void operator()(X509_STORE_CTX* ctx) const { X509_STORE_CTX_free(ctx); }
};

void check_chain(X509* cert, X509_STORE* anchors) {
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), anchors, cert, nullptr) != 1) {
    throw Error(ErrorCode::internal, "setting up the chain check failed: " + openssl_error());
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    int code = X509_STORE_CTX_get_error(ctx.get());
    openssl_error();
    throw Error(ErrorCode::cert_chain,
                fmt::format("the certificate does not chain to the trusted CA certificate ({}); the CA may have "
                            "sent the wrong CA certificate, or the answer was not from this CA",
                            X509_verify_cert_error_string(code)),
                "certificate");
  }
}

}  // namespace

Cert parse_certificate(std::string_view pem, std::string_view field) {
  Bio bio = memory_bio(pem);
  X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (cert == nullptr) {
    openssl_error();
    throw Error(ErrorCode::cert_invalid,
                fmt::format("{} is not a PEM X.509 certificate (\"-----BEGIN CERTIFICATE-----\")", field),
                std::string(field));
  }
  return Cert(cert);
}

std::vector<Cert> parse_certificates(std::string_view pem, std::string_view field) {
  Bio bio = memory_bio(pem);
  std::vector<Cert> out;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(cert);
  openssl_error();  // the loop ends on "no start line"
  if (out.empty()) {
    throw Error(ErrorCode::cert_invalid, fmt::format("{} holds no PEM X.509 certificate", field), std::string(field));
  }
  return out;
}

std::string certificate_pem(X509* cert) {
  Bio bio = empty_bio();
  PEM_write_bio_X509(bio.get(), cert);
  return bio_text(bio.get());
}

std::string certificate_serial_hex(X509* cert) {
  BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  char* hex = BN_bn2hex(number);
  std::string out(hex);
  OPENSSL_free(hex);
  BN_free(number);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string certificate_fingerprint_sha256(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(cert, EVP_sha256(), digest, &length);
  return to_hex(std::span<const std::uint8_t>(digest, length));
}

std::string certificate_not_after_rfc3339(X509* cert) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return "";
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string certificate_common_name(X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return "";
  return asn1_string_utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)));
}

bool same_public_key(X509* cert, const EVP_PKEY* key) {
  EVP_PKEY* cert_key = X509_get0_pubkey(cert);
  return cert_key != nullptr && EVP_PKEY_eq(cert_key, key) == 1;
}

void check_certificate(std::string_view cert_pem, std::string_view ca_cert_pem, std::string_view uuid,
                       const EVP_PKEY* expected_key, SysTime now) {
  Cert cert = parse_certificate(cert_pem, "certificate");
  auto anchors = TrustAnchors::parse(ca_cert_pem, "ca_cert");
  check_certificate(cert.get(), anchors->store(), uuid, expected_key, now);
}

void check_certificate(X509* cert, X509_STORE* anchors, std::string_view uuid, const EVP_PKEY* expected_key,
                       SysTime now) {
  std::time_t at = std::chrono::system_clock::to_time_t(now);
  if (X509_cmp_time(X509_get0_notBefore(cert), &at) > 0) {
    throw Error(ErrorCode::cert_expired,
                fmt::format("the certificate is not valid yet (it starts after {}); check the CA's and this "
                            "station's clocks", format_rfc3339(now)),
                "certificate");
  }
  if (X509_cmp_time(X509_get0_notAfter(cert), &at) < 0) {
    throw Error(ErrorCode::cert_expired,
                fmt::format("the certificate expired on {}; ask the CA operator to renew it",
                            certificate_not_after_rfc3339(cert)),
                "certificate");
  }
  check_chain(cert, anchors);
  if (expected_key != nullptr && !same_public_key(cert, expected_key)) {
    throw Error(ErrorCode::cert_key_mismatch,
                "the certificate's public key is not the key of the CSR sent; the CA must certify the CSR's key",
                "certificate");
  }
  if (certificate_common_name(cert) != uuid && !san_names(cert, uuid)) {
    throw Error(ErrorCode::cert_name_mismatch,
                fmt::format("the certificate names \"{}\", not the device uuid {} (neither CN nor SAN)",
                            certificate_common_name(cert), uuid),
                "certificate");
  }
}

}  // namespace provision::ca
