// Device keys and CSRs (EC P-256 by default), PEM in and out, and the hashing helpers of the CA step.
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/objects.h>

#include <ctime>
#include <vector>

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

void append_der_length(std::vector<unsigned char>& out, std::size_t length) {
  if (length < 0x80) {
    out.push_back(static_cast<unsigned char>(length));
  } else if (length < 0x100) {
    out.insert(out.end(), {0x81, static_cast<unsigned char>(length)});
  } else {
    out.insert(out.end(), {0x82, static_cast<unsigned char>(length >> 8), static_cast<unsigned char>(length)});
  }
}

void append_der(std::vector<unsigned char>& out, unsigned char tag, const std::vector<unsigned char>& content) {
  out.push_back(tag);
  append_der_length(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
}

// RFC 5915 ECPrivateKey {version 1, privateKey, [1] publicKey}, the curve left to PKCS#8's algorithm: what
// OpenSSL's own encoder writes, byte for byte, built here because that encoder's set-up costs about 0.7 million
// instructions a key (OSSL_ENCODER_CTX_new_for_pkey walks every provider's encoders). nullopt: not a named-curve
// EC key, use the encoder.
std::optional<std::string> ec_private_key_pem(const EVP_PKEY* key) {
  const int curve = detail::named_curve(key);
  if (curve == NID_undef) return std::nullopt;
  BIGNUM* secret = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &secret) != 1) return std::nullopt;
  std::vector<unsigned char> scalar(static_cast<std::size_t>((EVP_PKEY_get_bits(key) + 7) / 8));
  const bool fits = BN_bn2binpad(secret, scalar.data(), static_cast<int>(scalar.size())) > 0;
  BN_clear_free(secret);
  unsigned char point[133];
  std::size_t point_length = 0;
  if (!fits || EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof point,
                                               &point_length) != 1) {
    OPENSSL_cleanse(scalar.data(), scalar.size());
    return std::nullopt;
  }
  std::vector<unsigned char> bits{0x00};  // no unused bits
  bits.insert(bits.end(), point, point + point_length);
  std::vector<unsigned char> public_key, body{0x02, 0x01, 0x01};  // INTEGER 1
  append_der(public_key, 0x03, bits);                             // BIT STRING
  append_der(body, 0x04, scalar);                                 // OCTET STRING
  append_der(body, 0xA1, public_key);                             // [1] EXPLICIT
  std::vector<unsigned char> der;
  append_der(der, 0x30, body);  // SEQUENCE
  OPENSSL_cleanse(scalar.data(), scalar.size());
  OPENSSL_cleanse(body.data(), body.size());

  PKCS8_PRIV_KEY_INFO* info = PKCS8_PRIV_KEY_INFO_new();
  auto* owned = static_cast<unsigned char*>(OPENSSL_memdup(der.data(), der.size()));
  OPENSSL_cleanse(der.data(), der.size());
  // PKCS8_pkey_set0 takes `owned`; freeing the info clears it.
  if (info == nullptr || owned == nullptr ||
      PKCS8_pkey_set0(info, OBJ_nid2obj(NID_X9_62_id_ecPublicKey), 0, V_ASN1_OBJECT, OBJ_nid2obj(curve), owned,
                      static_cast<int>(der.size())) != 1) {
    OPENSSL_clear_free(owned, der.size());
    PKCS8_PRIV_KEY_INFO_free(info);
    throw Error(ErrorCode::internal, "writing a private key failed: " + openssl_error());
  }
  Bio bio = empty_bio();
  const bool written = PEM_write_bio_PKCS8_PRIV_KEY_INFO(bio.get(), info) == 1;
  PKCS8_PRIV_KEY_INFO_free(info);
  if (!written) throw Error(ErrorCode::internal, "writing a private key failed: " + openssl_error());
  return bio_text(bio.get());
}

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};

// EVP_EC_gen fetches the key manager and builds the curve's group for every key; a context kept per thread
// generates any number of keys from one set-up (a station makes one key per device).
EVP_PKEY* generate_p256() {
  thread_local const std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx = [] {
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> made(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    if (made && (EVP_PKEY_keygen_init(made.get()) != 1 || EVP_PKEY_CTX_set_group_name(made.get(), "P-256") != 1)) {
      made.reset();
    }
    return made;
  }();
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_keygen(ctx.get(), &key) != 1) return nullptr;
  return key;
}

}  // namespace

void PkeyFree::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
void X509Free::operator()(X509* cert) const { X509_free(cert); }
void ReqFree::operator()(X509_REQ* req) const { X509_REQ_free(req); }

Pkey generate_key(KeyType type) {
  EVP_PKEY* key = type == KeyType::rsa_2048 ? EVP_RSA_gen(2048) : generate_p256();
  if (key == nullptr) throw Error(ErrorCode::internal, "key generation failed: " + openssl_error());
  return Pkey(key);
}

std::string private_key_pem(const EVP_PKEY* key) {
  if (auto pem = ec_private_key_pem(key)) return *pem;
  Bio bio = empty_bio();
  // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY"), the form ESP-IDF's mbedTLS reads.
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw Error(ErrorCode::internal, "writing a private key failed: " + openssl_error());
  }
  return bio_text(bio.get());
}

std::string public_key_pem(const EVP_PKEY* key) {
  Bio bio = empty_bio();
  if (PEM_write_bio_PUBKEY(bio.get(), const_cast<EVP_PKEY*>(key)) != 1) {
    throw Error(ErrorCode::internal, "writing a public key failed: " + openssl_error());
  }
  return bio_text(bio.get());
}

Pkey parse_private_key(std::string_view pem, std::string_view field) {
  Bio bio = memory_bio(pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    openssl_error();
    throw Error(ErrorCode::bad_input,
                fmt::format("{} is not a PEM private key (expected \"-----BEGIN PRIVATE KEY-----\")", field),
                std::string(field));
  }
  return Pkey(key);
}

std::string make_csr_pem(const EVP_PKEY* key, std::string_view common_name) {
  Req req(X509_REQ_new());
  if (!req) throw Error(ErrorCode::internal, "making a CSR failed: " + openssl_error());
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  std::string cn(common_name);
  detail::set_public_key(X509_REQ_get_X509_PUBKEY(req.get()), key);  // not X509_REQ_set_pubkey: spki.cpp
  bool ok = X509_REQ_set_version(req.get(), 0) == 1 &&  // PKCS#10 v1 is encoded as 0
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()),
                                       -1, -1, 0) == 1 &&
            X509_REQ_sign(req.get(), const_cast<EVP_PKEY*>(key), EVP_sha256()) > 0;
  if (!ok) throw Error(ErrorCode::internal, "making a CSR failed: " + openssl_error());
  Bio bio = empty_bio();
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  return bio_text(bio.get());
}

Req parse_csr(std::string_view pem) {
  Bio bio = memory_bio(pem);
  X509_REQ* req = PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr);
  if (req == nullptr) {
    openssl_error();
    throw Error(ErrorCode::bad_input, "csr is not a PEM PKCS#10 request (\"BEGIN CERTIFICATE REQUEST\")", "csr");
  }
  return Req(req);
}

bool csr_signature_ok(X509_REQ* req) {
  EVP_PKEY* key = X509_REQ_get0_pubkey(req);
  bool ok = key != nullptr && X509_REQ_verify(req, key) == 1;
  openssl_error();
  return ok;
}

std::string csr_common_name(X509_REQ* req) {
  X509_NAME* name = X509_REQ_get_subject_name(req);
  int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return "";
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return out;
}

std::string format_rfc3339(SysTime time) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return to_hex(std::span<const std::uint8_t>(digest, length));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw Error(ErrorCode::internal, "the random generator failed: " + openssl_error());
  }
  return to_hex(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()));
}

}  // namespace provision::ca
