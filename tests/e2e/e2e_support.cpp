#include "e2e/e2e_support.hpp"

#include <utility>  // before Asio: boost/asio/awaitable.hpp (1.74) uses std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "ca/transport.hpp"
#include "provision/files.hpp"
#include "provision/nvs.hpp"

namespace e2e {

CaRun::CaRun(const test_support::TempDir& dir, std::vector<std::string> serve_extra)
    : dir_(dir / "ca"), serve_extra_(std::move(serve_extra)) {
  auto init = test_support::run_process(
      {test_support::bin_path("espprov-ca").string(), "init", dir_.string(), "--host", "127.0.0.1"});
  if (init.exit_code != 0) throw std::runtime_error("espprov-ca init failed: " + init.err);
  token_file_ = (dir / "ca-token").string();
  provision::write_file_atomic(token_file_, token_ + "\n", provision::FileMode::secret);
  start();
}

CaRun::~CaRun() { stop(); }

void CaRun::start() {
  std::vector<std::string> argv{test_support::bin_path("espprov-ca").string(), "serve", "--dir", dir_.string(),
                                "--listen", listen_, "--token-file", token_file_};
  argv.insert(argv.end(), serve_extra_.begin(), serve_extra_.end());
  server_ = std::make_unique<test_support::BackgroundProcess>(argv);
  auto line = nlohmann::json::parse(server_->read_line());
  url_ = line.at("listening").get<std::string>();
  ca_cert_ = line.at("ca_cert").get<std::string>();
  auto port = url_.substr(url_.rfind(':') + 1);
  listen_ = "127.0.0.1:" + port;
}

void CaRun::stop() {
  if (server_) server_->stop();
  server_.reset();
}

std::vector<nlohmann::json> CaRun::list() const {
  auto result = test_support::run_process(
      {test_support::bin_path("espprov-ca").string(), "list", "--dir", dir_.string()});
  if (result.exit_code != 0) throw std::runtime_error("espprov-ca list failed: " + result.err);
  std::vector<nlohmann::json> out;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

namespace {

boost::asio::awaitable<provision::ca::HttpAnswer> post_once(provision::ca::Connection::State& state,
                                                            const std::string& target, const std::string& body) {
  const auto deadline = provision::ca::Clock::now() + std::chrono::seconds(30);
  auto answer = co_await state.exchange(boost::beast::http::verb::post, target, body, deadline);
  state.close();
  co_return answer;
}

}  // namespace

CaRun::Answer CaRun::post(const std::string& target, const nlohmann::json& body) const {
  provision::ca::ClientOptions options;
  options.url = url_;
  options.ca_bundle = ca_cert_;
  options.token = token_;
  provision::ca::Client client(options);
  boost::asio::io_context io;
  provision::ca::Connection::State state;
  state.client = client.impl();
  state.executor = io.get_executor();
  const std::string text = body.dump();
  auto future = boost::asio::co_spawn(io, post_once(state, target, text), boost::asio::use_future);
  io.run();
  auto answer = future.get();
  return {answer.status, nlohmann::json::parse(answer.body)};
}

std::vector<nlohmann::json> records(const test_support::ProcessResult& result) {
  std::vector<nlohmann::json> out;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

std::vector<std::string> provision_argv(const CaRun* ca, const std::string& ledger,
                                        const std::vector<std::string>& ports, std::vector<std::string> extra) {
  std::vector<std::string> argv{test_support::bin_path("espprov").string(), "provision", "--ledger", ledger,
                                "--progress", "none"};
  for (const auto& p : ports) argv.insert(argv.end(), {"--port", p});
  if (ca) {
    argv.insert(argv.end(), {"--ca-url", ca->url(), "--ca-bundle", ca->ca_cert(), "--ca-cert", ca->ca_cert(),
                             "--token-file", ca->token_file()});
  }
  bool wifi_given = false, ca_given = ca != nullptr, wifi_only = false;
  for (const auto& a : extra) {
    wifi_given |= a == "--ssid" || a == "--no-wifi";
    ca_given |= a == "--ca-url" || a == "--no-ca";
    wifi_only |= a == "--wifi-only";
  }
  if (!ca_given && !wifi_only) argv.push_back("--no-ca");
  // These tests compare the printed psk with the flash and the ledger; a station prints it only when asked.
  argv.push_back("--show-secrets");
  if (!wifi_given) argv.insert(argv.end(), {"--ssid", kLabSsid, "--password", kLabPassword});
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

nlohmann::json flashed_credentials(const std::string& flash_file, std::uint32_t offset, std::uint32_t size) {
  std::ifstream in(flash_file, std::ios::binary);
  in.seekg(offset);
  std::vector<std::uint8_t> image(size);
  in.read(reinterpret_cast<char*>(image.data()), size);
  nlohmann::json out = nlohmann::json::object();
  auto report = provision::nvs::read_image(image);
  if (!report.valid()) out["_problems"] = report.problems.size();
  for (const auto& element : report.content.elements()) {
    if (element.kind == provision::nvs::Element::Kind::item &&
        element.value.type == provision::nvs::ValueType::string) {
      out[element.key] = element.value.as_string();
    }
  }
  return out;
}

}  // namespace e2e
