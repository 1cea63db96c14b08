// usermgmt-admin groups ... and mail ...: the service's group and mail-queue calls.
#include "commands.hpp"
#include "user_json.hpp"

#include <algorithm>
#include <iostream>

namespace usermgmt::admin {
namespace {

// Adds or removes one group of a user's (the core replaces the whole list).
int change_membership(const UserService& service, const std::string& ref, const std::string& group, bool add)
{
    auto user = find_user(service, ref);
    if (!user) return report(user.error());
    if (add) {
        // The core makes a group it is given; an operator's typo should not.
        auto known = service.list_groups(operator_principal());
        if (!known) return report(known.error());
        if (std::find(known->begin(), known->end(), group) == known->end())
            return report(fail(Errc::not_found, "no group named " + group + " (groups create " + group + " makes one)"));
    }
    std::vector<std::string> groups = user->groups;
    const auto at = std::find(groups.begin(), groups.end(), group);
    if (!add && at == groups.end()) return report(fail(Errc::not_found, user->username + " is not in " + group));
    if (add && at == groups.end()) groups.push_back(group);
    if (!add) groups.erase(at);
    UserPatch patch;
    patch.groups = std::move(groups);
    auto changed = service.update_user(operator_principal(), user->id, patch);
    if (!changed) return report(changed.error());
    std::cout << (add ? "added: " : "removed: ") << changed->username << (add ? " to " : " from ") << group << "\n";
    return exit_ok;
}

}  // namespace

int groups_command(Tool& tool, const Words& words)
{
    if (words.empty()) return usage_error("groups needs a command: list, create, delete, add, remove");
    const std::string& what = words[0];
    std::size_t positional = 0;
    if (what == "list") positional = 0;
    else if (what == "create" || what == "delete") positional = 1;
    else if (what == "add" || what == "remove") positional = 2;
    else return usage_error("unknown command: groups " + what);
    auto args = parse_args(Words(words.begin() + 1, words.end()), {"--json"}, {}, positional);
    if (!args) return usage_error("groups " + what + ": " + args.error().message);
    auto service = tool.service();
    if (!service) return report(service.error());
    const UserService& s = **service;
    const Principal who = operator_principal();

    if (what == "list") {
        auto groups = s.list_groups(who);
        if (!groups) return report(groups.error());
        if (args->has("--json")) {
            boost::json::array names;
            for (const auto& g : *groups) names.emplace_back(g);
            std::cout << boost::json::serialize(names) << "\n";
        } else {
            for (const auto& g : *groups) std::cout << g << "\n";
        }
        return exit_ok;
    }
    const std::string& first = args->positional[0];
    if (what == "create" || what == "delete") {
        auto done = what == "create" ? s.create_group(who, first) : s.delete_group(who, first);
        if (!done) return report(done.error());
        std::cout << (what == "create" ? "created: " : "deleted: ") << first << "\n";
        return exit_ok;
    }
    return change_membership(s, first, args->positional[1], what == "add");
}

int mail_command(Tool& tool, const Words& words)
{
    if (words.empty()) return usage_error("mail needs a command: counts, list, retry");
    const std::string& what = words[0];
    const Words rest(words.begin() + 1, words.end());
    Result<Args> args = what == "retry"  ? parse_args(rest, {}, {}, 1)
                        : what == "list" ? parse_args(rest, {"--json"}, {"--state", "--limit"}, 0)
                        : what == "counts" ? parse_args(rest, {"--json"}, {}, 0)
                                           : fail(Errc::bad_config, "unknown command");
    if (!args) return usage_error("mail " + what + ": " + args.error().message);
    auto service = tool.service();
    if (!service) return report(service.error());
    const UserService& s = **service;

    if (what == "counts") {
        auto counts = s.mail_queue_counts();
        if (!counts) return report(counts.error());
        if (args->has("--json"))
            std::cout << boost::json::serialize(boost::json::object{
                             {"queued", counts->queued}, {"sending", counts->sending}, {"dead", counts->dead}})
                      << "\n";
        else
            std::cout << "queued: " << counts->queued << " (sending: " << counts->sending << ")\ndead: " << counts->dead
                      << "\n";
        return exit_ok;
    }
    if (what == "list") {
        const std::string state = args->value("--state").value_or("dead");
        if (state != "dead" && state != "queued") return usage_error("mail list --state must be queued or dead");
        std::int64_t limit = 100;
        if (auto text = args->value("--limit")) {
            auto number = parse_count(*text);
            if (!number || *number == 0) return usage_error("--limit must be a positive whole number");
            limit = *number;
        }
        auto mails = s.list_mail(state == "dead" ? MailState::dead : MailState::queued, static_cast<std::size_t>(limit));
        if (!mails) return report(mails.error());
        for (const auto& m : *mails) {
            if (args->has("--json")) {
                std::cout << boost::json::serialize(mail_json(m)) << "\n";
                continue;
            }
            std::cout << m.id << "\t" << to_string(m.kind) << "\t" << m.message.to << "\tattempts " << m.attempts
                      << "\t" << time_text(m.created_at) << (m.last_error.empty() ? "" : "\t" + m.last_error) << "\n";
        }
        return exit_ok;
    }
    auto id = parse_count(args->positional[0]);
    if (!id) return usage_error("mail retry needs a mail id (a whole number)");
    auto retried = s.retry_mail(*id);
    if (!retried) return report(retried.error());
    std::cout << "queued again as mail " << *retried << "\n";
    return exit_ok;
}

}  // namespace usermgmt::admin
