// The man page section on running espprov-ca as the packaged systemd service (packaging/espprov-ca.service).
#pragma once

#include <string>

namespace espprov_ca {

// roff, ready to append to espprov-ca(8).
std::string service_man_section();

}  // namespace espprov_ca
