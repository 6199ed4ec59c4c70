// The direct encodings of lib/ca (spki.cpp, the PKCS#8 writer in keys.cpp) against OpenSSL's own encoders: the
// same bytes, so certificates, CSRs and device keys are what they were before the fast paths.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include "provision/ca_crypto.hpp"

namespace public_key_encoding_test {

using namespace provision::ca;

namespace {

const std::string kUuid = "04e4822c-719e-45b0-b360-7e2819faca53";

std::string openssl_private_key_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return out;
}

std::string spki_der(X509* cert) {
  unsigned char* der = nullptr;
  int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

std::string spki_der(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int length = i2d_PUBKEY(key, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

}  // namespace

TEST_CASE("an EC private key is written exactly as OpenSSL's encoder writes it", "[ca][cert]") {
  for (int i = 0; i < 20; ++i) {  // some scalars have leading zero bytes: the padding must match
    auto key = generate_key(KeyType::ec_p256);
    const auto pem = private_key_pem(key.get());
    REQUIRE(pem == openssl_private_key_pem(key.get()));
    auto back = parse_private_key(pem);
    CHECK(EVP_PKEY_eq(back.get(), key.get()) == 1);
  }
}

TEST_CASE("CSR and certificate carry the key's SubjectPublicKeyInfo unchanged (EC and RSA)", "[ca][cert]") {
  const auto now = std::chrono::system_clock::now();
  CaIdentity ca{generate_key(), {}};
  ca.cert = make_ca_certificate(ca.key.get(), "test CA", now);
  CHECK(spki_der(ca.cert.get()) == spki_der(ca.key.get()));
  for (auto type : {KeyType::ec_p256, KeyType::rsa_2048}) {
    auto key = generate_key(type);
    auto csr = parse_csr(make_csr_pem(key.get(), kUuid));
    REQUIRE(csr_signature_ok(csr.get()));
    CHECK(spki_der(X509_REQ_get0_pubkey(csr.get())) == spki_der(key.get()));
    // From the CSR's SPKI as the CA does it, and from the key: both certify the same key and pass the checks.
    auto from_csr = issue_client_certificate(ca, X509_REQ_get_X509_PUBKEY(csr.get()), {kUuid, 30, now});
    auto from_key = issue_client_certificate(ca, key.get(), {kUuid, 30, now});
    for (auto* cert : {from_csr.get(), from_key.get()}) {
      CHECK(spki_der(cert) == spki_der(key.get()));
      auto reparsed = parse_certificate(certificate_pem(cert));
      CHECK(same_public_key(reparsed.get(), key.get()));
      CHECK_NOTHROW(check_certificate(certificate_pem(cert), certificate_pem(ca.cert.get()), kUuid, key.get(), now));
      const bool rsa = type == KeyType::rsa_2048;
      CHECK(((X509_get_key_usage(reparsed.get()) & KU_KEY_ENCIPHERMENT) != 0) == rsa);
    }
  }
}

}  // namespace public_key_encoding_test
