#pragma once
// One import as the admin tool runs it, whatever the source (a usermgmt export, a Django
// database, a mongoexport file): users go to UserService::import_users in batches of one
// transaction each, with a progress line per batch, a line per conflict or rejection, and a
// closing report (docs/admin.md, docs/migrating.md).

#include "tool.hpp"

#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace usermgmt::admin {

class ImportRun {
public:
    ImportRun(const UserService& service, ImportOptions options) : service_(service), options_(options) {}

    /// Queues one user; `where` names it in messages ("line 12", "auth_user 7"). One whose id,
    /// username or email (ignoring case) an earlier one of the run had is a conflict at once.
    /// `done` learns its outcome once its batch is written (for an id mapping). A storage failure
    /// stops the run: the batch is rolled back, and the error returned by this or `finish`.
    [[nodiscard]] Result<void> add(std::string where, ImportedUser user,
                                   std::function<void(const ImportResult&)> done = {});
    /// A group the source has, members or not.
    [[nodiscard]] Result<void> add_group(const std::string& name);
    /// A line of the source that is no user: counted as rejected, said on stderr.
    void reject(const std::string& where, const std::string& why);
    /// A user of the source that clashes with an earlier one of it: counted as a conflict.
    void conflict(const std::string& where, const std::string& why);
    /// Writes what is queued.
    [[nodiscard]] Result<void> finish();
    /// The closing report on stdout; the exit code (refused when anything was not taken).
    int summary() const;

    [[nodiscard]] bool dry_run() const { return options_.dry_run; }

private:
    Result<void> flush();

    struct Queued {
        std::string where;
        std::function<void(const ImportResult&)> done;
    };
    const UserService& service_;
    ImportOptions options_;
    std::vector<ImportedUser> batch_;
    std::vector<Queued> queued_;
    std::map<ImportOutcome, std::size_t> outcomes_;
    std::map<std::string, std::size_t> formats_;
    std::size_t groups_ = 0, rejected_lines_ = 0, conflicting_lines_ = 0;
    // Users of the whole run that the database would take for one, across batches (so that a
    // dry run reports what the real run would).
    std::set<std::string> names_, emails_;
    std::set<UserId> ids_;
};

}  // namespace usermgmt::admin
