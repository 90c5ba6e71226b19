#pragma once
// A strict YAML syntax check run before yaml-cpp builds the document tree.
//
// yaml-cpp 0.7 (Debian bookworm) accepts some malformed documents: a double-quoted scalar left
// open at the end of a file is read as if it were closed, and one left open earlier swallows the
// rest of the file into a single string. libyaml (the parser behind PyYAML) rejects both, with
// the position of the problem, so every document goes through its parser first.

#include <string>

namespace ckptlab {

// Throws InputError(origin, line, column, "", "invalid YAML: <libyaml's problem>") when libyaml
// rejects `text`; returns silently otherwise.
void check_yaml_syntax(const std::string& text, const std::string& origin);

}  // namespace ckptlab
