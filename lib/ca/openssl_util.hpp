// Small RAII and error helpers over OpenSSL's C API, private to lib/ca.
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace provision::ca::detail {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

inline Bio memory_bio(std::string_view text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}
inline Bio empty_bio() { return Bio(BIO_new(BIO_s_mem())); }

inline std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size > 0 ? size : 0));
}

// The newest OpenSSL error as text ("" when none), clearing the queue so later calls start clean.
inline std::string openssl_error() {
  unsigned long code = ERR_peek_last_error();
  std::string text;
  if (code != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    text = buffer;
  }
  ERR_clear_error();
  return text;
}

// SubjectPublicKeyInfo without OpenSSL 3.0's encode-then-decode round trip (spki.cpp says why). Use these instead
// of X509_set_pubkey / X509_REQ_set_pubkey on X509_get_X509_PUBKEY / X509_REQ_get_X509_PUBKEY of a new object
// that is signed afterwards (its cached EVP_PKEY stays empty: X509_get0_pubkey returns null until re-parsed).
void set_public_key(X509_PUBKEY* target, const EVP_PKEY* key);
void copy_public_key(X509_PUBKEY* target, const X509_PUBKEY* source);
bool is_rsa_key(const X509_PUBKEY* info);
// (id-ecPublicKey, `curve`, point): an EC SubjectPublicKeyInfo from its parts.
void set_ec_public_key(X509_PUBKEY* target, int curve, std::span<const unsigned char> point);
// The encoded public point of an EC key (uncompressed unless the key says otherwise); nullopt for other keys.
std::optional<std::vector<unsigned char>> ec_public_point(const EVP_PKEY* key);
// The curve of an EC key as a NID; NID_undef (0) for any other key or explicit curve parameters.
int named_curve(const EVP_PKEY* key);

}  // namespace provision::ca::detail
