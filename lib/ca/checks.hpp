// The fast paths of check_csr and verify_certificate (checks.cpp), visible to the tests that hold them to
// OpenSSL's answers. nullopt: not proven good here; the caller asks OpenSSL.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "provision/ca_crypto.hpp"

namespace provision::ca::detail {

std::optional<CheckedCsr> check_csr_fast(std::string_view pem);
std::optional<CertificateFacts> verify_certificate_fast(std::string_view pem, const std::vector<Cert>& roots,
                                                        std::string_view uuid, const EVP_PKEY* expected_key,
                                                        SysTime now);

}  // namespace provision::ca::detail
