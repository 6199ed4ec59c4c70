#include "provision/ledger_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <set>

namespace provision {
namespace {

std::string text_of(const Record& r, const char* name) {
  return r.contains(name) && r[name].is_string() ? r[name].get<std::string>() : "";
}

// "2026-12-01T10:11:18.123Z" -> seconds since the epoch (UTC).
double seconds_of(const std::string& at) {
  std::tm tm{};
  if (at.size() < 19 || std::sscanf(at.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  double seconds = static_cast<double>(timegm(&tm));
  if (at.size() > 20 && at[19] == '.') seconds += std::atof(("0" + at.substr(19, at.find('Z') - 19)).c_str());
  return seconds;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string escape_html(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

struct Bar {
  std::string label;
  double value;
};

// A horizontal bar chart as inline SVG: one row per bar, the value written at its end.
std::string svg_bars(const std::vector<Bar>& bars, const std::string& unit) {
  if (bars.empty()) return "<p>none</p>\n";
  constexpr int kRow = 22, kLabel = 220, kWidth = 420;
  double top = 0;
  for (const auto& bar : bars) top = std::max(top, bar.value);
  if (top <= 0) top = 1;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n",
      kLabel + kWidth + 90, kRow * static_cast<int>(bars.size()) + 4);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const int y = static_cast<int>(i) * kRow;
    const int width = std::max(1, static_cast<int>(bars[i].value / top * kWidth));
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", kLabel - 6, y + 15,
                       escape_html(bars[i].label));
    svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#3b73b9\"/>", kLabel, y + 3, width,
                       kRow - 6);
    svg += fmt::format("<text x=\"{}\" y=\"{}\">{:g}{}</text>\n", kLabel + width + 6, y + 15, bars[i].value, unit);
  }
  return svg + "</svg>\n";
}

}  // namespace

Record ledger_report(const std::vector<Record>& events, const std::string& since) {
  struct Device {
    int runs = 0;
    bool failed_in_first_run = false;
    bool verified_in_first_run = false;
    bool verified = false;
    double last_at = 0;
  };
  std::map<std::string, Device> devices;
  std::map<std::pair<std::string, std::string>, int> per_hour;  // (hour, station)
  std::map<std::pair<std::string, std::string>, int> failures;  // (step, error code)
  std::map<std::string, std::vector<double>> step_seconds;
  for (const auto& event : events) {
    const std::string mac = text_of(event, "mac"), step = text_of(event, "step"), state = text_of(event, "state");
    const double at = seconds_of(text_of(event, "at"));
    auto& device = devices[mac];
    if (step == "begin") {
      ++device.runs;
    } else if (state == "done") {
      if (device.last_at > 0) step_seconds[step].push_back(at - device.last_at);
      if (step == "verified") {
        device.verified = true;
        if (device.runs == 1 && !device.failed_in_first_run) device.verified_in_first_run = true;
        const std::string when = text_of(event, "at");
        per_hour[{when.substr(0, 13) + ":00Z", text_of(event, "station")}]++;
      }
    } else if (state == "failed") {
      if (device.runs <= 1) device.failed_in_first_run = true;
      failures[{step, text_of(event, "error_code")}]++;
    }
    device.last_at = at;
  }
  int started = 0, verified = 0, first_pass = 0;
  for (const auto& [mac, device] : devices) {
    if (device.runs == 0) continue;  // began before the window
    ++started;
    verified += device.verified;
    first_pass += device.verified_in_first_run;
  }
  Record report = Record::object();
  report["since"] = since;
  report["boards_started"] = started;
  report["boards_verified"] = verified;
  report["first_pass"] = first_pass;
  report["first_pass_yield"] = started ? static_cast<double>(first_pass) / started : 0.0;
  report["boards_per_hour"] = Record::array();
  for (const auto& [key, boards] : per_hour) {
    report["boards_per_hour"].push_back({{"hour", key.first}, {"station", key.second}, {"boards", boards}});
  }
  report["failures"] = Record::array();
  for (const auto& [key, count] : failures) {
    report["failures"].push_back({{"step", key.first}, {"error_code", key.second}, {"count", count}});
  }
  report["median_step_seconds"] = Record::array();
  for (const auto& [step, seconds] : step_seconds) {
    const double value = std::round(median(seconds) * 1000) / 1000;
    report["median_step_seconds"].push_back(
        {{"step", step}, {"seconds", value}, {"samples", static_cast<int>(seconds.size())}});
  }
  return report;
}

std::string report_text(const Record& report) {
  std::string out = fmt::format("since {}: {} boards started, {} verified, first-pass yield {:.1f}% ({} boards)\n",
                                report["since"].get<std::string>(), report["boards_started"].get<int>(),
                                report["boards_verified"].get<int>(), report["first_pass_yield"].get<double>() * 100,
                                report["first_pass"].get<int>());
  out += "boards per hour per station:\n";
  for (const auto& row : report["boards_per_hour"]) {
    out += fmt::format("  {}  {:<20} {}\n", row["hour"].get<std::string>(), row["station"].get<std::string>(),
                       row["boards"].get<int>());
  }
  out += "failures by step and error code:\n";
  for (const auto& row : report["failures"]) {
    out += fmt::format("  {:<14} {:<22} {}\n", row["step"].get<std::string>(), row["error_code"].get<std::string>(),
                       row["count"].get<int>());
  }
  out += "median time per step:\n";
  for (const auto& row : report["median_step_seconds"]) {
    out += fmt::format("  {:<14} {:.3f} s ({} samples)\n", row["step"].get<std::string>(), row["seconds"].get<double>(),
                       row["samples"].get<int>());
  }
  return out;
}

std::string report_csv(const Record& report) {
  std::string out = "figure,hour,station,step,error_code,value\n";
  out += fmt::format("boards_started,,,,,{}\n", report["boards_started"].get<int>());
  out += fmt::format("boards_verified,,,,,{}\n", report["boards_verified"].get<int>());
  out += fmt::format("first_pass_yield,,,,,{:.4f}\n", report["first_pass_yield"].get<double>());
  for (const auto& row : report["boards_per_hour"]) {
    out += fmt::format("boards_per_hour,{},{},,,{}\n", row["hour"].get<std::string>(),
                       csv_cell(row["station"].get<std::string>()), row["boards"].get<int>());
  }
  for (const auto& row : report["failures"]) {
    out += fmt::format("failures,,,{},{},{}\n", csv_cell(row["step"].get<std::string>()),
                       csv_cell(row["error_code"].get<std::string>()), row["count"].get<int>());
  }
  for (const auto& row : report["median_step_seconds"]) {
    out += fmt::format("median_step_seconds,,,{},,{:.3f}\n", csv_cell(row["step"].get<std::string>()),
                       row["seconds"].get<double>());
  }
  return out;
}

std::string report_html(const Record& report) {
  std::vector<Bar> hours, failures, steps;
  for (const auto& row : report["boards_per_hour"]) {
    hours.push_back({row["hour"].get<std::string>().substr(0, 16) + " " + row["station"].get<std::string>(),
                     static_cast<double>(row["boards"].get<int>())});
  }
  for (const auto& row : report["failures"]) {
    failures.push_back({row["step"].get<std::string>() + " / " + row["error_code"].get<std::string>(),
                        static_cast<double>(row["count"].get<int>())});
  }
  for (const auto& row : report["median_step_seconds"]) {
    steps.push_back({row["step"].get<std::string>(), row["seconds"].get<double>()});
  }
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>espprov ledger report</title>\n"
      "<style>body{font-family:sans-serif;margin:2em;color:#222}h2{margin-top:1.6em}"
      ".big{font-size:1.4em}</style></head><body>\n";
  html += fmt::format("<h1>Provisioning since {}</h1>\n", escape_html(report["since"].get<std::string>()));
  html +=
      fmt::format("<p class=\"big\">{} boards started, {} verified; first-pass yield <b>{:.1f}%</b> ({} boards)</p>\n",
                  report["boards_started"].get<int>(), report["boards_verified"].get<int>(),
                  report["first_pass_yield"].get<double>() * 100, report["first_pass"].get<int>());
  html += "<h2>Boards per hour per station</h2>\n" + svg_bars(hours, "");
  html += "<h2>Failures by step and error code</h2>\n" + svg_bars(failures, "");
  html += "<h2>Median time per step</h2>\n" + svg_bars(steps, " s");
  return html + "</body></html>\n";
}

}  // namespace provision
