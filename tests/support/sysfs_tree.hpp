// A small sysfs tree in a temp folder, laid out as Linux does (see tests/data/sysfs/README.md), whose device
// nodes link to simulator pseudo-terminals: `espprov ports` and --ports auto then see simulated boards as USB
// adapters. Add a port to "plug" it, remove it to "unplug" it, as udev would.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace test_support {

struct FakeUsbTty {
  std::string name;      // ttyUSB0, ttyACM0
  std::string location;  // 1-2
  std::string vid, pid;  // "10c4", "ea60"
  std::string serial;
  std::string target;  // what <root>/dev/<name> links to (a pty); empty = no device node
};

void add_usb_tty(const std::filesystem::path& root, const FakeUsbTty& tty);
void remove_usb_tty(const std::filesystem::path& root, const std::string& name);

// Sets $ESPPROV_SYSFS_ROOT for the executables this test starts; restores it at the end of the scope.
class SysfsRootEnv {
 public:
  explicit SysfsRootEnv(const std::filesystem::path& root) { ::setenv("ESPPROV_SYSFS_ROOT", root.c_str(), 1); }
  ~SysfsRootEnv() { ::unsetenv("ESPPROV_SYSFS_ROOT"); }
  SysfsRootEnv(const SysfsRootEnv&) = delete;
  SysfsRootEnv& operator=(const SysfsRootEnv&) = delete;
};

}  // namespace test_support
