#pragma once
// A /metrics page as the real Prometheus parser reads it (tests/support/parse_metrics.py on
// Debian's python3-prometheus-client): a test asks for samples by name and labels.

#include "child_process.hpp"
#include "temp_dir.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#ifndef USERMGMT_PARSE_METRICS_SCRIPT
#error "USERMGMT_PARSE_METRICS_SCRIPT names tests/support/parse_metrics.py"
#endif

namespace usermgmt::test {

class MetricsPage {
public:
    struct Sample {
        std::string family, type, name;
        std::map<std::string, std::string> labels;
        double value = 0;
    };

    /// Parses `text`; fails the test when the parser refuses it.
    MetricsPage(const TempDir& dir, const std::string& text)
    {
        static int pages = 0;
        const std::string base = (dir / ("metrics-" + std::to_string(++pages))).string();
        {
            std::ofstream out(base + ".txt");
            out << text;
        }
        ChildProcess parser({"/usr/bin/python3", USERMGMT_PARSE_METRICS_SCRIPT, base + ".txt"}, {},
                            ChildProcess::Streams{"", base + ".json", base + ".err"});
        const int code = parser.wait();
        std::ifstream err(base + ".err");
        std::stringstream why;
        why << err.rdbuf();
        INFO(why.str());
        REQUIRE(code == 0);
        std::stringstream lines(parser.log());
        for (std::string line; std::getline(lines, line);) {
            const auto parsed = boost::json::parse(line).as_object();
            Sample s;
            s.family = parsed.at("family").as_string();
            s.type = parsed.at("type").as_string();
            s.name = parsed.at("name").as_string();
            for (const auto& [k, v] : parsed.at("labels").as_object()) s.labels[std::string(k)] = v.as_string();
            s.value = parsed.at("value").to_number<double>();
            samples_.push_back(std::move(s));
        }
    }

    /// The value of the sample `name` whose labels include `labels`; nullopt when there is none.
    std::optional<double> value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const
    {
        for (const auto& s : samples_) {
            if (s.name != name) continue;
            bool all = true;
            for (const auto& [k, v] : labels) {
                const auto it = s.labels.find(k);
                all = all && it != s.labels.end() && it->second == v;
            }
            if (all) return s.value;
        }
        return std::nullopt;
    }
    /// The type the parser gave the family of `name` ("counter", "gauge", "histogram").
    std::string type_of(const std::string& name) const
    {
        for (const auto& s : samples_)
            if (s.name == name) return s.type;
        return {};
    }
    const std::vector<Sample>& samples() const { return samples_; }

private:
    std::vector<Sample> samples_;
};

}  // namespace usermgmt::test
