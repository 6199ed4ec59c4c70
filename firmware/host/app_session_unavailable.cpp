// Built instead of app/ when the firmware core is not part of the build: app mode prints a notice.
#include "app_session.hpp"

namespace sim {

std::unique_ptr<AppSession> start_app_session(AppEnvironment environment, Clock::time_point) {
  environment.console_write("espprov-sim: this build has no firmware core; app mode is not available\r\n");
  return nullptr;
}

}  // namespace sim
