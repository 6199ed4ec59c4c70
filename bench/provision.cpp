// The whole job per device: espprov provision against simulated boards at 921600 baud with wire pacing and flash
// timing on, and the reference CA over HTTPS on loopback. The simulated access point associates at once
// (connect_ms 0), so the figures exclude the WiFi association delay. Reports the per-step breakdown of one device,
// then the wall time of 1, 8 and 32 devices in one run. Targets: one device <= 3 s; 32 devices <= 1.5x one.
#include <algorithm>
#include <cstdio>
#include <fmt/format.h>
#include <map>
#include <string>
#include <vector>

#include "provision_lab.hpp"

int main() {
  bench::ProvisionLab lab("provision");
  lab.serve_ca();
  fmt::print("espprov provision, esp32c3 boards at 921600 baud, pacing + flash timing on, HTTPS CA on loopback\n");
  std::map<int, double> wall;
  for (int count : {1, 8, 32}) {
    auto result = lab.provision(count, 1000 + count);
    wall[count] = result.wall_s;
    if (static_cast<int>(result.records.size()) != count) {
      fmt::print(stderr, "bench: espprov provision printed {} records for {} devices (exit {})\n",
                 result.records.size(), count, result.exit_code);
      return 1;
    }
    std::vector<double> per_device;
    for (const auto& r : result.records) per_device.push_back(r.value("seconds", 0.0));
    std::sort(per_device.begin(), per_device.end());
    double p50 = per_device.empty() ? 0 : per_device[per_device.size() / 2];
    double max = per_device.empty() ? 0 : per_device.back();
    fmt::print("{:>3} device(s): wall {:6.2f} s, per device p50 {:5.2f} s, max {:5.2f} s, failed {}\n", count,
               result.wall_s, p50, max, result.failed);
    if (count == 1 && !result.records.empty()) {
      const auto& timings = result.records[0]["timings"];
      std::string breakdown;
      for (const auto& [step, seconds] : timings.items()) breakdown += fmt::format(" {}={:.3f}", step, seconds.get<double>());
      fmt::print("    steps (s):{}\n", breakdown);
    }
  }
  fmt::print("target: one device <= 3 s: {:.2f} s {}; 32 devices <= 1.5x one: {:.2f}x {}\n", wall[1],
             wall[1] <= 3.0 ? "ok" : "MISSED", wall[32] / wall[1], wall[32] / wall[1] <= 1.5 ? "ok" : "MISSED");
  return 0;
}
