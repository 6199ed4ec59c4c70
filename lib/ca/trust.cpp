// Which CA certificate the station trusts (docs/ca.md "Trust model"): the one given with --ca-cert, or with
// --trust-ca-response the first one a CA sends, never simply whatever comes with each answer.
#include <fmt/format.h>

#include "provision/ca_crypto.hpp"
#include "transport.hpp"

namespace provision::ca {

void require_trust_choice(const ClientOptions& options) {
  if (!options.trusted_ca_pem.empty() || options.trust_ca_response) return;
  throw Error(ErrorCode::usage,
              "ca_cert: give --ca-cert FILE, the CA certificate device certificates must chain to (for espprov-ca: "
              "its ca.pem); or --trust-ca-response to trust the CA certificate of the first answer (provision pins "
              "it in the ledger, so a later run that gets another one fails)",
              "ca_cert");
}

void Client::Impl::pin_anchors(const std::string& trusted_ca_pem) {
  try {
    pinned_ = TrustAnchors::parse(trusted_ca_pem, "ca_cert");
  } catch (const Error&) {
    throw Error(ErrorCode::cert_invalid, "--ca-cert holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\")",
                "ca_cert");
  }
}

std::shared_ptr<const TrustAnchors> Client::Impl::anchors_for(const std::string& ca_cert_pem) {
  std::lock_guard lock(anchors_mutex_);
  if (accepted_ && accepted_pem_ == ca_cert_pem) return accepted_;
  if (pinned_) {
    check_ca_cert_trusted(ca_cert_pem, *pinned_);
    accepted_ = pinned_;
  } else if (!options.trust_ca_response) {
    require_trust_choice(options);
  } else if (accepted_) {
    throw Error(ErrorCode::ca_untrusted,
                "the CA answered with another CA certificate (ca_cert) than earlier in this run; nothing was "
                "flashed. Pass --ca-cert FILE with the CA certificate you trust",
                "ca_cert");
  } else {
    try {
      accepted_ = TrustAnchors::parse(ca_cert_pem, "ca_cert");
    } catch (const Error&) {
      throw Error(ErrorCode::ca_bad_response, "the CA's ca_cert holds no PEM certificate", "ca_cert");
    }
  }
  accepted_pem_ = ca_cert_pem;
  return accepted_;
}

}  // namespace provision::ca
