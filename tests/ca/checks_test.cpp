// The registration checks (lib/ca/checks.cpp) give OpenSSL's verdict: awkward certificates, validly signed
// inputs OpenSSL refuses to read (which a hand-written DER reader once accepted), inputs with two PEM blocks,
// and every single-byte corruption of a certificate and of a CSR.
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include <functional>
#include <vector>

#include "provision/ca_crypto.hpp"

namespace checks_test {

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

Outcome run(const std::string& pem, const std::vector<Cert>& roots, const EVP_PKEY* key, SysTime now) {
  std::vector<Cert> copies;
  for (const auto& root : roots) copies.emplace_back(X509_dup(root.get()));
  TrustAnchors anchors(std::move(copies));
  try {
    return {verify_certificate(pem, anchors, kUuid, key, now), std::nullopt};
  } catch (const Error& e) {
    return {std::nullopt, e.code()};
  }
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

// DER length octets of `size`.
std::string der_length(std::size_t size) {
  if (size < 0x80) return std::string(1, static_cast<char>(size));
  std::string octets;
  for (; size > 0; size >>= 8) octets.insert(octets.begin(), static_cast<char>(size & 0xFF));
  return std::string(1, static_cast<char>(0x80 | octets.size())) + octets;
}

// The element (tag, length, value) starting at `at`; `at` moves past it, or into it with `enter`.
std::string take_element(const std::string& der, std::size_t& at, bool enter = false) {
  const std::size_t start = at;
  auto first = static_cast<unsigned char>(der[at + 1]);
  std::size_t size = first, header = 2;
  if (first & 0x80) {
    size = 0;
    for (unsigned i = 0; i < (first & 0x7Fu); ++i) size = size << 8 | static_cast<unsigned char>(der[at + 2 + i]);
    header += first & 0x7Fu;
  }
  at = enter ? start + header : start + header + size;
  return der.substr(start, header + size);
}

// A signed structure (certificate or CSR) with `from` replaced by `to` (the same length) inside the signed part,
// signed again with `key`: validly signed, so only the reader decides whether it is good.
std::string resigned(const std::string& der, const std::string& from, const std::string& to, EVP_PKEY* key) {
  REQUIRE(from.size() == to.size());
  std::size_t at = 0;
  take_element(der, at, true);  // into the outer SEQUENCE
  std::string signed_part = take_element(der, at);
  const std::string algorithm = take_element(der, at);
  const auto where = signed_part.find(from);
  REQUIRE(where != std::string::npos);
  signed_part.replace(where, from.size(), to);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t size = 0;
  REQUIRE(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1);
  const auto* data = reinterpret_cast<const unsigned char*>(signed_part.data());
  REQUIRE(EVP_DigestSign(ctx, nullptr, &size, data, signed_part.size()) == 1);
  std::string signature(size, '\0');
  REQUIRE(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size, data, signed_part.size()) == 1);
  EVP_MD_CTX_free(ctx);
  signature.resize(size);
  const std::string bits = std::string(1, '\x03') + der_length(size + 1) + std::string(1, '\0') + signature;
  const std::string content = signed_part + algorithm + bits;
  return std::string(1, '\x30') + der_length(content.size()) + content;
}

const std::string kPlaceholder = "ZZZZ";
const std::string kInvalidUtf8 = "\xff\xfe\xfd\xfc";

void add_organization(X509_NAME* name, const std::string& text) {
  REQUIRE(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(text.c_str()),
                                     -1, -1, 0) == 1);
}

}  // namespace

TEST_CASE("checks: a certificate the CA issued is accepted with its facts", "[ca][checks]") {
  Setup s;
  auto cert = s.issue();
  const auto pem = certificate_pem(cert.get());
  const Outcome accepted = run(pem, s.roots, s.device.get(), s.now);
  REQUIRE(accepted.facts);
  CHECK(accepted.facts->serial_hex == certificate_serial_hex(cert.get()));
  CHECK(accepted.facts->fingerprint_sha256 == certificate_fingerprint_sha256(cert.get()));
  CHECK(accepted.facts->not_after == certificate_not_after_rfc3339(cert.get()));
  CHECK(run(pem, s.roots, nullptr, s.now).facts);  // no expected key (a CA-generated key) is fine too
}

TEST_CASE("checks: an RSA CA and a bundle holding other CAs first", "[ca][checks]") {
  Setup s;
  CaIdentity rsa{generate_key(KeyType::rsa_2048), {}};
  rsa.cert = make_ca_certificate(rsa.key.get(), "RSA test CA", s.now);
  auto cert = issue_client_certificate(rsa, s.device.get(), {kUuid, 30, s.now});
  std::vector<Cert> roots;
  roots.emplace_back(X509_dup(s.ca.cert.get()));
  roots.emplace_back(X509_dup(rsa.cert.get()));
  CHECK(run(certificate_pem(cert.get()), roots, s.device.get(), s.now).facts);
}

TEST_CASE("checks: every awkward case gets OpenSSL's verdict", "[ca][checks]") {
  struct Case {
    const char* name;
    std::function<void(Setup&, Cert&)> change;
    std::optional<ErrorCode> expected;  // nullopt: accepted
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
      const Outcome outcome = run(certificate_pem(cert.get()), setup.roots, setup.device.get(), setup.now);
      CHECK(outcome.error == c.expected);
      CHECK(outcome.facts.has_value() == !c.expected.has_value());
    }
  }
}

TEST_CASE("checks: a validly signed certificate OpenSSL cannot read is refused", "[ca][checks]") {
  Setup s;
  auto cert = s.issue();
  add_organization(X509_get_subject_name(cert.get()), kPlaceholder);
  resign(cert.get(), s.ca.key.get());
  REQUIRE(run(certificate_pem(cert.get()), s.roots, s.device.get(), s.now).facts);
  // The subject's O becomes bytes that are not UTF-8 in a UTF8String; the signature still verifies.
  const auto changed = resigned(der_of(cert.get()), kPlaceholder, kInvalidUtf8, s.ca.key.get());
  CHECK(run(pem_of(changed, "CERTIFICATE"), s.roots, s.device.get(), s.now).error == ErrorCode::cert_invalid);
}

TEST_CASE("checks: a certificate answer with two PEM blocks is refused", "[ca][checks]") {
  Setup s;
  const auto good = certificate_pem(s.issue().get());
  const auto other = certificate_pem(issue_client_certificate(s.ca, generate_key().get(), {kUuid, 30, s.now}).get());
  CHECK(run(good + other, s.roots, s.device.get(), s.now).error == ErrorCode::cert_invalid);
  CHECK(run(other + good, s.roots, s.device.get(), s.now).error == ErrorCode::cert_invalid);
}

TEST_CASE("checks: no single-byte corruption of a certificate is accepted", "[ca][checks]") {
  Setup s;
  const std::string der = der_of(s.issue().get());
  int accepted = 0;
  for (std::size_t i = 0; i < der.size(); ++i) {
    for (unsigned char flip : {0x01, 0x80}) {
      std::string changed = der;
      changed[i] = static_cast<char>(changed[i] ^ flip);
      if (run(pem_of(changed, "CERTIFICATE"), s.roots, s.device.get(), s.now).facts) ++accepted;
    }
  }
  CHECK(accepted == 0);  // every byte is covered by the DER structure or the signature
}

namespace {

ErrorCode csr_failure(const std::string& pem) {
  try {
    check_csr(pem);
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::internal;  // accepted
}

}  // namespace

TEST_CASE("checks: a CSR is read with its key and CN, RSA too", "[ca][checks]") {
  auto key = generate_key();
  auto checked = check_csr(make_csr_pem(key.get(), kUuid));
  CHECK(checked.common_name == kUuid);
  CHECK(EVP_PKEY_eq(checked.key.get(), key.get()) == 1);
  auto rsa = generate_key(KeyType::rsa_2048);
  CHECK(check_csr(make_csr_pem(rsa.get(), kUuid)).common_name == kUuid);
}

TEST_CASE("checks: a validly signed CSR OpenSSL cannot read, or two CSRs in one, is refused", "[ca][checks]") {
  auto key = generate_key();
  auto req = parse_csr(make_csr_pem(key.get(), kUuid));
  add_organization(X509_REQ_get_subject_name(req.get()), kPlaceholder);
  REQUIRE(X509_REQ_sign(req.get(), key.get(), EVP_sha256()) > 0);
  unsigned char* der = nullptr;
  const int length = i2d_X509_REQ(req.get(), &der);
  const std::string csr(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  REQUIRE(csr_failure(pem_of(csr, "CERTIFICATE REQUEST")) == ErrorCode::internal);
  const auto changed = resigned(csr, kPlaceholder, kInvalidUtf8, key.get());
  CHECK(csr_failure(pem_of(changed, "CERTIFICATE REQUEST")) == ErrorCode::bad_input);

  auto other = generate_key();
  const auto two = make_csr_pem(other.get(), kUuid) + make_csr_pem(key.get(), kUuid);
  CHECK(csr_failure(two) == ErrorCode::bad_input);
}

TEST_CASE("checks: no single-byte corruption of a CSR passes", "[ca][checks]") {
  auto key = generate_key();
  const std::string der = csr_der(make_csr_pem(key.get(), kUuid));
  int accepted = 0;
  for (std::size_t i = 0; i < der.size(); ++i) {
    std::string changed = der;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    const ErrorCode code = csr_failure(pem_of(changed, "CERTIFICATE REQUEST"));
    if (code == ErrorCode::internal) {
      ++accepted;
    } else {
      CHECK(code == ErrorCode::bad_input);
    }
  }
  CHECK(accepted == 0);
}

}  // namespace checks_test
