#pragma once
// The argument parsing every subcommand shares: its named options plus (for most) one positional
// argument, `--help` printing the options. Errors (unknown option, bad value) are Boost's
// exceptions, which main() reports as usage errors (exit 2).

#include <boost/program_options.hpp>

#include <string>
#include <vector>

namespace ckptlab {

struct Positional {
  const char* name;    // for the error message, e.g. "scenario"
  std::string* value;  // receives the argument; left as is when absent
};

// Parses `args` into `vm` (and the variables bound in `options`). Returns false when --help was
// given: `options` (then `help_epilogue`, if any) has been printed and the command should exit 0.
bool parse_command_line(const std::vector<std::string>& args,
                        const boost::program_options::options_description& options,
                        boost::program_options::variables_map& vm,
                        const Positional* positional = nullptr,
                        const char* help_epilogue = nullptr);

}  // namespace ckptlab
