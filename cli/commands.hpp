// The subcommands of `ckptlab`. Each takes its own arguments (after the subcommand name) and
// returns the process exit status: 0 ok, 1 run failed, 2 bad input. Input errors are thrown
// (InputError, boost::program_options::error, std::invalid_argument) and mapped to 2 by main.
#pragma once

#include <string>
#include <vector>

namespace ckptlab {

int run_command(const std::vector<std::string>& args);
int models_command(const std::vector<std::string>& args);
int failures_command(const std::vector<std::string>& args);
int sweep_command(const std::vector<std::string>& args);
int report_command(const std::vector<std::string>& args);
int calibrate_command(const std::vector<std::string>& args);
int validate_command(const std::vector<std::string>& args);
int advise_command(const std::vector<std::string>& args);

}  // namespace ckptlab
