#pragma once
// The command groups of usermgmt-admin; each takes the words after its name and returns the
// process's exit code.

#include "tool.hpp"

#include <string>
#include <vector>

namespace usermgmt::admin {

using Words = std::vector<std::string>;

int createsuperuser_command(Tool& tool, const Words& words);
int users_command(Tool& tool, const Words& words);
int groups_command(Tool& tool, const Words& words);
int mail_command(Tool& tool, const Words& words);
int export_command(Tool& tool, const Words& words);
int import_command(Tool& tool, const Words& words);
int import_django_command(Tool& tool, const Words& words);
int import_jsonl_command(Tool& tool, const Words& words);

}  // namespace usermgmt::admin
