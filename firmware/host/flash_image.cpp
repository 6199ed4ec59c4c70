#include "flash_image.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace sim {

FlashImage::FlashImage(const std::filesystem::path& path, std::uint32_t size_bytes) : path_(path), size_(size_bytes) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot create flash image " + path.string() + ": " + std::strerror(errno));
    created_ = true;
    if (::ftruncate(fd_, size_) != 0) throw std::runtime_error("cannot size flash image " + path.string());
  } else {
    struct stat st {};
    ::fstat(fd_, &st);
    if (static_cast<std::uint64_t>(st.st_size) != size_) {
      ::close(fd_);
      throw std::runtime_error("flash image " + path.string() + " holds " + std::to_string(st.st_size) +
                               " bytes but the flash size is " + std::to_string(size_) +
                               "; pass the matching --flash-size or remove the image");
    }
  }
  void* mapped = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (mapped == MAP_FAILED) throw std::runtime_error("cannot map flash image " + path.string());
  bytes_ = static_cast<std::uint8_t*>(mapped);
  if (created_) std::memset(bytes_, 0xFF, size_);
}

FlashImage::~FlashImage() {
  if (bytes_) {
    ::msync(bytes_, size_, MS_SYNC);
    ::munmap(bytes_, size_);
  }
  if (fd_ >= 0) ::close(fd_);
}

bool FlashImage::read(std::uint32_t address, void* out, std::size_t length) const {
  if (!contains(address, length)) return false;
  std::memcpy(out, bytes_ + address, length);
  return true;
}

bool FlashImage::program(std::uint32_t address, const void* data, std::size_t length) {
  if (!contains(address, length)) return false;
  return power_cut_.program(bytes_ + address, static_cast<const std::uint8_t*>(data), length);
}

bool FlashImage::erase(std::uint32_t address, std::size_t length) {
  if (address % kSectorBytes != 0 || length % kSectorBytes != 0 || !contains(address, length)) return false;
  return power_cut_.erase(bytes_ + address, length, kSectorBytes);
}

double FlashImage::erase_time_ms(std::uint32_t address, std::uint32_t length) {
  double total = 0;
  std::uint64_t at = address;
  const std::uint64_t end = static_cast<std::uint64_t>(address) + length;
  while (at < end) {
    if (at % kBlockBytes == 0 && end - at >= kBlockBytes) {
      total += kBlockEraseMs;
      at += kBlockBytes;
    } else {
      total += kSectorEraseMs;
      at += kSectorBytes;
    }
  }
  return total;
}

double FlashImage::program_time_ms(std::size_t length) {
  return kPageProgramMs * static_cast<double>((length + kPageBytes - 1) / kPageBytes);
}

}  // namespace sim
