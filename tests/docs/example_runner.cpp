// The fixture behind the documented examples. Nothing here stands in for a part: the CA, the boards, the bridge and
// the broker are the real programs, started only when an example of the document names them.
#include "docs/example_runner.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "e2e/e2e_support.hpp"
#include "mqtt/broker_support.hpp"
#include "provision/files.hpp"
#include "sim/sim_run.hpp"
#include "support/process.hpp"

namespace doc_examples {
namespace {

using namespace std::chrono_literals;
using test_support::bin_path;
using test_support::run_process;

constexpr const char* kLabPassword = "correct horse battery";

bool mentions(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void write_text(const std::filesystem::path& path, const std::string& text) {
  provision::write_file_atomic(path.string(), text, provision::FileMode::secret);
}

// The access points the documented SSIDs name, so WiFi examples connect for real (quick association).
std::string access_points_json() {
  nlohmann::json aps = nlohmann::json::array();
  for (const char* ssid : {"Factory", "Lab", "NewNet", "Backup", "old net", "Cafe, \"Guest\"", "espprov-lab"}) {
    aps.push_back({{"ssid", ssid}, {"password", kLabPassword}, {"connect_ms", 20}});
  }
  aps.push_back({{"ssid", "Lab, 2nd floor"}, {"password", "p@ss,word"}, {"connect_ms", 20}});
  aps.push_back({{"ssid", "open lobby"}, {"connect_ms", 20}});
  return aps.dump();
}

std::string run_checked(const std::vector<std::string>& argv, const std::string& input = {}) {
  auto result = run_process(argv, input, 120s);
  if (result.exit_code != 0) throw std::runtime_error(argv[0] + " " + argv[1] + " failed: " + result.err);
  return result.out;
}

std::string espprov(std::vector<std::string> args, const std::string& input = {}) {
  args.insert(args.begin(), bin_path("espprov").string());
  return run_checked(args, input);
}

// The files the examples name, made the way a user would make them (most with espprov itself).
void make_example_files(const std::filesystem::path& work, const e2e::CaRun& ca) {
  std::filesystem::copy_file(ca.ca_cert(), work / "ca.pem");
  std::filesystem::copy_file(ca.ca_cert(), work / "device-ca.pem");
  const std::string token = provision::read_file_text(ca.token_file());
  for (const char* name : {"token", "ca-token"}) write_text(work / name, token);
  for (const char* name : {"wifi.txt", "lab.pass", "new.txt", "guest.pass"}) {
    write_text(work / name, std::string(kLabPassword) + "\n");
  }
  write_text(work / "device.psk", std::string(64, 'a') + "\n");
  const std::string record = espprov({"psk", "--in", "-"}, espprov({"uuid", "--mac", "A0B1C2D3E4F5"}));
  write_text(work / "record.json", record);
  std::ofstream(work / "greeting.txt") << "hello from a file row\n";
  std::ofstream(work / "nvs.csv") << "key,type,encoding,value\nprovision,namespace,,\nuuid,data,string,"
                                     "04e4822c-719e-45b0-b360-7e2819faca53\nserial,data,u32,1001\n"
                                     "greeting,file,string,greeting.txt\n";
  std::ofstream(work / "keys.csv") << "key,type,encoding,value\nprovision,namespace,,\nuuid,data,string,\n"
                                      "serial,data,u32,\n";
  std::ofstream(work / "devices.csv") << "id,uuid,serial\ndev001,04e4822c-719e-45b0-b360-7e2819faca53,1001\n"
                                         "dev002,f995b07e-8f79-544f-9ae2-35886a1d509d,1002\n";
  std::ofstream(work / "hmac_key.bin", std::ios::binary) << std::string(32, '\x5a');
  espprov({"nvs-keygen", "--out", (work / "nvs_keys.bin").string()});
  espprov({"nvs-build", "--in", "-", "--out", (work / "creds.bin").string()}, record);
  espprov({"nvs-build", "--in", "-", "--out", (work / "prov.bin").string()}, record);
  espprov({"nvs-build", "--csv", (work / "nvs.csv").string(), "--size", "0x6000", "--out", (work / "nvs.bin").string(),
           "--encrypt", "--keys", (work / "nvs_keys.bin").string()});
  run_checked({bin_path("espprov-ca").string(), "init", (work / "ca").string(), "--host", "127.0.0.1"});
  // A firmware build's files for the `flash` / `provision --flash` examples. The simulator runs its own firmware
  // whatever the flash holds, so these are images in size and first byte (0xE9, the image magic) only; the
  // partition table is the simulator's own, read back below by the examples that need a real one.
  const auto image = [](std::size_t size, unsigned seed) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 31 + seed) & 0xFF);
    bytes[0] = '\xE9';
    return bytes;
  };
  std::ofstream(work / "bootloader.bin", std::ios::binary) << image(0x3000, 1);
  std::ofstream(work / "partitions.bin", std::ios::binary) << image(0xC00, 2);
  std::ofstream(work / "app.bin", std::ios::binary) << image(0x20000, 3);
  // The station file of the README and provision --help: this fixture's CA, WiFi and files. Mode 0644 whatever the
  // umask (a group-writable station file is refused).
  std::ofstream(work / "station.toml") << "[provision]\nca-url = \"" << ca.url()
                                       << "\"\nca-bundle = \"ca.pem\"\nca-cert = \"device-ca.pem\"\n"
                                          "token-file = \"token\"\nssid = \"Lab\"\npassword-file = \"lab.pass\"\n"
                                          "ledger = \"station-ledger.db\"\n";
  std::filesystem::permissions(work / "station.toml", std::filesystem::perms::owner_read |
                                                         std::filesystem::perms::owner_write |
                                                         std::filesystem::perms::group_read |
                                                         std::filesystem::perms::others_read);
}

// Counts the boards an example needs: {port} and {port2}, or two behind a {ports} glob.
int boards_needed(const std::string& command) {
  if (mentions(command, "{ports}") || mentions(command, "{port2}")) return 2;
  return mentions(command, "{port}") || mentions(command, "{bridge}") ? 1 : 0;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

class World {
 public:
  explicit World(const std::vector<Planned>& planned) {
    int download = 0, provisioned = 0;
    bool mqtt = false;
    for (const auto& p : planned) {
      const int n = boards_needed(p.expectation.prepare + p.command);
      (p.expectation.board == Board::provisioned ? provisioned : download) += n;
      mqtt = mqtt || mentions(p.command, "{mqtt_url}");
    }
    ca_ = std::make_unique<e2e::CaRun>(root_);
    if (mqtt) {
      broker_ = std::make_unique<mqtt_test::Broker>(root_, mqtt_test::files_of_ca(ca_->dir()));
      station_ = mqtt_test::issue_operator_credential(ca_->dir(), root_.path());
    }
    write_text(root_ / "aps.json", access_points_json());
    if (download + provisioned > 0) start_boards(download, provisioned);
  }

  // The examples of one help page, or of one document, share a work folder and run in order; the next group
  // starts from fresh files, so one page's outputs (devices.csv, nvs_keys.bin) do not become another's inputs.
  void start_group() {
    if (groups_ == 0) {  // made once, copied for every group
      std::filesystem::create_directories(root_ / "files");
      make_example_files(root_ / "files", *ca_);
      if (broker_) {
        std::filesystem::copy_file(station_.cert_file, root_ / "files" / "station.pem");
        std::filesystem::copy_file(station_.key_file, root_ / "files" / "station.key");
      }
    }
    work_ = root_ / ("work-" + std::to_string(++groups_));
    std::filesystem::copy(root_ / "files", work_, std::filesystem::copy_options::recursive);
  }

  Outcome run(const Planned& planned) {
    const auto& expect = planned.expectation;
    // One fill for both, so the preparation and the example share their boards.
    const std::string filled = fill(expect.prepare + "\n" + planned.command);
    const auto newline = filled.find('\n');
    const std::string prepare = filled.substr(0, newline);
    Outcome outcome{planned.example.where, filled.substr(newline + 1), {}, {}, {}};
    // A station's environment: its ledger, its CA token, and a system trust store that holds the factory CA (the
    // help texts' short examples name neither --ca-bundle nor --token-file).
    std::string script = "trap : TERM\nexport PATH=" + bin_path("espprov").parent_path().string() +
                         ":\"$PATH\" ESPPROV_LEDGER=" + (root_ / "ledger.db").string() +
                         " SSL_CERT_FILE=" + ca_->ca_cert() + " ESPPROV_CA_TOKEN=$(cat " + ca_->token_file() +
                         ")\ncd " + work_.string() + " || exit 99\n" +
                         // stdin holds a device record, as it would in a pipe (`ca-register --in -` alone)
                         "exec < record.json\n";
    if (!prepare.empty()) {
      script += "if ! (" + prepare + ") > prepare.log 2>&1; then echo 'fixture: the preparation failed:' >&2; "
                "cat prepare.log >&2; exit 98; fi\n";
    }
    script += outcome.command + "\n";
    int exit_code = -1;
    if (expect.runs_until_stopped) {
      exit_code = run_until_ready(script, expect, outcome);
    } else {
      auto result = run_process({"/bin/bash", "-c", script}, "", 120s);
      outcome.out = result.out;
      outcome.err = result.err;
      exit_code = result.timed_out ? -1000 : result.exit_code;
    }
    if (exit_code != expect.exit_code) {
      outcome.problem = "exit " + std::to_string(exit_code) + ", documented " + std::to_string(expect.exit_code);
    } else {
      outcome.problem = output_problem(planned.example, outcome.out);
    }
    return outcome;
  }

 private:
  void start_boards(int download, int provisioned) {
    sim_ = std::make_unique<sim_test::SimRun>(download + provisioned, "esp32c3",
                                              std::vector<std::string>{"--aps", (root_ / "aps.json").string()});
    const auto& devices = sim_->devices();
    for (int i = 0; i < download; ++i) fresh_.push_back(devices[i].port);
    std::vector<std::string> ports;
    for (std::size_t i = download; i < devices.size(); ++i) ports.push_back(devices[i].port);
    if (ports.empty()) return;
    std::vector<std::string> extra{"--ssid", "Lab", "--password", kLabPassword};
    if (broker_) {
      extra.insert(extra.end(), {"--mqtt-url", broker_->url(), "--mqtt-cert", station_.cert_file, "--mqtt-key",
                                 station_.key_file});
    }
    run_checked(e2e::provision_argv(ca_.get(), (root_ / "fixture-ledger.db").string(), ports, extra));
    provisioned_ = ports;
  }

  std::string take_board(Board kind) {
    auto& pool = kind == Board::provisioned ? provisioned_ : fresh_;
    if (pool.empty()) throw std::runtime_error("the fixture ran out of simulated boards");
    auto port = pool.front();
    pool.erase(pool.begin());
    return port;
  }

  // The placeholders of one example: its own boards, the CA, the broker.
  std::string fill(std::string command) {
    const Board kind = current_board_kind_;
    if (mentions(command, "{ports}")) {
      auto links = work_ / "ports";
      std::filesystem::remove_all(links);
      std::filesystem::create_directories(links);
      std::filesystem::create_symlink(take_board(kind), links / "ttyUSB0");
      std::filesystem::create_symlink(take_board(kind), links / "ttyUSB1");
      command = replace_all(command, "{ports}", links.string());
    }
    if (mentions(command, "{port}") || mentions(command, "{bridge}")) {
      const auto port = take_board(kind);
      command = replace_all(command, "{port}", port);
      if (mentions(command, "{bridge}")) command = replace_all(command, "{bridge}", start_bridge(port));
    }
    if (mentions(command, "{port2}")) command = replace_all(command, "{port2}", take_board(kind));
    command = replace_all(command, "{ca_url}", ca_->url());
    command = replace_all(command, "{listen}", "127.0.0.1:" + std::to_string(mqtt_test::free_loopback_port()));
    command = replace_all(command, "{lab_password}", kLabPassword);
    if (broker_) command = replace_all(command, "{mqtt_url}", broker_->url());
    return command;
  }

  // ser2net (Debian's) serving the board's pty as a raw TCP socket, as a networked rig would.
  std::string start_bridge(const std::string& port) {
    const int tcp = mqtt_test::free_loopback_port();
    bridges_.push_back(std::make_unique<test_support::BackgroundProcess>(std::vector<std::string>{
        "/usr/sbin/ser2net", "-n", "-u", "-Y", "connection: &c0", "-Y",
        "  accepter: tcp,127.0.0.1," + std::to_string(tcp), "-Y", "  connector: serialdev," + port + ",115200n81,local"}));
    wait_until_listening(tcp);
    return "socket://127.0.0.1:" + std::to_string(tcp);
  }

  // ser2net prints nothing when it listens: its port accepting a connection is the signal (a probe that closes at
  // once leaves the port free for the example).
  static void wait_until_listening(int tcp_port) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(static_cast<std::uint16_t>(tcp_port));
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      const bool accepted = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
      ::close(fd);
      if (accepted) return;
      std::this_thread::sleep_for(50ms);
    }
    throw std::runtime_error("ser2net did not listen on port " + std::to_string(tcp_port));
  }

  int run_until_ready(const std::string& script, const Expectation& expect, Outcome& outcome) {
    test_support::BackgroundProcess process({"/bin/bash", "-c", script});
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    bool ready = false;
    while (!ready && std::chrono::steady_clock::now() < deadline) {
      if (expect.ready_file.empty()) {
        try {
          outcome.out += process.read_line(1s) + "\n";
        } catch (const std::exception&) {
        }
        ready = mentions(outcome.out, expect.ready);
      } else {
        std::ifstream in(work_ / expect.ready_file);
        std::stringstream text;
        text << in.rdbuf();
        ready = mentions(text.str(), expect.ready);
        if (!ready) std::this_thread::sleep_for(100ms);
      }
    }
    if (!ready) outcome.err += "never showed '" + expect.ready + "'\n";
    ::kill(-process.pid(), SIGTERM);  // the whole group, as Ctrl-C on a terminal would
    return process.wait_exit(20s);
  }

  // README output after a `$ ` prompt is compared exactly (CSV's CRLF read as a line end); a help text's
  // "-> output" must appear in stdout, each part between "..." in order.
  static std::string output_problem(const Example& example, const std::string& out) {
    if (example.shown_output.empty()) return {};
    const std::string got = replace_all(out, "\r\n", "\n");
    if (example.output_exact) {
      return got == example.shown_output ? std::string{} : "output differs from the document:\n" + got;
    }
    std::size_t at = 0;
    std::size_t start = 0;
    const std::string& shown = example.shown_output;
    while (start <= shown.size()) {
      auto end = shown.find("...", start);
      const std::string part = shown.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (!part.empty()) {
        at = got.find(part, at);
        if (at == std::string::npos) return "output lacks '" + part + "' of the documented '" + shown + "':\n" + got;
        at += part.size();
      }
      if (end == std::string::npos) break;
      start = end + 3;
    }
    return {};
  }

 public:
  Board current_board_kind_ = Board::download;

 private:
  test_support::TempDir root_;
  std::filesystem::path work_;
  std::unique_ptr<e2e::CaRun> ca_;
  std::unique_ptr<mqtt_test::Broker> broker_;
  mqtt_test::OperatorCredential station_;
  std::unique_ptr<sim_test::SimRun> sim_;
  std::vector<std::string> fresh_;
  std::vector<std::string> provisioned_;
  std::vector<std::unique_ptr<test_support::BackgroundProcess>> bridges_;
  int groups_ = 0;
};

}  // namespace

std::vector<Planned> plan(const std::vector<Example>& examples) {
  std::vector<Planned> planned;
  for (const auto& example : examples) {
    if (is_excluded(example.command)) continue;
    Planned p{example, example.command, expectation_for(example.command)};
    for (const auto& s : substitutions()) {
      p.command = std::regex_replace(p.command, std::regex(s.from), s.to);
      p.expectation.prepare = std::regex_replace(p.expectation.prepare, std::regex(s.from), s.to);
    }
    planned.push_back(p);
  }
  return planned;
}

std::vector<Outcome> run_examples(const std::vector<Planned>& planned) {
  World world(planned);
  std::vector<Outcome> outcomes;
  std::string group;
  for (const auto& p : planned) {
    const auto this_group = p.example.where.substr(0, p.example.where.find(':'));
    if (outcomes.empty() || this_group != group) world.start_group();
    group = this_group;
    world.current_board_kind_ = p.expectation.board;
    outcomes.push_back(world.run(p));
  }
  return outcomes;
}

std::string read_document(const std::string& relative_path) {
  return provision::read_file_text(test_support::source_path(relative_path).string());
}

std::vector<std::pair<std::string, std::string>> help_pages(const std::string& program) {
  std::vector<std::pair<std::string, std::string>> pages;
  std::vector<std::vector<std::string>> pending{{}};
  while (!pending.empty()) {
    auto path = pending.front();
    pending.erase(pending.begin());
    std::vector<std::string> argv{bin_path(program).string()};
    argv.insert(argv.end(), path.begin(), path.end());
    argv.push_back("--help");
    auto result = run_process(argv);
    std::string name = program;
    for (const auto& word : path) name += " " + word;
    pages.emplace_back(name + " --help", result.out + result.err);
    for (const auto& sub : help_subcommands(result.out)) {
      auto deeper = path;
      deeper.push_back(sub);
      pending.push_back(deeper);
    }
  }
  return pages;
}

}  // namespace doc_examples
