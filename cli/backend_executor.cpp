#include "backend_executor.hpp"

#include <stdexcept>

#include "exec/analytic_executor.hpp"
#ifdef CKPTLAB_HAVE_SIM
#include "sim/simgrid_executor.hpp"
#endif

namespace ckptlab {

void require_backend_built(const std::string& backend, const std::string& what) {
#ifndef CKPTLAB_HAVE_SIM
  if (backend == "sim") {
    throw std::invalid_argument(
        what + ": this ckptlab was built without SimGrid (-DCKPTLAB_WITH_SIM=OFF or no "
               "libsimgrid-dev); use --backend analytic");
  }
#else
  (void)backend;
  (void)what;
#endif
}

std::unique_ptr<Executor> make_backend_executor(const std::string& backend, const Scenario& s) {
  require_backend_built(backend, "backend " + backend);
#ifdef CKPTLAB_HAVE_SIM
  if (backend == "sim") return std::make_unique<sim::SimGridExecutor>(s.cluster, s.hardware);
#endif
  return std::make_unique<AnalyticExecutor>(s.cluster, s.hardware);
}

}  // namespace ckptlab
