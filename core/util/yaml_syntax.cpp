#include "util/yaml_syntax.hpp"

#include <yaml.h>

#include <fmt/format.h>

#include "util/input_error.hpp"

namespace ckptlab {

namespace {

// Owns a libyaml parser for the length of one check (libyaml is a C API).
class Parser {
 public:
  explicit Parser(const std::string& text) {
    if (yaml_parser_initialize(&parser_) == 0) throw std::bad_alloc();
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
  }
  ~Parser() { yaml_parser_delete(&parser_); }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
  yaml_parser_t* get() { return &parser_; }

 private:
  yaml_parser_t parser_{};
};

}  // namespace

void check_yaml_syntax(const std::string& text, const std::string& origin) {
  Parser parser(text);
  for (;;) {
    yaml_event_t event;
    if (yaml_parser_parse(parser.get(), &event) == 0) {
      const yaml_parser_t& p = *parser.get();
      if (p.error == YAML_MEMORY_ERROR) throw std::bad_alloc();
      // The problem's mark is where the parser gave up (a tab, a missing ','); a context names
      // the construct it was in and where that starts. When the parser ran off the end of the
      // file (a quote or bracket never closed), the start of that construct is what to fix.
      std::string problem = p.problem != nullptr ? p.problem : "malformed document";
      yaml_mark_t mark = p.problem_mark;
      if (p.context != nullptr) {
        const bool at_end = problem == "found unexpected end of stream";
        const yaml_mark_t other = at_end ? p.problem_mark : p.context_mark;
        problem = fmt::format("{} {} {} line {}, column {}", problem, p.context,
                              at_end ? "(the file ends at" : "(it starts at", other.line + 1,
                              other.column + 1) + ")";
        if (at_end) mark = p.context_mark;
      }
      throw InputError(origin, static_cast<int>(mark.line) + 1,
                       static_cast<int>(mark.column) + 1, "",
                       fmt::format("invalid YAML: {}", problem));
    }
    const bool end = event.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&event);
    if (end) return;
  }
}

}  // namespace ckptlab
