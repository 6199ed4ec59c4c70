// --usb-vid-pid, --usb-serial, --usb-location (espprov ports, provision --ports auto) and the sysfs root.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "provision/serial/usb_ports.hpp"

namespace espprov {

struct UsbFilterFlags {
  std::string vid_pid;
  std::string serial;
  std::string location;
};

void add_usb_filter_flags(CLI::App& sub, UsbFilterFlags& flags);
// Throws Error(bad_input, "usb-vid-pid") for a malformed VID:PID.
provision::serial::UsbPortFilter usb_filter(const UsbFilterFlags& flags);
// $ESPPROV_SYSFS_ROOT or "/".
std::string sysfs_root();

}  // namespace espprov
