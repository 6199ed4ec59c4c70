// NVS encryption (ESP-IDF "NVS Encryption"): every written entry is one 32-byte XTS-AES-256 data unit whose tweak is
// the entry's byte offset in the partition, little-endian in 16 bytes. Headers and bitmaps stay in the clear.
#include <openssl/evp.h>

#include <memory>

#include "layout.hpp"
#include "provision/error.hpp"
#include "provision/nvs.hpp"

namespace provision::nvs {
namespace {

struct CipherContextDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextDeleter>;

[[noreturn]] void openssl_failed(const char* what) {
  throw Error(ErrorCode::internal, std::string("OpenSSL AES-256-XTS failed: ") + what);
}

// True for pages the writer or a device gave a header (entries of erased pages are not data).
bool page_has_entries(const std::uint8_t* page) {
  const std::uint32_t state = layout::load_u32(page);
  return state == layout::kPageActive || state == layout::kPageFull || state == layout::kPageFreeing;
}

void transform_image(std::span<std::uint8_t> image, const XtsKeys& keys, bool encrypt) {
  CipherContext ctx(EVP_CIPHER_CTX_new());
  if (!ctx) openssl_failed("no context");
  std::uint8_t key[64];
  std::copy(keys.data_key.begin(), keys.data_key.end(), key);
  std::copy(keys.tweak_key.begin(), keys.tweak_key.end(), key + 32);
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_xts(), nullptr, key, nullptr, encrypt ? 1 : 0) != 1) {
    OPENSSL_cleanse(key, sizeof key);
    openssl_failed("key setup (the data and tweak keys must differ)");
  }
  OPENSSL_cleanse(key, sizeof key);
  const std::size_t pages = image.size() / kPageSize;
  for (std::size_t page = 0; page < pages; ++page) {
    const std::uint8_t* page_bytes = image.data() + page * kPageSize;
    if (!page_has_entries(page_bytes)) continue;
    for (std::size_t entry = 0; entry < kEntriesPerPage; ++entry) {
      const unsigned state = layout::entry_state(page_bytes, entry);
      if (state != layout::kEntryWritten && state != layout::kEntryErased) continue;
      const std::size_t offset = layout::entry_offset(page, entry);
      std::uint8_t tweak[16] = {};
      for (int i = 0; i < 8; ++i) tweak[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(offset) >> (8 * i));
      std::uint8_t* unit = image.data() + offset;
      int produced = 0;
      if (EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, nullptr, tweak, -1) != 1 ||
          EVP_CipherUpdate(ctx.get(), unit, &produced, unit, static_cast<int>(kEntrySize)) != 1 ||
          produced != static_cast<int>(kEntrySize)) {
        openssl_failed("entry");
      }
    }
  }
}

}  // namespace

void encrypt_image(std::span<std::uint8_t> image, const XtsKeys& keys) { transform_image(image, keys, true); }
void decrypt_image(std::span<std::uint8_t> image, const XtsKeys& keys) { transform_image(image, keys, false); }

}  // namespace provision::nvs
