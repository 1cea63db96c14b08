#pragma once
// Another application's database, read only, as rows of text: a SQLite file or a PostgreSQL
// URL (usermgmt-admin import django). Both run the same SQL; what differs between them (how a
// time or a boolean reads as text) is asked of the source.

#include <usermgmt/result.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace usermgmt::admin {

using Row = std::vector<std::optional<std::string>>;  ///< nullopt: SQL NULL

class TableSource {
public:
    virtual ~TableSource() = default;
    /// The columns of `table` in order; empty when there is no such table.
    [[nodiscard]] virtual Result<std::vector<std::string>> columns(const std::string& table) = 0;
    /// Runs `sql` and hands each row to `each`, one at a time (a big table is never held whole).
    [[nodiscard]] virtual Result<void> rows(const std::string& sql, const std::function<Result<void>(const Row&)>& each) = 0;
    /// An expression giving the UTC time in `column` as "YYYY-MM-DD HH:MM:SS[.ffffff]".
    [[nodiscard]] virtual std::string utc_text(const std::string& column) const = 0;
};

/// "postgresql://..." or "postgres://..." (when built with PostgreSQL), else a SQLite file
/// path (with or without "sqlite:"), opened read only.
[[nodiscard]] Result<std::unique_ptr<TableSource>> open_table_source(const std::string& where);

/// `name` quoted as an SQL identifier ("auth_user"), for the tables and columns a user names.
[[nodiscard]] std::string sql_name(const std::string& name);

}  // namespace usermgmt::admin
