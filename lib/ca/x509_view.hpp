// Read-only views of a PKCS#10 request and of an X.509 v3 certificate in their DER bytes, for the shapes a
// device CA issues: no OpenSSL, no copies. OpenSSL 3.0 builds a decoder context for every public key it parses
// (about 1.2 million instructions, more than the signature check), so the CA step reads the common shape here
// and leaves everything else to OpenSSL: a view is nullopt for anything outside that shape, never a guess.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "der.hpp"

namespace provision::ca::x509 {

using der::Bytes;

struct PublicKeyInfo {
  Bytes whole;      // the SubjectPublicKeyInfo TLV
  Bytes algorithm;  // OID content octets
  Bytes curve;      // named-curve OID content octets; empty when the parameters are not an OID
  Bytes key;        // the BIT STRING's bits (no unused bits allowed)
};

struct CsrView {
  Bytes info;                 // CertificationRequestInfo TLV: what the signature covers
  std::optional<std::string> common_name;  // the first CN, when UTF8String, PrintableString or IA5String
  PublicKeyInfo key;
  Bytes signature_algorithm;  // OID content octets (parameters must be absent or NULL)
  bool signature_parameters_null = false;
  Bytes signature;            // the BIT STRING's bits
};

struct Extension {
  Bytes oid;
  bool critical = false;
  Bytes value;  // the OCTET STRING's content
};

struct CertificateView {
  Bytes whole;
  Bytes tbs;                       // TBSCertificate TLV: what the signature covers
  Bytes tbs_signature_algorithm;   // AlgorithmIdentifier TLV inside the TBS
  Bytes signature_algorithm;       // the outer AlgorithmIdentifier TLV
  Bytes signature_algorithm_oid;   // its OID content octets
  Bytes signature;
  Bytes serial;                    // INTEGER content octets
  Bytes issuer;                    // Name TLV
  Bytes subject;                   // Name TLV
  std::int64_t not_before = 0;     // seconds since the epoch
  std::int64_t not_after = 0;
  std::optional<std::string> common_name;
  PublicKeyInfo key;
  std::vector<Extension> extensions;
  // Decoded from the extensions above when present.
  std::vector<std::string> san_dns;
  std::vector<std::string> san_uri;
  std::optional<Bytes> authority_key_id;  // AuthorityKeyIdentifier keyIdentifier [0]
};

// nullopt: not DER, or not the common shape (see x509_view.cpp for exactly what is accepted).
std::optional<CsrView> view_csr(Bytes der);
std::optional<CertificateView> view_certificate(Bytes der);

// Object identifiers, as content octets, the views and their users compare against.
namespace oid {
Bytes ec_public_key();      // 1.2.840.10045.2.1
Bytes common_name();        // 2.5.4.3
Bytes basic_constraints();  // 2.5.29.19
Bytes key_usage();          // 2.5.29.15
Bytes ext_key_usage();      // 2.5.29.37
Bytes subject_alt_name();   // 2.5.29.17
Bytes subject_key_id();     // 2.5.29.14
Bytes authority_key_id();   // 2.5.29.35
}  // namespace oid

// Days-from-civil for UTCTime/GeneralizedTime "…Z" text; nullopt unless it is DER's exact form.
std::optional<std::int64_t> parse_time(std::uint8_t tag, Bytes text);

}  // namespace provision::ca::x509
