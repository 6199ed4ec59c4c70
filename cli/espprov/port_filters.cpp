#include "port_filters.hpp"

#include <cstdlib>

namespace espprov {

void add_usb_filter_flags(CLI::App& sub, UsbFilterFlags& flags) {
  sub.add_option("--usb-vid-pid", flags.vid_pid, "Only USB ports with this VID:PID (e.g. 10c4:ea60, or 303a:)");
  sub.add_option("--usb-serial", flags.serial, "Only the USB port with this serial number");
  sub.add_option("--usb-location", flags.location, "Only USB ports at this bus-port path or below it (e.g. 1-3)");
}

provision::serial::UsbPortFilter usb_filter(const UsbFilterFlags& flags) {
  provision::serial::UsbPortFilter filter;
  if (!flags.vid_pid.empty()) provision::serial::parse_vid_pid(flags.vid_pid, filter);
  filter.serial = flags.serial;
  filter.location = flags.location;
  return filter;
}

std::string sysfs_root() {
  const char* root = std::getenv("ESPPROV_SYSFS_ROOT");
  return root && *root ? root : "/";
}

}  // namespace espprov
