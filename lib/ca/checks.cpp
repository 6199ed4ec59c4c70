// The two checks every registration makes: the CA reads and verifies the CSR, the station verifies the
// certificate it got back. Each first reads the DER itself (x509_view.hpp) and checks with EVP signatures,
// because OpenSSL 3.0's parsers build a decoder context for every public key they meet, which costs more than
// the signature. The fast path only ever accepts: whatever it cannot prove good (another shape, another
// algorithm, a failed signature, a wrong name) goes to OpenSSL's full parse and X509_verify_cert, which decide
// and produce the error. So the answer is always OpenSSL's; only its cost changes. A test compares the two on
// every single-byte corruption of a certificate.
#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>

#include "checks.hpp"
#include "der.hpp"
#include "openssl_util.hpp"
#include "provision/hex.hpp"
#include "x509_view.hpp"

namespace provision::ca {

using detail::openssl_error;

namespace {

using x509::Bytes;

struct SignatureAlgorithm {
  std::array<std::uint8_t, 9> oid;
  std::size_t oid_size;
  const char* digest;
  const char* key_type;
  bool null_parameters;  // RSA's AlgorithmIdentifier carries NULL, ECDSA's nothing (RFC 5758)
  Bytes oid_bytes() const { return Bytes(oid.data(), oid_size); }
};

constexpr SignatureAlgorithm kSignatureAlgorithms[] = {
    {{0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02}, 8, "SHA256", "EC", false},  // ecdsa-with-SHA256
    {{0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03}, 8, "SHA384", "EC", false},  // ecdsa-with-SHA384
    {{0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x04}, 8, "SHA512", "EC", false},  // ecdsa-with-SHA512
    {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B}, 9, "SHA256", "RSA", true},  // sha256WithRSAEncryption
    {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0C}, 9, "SHA384", "RSA", true},
    {{0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0D}, 9, "SHA512", "RSA", true},
};

const SignatureAlgorithm* signature_algorithm(Bytes oid) {
  for (const auto& algorithm : kSignatureAlgorithms) {
    if (der::equal(algorithm.oid_bytes(), oid)) return &algorithm;
  }
  return nullptr;
}

struct NamedCurve {
  std::array<std::uint8_t, 8> oid;
  std::size_t oid_size;
  int nid;
  const char* group;
  Bytes oid_bytes() const { return Bytes(oid.data(), oid_size); }
};

constexpr NamedCurve kNamedCurves[] = {
    {{0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07}, 8, NID_X9_62_prime256v1, "prime256v1"},  // P-256
    {{0x2B, 0x81, 0x04, 0x00, 0x22}, 5, NID_secp384r1, "secp384r1"},                             // P-384
    {{0x2B, 0x81, 0x04, 0x00, 0x23}, 5, NID_secp521r1, "secp521r1"},                             // P-521
};

const NamedCurve* curve_named_by(Bytes oid) {
  for (const auto& curve : kNamedCurves) {
    if (der::equal(curve.oid_bytes(), oid)) return &curve;
  }
  return nullptr;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};

bool signature_verifies(const EVP_PKEY* key, const char* digest, Bytes data, Bytes signature) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestVerifyInit_ex(ctx.get(), nullptr, digest, nullptr, nullptr,
                                           const_cast<EVP_PKEY*>(key), nullptr) == 1 &&
            EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data.data(), data.size()) == 1;
  if (!ok) openssl_error();  // clear the queue
  return ok;
}

// An EC public key from its curve and point; EC_POINT_oct2point underneath refuses a point off the curve.
Pkey ec_key_from(const NamedCurve& curve, Bytes point) {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(curve.group), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<std::uint8_t*>(point.data()),
                                        point.size()),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    openssl_error();
    return nullptr;
  }
  return Pkey(key);
}

}  // namespace

namespace detail {

std::optional<CheckedCsr> check_csr_fast(std::string_view pem) {
  auto bytes = der::pem_decode(pem, "CERTIFICATE REQUEST");
  if (!bytes) return std::nullopt;
  auto view = x509::view_csr(*bytes);
  if (!view || !der::equal(view->key.algorithm, x509::oid::ec_public_key())) return std::nullopt;
  const NamedCurve* curve = curve_named_by(view->key.curve);
  const SignatureAlgorithm* algorithm = signature_algorithm(view->signature_algorithm);
  if (curve == nullptr || algorithm == nullptr || std::string_view(algorithm->key_type) != "EC" ||
      view->signature_parameters_null) {
    return std::nullopt;
  }
  CheckedCsr checked;
  checked.key = ec_key_from(*curve, view->key.key);
  if (!checked.key || !signature_verifies(checked.key.get(), algorithm->digest, view->info, view->signature)) {
    return std::nullopt;
  }
  checked.public_key_info.reset(X509_PUBKEY_new());
  if (!checked.public_key_info) return std::nullopt;
  detail::set_ec_public_key(checked.public_key_info.get(), curve->nid, view->key.key);
  checked.common_name = view->common_name.value_or("");
  return checked;
}

}  // namespace detail

namespace {

bool same_key(const x509::PublicKeyInfo& info, const EVP_PKEY* key) {
  const int curve = detail::named_curve(key);
  if (curve == NID_undef || !der::equal(info.algorithm, x509::oid::ec_public_key())) return false;
  const ASN1_OBJECT* curve_oid = OBJ_nid2obj(curve);
  const Bytes curve_bytes(OBJ_get0_data(curve_oid), OBJ_length(curve_oid));
  auto point = detail::ec_public_point(key);
  return point && der::equal(info.curve, curve_bytes) && der::equal(info.key, *point);
}

bool names_uuid(const x509::CertificateView& view, std::string_view uuid) {
  if (view.common_name == uuid) return true;
  for (const auto& dns : view.san_dns) {
    if (dns == uuid) return true;
  }
  const std::string urn = "urn:uuid:" + std::string(uuid);
  for (const auto& uri : view.san_uri) {
    if (uri == urn) return true;
  }
  return false;
}

// A trust anchor X509_verify_cert would take as is for a certificate it issued directly: a CA (basic
// constraints, or key usage with keyCertSign), no critical extension OpenSSL does not handle, no name
// constraints (the fast path does not apply them).
bool plain_anchor(X509* root) {
  const std::uint32_t flags = X509_get_extension_flags(root);
  return (flags & (EXFLAG_CRITICAL | EXFLAG_INVALID)) == 0 && X509_check_ca(root) != 0 &&
         X509_get_ext_by_NID(root, NID_name_constraints, -1) < 0 && (flags & EXFLAG_PROXY) == 0;
}

bool signed_by_a_root(const x509::CertificateView& view, const std::vector<Cert>& roots) {
  const SignatureAlgorithm* algorithm = signature_algorithm(view.signature_algorithm_oid);
  if (algorithm == nullptr || !der::equal(view.signature_algorithm, view.tbs_signature_algorithm)) {
    return false;
  }
  // The parameters: what the table says, exactly (a SEQUENCE of the OID alone, or the OID and NULL).
  const std::size_t expected = 2 + 2 + algorithm->oid_size + (algorithm->null_parameters ? 2 : 0);
  if (view.signature_algorithm.size() != expected) return false;
  for (const auto& root : roots) {
    const unsigned char* name = nullptr;
    std::size_t name_size = 0;
    if (X509_NAME_get0_der(X509_get_subject_name(root.get()), &name, &name_size) != 1 ||
        !der::equal(Bytes(name, name_size), view.issuer)) {
      continue;
    }
    const EVP_PKEY* key = X509_get0_pubkey(root.get());
    if (key == nullptr || EVP_PKEY_is_a(key, algorithm->key_type) != 1 || !plain_anchor(root.get())) continue;
    if (view.authority_key_id) {
      const ASN1_OCTET_STRING* key_id = X509_get0_subject_key_id(root.get());
      const auto key_id_size = key_id ? static_cast<std::size_t>(ASN1_STRING_length(key_id)) : 0;
      if (key_id != nullptr && !der::equal(*view.authority_key_id, Bytes(ASN1_STRING_get0_data(key_id), key_id_size))) {
        continue;  // X509_check_akid: the identifiers must agree when both are there
      }
    }
    if (signature_verifies(key, algorithm->digest, view.tbs, view.signature)) return true;
  }
  return false;
}

}  // namespace

namespace detail {

std::optional<CertificateFacts> verify_certificate_fast(std::string_view pem, const std::vector<Cert>& roots,
                                                        std::string_view uuid, const EVP_PKEY* expected_key,
                                                        SysTime now) {
  auto bytes = der::pem_decode(pem, "CERTIFICATE");
  if (!bytes) return std::nullopt;
  auto view = x509::view_certificate(*bytes);
  if (!view || (view->serial[0] & 0x80) != 0) return std::nullopt;  // a negative serial: OpenSSL's formatting
  const auto at = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (!(view->not_before < at && at < view->not_after)) return std::nullopt;
  if (!signed_by_a_root(*view, roots)) return std::nullopt;
  if (expected_key != nullptr && !same_key(view->key, expected_key)) return std::nullopt;
  if (!names_uuid(*view, uuid)) return std::nullopt;
  Bytes serial = view->serial;
  while (serial.size() > 1 && serial[0] == 0) serial = serial.subspan(1);
  CertificateFacts facts;
  facts.not_after = format_rfc3339(SysTime(std::chrono::seconds(view->not_after)));
  facts.serial_hex = to_hex(serial);
  facts.fingerprint_sha256 = sha256_hex(std::string_view(reinterpret_cast<const char*>(view->whole.data()),
                                                         view->whole.size()));
  return facts;
}

}  // namespace detail

void PublicKeyInfoFree::operator()(X509_PUBKEY* info) const { X509_PUBKEY_free(info); }

CheckedCsr check_csr(std::string_view pem, CheckPath path) {
  if (path == CheckPath::fast_first) {
    if (auto checked = detail::check_csr_fast(pem)) return std::move(*checked);
  }
  Req req = parse_csr(pem);
  if (!csr_signature_ok(req.get())) {
    throw Error(ErrorCode::bad_input, "the csr's signature does not verify", "csr");
  }
  CheckedCsr checked;
  checked.common_name = csr_common_name(req.get());
  checked.key = Pkey(X509_REQ_get_pubkey(req.get()));
  checked.public_key_info.reset(X509_PUBKEY_new());
  if (!checked.key || !checked.public_key_info) {
    throw Error(ErrorCode::internal, "reading the csr's key failed: " + openssl_error());
  }
  detail::copy_public_key(checked.public_key_info.get(), X509_REQ_get_X509_PUBKEY(req.get()));
  return checked;
}

CertificateFacts verify_certificate(std::string_view cert_pem, const std::vector<Cert>& roots, std::string_view uuid,
                                    const EVP_PKEY* expected_key, SysTime now, CheckPath path) {
  if (path == CheckPath::fast_first) {
    if (auto facts = detail::verify_certificate_fast(cert_pem, roots, uuid, expected_key, now)) return *facts;
  }
  Cert cert = parse_certificate(cert_pem, "certificate");
  check_certificate(cert.get(), roots, uuid, expected_key, now);
  return {certificate_not_after_rfc3339(cert.get()), certificate_serial_hex(cert.get()),
          certificate_fingerprint_sha256(cert.get())};
}

}  // namespace provision::ca
