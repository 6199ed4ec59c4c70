// The device's own NVS under a power cut at every flash operation of a scripted session (firmware/PROTOCOL.md §3,
// "Power cuts"): the firmware core runs in-process on the test platform with the simulator's flash-level fault
// (a pty adds nothing here: the cut is at the flash, and the console lines are the same). After each cut the
// board boots from what is in flash and must answer AT+INFO?, list either the networks before or after the
// interrupted command, report the PoP it reported before, and leave a partition that Espressif's reader
// (../shared/reference/esp-idf-nvs-tool, its integrity check) finds no error in.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "firmware/memory_platform.hpp"
#include "fw/nvs_reader.hpp"
#include "power_cut.hpp"
#include "support/process.hpp"

namespace power_cut_sweep_test {

namespace {

constexpr std::uint32_t kNvsOffset = 0x9000;  // the default layout a blank flash gets (PROTOCOL.md §1)
constexpr std::uint32_t kNvsSize = 0x6000;

using NetworkList = std::vector<std::pair<std::string, std::string>>;  // ssid, password, priority order

struct Step {
  std::string command;  // what the step sends (for messages)
  std::function<void(fwtest::Device&)> run;
};

std::vector<Step> scripted_session() {
  std::vector<Step> steps;
  auto send = [](std::string line) { return [line](fwtest::Device& d) { d.send(line); }; };
  steps.push_back({"first boot (generates the PoP)", [](fwtest::Device& d) { d.boot(); }});
  steps.push_back({"AT+POP?", send("AT+POP?")});
  for (int i = 0; i < 9; ++i) {  // the ninth is refused: list_full
    const std::string line = "AT+WIFI_ADD=\"net" + std::to_string(i) + "\",\"password-" + std::to_string(i) + "\"";
    steps.push_back({line, send(line)});
  }
  steps.push_back({"AT+WIFI_DEL=\"net3\"", send("AT+WIFI_DEL=\"net3\"")});
  steps.push_back({"AT+WIFI_PRIO=\"net6\",0", send("AT+WIFI_PRIO=\"net6\",0")});
  steps.push_back({"AT+WIFI_SELECT=\"net2\" (connects; keeps the order)", [](fwtest::Device& d) {
                     d.send("AT+WIFI_SELECT=\"net2\"");
                     d.complete_connect();
                   }});
  steps.push_back({"AT+WIFI_CONNECT to saved \"net5\" (connects, moves it first)", [](fwtest::Device& d) {
                     d.send("AT+WIFI_SSID=\"net5\"");
                     d.send("AT+WIFI_PASSWORD=\"password-5\"");
                     d.send("AT+WIFI_CONNECT");
                     d.complete_connect();
                   }});
  steps.push_back({"AT+WIFI_ADD=\"net1\",\"changed-pass\"", send("AT+WIFI_ADD=\"net1\",\"changed-pass\"")});
  steps.push_back({"AT+POP? (again)", send("AT+POP?")});
  steps.push_back({"AT+FACTORY_RESET (and its reboot)", [](fwtest::Device& d) {
                     d.send("AT+FACTORY_RESET");
                     if (d.platform.take_restart()) d.reboot();
                   }});
  steps.push_back({"AT+WIFI_ADD=\"fresh\" after the reset", send("AT+WIFI_ADD=\"fresh\",\"fresh-password\"")});
  return steps;
}

void add_access_points(fwtest::MemoryPlatform& platform) {
  for (int i = 0; i < 9; ++i)
    platform.access_points.push_back({"net" + std::to_string(i), "password-" + std::to_string(i)});
}

NetworkList stored_networks(fwtest::MemoryPlatform& platform) {
  const auto image = fw::nvs::NvsImage::parse(platform.flash().data() + kNvsOffset, kNvsSize);
  NetworkList list;
  const auto count = image.get_unsigned("wifi_cfg", "count").value_or(0);
  for (std::uint64_t i = 0; i < count; ++i) {
    list.emplace_back(image.get_string("wifi_cfg", "ssid" + std::to_string(i)).value_or("?"),
                      image.get_string("wifi_cfg", "pass" + std::to_string(i)).value_or("?"));
  }
  return list;
}

std::string first_with(const std::vector<std::string>& lines, const std::string& prefix) {
  for (const auto& line : lines) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  return {};
}

std::vector<std::string> listed_ssids(fwtest::Device& device) {
  std::vector<std::string> ssids;
  for (const auto& line : device.send("AT+WIFI_LIST?")) {
    if (line.rfind("+WIFI_LIST:", 0) != 0) continue;
    const auto quote = line.find('"');
    ssids.push_back(line.substr(quote + 1, line.rfind('"') - quote - 1));
  }
  return ssids;
}

// Lines of Espressif's integrity check that report a defect: its red messages, and the inconsistent state of a
// multi-entry item (yellow there, but exactly what a cut must not leave). Its other yellow notes (an unused
// namespace after a factory reset, an erased entry that is blank) are not defects.
bool is_error_line(const std::string& line) {
  static const char* const kDefects[] = {"has wrong CRC32",
                                         "data has wrong CRC32",
                                         "reported as written but is empty",
                                         "out of bounds",
                                         "no blob index",
                                         "missing a chunk",
                                         "B of data",
                                         "Undefined namespace",
                                         "no free (empty) pages",
                                         "been truncated",
                                         "Original CRC32",
                                         "reported as empty but",
                                         "Inconsistent data state",
                                         "Traceback",
                                         "Error"};
  for (const char* defect : kDefects) {
    if (line.find(defect) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("power cut at every flash operation of a session: boots, before-or-after list, stable PoP, clean NVS",
          "[firmware][nvs][power_cut][sweep]") {
  const auto steps = scripted_session();

  // The uncut run: the list after each step, the flash operations each step takes, the PoP.
  fwtest::Device reference;
  add_access_points(reference.platform);
  std::vector<NetworkList> after;
  std::vector<std::uint64_t> first_op;
  for (const auto& step : steps) {
    first_op.push_back(reference.platform.power_cut().operations());
    step.run(reference);
    after.push_back(stored_networks(reference.platform));
  }
  const std::uint64_t total = reference.platform.power_cut().operations();
  const std::string pop = first_with(reference.send("AT+POP?"), "+POP:");
  REQUIRE(pop.size() == 5 + 64);
  REQUIRE(after[10].size() == 8);  // filled to the limit, the ninth refused
  REQUIRE(after.back() == NetworkList{{"fresh", "fresh-password"}});
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const std::uint64_t end = s + 1 < steps.size() ? first_op[s + 1] : total;
    std::cout << "  step " << s << " " << steps[s].command << ": " << end - first_op[s] << " flash operations\n";
  }

  test_support::TempDir dir;
  int boots_ok = 0, before_seen = 0, after_seen = 0, failures = 0;
  std::vector<std::string> images;
  for (std::uint64_t cut = 0; cut < total; ++cut) {
    fwtest::Device device;
    add_access_points(device.platform);
    device.platform.power_cut() = sim::PowerCut(cut + 1);
    device.platform.power_cut().arm(cut);
    std::size_t step = 0;
    while (step < steps.size()) {
      steps[step].run(device);
      if (!device.platform.power_cut().powered()) break;
      ++step;
    }
    REQUIRE(step < steps.size());  // the cut came
    device.platform.power_cut().restore_power();
    device.platform.take_restart();
    INFO("cut at flash operation " << cut << ", during step " << step << " (" << steps[step].command << ")");

    const auto boot = device.reboot();
    const auto info = device.send("AT+INFO?");
    const bool booted = first_with(boot, "+READY") == "+READY" && !info.empty() && info.back() == "OK" &&
                        !first_with(info, "+INFO:saved,").empty();
    boots_ok += booted;

    const NetworkList stored = stored_networks(device.platform);
    const NetworkList& before_state = step == 0 ? NetworkList{} : after[step - 1];
    const bool is_before = stored == before_state;
    const bool is_after = stored == after[step];
    before_seen += is_before;
    after_seen += is_after && !is_before;
    std::vector<std::string> stored_ssids;
    for (const auto& network : stored) stored_ssids.push_back(network.first);
    const bool listed = listed_ssids(device) == stored_ssids &&
                        first_with(info, "+INFO:saved,") == "+INFO:saved," + std::to_string(stored.size());

    // The PoP: once reported (step 1 onwards it was), it never changes, also over a further reboot.
    const std::string pop_now = first_with(device.send("AT+POP?"), "+POP:");
    device.reboot();
    const std::string pop_again = first_with(device.send("AT+POP?"), "+POP:");
    const bool pop_ok = pop_now.size() == 5 + 64 && pop_again == pop_now && (step == 0 || pop_now == pop);
    const bool journal_gone =
        !fw::nvs::NvsImage::parse(device.platform.flash().data() + kNvsOffset, kNvsSize).find("wifi_cfg", "journal");

    CHECK(booted);
    CHECK((is_before || is_after));
    CHECK(listed);
    CHECK(pop_ok);
    CHECK(journal_gone);
    failures += !(booted && (is_before || is_after) && listed && pop_ok && journal_gone);

    const std::string name = (dir / ("cut-" + std::to_string(cut) + ".bin")).string();
    std::ofstream(name, std::ios::binary)
        .write(reinterpret_cast<const char*>(device.platform.flash().data() + kNvsOffset), kNvsSize);
    images.push_back(name);
  }

  // Espressif's reader over every partition, in one interpreter.
  std::vector<std::string> argv{"/usr/bin/python3",
                                test_support::source_path("tests/firmware/nvs_tool_batch.py").string(),
                                test_support::shared_path("reference/esp-idf-nvs-tool").string()};
  argv.insert(argv.end(), images.begin(), images.end());
  const auto checked = test_support::run_process(argv, {}, std::chrono::minutes(5));
  REQUIRE(checked.exit_code == 0);
  int partitions = 0, clean = 0;
  bool current_clean = false;
  std::istringstream out(checked.out);
  for (std::string line; std::getline(out, line);) {
    if (line.rfind("== ", 0) == 0) {
      clean += partitions > 0 && current_clean;
      ++partitions;
      current_clean = true;
      continue;
    }
    if (is_error_line(line)) {
      if (current_clean) UNSCOPED_INFO(line.substr(0, 200) << " (in partition " << partitions - 1 << ")");
      current_clean = false;
    }
  }
  clean += partitions > 0 && current_clean;
  failures += static_cast<int>(total) - clean;

  // And the tool itself, as its SOURCE.md says to run it, on the first and the last partition.
  for (const std::string& image : {images.front(), images.back()}) {
    const auto tool = test_support::run_process(
        {"/usr/bin/python3", test_support::shared_path("reference/esp-idf-nvs-tool/nvs_tool.py").string(), "-i", "-d",
         "minimal", image});
    INFO(tool.out << tool.err);
    CHECK(tool.exit_code == 0);
    CHECK(tool.out.find("CRC32: OK") != std::string::npos);
    std::istringstream lines(tool.out);
    for (std::string line; std::getline(lines, line);) CHECK_FALSE(is_error_line(line));
  }

  std::cout << "power-cut sweep: " << total << " operations cut, " << boots_ok << " boots OK, " << clean
            << " partitions clean by Espressif's nvs_tool -i, " << before_seen << " before states, " << after_seen
            << " after states, " << failures << " failures\n";
  CHECK(partitions == static_cast<int>(total));
  CHECK(clean == static_cast<int>(total));
  CHECK(boots_ok == static_cast<int>(total));
  CHECK(failures == 0);
  CHECK(before_seen > 0);
  CHECK(after_seen > 0);
}

TEST_CASE("power cut during the boot that repairs an earlier cut: the next boot still gives before or after",
          "[firmware][nvs][power_cut][sweep]") {
  const auto steps = scripted_session();
  fwtest::Device reference;
  add_access_points(reference.platform);
  std::vector<NetworkList> after;
  for (const auto& step : steps) {
    step.run(reference);
    after.push_back(stored_networks(reference.platform));
  }
  const std::uint64_t total = reference.platform.power_cut().operations();
  int repairs_cut = 0, failures = 0;
  // A sample (every 15th operation of the session; each is followed by a cut at every operation of its repair):
  // the whole square would take minutes under the sanitizers.
  for (std::uint64_t cut = 0; cut < total; cut += 15) {
    for (std::uint64_t repair_cut = 0;; ++repair_cut) {
      fwtest::Device device;
      add_access_points(device.platform);
      device.platform.power_cut() = sim::PowerCut(cut * 131 + repair_cut + 1);
      device.platform.power_cut().arm(cut);
      std::size_t step = 0;
      while (step < steps.size()) {
        steps[step].run(device);
        if (!device.platform.power_cut().powered()) break;
        ++step;
      }
      REQUIRE(step < steps.size());
      device.platform.power_cut().restore_power();
      device.platform.take_restart();
      // The repairing boot, cut at its operation `repair_cut`; when it needs fewer, this cut index is done.
      device.platform.power_cut().arm(repair_cut);
      device.reboot();
      const bool cut_in_boot = !device.platform.power_cut().powered();
      device.platform.power_cut().disarm();
      device.platform.power_cut().restore_power();
      if (!cut_in_boot) break;  // the repair needed fewer operations: every one of them was cut
      ++repairs_cut;
      INFO("cut at operation " << cut << " (step " << step << "), then at operation " << repair_cut
                               << " of the boot that repairs it");
      const auto boot = device.reboot();
      const NetworkList stored = stored_networks(device.platform);
      const bool ok =
          first_with(boot, "+READY") == "+READY" &&
          (stored == (step == 0 ? NetworkList{} : after[step - 1]) || stored == after[step]) &&
          !fw::nvs::NvsImage::parse(device.platform.flash().data() + kNvsOffset, kNvsSize).find("wifi_cfg", "journal");
      CHECK(ok);
      failures += !ok;
      for (std::size_t page = 0; page < kNvsSize / 4096; ++page) {
        CHECK(fw::nvs::unreadable_entries(device.platform.flash().data() + kNvsOffset + page * 4096).empty());
      }
    }
  }
  std::cout << "power cut during the repairing boot: " << repairs_cut << " repairs cut, " << failures << " failures\n";
  CHECK(failures == 0);
}

}  // namespace power_cut_sweep_test
