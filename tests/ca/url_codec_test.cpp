// Pure parts of the CA step: URL parsing, the JSON codec, keys, CSRs and the certificate checks.
#include <catch2/catch.hpp>

#include "provision/ca/codec.hpp"
#include "provision/ca_crypto.hpp"

namespace url_codec_test {

using namespace provision;
using namespace provision::ca;

namespace {
const std::string kUuid = "04e4822c-719e-45b0-b360-7e2819faca53";
const std::string kPsk(64, 'a');

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::internal;
}
}  // namespace

TEST_CASE("CA URLs: scheme, port, base path, trailing slash, IPv6", "[ca][url]") {
  auto url = parse_ca_url("https://ca.example.com:8443/prefix/");
  CHECK(url.tls);
  CHECK(url.host == "ca.example.com");
  CHECK(url.port == "8443");
  CHECK(url.base_path == "/prefix");
  CHECK(parse_ca_url("http://10.0.0.1").port == "80");
  CHECK(parse_ca_url("https://h/").base_path.empty());
  auto v6 = parse_ca_url("https://[::1]:8443");
  CHECK(v6.host == "::1");
  CHECK(v6.host_is_ip());
  CHECK(v6.origin() == "https://[::1]:8443");
  CHECK(parse_ca_url("https://ca.example.com").host_header() == "ca.example.com");
}

TEST_CASE("CA URL mistakes say what to write", "[ca][url]") {
  auto message = [](const char* text) {
    try {
      parse_ca_url(text);
    } catch (const Error& e) {
      CHECK(e.field() == "ca_url");
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK_THAT(message("ca.example.com:8443"), Catch::Contains("write https://ca.example.com:8443"));
  CHECK_THAT(message("https://::1:8443"), Catch::Contains("brackets"));
  CHECK_THAT(message("https://h:99999"), Catch::Contains("65535"));
  CHECK_THAT(message("ftp://h"), Catch::Contains("https://"));
  CHECK_THAT(message("https://h:8443/api/devices/register"), Catch::Contains("not the endpoint"));
  CHECK_THAT(message("https://user:pw@h"), Catch::Contains("--token-file"));
}

TEST_CASE("register request round trip normalizes mac, uuid and type", "[ca][codec]") {
  RegisterRequest request{"04E4822C-719E-45B0-B360-7E2819FACA53", kPsk, "a0:b1:c2:d3:e4:f5", "ESP32S3", {}, {}};
  auto decoded = decode_register_request(encode_register_request(request));
  CHECK(decoded.uuid == kUuid);
  CHECK(decoded.mac == "A0B1C2D3E4F5");
  CHECK(decoded.type == "esp32s3");
  CHECK_FALSE(decoded.csr);
}

TEST_CASE("register request errors name the field", "[ca][codec]") {
  auto field = [](const std::string& body) {
    try {
      decode_register_request(body);
    } catch (const Error& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  const std::string ok = R"("uuid":")" + kUuid + R"(","psk":")" + kPsk + R"(","mac":"A0B1C2D3E4F5","type":"esp32")";
  CHECK(field("{" + ok + "}") == "accepted");
  CHECK(field("{not json") == "body");
  CHECK(field(R"({"psk":")" + kPsk + R"(","mac":"A0B1C2D3E4F5","type":"esp32"})") == "uuid");
  CHECK(field("{" + ok + R"(,"pop":"12"})") == "pop");
  CHECK(field(R"({"uuid":")" + kUuid + R"(","psk":"x","mac":"A0B1C2D3E4F5","type":"esp32"})") == "psk");
  CHECK(field(R"({"uuid":")" + kUuid + R"(","psk":")" + kPsk + R"(","mac":"zz","type":"esp32"})") == "mac");
}

TEST_CASE("response codec: success needs certificate and ca_cert, error bodies decode", "[ca][codec]") {
  auto response = decode_register_response(encode_register_response({"C", "A", "2026-12-09T00:00:00Z", "K"}));
  CHECK(response.certificate == "C");
  CHECK(response.private_key == "K");
  CHECK(code_of([] { decode_register_response(R"({"success":true,"ca_cert":"A"})"); }) == ErrorCode::ca_bad_response);
  CHECK(code_of([] { decode_register_response("<html>"); }) == ErrorCode::ca_bad_response);
  auto error = decode_error_body(encode_error_body({"conflict", "other psk", "psk"}));
  CHECK(error.code == "conflict");
  CHECK(error.field == "psk");
}

TEST_CASE("CSR names the uuid and verifies, the issued certificate passes every check", "[ca][cert]") {
  auto key = generate_key();
  auto csr = parse_csr(make_csr_pem(key.get(), kUuid));
  CHECK(csr_signature_ok(csr.get()));
  CHECK(csr_common_name(csr.get()) == kUuid);
  auto now = std::chrono::system_clock::now();
  CaIdentity ca{generate_key(), {}};
  ca.cert = make_ca_certificate(ca.key.get(), "test CA", now);
  auto cert = issue_client_certificate(ca, key.get(), {kUuid, 30, now});
  const auto cert_pem = certificate_pem(cert.get()), ca_pem = certificate_pem(ca.cert.get());
  CHECK_NOTHROW(check_certificate(cert_pem, ca_pem, kUuid, key.get(), now));
  CHECK(certificate_serial_hex(cert.get()).size() == 32);
  CHECK(parse_private_key(private_key_pem(key.get())));
}

TEST_CASE("each certificate failure has its own code", "[ca][cert]") {
  auto now = std::chrono::system_clock::now();
  auto key = generate_key();
  CaIdentity ca{generate_key(), {}}, other{generate_key(), {}};
  ca.cert = make_ca_certificate(ca.key.get(), "test CA", now);
  other.cert = make_ca_certificate(other.key.get(), "other CA", now);
  const auto cert = certificate_pem(issue_client_certificate(ca, key.get(), {kUuid, 30, now}).get());
  const auto ca_pem = certificate_pem(ca.cert.get());
  auto check = [&](const std::string& c, const std::string& root, const std::string& uuid, EVP_PKEY* k,
                   SysTime at) { return code_of([&] { check_certificate(c, root, uuid, k, at); }); };
  CHECK(check("garbage", ca_pem, kUuid, key.get(), now) == ErrorCode::cert_invalid);
  CHECK(check(cert, certificate_pem(other.cert.get()), kUuid, key.get(), now) == ErrorCode::cert_chain);
  CHECK(check(cert, ca_pem, kUuid, generate_key().get(), now) == ErrorCode::cert_key_mismatch);
  CHECK(check(cert, ca_pem, "11111111-2222-4333-8444-555555555555", key.get(), now) == ErrorCode::cert_name_mismatch);
  CHECK(check(cert, ca_pem, kUuid, key.get(), now + std::chrono::hours(24 * 31)) == ErrorCode::cert_expired);
  CHECK(check(cert, ca_pem, kUuid, key.get(), now - std::chrono::hours(1)) == ErrorCode::cert_expired);
}

}  // namespace url_codec_test
