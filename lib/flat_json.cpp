#include "flat_json.hpp"

#include <cerrno>
#include <charconv>
#include <cstdlib>

namespace usermgmt::detail {
namespace {

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    std::optional<FlatJsonObject> object()
    {
        FlatJsonObject members;
        skip_space();
        if (!eat('{')) return std::nullopt;
        skip_space();
        if (eat('}')) return finish(std::move(members));
        while (true) {
            skip_space();
            std::string key;
            if (!string(key)) return std::nullopt;
            skip_space();
            if (!eat(':')) return std::nullopt;
            skip_space();
            auto value = scalar();
            if (!value) return std::nullopt;
            // A duplicate key would let two readers see two different tokens.
            if (!members.emplace(std::move(key), std::move(*value)).second) return std::nullopt;
            skip_space();
            if (eat('}')) return finish(std::move(members));
            if (!eat(',')) return std::nullopt;
        }
    }

private:
    std::optional<FlatJsonObject> finish(FlatJsonObject members)
    {
        skip_space();
        if (pos_ != text_.size()) return std::nullopt;
        return members;
    }

    bool eat(char c)
    {
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }

    bool eat_word(std::string_view word)
    {
        if (text_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }

    void skip_space()
    {
        while (pos_ < text_.size() &&
               (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
            ++pos_;
    }

    std::optional<FlatJsonValue> scalar()
    {
        if (pos_ >= text_.size()) return std::nullopt;
        const char c = text_[pos_];
        if (c == '"') {
            std::string s;
            if (!string(s)) return std::nullopt;
            return FlatJsonValue(std::move(s));
        }
        if (eat_word("true")) return FlatJsonValue(true);
        if (eat_word("false")) return FlatJsonValue(false);
        if (eat_word("null")) return FlatJsonValue(nullptr);
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        return std::nullopt;  // objects and arrays are not flat
    }

    std::optional<FlatJsonValue> number()
    {
        const std::size_t start = pos_;
        bool integral = true;
        eat('-');
        if (pos_ >= text_.size()) return std::nullopt;
        if (text_[pos_] == '0') {
            ++pos_;
        } else if (!digits()) {
            return std::nullopt;
        }
        if (eat('.')) {
            integral = false;
            if (!digits()) return std::nullopt;
        }
        if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            integral = false;
            ++pos_;
            if (!eat('+')) eat('-');
            if (!digits()) return std::nullopt;
        }
        const std::string_view lexeme = text_.substr(start, pos_ - start);
        if (integral) {
            std::int64_t v = 0;
            auto [end, ec] = std::from_chars(lexeme.data(), lexeme.data() + lexeme.size(), v);
            if (ec == std::errc() && end == lexeme.data() + lexeme.size()) return FlatJsonValue(v);
        }
        const std::string copy(lexeme);
        errno = 0;
        const double d = std::strtod(copy.c_str(), nullptr);
        if (errno == ERANGE) return std::nullopt;
        return FlatJsonValue(d);
    }

    bool digits()
    {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
        return pos_ > start;
    }

    bool hex4(unsigned& out)
    {
        if (pos_ + 4 > text_.size()) return false;
        out = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = text_[pos_++];
            out <<= 4;
            if (c >= '0' && c <= '9') out |= unsigned(c - '0');
            else if (c >= 'a' && c <= 'f') out |= unsigned(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') out |= unsigned(c - 'A' + 10);
            else return false;
        }
        return true;
    }

    static void append_utf8(std::string& out, unsigned cp)
    {
        if (cp < 0x80) {
            out += char(cp);
        } else if (cp < 0x800) {
            out += char(0xC0 | (cp >> 6));
            out += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += char(0xE0 | (cp >> 12));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        } else {
            out += char(0xF0 | (cp >> 18));
            out += char(0x80 | ((cp >> 12) & 0x3F));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        }
    }

    bool string(std::string& out)
    {
        if (!eat('"')) return false;
        while (pos_ < text_.size()) {
            const char c = text_[pos_++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return false;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (pos_ >= text_.size()) return false;
            const char e = text_[pos_++];
            switch (e) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                unsigned cp = 0;
                if (!hex4(cp)) return false;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned low = 0;
                    if (!eat('\\') || !eat('u') || !hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return false;
                }
                append_utf8(out, cp);
                break;
            }
            default: return false;
            }
        }
        return false;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace

std::optional<FlatJsonObject> parse_flat_json_object(std::string_view text)
{
    return Parser(text).object();
}

std::string json_quote(std::string_view text)
{
    std::string out = "\"";
    for (char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                static constexpr char hex[] = "0123456789abcdef";
                out += "\\u00";
                out += hex[(c >> 4) & 0xF];
                out += hex[c & 0xF];
            } else {
                out += c;
            }
        }
    }
    out += '"';
    return out;
}

}  // namespace usermgmt::detail
