// The registration checks' own DER reading (lib/ca/checks.cpp) held to OpenSSL's answers: it accepts the
// certificates and CSRs a CA issues, and it never accepts what OpenSSL's parse and X509_verify_cert refuse,
// neither hand-made awkward cases nor any single-byte corruption of a certificate or a CSR.
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include <functional>

#include "ca/checks.hpp"
#include "provision/ca_crypto.hpp"

using namespace provision;
using namespace provision::ca;

namespace {

const std::string kUuid = "04e4822c-719e-45b0-b360-7e2819faca53";

std::string der_of(X509* cert) {
  unsigned char* der = nullptr;
  int length = i2d_X509(cert, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

std::string pem_of(const std::string& der, const char* label) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio(bio, label, "", reinterpret_cast<const unsigned char*>(der.data()), static_cast<long>(der.size()));
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return out;
}

std::string csr_der(const std::string& pem) {
  auto req = parse_csr(pem);
  unsigned char* der = nullptr;
  int length = i2d_X509_REQ(req.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  REQUIRE(extension != nullptr);
  int at = X509_get_ext_by_NID(cert, nid, -1);
  if (at >= 0) X509_EXTENSION_free(X509_delete_ext(cert, at));
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
}

void resign(X509* cert, EVP_PKEY* key) { REQUIRE(X509_sign(cert, key, EVP_sha256()) > 0); }

struct Outcome {
  std::optional<CertificateFacts> facts;
  std::optional<ErrorCode> error;
};

Outcome run(const std::string& pem, const std::vector<Cert>& roots, const EVP_PKEY* key, SysTime now,
            CheckPath path) {
  try {
    return {verify_certificate(pem, roots, kUuid, key, now, path), std::nullopt};
  } catch (const Error& e) {
    return {std::nullopt, e.code()};
  }
}

// Both paths give the same answer, and the fast one alone accepts only what OpenSSL accepts.
void check_agrees(const std::string& pem, const std::vector<Cert>& roots, const EVP_PKEY* key, SysTime now) {
  const Outcome openssl = run(pem, roots, key, now, CheckPath::openssl_only);
  const Outcome both = run(pem, roots, key, now, CheckPath::fast_first);
  REQUIRE(both.error == openssl.error);
  REQUIRE(both.facts.has_value() == openssl.facts.has_value());
  if (both.facts) {
    CHECK(both.facts->not_after == openssl.facts->not_after);
    CHECK(both.facts->serial_hex == openssl.facts->serial_hex);
    CHECK(both.facts->fingerprint_sha256 == openssl.facts->fingerprint_sha256);
  }
  if (detail::verify_certificate_fast(pem, roots, kUuid, key, now)) REQUIRE(openssl.facts.has_value());
}

struct Setup {
  SysTime now = std::chrono::system_clock::now();
  CaIdentity ca{generate_key(), {}};
  Pkey device = generate_key();
  std::vector<Cert> roots;
  Setup() {
    ca.cert = make_ca_certificate(ca.key.get(), "test CA", now);
    roots.emplace_back(X509_dup(ca.cert.get()));
  }
  Cert issue() { return issue_client_certificate(ca, device.get(), {kUuid, 30, now}); }
};

}  // namespace

TEST_CASE("fast path: a certificate the CA issued is accepted with OpenSSL's facts", "[ca][checks]") {
  Setup s;
  auto cert = s.issue();
  const auto pem = certificate_pem(cert.get());
  auto fast = detail::verify_certificate_fast(pem, s.roots, kUuid, s.device.get(), s.now);
  REQUIRE(fast);
  CHECK(fast->serial_hex == certificate_serial_hex(cert.get()));
  CHECK(fast->fingerprint_sha256 == certificate_fingerprint_sha256(cert.get()));
  CHECK(fast->not_after == certificate_not_after_rfc3339(cert.get()));
  check_agrees(pem, s.roots, s.device.get(), s.now);
  // No expected key (a CA-generated key) is fine too.
  CHECK(detail::verify_certificate_fast(pem, s.roots, kUuid, nullptr, s.now));
}

TEST_CASE("fast path: an RSA CA and a bundle holding other CAs first", "[ca][checks]") {
  Setup s;
  CaIdentity rsa{generate_key(KeyType::rsa_2048), {}};
  rsa.cert = make_ca_certificate(rsa.key.get(), "RSA test CA", s.now);
  auto cert = issue_client_certificate(rsa, s.device.get(), {kUuid, 30, s.now});
  std::vector<Cert> roots;
  roots.emplace_back(X509_dup(s.ca.cert.get()));
  roots.emplace_back(X509_dup(rsa.cert.get()));
  const auto pem = certificate_pem(cert.get());
  CHECK(detail::verify_certificate_fast(pem, roots, kUuid, s.device.get(), s.now));
  check_agrees(pem, roots, s.device.get(), s.now);
}

TEST_CASE("fast path: every awkward case goes to OpenSSL, which decides", "[ca][checks]") {
  Setup s;
  struct Case {
    const char* name;
    std::function<void(Setup&, Cert&)> change;
    std::optional<ErrorCode> expected;  // OpenSSL's verdict; nullopt: accepted
  };
  const std::vector<Case> cases = {
      {"an unknown critical extension",
       [](Setup& setup, Cert& cert) {
         ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.4.1.55555.1", 1);
         ASN1_OCTET_STRING* value = ASN1_OCTET_STRING_new();
         ASN1_OCTET_STRING_set(value, reinterpret_cast<const unsigned char*>("\x05\x00"), 2);
         X509_EXTENSION* extension = X509_EXTENSION_create_by_OBJ(nullptr, oid, 1, value);
         X509_add_ext(cert.get(), extension, -1);
         X509_EXTENSION_free(extension);
         ASN1_OCTET_STRING_free(value);
         ASN1_OBJECT_free(oid);
         resign(cert.get(), setup.ca.key.get());
       },
       ErrorCode::cert_chain},
      {"an unknown non-critical extension",
       [](Setup& setup, Cert& cert) {
         add_extension(cert.get(), setup.ca.cert.get(), NID_netscape_comment, "hello");
         resign(cert.get(), setup.ca.key.get());
       },
       std::nullopt},
      {"a root that is not a CA",
       [](Setup& setup, Cert&) {
         add_extension(setup.roots[0].get(), setup.roots[0].get(), NID_basic_constraints, "critical,CA:FALSE");
         resign(setup.roots[0].get(), setup.ca.key.get());
       },
       ErrorCode::cert_chain},
      {"a root whose key usage lacks keyCertSign",
       [](Setup& setup, Cert&) {
         add_extension(setup.roots[0].get(), setup.roots[0].get(), NID_key_usage, "critical,digitalSignature");
         resign(setup.roots[0].get(), setup.ca.key.get());
       },
       ErrorCode::cert_chain},
      {"a root with name constraints the certificate breaks",
       [](Setup& setup, Cert&) {
         add_extension(setup.roots[0].get(), setup.roots[0].get(), NID_name_constraints,
                       "critical,permitted;URI:.example.com");
         resign(setup.roots[0].get(), setup.ca.key.get());
       },
       ErrorCode::cert_chain},
      {"another CA with the same name",
       [](Setup&, Cert& cert) {
         auto other = generate_key();
         resign(cert.get(), other.get());
       },
       ErrorCode::cert_chain},
      {"an authority key identifier of another key",
       [](Setup& setup, Cert& cert) {
         auto other = generate_key();
         Cert other_ca = make_ca_certificate(other.get(), "test CA", setup.now);
         add_extension(cert.get(), other_ca.get(), NID_authority_key_identifier, "keyid:always");
         resign(cert.get(), setup.ca.key.get());
       },
       ErrorCode::cert_chain},
      {"expired",
       [](Setup& setup, Cert& cert) {
         cert = issue_client_certificate(setup.ca, setup.device.get(),
                                         {kUuid, 30, setup.now - std::chrono::hours(24 * 40)});
       },
       ErrorCode::cert_expired},
      {"another key",
       [](Setup& setup, Cert& cert) {
         auto other = generate_key();
         cert = issue_client_certificate(setup.ca, other.get(), {kUuid, 30, setup.now});
       },
       ErrorCode::cert_key_mismatch},
      {"another uuid",
       [](Setup& setup, Cert& cert) {
         cert = issue_client_certificate(setup.ca, setup.device.get(),
                                         {"11111111-2222-4333-8444-555555555555", 30, setup.now});
       },
       ErrorCode::cert_name_mismatch},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      Setup setup;
      auto cert = setup.issue();
      c.change(setup, cert);
      const auto pem = certificate_pem(cert.get());
      const Outcome openssl = run(pem, setup.roots, setup.device.get(), setup.now, CheckPath::openssl_only);
      CHECK(openssl.error == c.expected);
      CHECK_FALSE(detail::verify_certificate_fast(pem, setup.roots, kUuid, setup.device.get(), setup.now));
      check_agrees(pem, setup.roots, setup.device.get(), setup.now);
    }
  }
}

TEST_CASE("fast path: no single-byte corruption of a certificate is accepted unless OpenSSL accepts it",
          "[ca][checks]") {
  Setup s;
  auto cert = s.issue();
  const std::string der = der_of(cert.get());
  int openssl_accepted = 0;
  for (std::size_t i = 0; i < der.size(); ++i) {
    for (unsigned char flip : {0x01, 0x80}) {
      std::string changed = der;
      changed[i] = static_cast<char>(changed[i] ^ flip);
      const auto pem = pem_of(changed, "CERTIFICATE");
      check_agrees(pem, s.roots, s.device.get(), s.now);
      if (run(pem, s.roots, s.device.get(), s.now, CheckPath::openssl_only).facts) ++openssl_accepted;
    }
  }
  CHECK(openssl_accepted == 0);  // every byte is covered by the DER structure or the signature
}

TEST_CASE("fast path: a CSR reads as OpenSSL reads it; corruptions never pass", "[ca][checks]") {
  auto key = generate_key();
  const auto pem = make_csr_pem(key.get(), kUuid);
  auto fast = detail::check_csr_fast(pem);
  REQUIRE(fast);
  CHECK(fast->common_name == kUuid);
  CHECK(EVP_PKEY_eq(fast->key.get(), key.get()) == 1);
  auto slow = check_csr(pem, CheckPath::openssl_only);
  CHECK(slow.common_name == kUuid);
  CHECK(EVP_PKEY_eq(slow.key.get(), key.get()) == 1);

  auto rsa = generate_key(KeyType::rsa_2048);  // RSA CSRs: OpenSSL's path
  const auto rsa_pem = make_csr_pem(rsa.get(), kUuid);
  CHECK_FALSE(detail::check_csr_fast(rsa_pem));
  CHECK(check_csr(rsa_pem).common_name == kUuid);

  const std::string der = csr_der(pem);
  int accepted = 0;
  for (std::size_t i = 0; i < der.size(); ++i) {
    std::string changed = der;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    const auto changed_pem = pem_of(changed, "CERTIFICATE REQUEST");
    std::optional<CheckedCsr> openssl;
    try {
      openssl = check_csr(changed_pem, CheckPath::openssl_only);
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::bad_input);
    }
    if (auto mine = detail::check_csr_fast(changed_pem)) {
      ++accepted;
      REQUIRE(openssl);
      CHECK(mine->common_name == openssl->common_name);
      CHECK(EVP_PKEY_eq(mine->key.get(), openssl->key.get()) == 1);
    }
  }
  CHECK(accepted == 0);
}
