// The record fields of the CA client's results (README "The device record").
#include "provision/ca.hpp"

namespace provision::ca {

Record Registration::fields() const {
  Record out = Record::object();
  out["certificate"] = certificate;
  out["ca_cert"] = ca_cert;
  if (!device_key.empty()) out["device_key"] = device_key;
  out["expiry"] = expiry;
  out["cert_serial"] = cert_serial;
  out["cert_fingerprint"] = cert_fingerprint;
  return out;
}

Record HealthReport::fields() const {
  Record out = Record::object();
  out["ca_url"] = url;
  out["tls"] = tls;
  if (tls) out["tls_version"] = tls_version;
  out["status"] = status;
  out["health"] = body;
  out["connect_ms"] = connect_ms;
  out["round_trip_ms"] = round_trip_ms;
  return out;
}

}  // namespace provision::ca
