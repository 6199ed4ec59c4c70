// Key material and certificates for the CA step, with OpenSSL 3's EVP APIs. Pure: values in, values out; the
// only outside input is the clock, always passed in as `now`. Used by the client (keys, CSR, checks) and by the
// reference CA server (issuing).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provision/error.hpp"

typedef struct evp_pkey_st EVP_PKEY;
typedef struct x509_st X509;
typedef struct X509_req_st X509_REQ;
typedef struct X509_pubkey_st X509_PUBKEY;
typedef struct x509_store_st X509_STORE;

namespace provision::ca {

using SysTime = std::chrono::system_clock::time_point;

struct PkeyFree { void operator()(EVP_PKEY* key) const; };
struct X509Free { void operator()(X509* cert) const; };
struct ReqFree { void operator()(X509_REQ* req) const; };
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using Req = std::unique_ptr<X509_REQ, ReqFree>;

enum class KeyType { ec_p256, rsa_2048 };

Pkey generate_key(KeyType type = KeyType::ec_p256);
std::string private_key_pem(const EVP_PKEY* key);  // PKCS#8, unencrypted (secret)
std::string public_key_pem(const EVP_PKEY* key);   // SubjectPublicKeyInfo
// Throws Error(bad_input, field) when the text is not a PEM private key.
Pkey parse_private_key(std::string_view pem, std::string_view field = "device_key");

// A PKCS#10 request with subject CN = `common_name`, signed with `key` (SHA-256).
std::string make_csr_pem(const EVP_PKEY* key, std::string_view common_name);
// Throws Error(bad_input, field "csr") when it does not parse.
Req parse_csr(std::string_view pem);
bool csr_signature_ok(X509_REQ* req);
std::string csr_common_name(X509_REQ* req);  // "" when absent

// Throws Error(cert_invalid, field) when it does not parse.
Cert parse_certificate(std::string_view pem, std::string_view field = "certificate");
std::vector<Cert> parse_certificates(std::string_view pem, std::string_view field = "ca_cert");  // a bundle
std::string certificate_pem(X509* cert);
std::string certificate_serial_hex(X509* cert);
std::string certificate_fingerprint_sha256(X509* cert);  // hex of SHA-256(DER)
std::string certificate_not_after_rfc3339(X509* cert);
std::string certificate_common_name(X509* cert);
bool same_public_key(X509* cert, const EVP_PKEY* key);

// Response checks, in this order, each its own code: cert_invalid (parse), cert_expired (not valid at `now`),
// cert_chain (not signed by a certificate of `ca_cert_pem`), cert_key_mismatch (when `expected_key` is given),
// cert_name_mismatch (neither CN nor a SAN names `uuid`: CN = uuid, DNS = uuid or URI = urn:uuid:<uuid>).
void check_certificate(std::string_view cert_pem, std::string_view ca_cert_pem, std::string_view uuid,
                       const EVP_PKEY* expected_key, SysTime now);
// The same checks on a certificate already parsed, against the store of parsed anchors.
void check_certificate(X509* cert, X509_STORE* anchors, std::string_view uuid, const EVP_PKEY* expected_key,
                       SysTime now);

// The two checks of every registration. OpenSSL decides both (parse, signature, chain, validity, extensions);
// checks.cpp says what is done to keep them cheap. Docs: docs/ca.md "Trust model".
struct PublicKeyInfoFree { void operator()(X509_PUBKEY* info) const; };
using PublicKeyInfo = std::unique_ptr<X509_PUBKEY, PublicKeyInfoFree>;

// The CA's reading of a CSR: one PEM block, parsed by OpenSSL, signature verified, the key both as sent (to
// certify it as is) and as a key. Throws Error(bad_input, field "csr") when it does not parse or verify.
struct CheckedCsr {
  std::string common_name;  // "" when absent
  Pkey key;
  PublicKeyInfo public_key_info;
};
CheckedCsr check_csr(std::string_view pem);

// CA certificates a device certificate must chain to, parsed once, with the X509_STORE built from them once
// (both cost more than the checks themselves in OpenSSL 3.0). Immutable: shared by every connection.
class TrustAnchors {
 public:
  // Error(cert_invalid, field) when `pem` holds no certificate or anything but PEM certificates.
  static std::shared_ptr<const TrustAnchors> parse(std::string_view pem, std::string_view field);
  explicit TrustAnchors(std::vector<Cert> certificates);
  ~TrustAnchors();
  TrustAnchors(const TrustAnchors&) = delete;
  TrustAnchors& operator=(const TrustAnchors&) = delete;
  const std::vector<Cert>& certificates() const { return certificates_; }
  X509_STORE* store() const { return store_; }
  bool holds(X509* cert) const;  // the same certificate (DER) is one of them

 private:
  std::vector<Cert> certificates_;
  X509_STORE* store_ = nullptr;
};

// check_certificate on the PEM a CA returned, and what the station records of it.
struct CertificateFacts {
  std::string not_after;           // RFC 3339
  std::string serial_hex;          // lower case, no leading zeros
  std::string fingerprint_sha256;  // hex of SHA-256(DER)
};
CertificateFacts verify_certificate(std::string_view cert_pem, const TrustAnchors& anchors, std::string_view uuid,
                                    const EVP_PKEY* expected_key, SysTime now);
// Error(ca_untrusted, field "ca_cert") unless every certificate of `ca_cert_pem` is one of `anchors` or chains
// to them: the CA must not hand the station (and the device) a CA certificate the station does not trust.
void check_ca_cert_trusted(std::string_view ca_cert_pem, const TrustAnchors& anchors);

// CA side: what a signed certificate needs.
struct IssueParams {
  std::string uuid;                 // subject CN and SAN URI urn:uuid:<uuid>
  int validity_days = 825;
  SysTime now;
};
struct CaIdentity {
  Pkey key;
  Cert cert;
};
// X.509 v3 client certificate for `subject_key`, signed by `ca` (SHA-256): random 127-bit serial, basic
// constraints CA:FALSE, key usage digitalSignature (+keyEncipherment for RSA), extended key usage clientAuth,
// subject/authority key identifiers. Valid from now - 5 min (clock skew) for validity_days.
Cert issue_client_certificate(const CaIdentity& ca, const EVP_PKEY* subject_key, const IssueParams& params);
// The same for a SubjectPublicKeyInfo taken as is (a CSR's: X509_REQ_get_X509_PUBKEY), without re-encoding it.
Cert issue_client_certificate(const CaIdentity& ca, const X509_PUBKEY* subject, const IssueParams& params);
// Self-signed CA certificate (CA:TRUE, pathlen 0, keyCertSign+cRLSign), 10 years.
Cert make_ca_certificate(const EVP_PKEY* key, std::string_view common_name, SysTime now);
// TLS server certificate for `host` with SANs: host (DNS or IP), localhost, 127.0.0.1, ::1; serverAuth.
Cert issue_server_certificate(const CaIdentity& ca, const EVP_PKEY* key, std::string_view host, SysTime now);

std::string format_rfc3339(SysTime time);  // "2026-12-09T00:00:00Z"
std::string sha256_hex(std::string_view data);
bool constant_time_equal(std::string_view a, std::string_view b);  // length leak only
std::string random_hex(std::size_t bytes);

}  // namespace provision::ca
