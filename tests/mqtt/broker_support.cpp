#include "mqtt/broker_support.hpp"

#include <arpa/inet.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

namespace mqtt_test {
namespace {

using Clock = std::chrono::steady_clock;

bool port_accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

void run_or_throw(const std::vector<std::string>& argv) {
  auto result = test_support::run_process(argv);
  if (result.exit_code != 0) throw std::runtime_error(argv[0] + " " + argv[1] + " failed: " + result.err);
}

struct Session {
  struct mosquitto* mosq = nullptr;
  explicit Session(const std::string& client_id) {
    mosquitto_lib_init();
    mosq = mosquitto_new(client_id.c_str(), true, nullptr);
  }
  ~Session() {
    if (mosq) {
      mosquitto_disconnect(mosq);
      mosquitto_destroy(mosq);
    }
  }
  bool connect(const Broker& broker, const std::string& ca_file, const OperatorCredential& credential) {
    mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    if (mosquitto_tls_set(mosq, ca_file.c_str(), nullptr, credential.cert_file.c_str(), credential.key_file.c_str(),
                          nullptr) != MOSQ_ERR_SUCCESS) {
      return false;
    }
    return mosquitto_connect(mosq, "127.0.0.1", broker.port(), 30) == MOSQ_ERR_SUCCESS;
  }
};

struct PublishState {
  bool connected = false;
  bool done = false;
  int reason = -1;
};

struct CollectState {
  bool connected = false;
  std::string topic;
  std::string then_topic;
  std::string then_payload;
  std::vector<std::string> messages;
};

}  // namespace

BrokerFiles files_of_ca(const std::filesystem::path& ca_dir) {
  return {ca_dir / "ca.pem", ca_dir / "server.pem", ca_dir / "server.key"};
}

OperatorCredential issue_operator_credential(const std::filesystem::path& ca_dir, const std::filesystem::path& out_dir,
                                             const std::string& common_name) {
  OperatorCredential out{(out_dir / (common_name + ".pem")).string(), (out_dir / (common_name + ".key")).string()};
  const std::string csr = (out_dir / (common_name + ".csr")).string();
  run_or_throw({"/usr/bin/openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", out.key_file, "-subj", "/CN=" + common_name, "-out", csr});
  run_or_throw({"/usr/bin/openssl", "x509", "-req", "-in", csr, "-CA", (ca_dir / "ca.pem").string(), "-CAkey",
                (ca_dir / "ca.key").string(), "-CAcreateserial", "-CAserial", (out_dir / "ca.srl").string(),
                "-days", "30", "-out", out.cert_file});
  return out;
}

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

Broker::Broker(const test_support::TempDir& dir, const BrokerFiles& files) : log_file_(dir / "mosquitto.log") {
  const auto conf = dir / "mosquitto.conf";
  const auto acl = dir / "mosquitto.acl";
  {
    std::ofstream out(acl);
    out << "# the station's operator: every device's telemetry, every device's commands\n"
           "user espprov-station\n"
           "topic read customer/+/location/+/device/+/telemetry\n"
           "topic write customer/+/location/+/device/+/cmd\n"
           "# each device (user = its certificate's CN = its uuid): its own topics only\n"
           "pattern readwrite customer/+/location/+/device/%u/#\n";
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_loopback_port();
    {
      std::ofstream out(conf);
      out << "per_listener_settings false\n"
             "persistence false\n"
             "log_type error\n"
             "log_type notice\n"  // who connected, as which user (tests count connections); in a file, not on
                                  // the test's stderr
          << "log_dest file " << log_file_.string() << "\n"
          << (::getuid() == 0 ? "user root\n" : "") << "listener " << port_ << " 127.0.0.1\n"
          << "cafile " << files.client_ca.string() << "\n"
          << "certfile " << files.server_cert.string() << "\n"
          << "keyfile " << files.server_key.string() << "\n"
          << "require_certificate true\n"
             "use_identity_as_username true\n"
          << "acl_file " << acl.string() << "\n";
    }
    process_ = std::make_unique<test_support::BackgroundProcess>(
        std::vector<std::string>{"/usr/sbin/mosquitto", "-c", conf.string()});
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      if (port_accepts(port_)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    process_->kill_hard();  // another process took the port between our probe and mosquitto's bind
  }
  throw std::runtime_error("mosquitto did not start on a loopback port");
}

Broker::~Broker() { stop(); }

std::string Broker::log_text() const {
  std::ifstream in(log_file_);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void Broker::stop() {
  if (process_) process_->stop();
  process_.reset();
}

bool publish(const Broker& broker, const std::string& ca_file, const OperatorCredential& credential,
             const std::string& topic, const std::string& payload) {
  Session session("espprov-test-pub-" + std::to_string(::getpid()));
  PublishState state;
  mosquitto_user_data_set(session.mosq, &state);
  mosquitto_connect_v5_callback_set(session.mosq, [](struct mosquitto*, void* self, int rc, int, const mosquitto_property*) {
    static_cast<PublishState*>(self)->connected = rc == 0;
  });
  mosquitto_publish_v5_callback_set(session.mosq, [](struct mosquitto*, void* self, int, int reason, const mosquitto_property*) {
    static_cast<PublishState*>(self)->done = true;
    static_cast<PublishState*>(self)->reason = reason;
  });
  if (!session.connect(broker, ca_file, credential)) return false;
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  bool sent = false;
  while (Clock::now() < deadline && !state.done) {
    if (mosquitto_loop(session.mosq, 50, 1) != MOSQ_ERR_SUCCESS) return false;
    if (state.connected && !sent) {
      sent = mosquitto_publish_v5(session.mosq, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                                  payload.data(), 1, false, nullptr) == MOSQ_ERR_SUCCESS;
    }
  }
  return state.done && state.reason < 0x80;
}

std::vector<std::string> collect(const Broker& broker, const std::string& ca_file,
                                 const OperatorCredential& credential, const std::string& topic, double seconds,
                                 std::size_t stop_after, const std::string& then_topic,
                                 const std::string& then_payload) {
  Session session("espprov-test-sub-" + std::to_string(::getpid()));
  CollectState state;
  state.topic = topic;
  state.then_topic = then_topic;
  state.then_payload = then_payload;
  mosquitto_subscribe_v5_callback_set(session.mosq, [](struct mosquitto* m, void* self, int, int, const int*,
                                                       const mosquitto_property*) {
    auto& s = *static_cast<CollectState*>(self);
    if (s.then_topic.empty()) return;
    mosquitto_publish_v5(m, nullptr, s.then_topic.c_str(), static_cast<int>(s.then_payload.size()),
                         s.then_payload.data(), 1, false, nullptr);
  });
  mosquitto_user_data_set(session.mosq, &state);
  mosquitto_connect_v5_callback_set(session.mosq, [](struct mosquitto* m, void* self, int rc, int, const mosquitto_property*) {
    auto& s = *static_cast<CollectState*>(self);
    s.connected = rc == 0;
    if (s.connected) mosquitto_subscribe_v5(m, nullptr, s.topic.c_str(), 1, 0, nullptr);
  });
  mosquitto_message_v5_callback_set(session.mosq, [](struct mosquitto*, void* self, const struct mosquitto_message* m,
                                                     const mosquitto_property*) {
    static_cast<CollectState*>(self)->messages.emplace_back(static_cast<const char*>(m->payload),
                                                            static_cast<std::size_t>(m->payloadlen));
  });
  if (!session.connect(broker, ca_file, credential)) return {};
  const auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  while (Clock::now() < deadline && state.messages.size() < stop_after) {
    if (mosquitto_loop(session.mosq, 50, 1) != MOSQ_ERR_SUCCESS) break;
  }
  return state.messages;
}

}  // namespace mqtt_test
