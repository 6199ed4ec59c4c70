// The client against peers that misbehave (a listener that never answers, a responder that fails first), and
// the server against malformed requests and the claiming rules. Raw sockets on 127.0.0.1 only.
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "ca_server_support.hpp"
#include "provision/ca_crypto.hpp"

namespace raw_peer_test {

using namespace ca_test;
using provision::ErrorCode;
using provision::Record;
namespace ca = provision::ca;

namespace {

// A listening socket on 127.0.0.1: the kernel completes connections in the backlog even if nobody accepts.
struct Listener {
  int fd = -1;
  int port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(fd, 16) == 0);
    socklen_t size = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    port = ntohs(address.sin_port);
  }
  ~Listener() { ::close(fd); }
};

std::string read_request(int fd) {
  std::string data;
  char buffer[4096];
  for (;;) {
    auto end = data.find("\r\n\r\n");
    if (end != std::string::npos) {
      auto length_at = data.find("Content-Length: ");
      std::size_t length = length_at == std::string::npos ? 0 : std::stoul(data.substr(length_at + 16));
      if (data.size() >= end + 4 + length) return data.substr(end + 4, length);
    }
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got <= 0) return "";
    data.append(buffer, static_cast<std::size_t>(got));
  }
}

void write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

std::string http_answer(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\nConnection: close\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Sends raw bytes to 127.0.0.1:port and returns everything the peer answers before closing.
std::string raw_exchange(int port, const std::string& bytes) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return "";
  }
  write_all(fd, bytes);
  ::shutdown(fd, SHUT_WR);
  std::string out;
  char buffer[4096];
  ssize_t got;
  while ((got = ::read(fd, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<std::size_t>(got));
  ::close(fd);
  return out;
}

int port_of(const std::string& url) { return std::stoi(url.substr(url.rfind(':') + 1)); }

std::string post(const std::string& path, const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("a CA that accepts and never answers times out as ca_unreachable", "[ca][loopback]") {
  Listener silent;
  ca::ClientOptions options;
  options.url = "http://127.0.0.1:" + std::to_string(silent.port);
  options.allow_insecure_http = true;
  options.timeout = std::chrono::milliseconds(300);
  options.retries = 1;
  options.trust_ca_response = true;  // no answer ever comes to be trusted
  ca::Client client(options);
  auto start = std::chrono::steady_clock::now();
  CHECK(failure_of([&] { ca::run_register(client, identity(20)); }) == ErrorCode::ca_unreachable);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}

TEST_CASE("a 503 is retried and the next answer accepted, a 400 is not retried", "[ca][loopback]") {
  Listener listener;
  auto now = std::chrono::system_clock::now();
  ca::CaIdentity authority{ca::generate_key(), {}};
  authority.cert = ca::make_ca_certificate(authority.key.get(), "responder CA", now);
  std::atomic<int> requests{0};
  std::atomic<int> first_status{503};
  std::thread responder([&] {
    for (int i = 0; i < 2; ++i) {
      int fd = ::accept(listener.fd, nullptr, nullptr);
      auto body = read_request(fd);
      ++requests;
      if (i == 0) {
        write_all(fd, http_answer(first_status, R"({"success":false,"error":{"code":"x","message":"busy"}})"));
      } else {
        auto request = ca::decode_register_request(body);
        auto csr = ca::parse_csr(*request.csr);
        ca::Pkey key(EVP_PKEY_dup(X509_REQ_get0_pubkey(csr.get())));
        auto cert = ca::issue_client_certificate(authority, key.get(), {request.uuid, 30, now});
        write_all(fd, http_answer(200, ca::encode_register_response({ca::certificate_pem(cert.get()),
                                                                     ca::certificate_pem(authority.cert.get()),
                                                                     "2030-01-01T00:00:00Z", std::nullopt})));
      }
      ::close(fd);
    }
  });
  ca::ClientOptions options;
  options.url = "http://127.0.0.1:" + std::to_string(listener.port);
  options.allow_insecure_http = true;
  options.backoff = std::chrono::milliseconds(20);
  options.trusted_ca_pem = ca::certificate_pem(authority.cert.get());
  ca::Client client(options);
  auto registration = ca::run_register(client, identity(21));
  responder.join();
  CHECK(requests == 2);
  CHECK(registration.attempts == 2);
  CHECK_FALSE(registration.certificate.empty());
}

TEST_CASE("the server answers malformed requests with 400/413 naming the field and keeps serving", "[ca][loopback]") {
  CaServer server({"--http", "--no-auth"});
  int port = port_of(server.url);
  CHECK(raw_exchange(port, "garbage\r\n\r\n").find("400") != std::string::npos);
  auto bad_json = raw_exchange(port, post("/api/devices/register", "{nope"));
  CHECK(bad_json.find("HTTP/1.1 400") == 0);
  CHECK(bad_json.find(R"("field":"body")") != std::string::npos);
  auto bad_mac = raw_exchange(port, post("/api/devices/register",
                                         R"({"uuid":"04e4822c-719e-45b0-b360-7e2819faca53","psk":")" +
                                             std::string(64, 'a') + R"(","mac":"xyz","type":"esp32"})"));
  CHECK(bad_mac.find(R"("field":"mac")") != std::string::npos);
  CHECK(raw_exchange(port, post("/api/devices/register", std::string(70000, 'x'))).find("413") != std::string::npos);
  CHECK(raw_exchange(port, post("/nowhere", "{}")).find("404") != std::string::npos);
  ca::Client client(server.options());
  CHECK(ca::run_health(client).status == 200);
}

TEST_CASE("claim checks the PoP, refuses a second user, and unbind lets another user claim", "[ca][loopback]") {
  CaServer server({"--http", "--no-auth"});
  int port = port_of(server.url);
  ca::Client client(server.options());
  auto id = identity(30);
  const std::string pop(64, 'c');
  id.pop = pop;
  auto registration = ca::run_register(client, id);
  auto claim = [&](const std::string& proof, const std::string& user) {
    return raw_exchange(port, post("/api/devices/claim", R"({"macAddress":"A0:B1:C2:00:00:1E","proofOfPossession":")" +
                                                             proof + R"(","location":"lab","deviceName":"lamp",)"
                                                             R"("userId":")" + user + R"("})"));
  };
  auto unbind = [&](const std::string& user, const std::string& proof) {
    return raw_exchange(port, post("/api/devices/unbind", R"({"deviceId":")" + id.uuid + R"(","userId":")" + user +
                                                              R"(","proofOfPossession":")" + proof + R"("})"));
  };
  CHECK(claim(std::string(64, 'd'), "alice").find("HTTP/1.1 403") == 0);
  CHECK(claim(pop, "alice").find("HTTP/1.1 200") == 0);
  CHECK(claim(pop, "bob").find("HTTP/1.1 409") == 0);
  CHECK(unbind("bob", pop).find("HTTP/1.1 403") == 0);  // the PoP, but not the owner
  // The owner's name is no secret: without the PoP, a caller naming alice cannot unbind her device.
  CHECK(unbind("alice", std::string(64, 'd')).find("HTTP/1.1 403") == 0);
  CHECK(raw_exchange(port, post("/api/devices/unbind", R"({"deviceId":")" + id.uuid + R"(","userId":"alice"})"))
            .find("HTTP/1.1 400") == 0);
  CHECK(unbind("alice", pop).find("HTTP/1.1 200") == 0);
  CHECK(claim(pop, "bob").find("HTTP/1.1 200") == 0);
  for (int i = 0; i < 5; ++i) claim(std::string(64, 'e'), "mallory");
  CHECK(claim(pop, "bob").find("HTTP/1.1 429") == 0);  // rate limit applies per device, even to the right PoP
  auto listing = Record::parse(test_support::run_process({test_support::bin_path("espprov-ca").string(), "list",
                                                          "--dir", (server.dir / "ca").string()}).out);
  CHECK(listing["owner"] == "bob");
  CHECK(listing["has_pop"] == true);
}

TEST_CASE("a TCP reset during the TLS handshake is ca_unreachable and retried", "[ca][loopback]") {
  Listener listener;
  std::atomic<int> resets{0};
  constexpr int kRetries = 2;
  std::thread resetter([&] {
    for (int i = 0; i <= kRetries; ++i) {
      pollfd waiting{listener.fd, POLLIN, 0};
      if (::poll(&waiting, 1, 5000) <= 0) return;  // no further attempt came: the client gave up
      int fd = ::accept(listener.fd, nullptr, nullptr);
      char hello[512];
      (void)::read(fd, hello, sizeof hello);  // the ClientHello: the handshake has begun
      linger hard{1, 0};                       // close with RST, not FIN
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
      ::close(fd);
      ++resets;
    }
  });
  ca::ClientOptions options;
  options.url = "https://127.0.0.1:" + std::to_string(listener.port);
  options.retries = kRetries;
  options.backoff = std::chrono::milliseconds(10);
  options.trust_ca_response = true;  // no answer ever comes; without an anchor the client would refuse to start
  ca::Client client(options);
  auto code = failure_of([&] { ca::run_register(client, identity(40)); });
  resetter.join();
  CHECK(code == ErrorCode::ca_unreachable);
  CHECK(resets == kRetries + 1);  // every attempt was made
}

}  // namespace raw_peer_test
