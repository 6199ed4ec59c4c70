// The two checks every registration makes: the CA reads and verifies the CSR, the station verifies the
// certificate it got back. OpenSSL decides both: its parser reads the DER (every field, attributes and names
// included), X509_REQ_verify checks the CSR's signature, X509_verify_cert the chain, extensions and purpose.
// What is our own here only keeps the cost down (OpenSSL 3.0 builds a decoder context for every public key it
// parses, more than a signature costs): each input is parsed once, the anchors and their X509_STORE once per
// CA certificate, and the PEM is unwrapped once so the fingerprint hashes the very bytes OpenSSL accepted.
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "openssl_util.hpp"
#include "provision/ca_crypto.hpp"
#include "provision/hex.hpp"

namespace provision::ca {

using detail::openssl_error;

namespace {

struct OpensslFree {
  void operator()(void* p) const { OPENSSL_free(p); }
};
using OpensslBytes = std::unique_ptr<unsigned char, OpensslFree>;

// The DER of the one PEM block `text` holds. A second block is refused: a reader that takes the first and one
// that takes the last would then see different things.
struct PemBlock {
  OpensslBytes der;
  long size = 0;
};
std::optional<PemBlock> single_pem_block(std::string_view text, std::string_view label,
                                         std::string_view other_label = {}) {
  const auto first = text.find("-----BEGIN ");
  if (first == std::string_view::npos || text.find("-----BEGIN ", first + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  auto bio = detail::memory_bio(text);
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long size = 0;
  const bool read = PEM_read_bio(bio.get(), &name, &header, &data, &size) == 1;
  PemBlock block{OpensslBytes(data), size};
  const bool ok = read && (label == name || (!other_label.empty() && other_label == name)) && header != nullptr &&
                  header[0] == '\0';
  OPENSSL_free(name);
  OPENSSL_free(header);
  openssl_error();
  if (!ok) return std::nullopt;
  return block;
}

[[noreturn]] void bad_csr(std::string message) { throw Error(ErrorCode::bad_input, std::move(message), "csr"); }

std::string the_common_name(X509_NAME* name, const char* what) {
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return "";
  if (X509_NAME_get_index_by_NID(name, NID_commonName, index) >= 0) {
    bad_csr(fmt::format("the {}'s subject holds more than one CN; send exactly one (the uuid)", what));
  }
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)));
  if (length < 0) bad_csr(fmt::format("the {}'s CN is not valid text", what));
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return out;
}

}  // namespace

void PublicKeyInfoFree::operator()(X509_PUBKEY* info) const { X509_PUBKEY_free(info); }

CheckedCsr check_csr(std::string_view pem) {
  auto block = single_pem_block(pem, "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST");  // OpenSSL reads both
  if (!block) bad_csr("csr is not one PEM PKCS#10 request (\"-----BEGIN CERTIFICATE REQUEST-----\", one block)");
  const unsigned char* at = block->der.get();
  Req req(d2i_X509_REQ(nullptr, &at, block->size));
  if (!req || at != block->der.get() + block->size) {
    openssl_error();
    bad_csr("csr is not a DER PKCS#10 request OpenSSL can read (or has bytes after it)");
  }
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr || X509_REQ_verify(req.get(), key) != 1) {
    openssl_error();
    bad_csr("the csr's signature does not verify (or its key cannot be read)");
  }
  CheckedCsr checked;
  checked.common_name = the_common_name(X509_REQ_get_subject_name(req.get()), "csr");
  EVP_PKEY_up_ref(key);
  checked.key = Pkey(key);
  checked.public_key_info.reset(X509_PUBKEY_new());
  if (!checked.public_key_info) throw Error(ErrorCode::internal, "X509_PUBKEY_new failed: " + openssl_error());
  detail::copy_public_key(checked.public_key_info.get(), X509_REQ_get_X509_PUBKEY(req.get()));
  return checked;
}

TrustAnchors::TrustAnchors(std::vector<Cert> certificates) : certificates_(std::move(certificates)) {
  store_ = X509_STORE_new();
  if (store_ == nullptr) throw Error(ErrorCode::internal, "X509_STORE_new failed: " + openssl_error());
  for (const auto& cert : certificates_) X509_STORE_add_cert(store_, cert.get());
  openssl_error();  // a duplicate certificate is not an error
  // Validity is its own check (cert_expired, with the caller's clock); PARTIAL_CHAIN lets an intermediate CA
  // certificate be the anchor.
  X509_STORE_set_flags(store_, X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_PARTIAL_CHAIN);
}

TrustAnchors::~TrustAnchors() { X509_STORE_free(store_); }

std::shared_ptr<const TrustAnchors> TrustAnchors::parse(std::string_view pem, std::string_view field) {
  return std::make_shared<const TrustAnchors>(parse_certificates(pem, field));
}

bool TrustAnchors::holds(X509* cert) const {
  for (const auto& anchor : certificates_) {
    if (X509_cmp(anchor.get(), cert) == 0) return true;
  }
  return false;
}

CertificateFacts verify_certificate(std::string_view cert_pem, const TrustAnchors& anchors, std::string_view uuid,
                                    const EVP_PKEY* expected_key, SysTime now) {
  auto block = single_pem_block(cert_pem, "CERTIFICATE");
  const unsigned char* at = block ? block->der.get() : nullptr;
  Cert cert(block ? d2i_X509(nullptr, &at, block->size) : nullptr);
  if (!cert || at != block->der.get() + block->size) {
    openssl_error();
    throw Error(ErrorCode::cert_invalid,
                "certificate is not one PEM X.509 certificate OpenSSL can read (\"-----BEGIN CERTIFICATE-----\")",
                "certificate");
  }
  check_certificate(cert.get(), anchors.store(), uuid, expected_key, now);
  const std::string_view der(reinterpret_cast<const char*>(block->der.get()), static_cast<std::size_t>(block->size));
  return {certificate_not_after_rfc3339(cert.get()), certificate_serial_hex(cert.get()), sha256_hex(der)};
}

void check_ca_cert_trusted(std::string_view ca_cert_pem, const TrustAnchors& anchors) {
  std::vector<Cert> sent;
  try {
    sent = parse_certificates(ca_cert_pem, "ca_cert");
  } catch (const Error&) {
    throw Error(ErrorCode::ca_bad_response, "the CA's ca_cert holds no PEM certificate", "ca_cert");
  }
  for (const auto& cert : sent) {
    if (anchors.holds(cert.get())) continue;
    std::unique_ptr<X509_STORE_CTX, void (*)(X509_STORE_CTX*)> ctx(X509_STORE_CTX_new(), X509_STORE_CTX_free);
    const bool chains = ctx && X509_STORE_CTX_init(ctx.get(), anchors.store(), cert.get(), nullptr) == 1 &&
                        X509_verify_cert(ctx.get()) == 1;
    openssl_error();
    if (chains) continue;
    char subject[256];
    X509_NAME_oneline(X509_get_subject_name(cert.get()), subject, sizeof subject);
    throw Error(ErrorCode::ca_untrusted,
                fmt::format("the CA sent a CA certificate (ca_cert \"{}\") that is not a trusted one and does not "
                            "chain to one; nothing was flashed. Check --ca-cert (or the CA certificate pinned in the "
                            "ledger; --accept-new-ca replaces that pin if the CA was changed on purpose)",
                            subject),
                "ca_cert");
  }
}

}  // namespace provision::ca
