// The identity of an export: the SHA-256 of its bytes, as lower-case hex. A file's name and inode
// say nothing about what it holds; its content hash lets a renamed copy of a file already taken
// be recognised and skipped.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace cohortwatch::connectors {

// nullopt with `error` set (naming the file) when the file cannot be read.
std::optional<std::string> sha256OfFile(const std::filesystem::path& file, std::string& error);
std::string sha256OfText(std::string_view text);

}  // namespace cohortwatch::connectors
