// SubjectPublicKeyInfo without OpenSSL 3.0's round trip. X509_set_pubkey and X509_REQ_set_pubkey encode a
// provider key through OSSL_ENCODER and decode the DER again through OSSL_DECODER (each builds its context by
// walking every provider's implementations): about 2 million instructions per call, several times the cost of
// the ECDSA signature itself. An EC key's SPKI is just (id-ecPublicKey, curve OID, encoded point), so it is built
// from those two parameters; and a CSR's SPKI is copied field by field into the certificate.
#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "openssl_util.hpp"
#include "provision/error.hpp"

namespace provision::ca::detail {

namespace {

[[noreturn]] void spki_failed(std::string_view what) {
  throw Error(ErrorCode::internal, fmt::format("{} failed: {}", what, openssl_error()));
}

}  // namespace

int named_curve(const EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC") != 1) return NID_undef;
  char group[80];
  std::size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &length) != 1) {
    return NID_undef;
  }
  int nid = OBJ_sn2nid(group);
  return nid != NID_undef ? nid : EC_curve_nist2nid(group);
}

namespace {

// Takes ownership of `bits` (OPENSSL_malloc'd) and `param` whatever happens.
void set_fields(X509_PUBKEY* target, ASN1_OBJECT* algorithm, int param_type, void* param, unsigned char* bits,
                int bits_length) {
  if (X509_PUBKEY_set0_param(target, algorithm, param_type, param, bits, bits_length) != 1) {
    OPENSSL_free(bits);
    spki_failed("setting the public key");
  }
}

}  // namespace

void set_ec_public_key(X509_PUBKEY* target, int curve, std::span<const unsigned char> point) {
  auto* bits = static_cast<unsigned char*>(OPENSSL_memdup(point.data(), point.size()));
  if (bits == nullptr) spki_failed("allocating the public key");
  set_fields(target, OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT, OBJ_nid2obj(curve), bits,
             static_cast<int>(point.size()));
}

std::optional<std::vector<unsigned char>> ec_public_point(const EVP_PKEY* key) {
  unsigned char point[133];  // an uncompressed point of P-521, the largest named curve in use
  std::size_t length = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof point, &length) != 1) {
    return std::nullopt;
  }
  return std::vector<unsigned char>(point, point + length);
}

void set_public_key(X509_PUBKEY* target, const EVP_PKEY* key) {
  if (const int curve = named_curve(key); curve != NID_undef) {
    if (auto point = ec_public_point(key)) {
      set_ec_public_key(target, curve, *point);
      return;
    }
  }
  X509_PUBKEY* encoded = nullptr;  // RSA and the rest: OpenSSL's generic (slow) path, then a field copy
  if (X509_PUBKEY_set(&encoded, const_cast<EVP_PKEY*>(key)) != 1) spki_failed("encoding the public key");
  try {
    copy_public_key(target, encoded);
  } catch (...) {
    X509_PUBKEY_free(encoded);
    throw;
  }
  X509_PUBKEY_free(encoded);
}

void copy_public_key(X509_PUBKEY* target, const X509_PUBKEY* source) {
  const unsigned char* bits = nullptr;
  int bits_length = 0;
  X509_ALGOR* algorithm = nullptr;
  if (X509_PUBKEY_get0_param(nullptr, &bits, &bits_length, &algorithm, source) != 1) {
    spki_failed("reading the public key");
  }
  const ASN1_OBJECT* oid = nullptr;
  int param_type = V_ASN1_UNDEF;
  const void* param = nullptr;
  X509_ALGOR_get0(&oid, &param_type, &param, algorithm);
  void* param_copy = nullptr;
  if (param_type == V_ASN1_OBJECT) {
    param_copy = OBJ_dup(static_cast<const ASN1_OBJECT*>(param));
  } else if (param_type == V_ASN1_SEQUENCE || param_type == V_ASN1_OCTET_STRING) {
    param_copy = ASN1_STRING_dup(static_cast<const ASN1_STRING*>(param));
  } else if (param_type != V_ASN1_NULL && param_type != V_ASN1_UNDEF) {
    throw Error(ErrorCode::internal, fmt::format("unsupported public key parameters (ASN.1 type {})", param_type));
  }
  if (param != nullptr && param_copy == nullptr) spki_failed("copying the key parameters");
  auto* bits_copy = static_cast<unsigned char*>(OPENSSL_memdup(bits, static_cast<std::size_t>(bits_length)));
  if (bits_copy == nullptr && bits_length > 0) spki_failed("allocating the public key");
  set_fields(target, OBJ_dup(oid), param_type, param_copy, bits_copy, bits_length);
}

bool is_rsa_key(const X509_PUBKEY* info) {
  ASN1_OBJECT* oid = nullptr;
  if (X509_PUBKEY_get0_param(&oid, nullptr, nullptr, nullptr, info) != 1) return false;
  return OBJ_obj2nid(oid) == NID_rsaEncryption;
}

}  // namespace provision::ca::detail
