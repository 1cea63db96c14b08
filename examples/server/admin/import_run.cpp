#include "import_run.hpp"

#include <iostream>

namespace usermgmt::admin {
namespace {

constexpr std::size_t batch_size = 500;

std::string lower(std::string text)
{
    for (char& c : text)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return text;
}

}  // namespace

Result<void> ImportRun::add(std::string where, ImportedUser user, std::function<void(const ImportResult&)> done)
{
    const User& u = user.user;
    const bool repeated = (!u.username.empty() && !names_.insert(lower(u.username)).second) ||
                          !emails_.insert(lower(u.email)).second || (u.id != 0 && !ids_.insert(u.id).second);
    if (repeated) {
        conflict(where, (u.username.empty() ? "<" + u.email + ">" : "user " + u.username + " <" + u.email + ">") +
                            ": an earlier one has the same id, or a username or email differing at most in case");
        return {};
    }
    batch_.push_back(std::move(user));
    queued_.push_back({std::move(where), std::move(done)});
    if (batch_.size() >= batch_size) return flush();
    return {};
}

Result<void> ImportRun::add_group(const std::string& name)
{
    ++groups_;
    if (options_.dry_run) return {};
    auto made = service_.create_group(operator_principal(), name);
    if (!made && made.error().code == Errc::already_exists) return {};
    if (!made && made.error().code == Errc::invalid_argument) {
        reject("group " + name, "not a usable group name");
        --groups_;
        return {};
    }
    return made;
}

void ImportRun::reject(const std::string& where, const std::string& why)
{
    ++rejected_lines_;
    std::cerr << where << ": " << why << "\n";
}

void ImportRun::conflict(const std::string& where, const std::string& why)
{
    ++conflicting_lines_;
    std::cerr << where << ": conflict: " << why << "\n";
}

Result<void> ImportRun::flush()
{
    if (batch_.empty()) return {};
    auto results = service_.import_users(operator_principal(), batch_, options_);
    const std::string first = queued_.front().where, last = queued_.back().where;
    if (!results) {
        Error e = std::move(results).error();
        e.message = first + " to " + last + " rolled back: " + e.message;
        return e;
    }
    for (std::size_t i = 0; i < results->size(); ++i) {
        const ImportResult& r = (*results)[i];
        ++outcomes_[r.outcome];
        if (r.outcome != ImportOutcome::rejected && r.outcome != ImportOutcome::conflict) ++formats_[r.hash_format];
        if (r.outcome == ImportOutcome::rejected || r.outcome == ImportOutcome::conflict)
            std::cerr << queued_[i].where << ": " << (r.outcome == ImportOutcome::conflict ? "conflict: " : "")
                      << r.detail << "\n";
        if (queued_[i].done) queued_[i].done(r);
    }
    batch_.clear();
    queued_.clear();
    const auto count = [&](ImportOutcome o) { return outcomes_.count(o) ? outcomes_.at(o) : 0; };
    std::cerr << (options_.dry_run ? "checked" : "imported") << " through " << last << ": "
              << count(ImportOutcome::imported) << " new, " << count(ImportOutcome::updated) << " updated, "
              << count(ImportOutcome::present) << " already present\n";
    return {};
}

Result<void> ImportRun::finish() { return flush(); }

int ImportRun::summary() const
{
    const auto count = [&](ImportOutcome o) { return outcomes_.count(o) ? outcomes_.at(o) : 0; };
    std::cout << (options_.dry_run ? "dry run: " : "") << count(ImportOutcome::imported) << " imported, "
              << count(ImportOutcome::updated) << " updated, " << count(ImportOutcome::present) << " already present, "
              << groups_ << " groups, " << count(ImportOutcome::conflict) + conflicting_lines_ << " conflicts, "
              << count(ImportOutcome::rejected) + rejected_lines_ << " rejected\n";
    // Which password formats came in: the foreign ones are replaced at each user's first login.
    if (!formats_.empty()) {
        std::cout << "password hashes:";
        for (const auto& [format, n] : formats_) std::cout << " " << format << " " << n;
        std::cout << "\n";
    }
    const std::size_t refused =
        count(ImportOutcome::conflict) + conflicting_lines_ + count(ImportOutcome::rejected) + rejected_lines_;
    return refused == 0 ? exit_ok : exit_refused;
}

}  // namespace usermgmt::admin
