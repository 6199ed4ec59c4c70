// The plan of one board's run: the same decisions as DeviceRun::run_full / run_wifi_only / configure_and_verify
// (provision_device.cpp), made from the options alone, so --dry-run can say what a run would do.
#include "provision/workflow_plan.hpp"

namespace provision::workflow {

std::vector<std::string> planned_steps(const ProvisionOptions& options) {
  std::vector<std::string> steps;
  if (options.wifi_only) {
    steps = {"connect", "mac"};
  } else {
    steps = {"connect", "chip", "mac", "identity"};
    if (options.ca) steps.push_back("ca-register");
    steps.insert(steps.end(), {"nvs-build", "flash", "boot"});
  }
  if (options.wifi) steps.push_back("wifi");
  steps.push_back("verify");
  if (options.mqtt) steps.push_back("connectivity");
  if (options.ca && options.register_pop && !options.wifi_only) steps.push_back("pop-register");
  return steps;
}

}  // namespace provision::workflow
