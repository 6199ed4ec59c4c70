// espprov-sim: simulated ESP32-family boards on pseudo-terminals. See README.md.
#include <cstdio>
#include <exception>
#include <iostream>

#include "simulator.hpp"

int main(int argc, char** argv) {
  try {
    auto parsed = sim::parse_sim_options(argc, argv);
    if (auto* usage = std::get_if<sim::UsageRequest>(&parsed)) {
      std::cout << usage->text;
      return 0;
    }
    sim::Simulator simulator(std::get<sim::SimOptions>(parsed));
    std::cout << simulator.devices_json() << std::endl;  // the first line: readers wait for it
    return simulator.run();
  } catch (const std::invalid_argument& e) {
    std::cerr << "espprov-sim: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "espprov-sim: " << e.what() << "\n";
    return 1;
  }
}
