// Derives a device UUID and builds its credentials NVS image through an installed libprovision: the headers, the
// layer libraries and their dependencies all come from find_package(provision).
#include <iostream>

#include "provision/identity.hpp"
#include "provision/serial.hpp"
#include "provision/workflow.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: provision_consumer MAC\n";
    return 2;
  }
  try {
    auto mac = provision::parse_mac(argv[1]);
    std::cout << provision::derive_uuid(mac, provision::UuidScheme::seed) << '\n';
  } catch (const provision::Error& e) {
    std::cerr << "provision_consumer: " << e.what() << '\n';
    return provision::exit_code_of(e.code());
  }
  return 0;
}
