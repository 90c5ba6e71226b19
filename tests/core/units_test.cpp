// Unit strings of the scenario YAML: the documented forms parse to exact SI values, everything
// else (bare numbers where a unit is required, unknown units, negatives, garbage) is rejected
// with a message that says what was expected; rounding to the nanosecond clock; display forms.
#include "util/units.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace ckptlab {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// The message of the std::invalid_argument that `parse` throws for `text`; fails the test when
// the text is accepted.
template <class Parse>
std::string rejection(Parse parse, const std::string& text) {
  try {
    parse(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  ADD_FAILURE() << "\"" << text << "\" was accepted";
  return "";
}

const auto duration = [](const std::string& t) { return parse_duration(t); };
const auto size = [](const std::string& t) { return parse_size(t); };
const auto bandwidth = [](const std::string& t) { return parse_bandwidth(t); };
const auto count = [](const std::string& t) { return parse_count(t); };

TEST(ParseDuration, AcceptsEveryDocumentedUnit) {
  EXPECT_DOUBLE_EQ(parse_duration("250ms").value, 0.25);
  EXPECT_DOUBLE_EQ(parse_duration("30 s").value, 30.0);
  EXPECT_DOUBLE_EQ(parse_duration("30m").value, 1800.0);
  EXPECT_DOUBLE_EQ(parse_duration("30min").value, 1800.0);
  EXPECT_DOUBLE_EQ(parse_duration("1.5h").value, 5400.0);
  EXPECT_DOUBLE_EQ(parse_duration("7d").value, 7 * 86400.0);
  EXPECT_DOUBLE_EQ(parse_duration("2w").value, 14 * 86400.0);
  EXPECT_DOUBLE_EQ(parse_duration("1y").value, 365 * 86400.0);
  EXPECT_DOUBLE_EQ(parse_duration("5ns").value, 5e-9);
  EXPECT_DOUBLE_EQ(parse_duration("40us").value, 40e-6);
}

TEST(ParseDuration, IgnoresSurroundingAndInnerWhitespace) {
  EXPECT_DOUBLE_EQ(parse_duration("  10   m  ").value, 600.0);
  EXPECT_DOUBLE_EQ(parse_duration("0s").value, 0.0);
}

TEST(ParseDuration, RejectsABareNumberAndSaysAUnitIsNeeded) {
  EXPECT_THAT(rejection(duration, "30"), AllOf(HasSubstr("expected a duration with a unit"),
                                               HasSubstr("\"30\""), HasSubstr("30m")));
  EXPECT_THAT(rejection(duration, "1.5"), HasSubstr("bare number"));
}

TEST(ParseDuration, RejectsUnknownUnitsNamingTheUnit) {
  EXPECT_THAT(rejection(duration, "30 parsecs"),
              AllOf(HasSubstr("unknown unit \"parsecs\""), HasSubstr("expected a duration")));
  // Units are case-sensitive: "M" is not minutes, "S" is not seconds.
  EXPECT_THAT(rejection(duration, "30M"), HasSubstr("unknown unit \"M\""));
  EXPECT_THAT(rejection(duration, "10 S"), HasSubstr("unknown unit \"S\""));
  // A size where a duration is expected.
  EXPECT_THAT(rejection(duration, "80 GB"), HasSubstr("unknown unit \"GB\""));
}

TEST(ParseDuration, RejectsNegativeValues) {
  EXPECT_THAT(rejection(duration, "-5m"), HasSubstr("negative"));
  EXPECT_THAT(rejection(duration, "-0.001s"), HasSubstr("negative"));
}

TEST(ParseDuration, RejectsGarbageSayingADurationWasExpected) {
  for (const char* text : {"abc", "", "   ", "m30", "five minutes"}) {
    EXPECT_THAT(rejection(duration, text), HasSubstr("expected a duration")) << text;
  }
  EXPECT_THAT(rejection(duration, "inf s"), HasSubstr("finite"));
  EXPECT_THAT(rejection(duration, "nan s"), HasSubstr("finite"));
}

TEST(ParseDuration, RejectsDurationsBeyondAThousandYears) {
  EXPECT_THAT(rejection(duration, "1001y"), HasSubstr("exceeds 1000 years"));
  EXPECT_DOUBLE_EQ(parse_duration("1000y").value, 1000 * 365 * 86400.0);
}

TEST(ParseSize, AcceptsSiAndIecUnitsExactly) {
  EXPECT_EQ(parse_size("1.2 TB").value, 1'200'000'000'000);
  EXPECT_EQ(parse_size("80GB").value, 80'000'000'000);
  EXPECT_EQ(parse_size("512 MiB").value, 512LL * 1024 * 1024);
  EXPECT_EQ(parse_size("4096 B").value, 4096);
  EXPECT_EQ(parse_size("1.5 KiB").value, 1536);
  EXPECT_EQ(parse_size("3 kB").value, 3000);
  EXPECT_EQ(parse_size("2 GiB").value, 2LL * 1024 * 1024 * 1024);
  EXPECT_EQ(parse_size("1 TiB").value, 1LL << 40);
  EXPECT_EQ(parse_size("2 PB").value, 2'000'000'000'000'000);
}

// The header documents IEC units "KiB..PiB".
TEST(ParseSize, AcceptsPebibytesAsDocumented) {
  EXPECT_NO_THROW(parse_size("1 PiB"));
  EXPECT_EQ(parse_size("1 PiB").value, 1LL << 50);
}

TEST(ParseSize, RejectsABareNumber) {
  EXPECT_THAT(rejection(size, "4096"),
              AllOf(HasSubstr("expected a size with a unit"), HasSubstr("80 GB")));
}

TEST(ParseSize, RejectsUnknownUnitsNegativesAndGarbage) {
  EXPECT_THAT(rejection(size, "12 GBytes"),
              AllOf(HasSubstr("unknown unit \"GBytes\""), HasSubstr("expected a size")));
  EXPECT_THAT(rejection(size, "25 GB/s"), HasSubstr("unknown unit \"GB/s\""));
  EXPECT_THAT(rejection(size, "-1 GB"), HasSubstr("negative"));
  EXPECT_THAT(rejection(size, "lots"), HasSubstr("expected a size"));
  EXPECT_THAT(rejection(size, "10 EB"), HasSubstr("unknown unit"));
}

TEST(ParseSize, RejectsSizesThatOverflowSixtyFourBits) {
  EXPECT_THAT(rejection(size, "10000 PB"), HasSubstr("too large"));
}

TEST(ParseBandwidth, DistinguishesBitsFromBytes) {
  EXPECT_DOUBLE_EQ(parse_bandwidth("400 Gb/s").value, 50e9);
  EXPECT_DOUBLE_EQ(parse_bandwidth("400 Gbps").value, 50e9);
  EXPECT_DOUBLE_EQ(parse_bandwidth("25 GB/s").value, 25e9);
  EXPECT_DOUBLE_EQ(parse_bandwidth("900 MiB/s").value, 900.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(parse_bandwidth("2 TB/s").value, 2e12);
  EXPECT_DOUBLE_EQ(parse_bandwidth("100 Mb/s").value, 12.5e6);
  EXPECT_DOUBLE_EQ(parse_bandwidth("52.8 GB/s").value, 52.8e9);
}

TEST(ParseBandwidth, RejectsBareNumbersUnknownUnitsAndNonPositiveRates) {
  EXPECT_THAT(rejection(bandwidth, "400"),
              AllOf(HasSubstr("expected a bandwidth with a unit"), HasSubstr("400 Gb/s")));
  EXPECT_THAT(rejection(bandwidth, "25 GB"),
              AllOf(HasSubstr("unknown unit \"GB\""), HasSubstr("expected a bandwidth")));
  EXPECT_THAT(rejection(bandwidth, "-25 GB/s"), HasSubstr("must be positive"));
  EXPECT_THAT(rejection(bandwidth, "0 GB/s"), HasSubstr("must be positive"));
  EXPECT_THAT(rejection(bandwidth, "fast"), HasSubstr("expected a bandwidth"));
}

TEST(ParseCount, AcceptsPlainIntegersAndSuffixes) {
  EXPECT_EQ(parse_count("4096"), 4096);
  EXPECT_EQ(parse_count("16M"), 16'000'000);
  EXPECT_EQ(parse_count("1.5k"), 1500);
  EXPECT_EQ(parse_count("2G"), 2'000'000'000);
  EXPECT_EQ(parse_count("671B"), 671'000'000'000);
  EXPECT_EQ(parse_count("989T"), 989'000'000'000'000);
  EXPECT_EQ(parse_count("62914560"), 62'914'560);
  EXPECT_EQ(parse_count("4 Ki"), 4096);
}

TEST(ParseCount, RejectsFractionsNegativesUnknownSuffixesAndGarbage) {
  EXPECT_THAT(rejection(count, "1.5"), HasSubstr("not a whole number"));
  EXPECT_THAT(rejection(count, "-3"), HasSubstr("negative"));
  EXPECT_THAT(rejection(count, "16X"),
              AllOf(HasSubstr("unknown unit \"X\""), HasSubstr("expected a count")));
  EXPECT_THAT(rejection(count, "many"), HasSubstr("expected a count"));
  EXPECT_THAT(rejection(count, "1e19"), HasSubstr("too large"));
}

TEST(ToNanos, RoundsToTheNearestNanosecond) {
  EXPECT_EQ(to_nanos(Seconds{1.5}), 1'500'000'000);
  EXPECT_EQ(to_nanos(Seconds{0.4e-9}), 0);
  EXPECT_EQ(to_nanos(Seconds{0.6e-9}), 1);
  EXPECT_EQ(to_nanos(Seconds{1.4e-9}), 1);
  EXPECT_EQ(to_nanos(Seconds{1.6e-9}), 2);
  EXPECT_EQ(to_nanos(Seconds{-1.6e-9}), -2);
  EXPECT_EQ(to_nanos(Seconds{7 * 86400.0}), 604'800 * kNanosPerSecond);
  // 0.1 s is not exactly representable; rounding (not truncation) still gives 100 ms.
  EXPECT_EQ(to_nanos(Seconds{0.1}), 100'000'000);
  EXPECT_EQ(to_nanos(Seconds{4.374138481582205}), 4'374'138'482);
}

TEST(ToSeconds, InvertsToNanosForWholeNanoseconds) {
  EXPECT_DOUBLE_EQ(to_seconds(1'500'000'000).value, 1.5);
  EXPECT_EQ(to_nanos(to_seconds(123'456'789'012)), 123'456'789'012);
}

TEST(TransferTime, IsBytesOverRate) {
  EXPECT_DOUBLE_EQ(transfer_time(Bytes{100'000'000'000}, BytesPerSecond{25e9}).value, 4.0);
  EXPECT_DOUBLE_EQ(transfer_time(Bytes{0}, BytesPerSecond{1e9}).value, 0.0);
}

TEST(FormatSize, UsesSiPrefixesWithTwoDecimals) {
  EXPECT_EQ(format_size(Bytes{512}), "512 B");
  EXPECT_EQ(format_size(Bytes{0}), "0 B");
  EXPECT_EQ(format_size(Bytes{1'130'000'000'000}), "1.13 TB");
  EXPECT_EQ(format_size(Bytes{80'000'000'000}), "80.00 GB");
  EXPECT_EQ(format_size(Bytes{1500}), "1.50 kB");
  EXPECT_EQ(format_size(Bytes{9'390'000'000'000'000}), "9.39 PB");
  // Beyond PB the largest prefix is kept.
  EXPECT_EQ(format_size(Bytes{2'000'000'000'000'000'000}), "2000.00 PB");
}

TEST(FormatBandwidth, UsesBytesPerSecondWithOneDecimal) {
  EXPECT_EQ(format_bandwidth(BytesPerSecond{52.8e9}), "52.8 GB/s");
  EXPECT_EQ(format_bandwidth(BytesPerSecond{50e9}), "50.0 GB/s");
  EXPECT_EQ(format_bandwidth(BytesPerSecond{2e12}), "2.0 TB/s");
  EXPECT_EQ(format_bandwidth(BytesPerSecond{999}), "999.0 B/s");
}

TEST(FormatDuration, PicksAUnitByMagnitude) {
  EXPECT_EQ(format_duration(Seconds{250e-6}), "250.0 us");
  EXPECT_EQ(format_duration(Seconds{0.25}), "250.0 ms");
  EXPECT_EQ(format_duration(Seconds{8.75}), "8.75 s");
  EXPECT_EQ(format_duration(Seconds{1800}), "30.0 min");
  EXPECT_EQ(format_duration(Seconds{5400}), "90.0 min");
  EXPECT_EQ(format_duration(Seconds{9000}), "2.50 h");
  EXPECT_EQ(format_duration(Seconds{7 * 86400.0}), "7.00 d");
}

TEST(FormatCount, UsesThousandsPrefixes) {
  EXPECT_EQ(format_count(670.96e9), "670.96 B");
  EXPECT_EQ(format_count(323.3e6), "323.3 M");
  EXPECT_EQ(format_count(1.5e12), "1.50 T");
  EXPECT_EQ(format_count(4096), "4.1 k");
  EXPECT_EQ(format_count(42), "42");
}

TEST(FormatAndParse, SizeRoundTripsToTheDisplayedPrecision) {
  const Bytes b = parse_size(format_size(Bytes{1'130'000'000'000}));
  EXPECT_EQ(b.value, 1'130'000'000'000);
}

}  // namespace
}  // namespace ckptlab
