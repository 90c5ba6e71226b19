#pragma once
// The leading comma-separated fields of a line of a CSV trace (failure traces, routing traces),
// with the column each starts at so that an InputError can point at it.

#include <cstddef>
#include <string_view>

namespace ckptlab {

struct CsvField {
  std::string_view text;
  int column = 1;  // 1-based character column of the field's start
};

// Splits off the first N comma-separated fields of `line` into `fields`; anything after the Nth
// comma is left alone (extra columns the caller may read another way). The first N columns of
// these formats never need quotes. Returns how many fields were found (at most N).
template <std::size_t N>
int split_leading_fields(std::string_view line, CsvField (&fields)[N]) {
  int count = 0;
  std::size_t start = 0;
  while (static_cast<std::size_t>(count) < N) {
    const std::size_t comma = line.find(',', start);
    const std::size_t end = comma == std::string_view::npos ? line.size() : comma;
    fields[count++] = {line.substr(start, end - start), static_cast<int>(start) + 1};
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return count;
}

}  // namespace ckptlab
