#include "command_line.hpp"

#include <iostream>

namespace ckptlab {

namespace po = boost::program_options;

bool parse_command_line(const std::vector<std::string>& args, const po::options_description& options,
                        po::variables_map& vm, const Positional* positional,
                        const char* help_epilogue) {
  // The positional argument is a hidden option, so --help lists only the named ones.
  po::options_description all;
  all.add(options);
  po::positional_options_description positions;
  if (positional != nullptr) {
    po::options_description hidden;
    hidden.add_options()(positional->name, po::value(positional->value));
    all.add(hidden);
    positions.add(positional->name, 1);
  }
  po::store(po::command_line_parser(args).options(all).positional(positions).run(), vm);
  po::notify(vm);
  if (vm.count("help") == 0) return true;
  std::cout << options << "\n";
  if (help_epilogue != nullptr) std::cout << help_epilogue;
  return false;
}

}  // namespace ckptlab
