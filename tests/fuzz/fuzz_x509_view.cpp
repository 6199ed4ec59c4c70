// libFuzzer target: the strict DER reader, PEM unwrapping and the certificate and CSR views of lib/ca over
// arbitrary bytes. Any input ends in a view or nullopt; never a crash, a read past the input or a hang. A view,
// when there is one, points inside the input.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ca/der.hpp"
#include "ca/x509_view.hpp"

namespace {

bool inside(std::span<const std::uint8_t> part, std::span<const std::uint8_t> all) {
  return part.empty() || (part.data() >= all.data() && part.data() + part.size() <= all.data() + all.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace x509 = provision::ca::x509;
  namespace der = provision::ca::der;
  const std::span<const std::uint8_t> all(data, size);
  if (auto view = x509::view_certificate(all)) {
    if (!inside(view->tbs, all) || !inside(view->signature, all) || !inside(view->key.key, all) ||
        view->not_before > view->not_after + (std::int64_t{1} << 40)) {
      __builtin_trap();
    }
  }
  if (auto view = x509::view_csr(all)) {
    if (!inside(view->info, all) || !inside(view->key.whole, all)) __builtin_trap();
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto bytes = der::pem_decode(text, "CERTIFICATE")) (void)x509::view_certificate(*bytes);
  if (size > 1) (void)x509::parse_time(data[0], all.subspan(1));
  return 0;
}
