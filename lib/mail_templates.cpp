// MailComposer: the shipped mail templates (worded as Djoser's), overrides from files, and the
// one small template language they share: literal text and `{{ variable }}`.

#include "usermgmt/mailer.hpp"
#include "usermgmt/uid.hpp"

#include "crypto.hpp"

#include <array>
#include <fstream>
#include <sstream>
#include <tuple>

namespace usermgmt {
namespace {

enum class Var { site_name, site_url, username, email, first_name, last_name, link };

constexpr std::array<std::pair<std::string_view, Var>, 7> variables = {{
    {"site_name", Var::site_name},
    {"site_url", Var::site_url},
    {"username", Var::username},
    {"email", Var::email},
    {"first_name", Var::first_name},
    {"last_name", Var::last_name},
    {"link", Var::link},
}};

constexpr std::array<NotificationKind, 5> all_kinds = {
    NotificationKind::activation, NotificationKind::password_reset, NotificationKind::username_reset,
    NotificationKind::activation_confirmed, NotificationKind::password_changed};

struct Piece {
    std::string literal;
    std::optional<Var> var;
};
using Template = std::vector<Piece>;

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

Result<Template> parse(std::string_view text, std::string_view name)
{
    Template out;
    std::size_t at = 0;
    while (at < text.size()) {
        const auto open = text.find("{{", at);
        if (open == std::string_view::npos) {
            out.push_back({std::string(text.substr(at)), std::nullopt});
            break;
        }
        const auto close = text.find("}}", open + 2);
        if (close == std::string_view::npos)
            return fail(Errc::bad_config, "mail template " + std::string(name) + ": a {{ is never closed");
        const auto var_name = trim(text.substr(open + 2, close - open - 2));
        std::optional<Var> var;
        for (const auto& [known, v] : variables)
            if (known == var_name) var = v;
        if (!var)
            return fail(Errc::bad_config, "mail template " + std::string(name) + ": unknown variable {{ " +
                                              std::string(var_name) + " }} (known: site_name, site_url, username, "
                                              "email, first_name, last_name, link)");
        out.push_back({std::string(text.substr(at, open - at)), var});
        at = close + 2;
    }
    return out;
}

std::string escape_html(std::string_view s)
{
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string replace_all(std::string text, std::string_view from, std::string_view to)
{
    for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
        text.replace(pos, from.size(), to);
    return text;
}

// The shipped templates: Djoser's wording (its email/*.html templates), ours for the two kinds
// Djoser words differently.
struct Defaults {
    std::string_view subject, text, html;
};

constexpr std::string_view html_head =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n";

Defaults default_of(NotificationKind kind)
{
    switch (kind) {
    case NotificationKind::activation:
        return {"Account activation on {{ site_name }}",
                "You're receiving this email because you need to finish the activation process on {{ site_name }}.\n\n"
                "Please go to the following page to activate your account:\n{{ link }}\n\n"
                "Thanks for using our site!\n\nThe {{ site_name }} team\n",
                "<p>You're receiving this email because you need to finish the activation process on "
                "{{ site_name }}.</p>\n<p>Please go to the following page to activate your account:</p>\n"
                "<p><a href=\"{{ link }}\">{{ link }}</a></p>\n<p>Thanks for using our site!</p>\n"
                "<p>The {{ site_name }} team</p>\n"};
    case NotificationKind::password_reset:
        return {"Password reset on {{ site_name }}",
                "You're receiving this email because you requested a password reset for your user account at "
                "{{ site_name }}.\n\nPlease go to the following page and choose a new password:\n{{ link }}\n\n"
                "Your username, in case you've forgotten: {{ username }}\n\nThanks for using our site!\n\n"
                "The {{ site_name }} team\n",
                "<p>You're receiving this email because you requested a password reset for your user account at "
                "{{ site_name }}.</p>\n<p>Please go to the following page and choose a new password:</p>\n"
                "<p><a href=\"{{ link }}\">{{ link }}</a></p>\n"
                "<p>Your username, in case you've forgotten: {{ username }}</p>\n<p>Thanks for using our site!</p>\n"
                "<p>The {{ site_name }} team</p>\n"};
    case NotificationKind::username_reset:
        return {"Username reset on {{ site_name }}",
                "You're receiving this email because you requested a username reset for your user account at "
                "{{ site_name }}.\n\nYour current username is: {{ username }}\n\n"
                "Please go to the following page and choose a new username:\n{{ link }}\n\n"
                "Thanks for using our site!\n\nThe {{ site_name }} team\n",
                "<p>You're receiving this email because you requested a username reset for your user account at "
                "{{ site_name }}.</p>\n<p>Your current username is: {{ username }}</p>\n"
                "<p>Please go to the following page and choose a new username:</p>\n"
                "<p><a href=\"{{ link }}\">{{ link }}</a></p>\n<p>Thanks for using our site!</p>\n"
                "<p>The {{ site_name }} team</p>\n"};
    case NotificationKind::activation_confirmed:
        return {"{{ site_name }} - Your account has been successfully created and activated!",
                "Your account has been created and is ready to use!\n\nThanks for using our site!\n\n"
                "The {{ site_name }} team\n",
                "<p>Your account has been created and is ready to use!</p>\n<p>Thanks for using our site!</p>\n"
                "<p>The {{ site_name }} team</p>\n"};
    case NotificationKind::password_changed:
        return {"{{ site_name }} - Your password has been successfully changed!",
                "Your account's password has been changed.\n\nIf you did not change it, reset it at once.\n\n"
                "The {{ site_name }} team\n",
                "<p>Your account's password has been changed.</p>\n<p>If you did not change it, reset it at once.</p>\n"
                "<p>The {{ site_name }} team</p>\n"};
    }
    return {};
}

Result<std::optional<std::string>> read_override(const std::filesystem::path& directory, const std::string& name)
{
    const auto path = directory / name;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::optional<std::string>();
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) return fail(Errc::bad_config, "mail template " + path.string() + " cannot be read");
    return std::optional<std::string>(text.str());
}

}  // namespace

struct MailComposer::Parts {
    Template subject, text, html;
};

namespace {

Result<std::vector<MailComposer::Parts>> build(const std::filesystem::path* directory)
{
    std::vector<MailComposer::Parts> kinds(all_kinds.size());
    for (const auto kind : all_kinds) {
        const auto defaults = default_of(kind);
        const std::string base(to_string(kind));
        auto& parts = kinds[static_cast<std::size_t>(kind)];
        for (auto [suffix, fallback, target, wrap] :
             {std::tuple{".subject.txt", defaults.subject, &parts.subject, false},
              std::tuple{".txt", defaults.text, &parts.text, false},
              std::tuple{".html", defaults.html, &parts.html, true}}) {
            std::string text;
            if (directory) {
                auto found = read_override(*directory, base + suffix);
                if (!found) return std::move(found).error();
                // An override is the whole document; an empty file keeps the default.
                if (*found && !(*found)->empty()) text = std::move(**found), wrap = false;
            }
            if (text.empty()) text = wrap ? std::string(html_head) + std::string(fallback) + "</body></html>\n"
                                          : std::string(fallback);
            auto parsed = parse(text, base + suffix);
            if (!parsed) return std::move(parsed).error();
            *target = std::move(*parsed);
        }
    }
    return kinds;
}

}  // namespace

MailComposer::MailComposer(MailTemplates templates)
    : templates_(std::move(templates)),
      kinds_(std::make_shared<const std::vector<Parts>>(std::move(*build(nullptr))))
{
}

Result<MailComposer> MailComposer::load(MailTemplates templates, const std::filesystem::path& directory)
{
    std::error_code ec;
    if (!std::filesystem::is_directory(directory, ec))
        return fail(Errc::bad_config, "mail templates: " + directory.string() + " is not a directory");
    auto kinds = build(&directory);
    if (!kinds) return std::move(kinds).error();
    MailComposer composer(std::move(templates));
    composer.kinds_ = std::make_shared<const std::vector<Parts>>(std::move(*kinds));
    return composer;
}

MailMessage MailComposer::compose(const Notification& n) const
{
    // The origin's link template when it has one for this kind, else the default.
    const auto* origin_links = [&]() -> const LinkTemplates* {
        auto it = templates_.links_by_origin.find(n.origin);
        return n.origin.empty() || it == templates_.links_by_origin.end() ? nullptr : &it->second;
    }();
    const auto link_of = [&](std::string LinkTemplates::*which) {
        const std::string& chosen =
            origin_links && !(origin_links->*which).empty() ? origin_links->*which : templates_.links.*which;
        return templates_.site_url + replace_all(replace_all(chosen, "{uid}", encode_uid(n.user.id)), "{token}", n.token);
    };
    std::string link;
    switch (n.kind) {
    case NotificationKind::activation: link = link_of(&LinkTemplates::activation_url); break;
    case NotificationKind::password_reset: link = link_of(&LinkTemplates::password_reset_url); break;
    case NotificationKind::username_reset: link = link_of(&LinkTemplates::username_reset_url); break;
    default: break;
    }
    const auto value = [&](Var v) -> std::string_view {
        switch (v) {
        case Var::site_name: return templates_.site_name;
        case Var::site_url: return templates_.site_url;
        case Var::username: return n.user.username;
        case Var::email: return n.user.email;
        case Var::first_name: return n.user.first_name;
        case Var::last_name: return n.user.last_name;
        case Var::link: return link;
        }
        return {};
    };
    const auto render = [&](const Template& t, bool html) {
        std::string out;
        for (const auto& piece : t) {
            out += piece.literal;
            if (piece.var) out += html ? escape_html(value(*piece.var)) : std::string(value(*piece.var));
        }
        return out;
    };
    const auto& parts = (*kinds_)[static_cast<std::size_t>(n.kind)];
    MailMessage m;
    m.from = templates_.from;
    m.reply_to = templates_.reply_to;
    m.to = n.user.email;
    m.subject = render(parts.subject, false);
    // One line: a name with a line break cannot add a header (to_rfc5322 also folds none in).
    for (char& c : m.subject)
        if (c == '\r' || c == '\n') c = ' ';
    while (!m.subject.empty() && m.subject.back() == ' ') m.subject.pop_back();
    m.body = render(parts.text, false);
    m.html = render(parts.html, true);
    detail::wipe(link);  // it holds the token
    return m;
}

}  // namespace usermgmt
