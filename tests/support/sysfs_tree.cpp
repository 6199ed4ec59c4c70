#include "support/sysfs_tree.hpp"

#include <fstream>

namespace test_support {
namespace fs = std::filesystem;

namespace {

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text << '\n';
}

void link(const fs::path& at, const fs::path& target) {
  fs::create_directories(at.parent_path());
  std::error_code ec;
  fs::remove(at, ec);
  fs::create_symlink(target, at);
}

}  // namespace

void add_usb_tty(const fs::path& root, const FakeUsbTty& tty) {
  const bool acm = tty.name.rfind("ttyACM", 0) == 0;
  const fs::path usb = root / "sys/devices/pci0000:00/0000:00:14.0/usb1" / tty.location;
  write(usb / "idVendor", tty.vid);
  write(usb / "idProduct", tty.pid);
  if (!tty.serial.empty()) write(usb / "serial", tty.serial);
  write(usb / "manufacturer", "Test");
  write(usb / "product", "Test adapter");
  const fs::path interface = usb / (tty.location + ":1.0");
  write(interface / "bInterfaceNumber", "00");
  fs::path class_dir;
  if (acm) {
    class_dir = interface / "tty" / tty.name;
    link(class_dir / "device", "../../../" + tty.location + ":1.0");
  } else {
    class_dir = interface / tty.name / "tty" / tty.name;
    link(class_dir / "device", "../../../" + tty.name);
  }
  write(class_dir / "dev", "188:0");
  link(root / "sys/class/tty" / tty.name, fs::relative(class_dir, root / "sys/class/tty"));
  if (!tty.target.empty()) link(root / "dev" / tty.name, tty.target);
  if (!tty.serial.empty()) link(root / "dev/serial/by-id" / ("usb-Test_" + tty.serial + "-if00"), "../../" + tty.name);
}

void remove_usb_tty(const fs::path& root, const std::string& name) {
  std::error_code ec;
  fs::remove(root / "sys/class/tty" / name, ec);
  fs::remove(root / "dev" / name, ec);
}

}  // namespace test_support
